"""The audit log: every read of a client's personal data — who, when, which client, which fields, from where.

A row is appended for every client whose personal data a response carries,
before the response is sent, so every read someone saw is a read compliance
can find. Only compliance and admin may read the log.

:func:`record_reads` writes (and commits) at once. A server answering many
reads a second uses an :class:`AuditWriter` instead: a group commit, where
concurrent requests hand their rows to one writer thread that commits all
the rows waiting in one INSERT and then lets each request go on to send its
response — the guarantee is the same, the commit (a WAL write) is paid once
per group rather than once per read.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from concurrent.futures import Future
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


def _audit_rows(user: User, reads: list[PersonalDataRead], action: str, source: str | None) -> list[list[Any]]:
    now = datetime.now()
    return [
        [now, user.user_id, user.role.value, r.customer_id, list(r.fields), list(r.masked), action, source]
        for r in reads
    ]


def record_reads(
    con: duckdb.DuckDBPyConnection, user: User, reads: list[PersonalDataRead], action: str, source: str | None
) -> None:
    """Append one audit row per client read, all in one transaction."""
    if reads:
        _insert(con, _audit_rows(user, reads, action, source))


_ROWS_PER_INSERT = 500  # rows per INSERT statement of a group (a group is one transaction however large)


def _insert(con: duckdb.DuckDBPyConnection, rows: list[list[Any]]) -> None:
    """All ``rows`` in one transaction, on a cursor of its own."""
    cursor = con.cursor()
    try:
        cursor.begin()
        try:
            for start in range(0, len(rows), _ROWS_PER_INSERT):
                chunk = rows[start : start + _ROWS_PER_INSERT]
                values = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?)"] * len(chunk))
                cursor.execute(f"INSERT INTO wd_audit VALUES {values}", [v for row in chunk for v in row])
            cursor.commit()
        except BaseException:
            with contextlib.suppress(duckdb.Error):  # a failed commit has rolled back already
                cursor.rollback()
            raise
    finally:
        cursor.close()


def _settle(done: Future[None], error: Exception | None) -> None:
    """Resolve a waiter's future unless its request was cancelled meanwhile (settling that one would raise)."""
    if not done.set_running_or_notify_cancel():
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)


class AuditWriter:
    """Group commit of audit rows: :meth:`record` returns once the rows are committed, as record_reads does.

    One writer thread takes every row waiting, appends them in one transaction (one WAL write) on a cursor
    of ``con``, and then releases the requests that waited for them; rows that arrive
    meanwhile form the next group, so no request waits for a timer. A failed INSERT fails every request of
    its group (they answer an error, never the data). The thread ends after ``idle_seconds`` without rows and
    starts again with the next one, so an idle or stopped server keeps no thread or cursor.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, idle_seconds: float = 5.0) -> None:
        self._con = con
        self._idle_seconds = idle_seconds
        self._pending: list[tuple[list[list[Any]], Future[None]]] = []
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def submit(self, user: User, reads: list[PersonalDataRead], action: str, source: str | None) -> Future[None]:
        """Queue the rows; the future is done once they are committed (or failed to be)."""
        done: Future[None] = Future()
        if not reads:
            done.set_result(None)
            return done
        rows = _audit_rows(user, reads, action, source)
        with self._wake:
            self._pending.append((rows, done))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="wd-audit-writer", daemon=True)
                self._thread.start()
            self._wake.notify()
        return done

    async def record(self, user: User, reads: list[PersonalDataRead], action: str, source: str | None) -> None:
        """Append one audit row per client read; returns once they are committed."""
        # shielded: a cancelled request (a client gone, a server stopping) must not cancel the shared future the
        # writer thread will settle
        await asyncio.shield(asyncio.wrap_future(self.submit(user, reads, action, source)))

    def _run(self) -> None:
        try:
            while True:
                with self._wake:
                    if not self._pending:
                        self._wake.wait(self._idle_seconds)
                    if not self._pending:
                        return
                    group, self._pending = self._pending, []
                rows = [row for batch, _ in group for row in batch]
                try:
                    _insert(self._con, rows)
                except Exception as exc:  # every request of the group fails rather than answer unaudited
                    for _, done in group:
                        _settle(done, exc)
                else:
                    for _, done in group:
                        _settle(done, None)
        finally:  # however the thread ends, the next submit starts another one
            with self._wake:
                self._thread = None
                if self._pending:
                    self._thread = threading.Thread(target=self._run, name="wd-audit-writer", daemon=True)
                    self._thread.start()


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
