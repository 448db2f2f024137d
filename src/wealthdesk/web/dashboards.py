"""The analysts' dashboards: fund retention, lifecycle funnel, metrics over time and data quality.

Routes are thin: they parse the query, call the library (the same functions
behind the API's ``/api/v1/reports/funds``, ``/metrics`` and ``/quality``),
let a ``dashboard_*`` module arrange the result into panels and render one
template. Access is the analytics API's: every role but the advisor
(:data:`wealthdesk.api.analytics.ANALYSTS`), signed in with the ``/login``
cookie or a bearer token. A question the data cannot answer (a window
outside the data, a store without profiles) is shown on the page, next to
the form that asked it, rather than as a bare error.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

import ibis
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from wealthdesk.access.users import User
from wealthdesk.api.analytics import Analyst
from wealthdesk.api.deps import Cursor
from wealthdesk.errors import WealthdeskError
from wealthdesk.funds.retention import fund_retention_report
from wealthdesk.funds.window import DEFAULT_WINDOW, Window
from wealthdesk.governance.quality import run_quality
from wealthdesk.web.charts import CONFIG
from wealthdesk.web.dashboard_funds import funds_panels
from wealthdesk.web.dashboard_lifecycle import lifecycle_panels, lifecycle_summary, stage_counts
from wealthdesk.web.dashboard_metrics import DEFAULT_MONTHS, MAX_MONTHS, metric_series, metrics_panels, metrics_summary
from wealthdesk.web.dashboard_quality import quality_panels, quality_summary
from wealthdesk.web.pages import render

router = APIRouter(prefix="/dashboards", include_in_schema=False)
FUND_CODE = re.compile(r"\d{6}")

# (path, key, title, what it answers): the navigation bar and the index page
DASHBOARDS = (
    ("/dashboards/funds", "funds", "基金保有量 Fund retention", "Which funds were redeemed after a fall, and why."),
    ("/dashboards/lifecycle", "lifecycle", "生命周期 Lifecycle", "How far clients got: registered → high-value."),
    ("/dashboards/metrics", "metrics", "经营指标 Metrics", "AUM, net inflow, 基金保有量 and users, month by month."),
    ("/dashboards/quality", "quality", "数据质量 Data quality", "Rows, null rates, failed checks and quarantine."),
)


def page(request: Request, user: User, key: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render ``dashboard_{key}.html`` with the navigation and the signed-in user."""
    return render(
        request,
        f"dashboard_{key}.html",
        status_code=status_code,
        user=user,
        current=key,
        dashboards=DASHBOARDS,
        chart_config=CONFIG,
        **context,
    )


def day(value: str | None, default: date, name: str) -> date:
    """A date query parameter (YYYY-MM-DD, as date inputs send it).

    The message names the parameter but does not repeat what was sent: whatever a caller types into a URL
    (a phone number, an ID number) is never echoed into a page.
    """
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise WealthdeskError(f"'{name}' is not a date: use YYYY-MM-DD") from None


def fund_codes(values: list[str] | None) -> tuple[str, ...]:
    """Fund codes from repeated ``fund`` parameters or one field of codes separated by spaces or commas.

    Fund codes are six digits; anything else is refused without being repeated (see :func:`day`).
    """
    codes = tuple(code for item in values or () for code in item.replace(",", " ").split())
    wrong = sum(1 for code in codes if not FUND_CODE.fullmatch(code))
    if wrong:
        raise WealthdeskError(f"{wrong} of the fund codes given are not fund codes: a fund code is 6 digits")
    return codes


@router.get("", response_class=HTMLResponse)
def index(request: Request, user: Analyst) -> HTMLResponse:
    return page(request, user, "index", title="Dashboards")


@router.get("/funds", response_class=HTMLResponse)
def funds(
    request: Request,
    cursor: Cursor,
    user: Analyst,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
    fund: Annotated[list[str] | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    form = {"start": DEFAULT_WINDOW.start.isoformat(), "end": DEFAULT_WINDOW.end.isoformat(), "funds": ""}
    try:
        window = Window(day(start, DEFAULT_WINDOW.start, "from"), day(end, DEFAULT_WINDOW.end, "to"))
        codes = fund_codes(fund)
        form = {"start": window.start.isoformat(), "end": window.end.isoformat(), "funds": " ".join(codes)}
        report = fund_retention_report(ibis.duckdb.from_connection(cursor), window, codes)
    except WealthdeskError as exc:
        return page(request, user, "funds", 400, title="Fund retention", form=form, problem=str(exc))
    return page(
        request, user, "funds", title="Fund retention", form=form, summary=report.summary, panels=funds_panels(report)
    )


@router.get("/lifecycle", response_class=HTMLResponse)
def lifecycle(request: Request, cursor: Cursor, user: Analyst) -> HTMLResponse:
    try:
        counts = stage_counts(ibis.duckdb.from_connection(cursor))
    except WealthdeskError as exc:
        return page(request, user, "lifecycle", 409, title="Lifecycle", problem=str(exc))
    return page(
        request,
        user,
        "lifecycle",
        title="Lifecycle",
        counts=counts,
        summary=[lifecycle_summary(counts)],
        panels=lifecycle_panels(counts),
    )


@router.get("/metrics", response_class=HTMLResponse)
def metrics(
    request: Request, cursor: Cursor, user: Analyst, months: Annotated[int, Query(ge=1, le=MAX_MONTHS)] = DEFAULT_MONTHS
) -> HTMLResponse:
    try:
        series = metric_series(cursor, months)
    except WealthdeskError as exc:
        return page(request, user, "metrics", 409, title="Metrics", months=months, problem=str(exc))
    return page(
        request,
        user,
        "metrics",
        title="Metrics",
        months=months,
        max_months=MAX_MONTHS,
        summary=[metrics_summary(series)],
        panels=metrics_panels(series),
    )


@router.get("/quality", response_class=HTMLResponse)
def quality(request: Request, cursor: Cursor, user: Analyst) -> HTMLResponse:
    try:
        report = run_quality(cursor)
    except WealthdeskError as exc:
        return page(request, user, "quality", 409, title="Data quality", problem=str(exc))
    return page(
        request,
        user,
        "quality",
        title="Data quality",
        summary=[quality_summary(report)],
        panels=quality_panels(report),
    )
