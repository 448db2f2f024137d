"""Clients' tolerances from the store: the columns the rule reads, for many clients in one statement.

The rule itself stays in :mod:`wealthdesk.suitability.rules`; this only reads
what it needs (risk level, assessment date, lowest category, investor type).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

from wealthdesk.suitability.rules import ASSESSMENT_VALID_DAYS, Tolerance, client_tolerance


def client_tolerances(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    clients_sql: str,
    params: dict[str, Any] | None = None,
    valid_days: int = ASSESSMENT_VALID_DAYS,
) -> list[tuple[str, Tolerance]]:
    """(customer_id, tolerance on ``as_of``) of the clients ``clients_sql`` (a query with a ``customer_id``
    column, e.g. ``SELECT unnest($ids) AS customer_id``) selects, by customer_id."""
    rows = con.execute(
        f"""SELECT c.customer_id, c.risk_level, c.risk_assessed_date, c.lowest_category, c.investor_type
            FROM customers c JOIN ({clients_sql}) w USING (customer_id) ORDER BY c.customer_id""",
        params or {},
    ).fetchall()
    return [(row[0], client_tolerance(*row[1:], as_of=as_of, valid_days=valid_days)) for row in rows]
