"""Aggregate reports over HTTP: operating metrics, data quality and fund retention (no personal data in them)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import ibis
from fastapi import APIRouter, Depends, Query

from wealthdesk.access.users import Role, User
from wealthdesk.api.deps import Cursor, require
from wealthdesk.funds.retention import fund_retention_report
from wealthdesk.funds.window import DEFAULT_WINDOW, Window
from wealthdesk.governance.metrics import compute_metrics
from wealthdesk.governance.quality import run_quality

router = APIRouter(prefix="/api/v1", tags=["analytics"])
# everyone but the advisor: advisors work client by client, the book-wide figures are for the back office
ANALYSTS = (Role.analyst, Role.operations, Role.compliance, Role.admin, Role.branch_manager)
Analyst = Annotated[User, Depends(require(*ANALYSTS))]


@router.get("/metrics", summary="Operating metrics of the catalogue (AUM, net inflow, 基金保有量, …)")
def metrics(
    cursor: Cursor,
    user: Analyst,
    as_of: Annotated[date, Query(description="Date the metrics are computed for.")],
    window_days: Annotated[int, Query(ge=1, le=3660)] = 30,
) -> dict[str, Any]:
    values = compute_metrics(cursor, as_of=as_of, window_days=window_days)
    return {"as_of": as_of, "items": [v.to_dict() for v in values]}


@router.get("/quality", summary="Data quality report: counts, nulls, keys, references, freshness")
def quality(cursor: Cursor, user: Analyst, as_of: Annotated[date | None, Query()] = None) -> dict[str, Any]:
    return run_quality(cursor, as_of=as_of).to_dict()


@router.get("/reports/funds", summary="Fund retention (基金保有量) in a window")
def funds_report(
    cursor: Cursor,
    user: Analyst,
    start: Annotated[date, Query(alias="from")] = DEFAULT_WINDOW.start,
    end: Annotated[date, Query(alias="to")] = DEFAULT_WINDOW.end,
    fund: Annotated[list[str] | None, Query(max_length=20)] = None,
) -> dict[str, Any]:
    backend = ibis.duckdb.from_connection(cursor)
    return fund_retention_report(backend, Window(start, end), tuple(fund or ())).to_dict()
