"""The audit log: every read of a client's personal data — who, when, which client, which fields, from where.

A row is appended for every client whose personal data a response carries,
before the response is sent, so every read someone saw is a read compliance
can find. Only compliance and admin may read the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from wealthdesk.access.users import User

AUDIT_DDL = """CREATE TABLE IF NOT EXISTS wd_audit (
    read_at TIMESTAMP NOT NULL, user_id VARCHAR NOT NULL, role VARCHAR NOT NULL, customer_id VARCHAR NOT NULL,
    fields VARCHAR[] NOT NULL, masked VARCHAR[] NOT NULL, action VARCHAR NOT NULL, source VARCHAR)"""


def ensure_audit_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(AUDIT_DDL)


@dataclass(frozen=True)
class PersonalDataRead:
    """One client's personal data as served: which fields, and which of them were masked."""

    customer_id: str
    fields: tuple[str, ...]
    masked: tuple[str, ...]


def record_reads(
    con: duckdb.DuckDBPyConnection, user: User, reads: list[PersonalDataRead], action: str, source: str | None
) -> None:
    """Append one audit row per client read."""
    if not reads:
        return
    now = datetime.now()
    con.executemany(
        "INSERT INTO wd_audit VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [now, user.user_id, user.role.value, r.customer_id, list(r.fields), list(r.masked), action, source]
            for r in reads
        ],
    )


def audit_entries(
    con: duckdb.DuckDBPyConnection,
    customer_id: str | None = None,
    user_id: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """Newest first, optionally for one client or one user; with the total count for paging."""
    where, params = ["true"], []
    if customer_id:
        where.append("customer_id = ?")
        params.append(customer_id)
    if user_id:
        where.append("user_id = ?")
        params.append(user_id)
    condition = " AND ".join(where)
    total = con.execute(f"SELECT count(*) FROM wd_audit WHERE {condition}", params).fetchone()[0]
    cursor = con.execute(
        f"SELECT * FROM wd_audit WHERE {condition} ORDER BY read_at DESC, customer_id LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()], total
