"""Operating metrics over time: the metric catalogue computed at month-ends across the data's last months.

Each point is :func:`wealthdesk.governance.metrics.compute_metrics` as of a
month-end, with the window set to that calendar month (``window_days`` = the
day of the month), so flows such as net inflow are the month's own and the
points add up to a year. Balances come from the latest holdings snapshot on
or before the month-end, as the catalogue defines them. When the data end
mid-month, the last point is that day (month to date).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import plotly.graph_objects as go

from wealthdesk.errors import QualityError
from wealthdesk.governance.metrics import METRICS, MetricValue, compute_metrics, data_span
from wealthdesk.web.charts import DOWN, UP, figure_json, wan_axis
from wealthdesk.web.panels import Panel, Table, count, money, percent, wan

DEFAULT_MONTHS = 24  # two years: long enough to show a sell-off and the recovery after it
MAX_MONTHS = 60


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def month_ends(first: date, last: date, months: int) -> list[date]:
    """Up to ``months`` reporting dates ending at ``last``: month-ends ≤ ``last`` (``last`` itself when it is not
    one), none before ``first``."""
    points = [] if last == month_end(last) else [last]
    day = month_end(last) if last == month_end(last) else last.replace(day=1) - timedelta(days=1)
    while len(points) < months and day >= first:
        points.append(day)
        day = day.replace(day=1) - timedelta(days=1)
    return sorted(points)


@dataclass(frozen=True)
class MetricSeries:
    """The catalogue's metrics at each reporting date (``values[i]`` belongs to ``dates[i]``)."""

    dates: list[date]
    values: list[dict[str, MetricValue]]

    def series(self, name: str) -> list[float | int | None]:
        return [point[name].value for point in self.values]


def metric_series(con: duckdb.DuckDBPyConnection, months: int = DEFAULT_MONTHS) -> MetricSeries:
    """Compute the catalogue at the last ``months`` month-ends of the data (flows over each calendar month)."""
    span = data_span(con)
    if span is None:
        raise QualityError("the store holds no data to compute metrics from: load it with `wealthdesk ingest DIR`")
    dates = month_ends(span[0], span[1], months)
    values = [{v.name: v for v in compute_metrics(con, as_of=d, window_days=d.day)} for d in dates]
    return MetricSeries(dates, values)


def _wan_series(series: MetricSeries, name: str) -> list[float | None]:
    return [None if v is None else v / 1e4 for v in series.series(name)]


def _lines(series: MetricSeries, names: tuple[str, ...], *, money_axis: bool) -> go.Figure:
    fig = go.Figure()
    for name in names:
        label = series.values[-1][name].label
        values = _wan_series(series, name) if money_axis else series.series(name)
        unit = " 万元" if money_axis else ""
        fig.add_trace(
            go.Scatter(
                x=[d.isoformat() for d in series.dates],
                y=values,
                name=label,
                mode="lines+markers",
                hovertemplate="%{x}: %{y:,.1f}" + unit + "<extra>" + label + "</extra>",
            )
        )
    fig.update_yaxes(**(wan_axis() if money_axis else {"title_text": "客户数 / 账户数"}), rangemode="tozero")
    return fig


def cell(value: MetricValue) -> str:
    """A metric as the table shows it: CNY in 万元, ratios as percentages, counts as integers."""
    if value.unit == "CNY":
        return wan(value.value)
    if value.unit == "ratio":
        return percent(None if value.value is None else float(value.value))
    return count(value.value)


def metrics_summary(series: MetricSeries) -> str:
    """The latest balances against the first point, and the latest month's flows, in one sentence."""
    first, last = series.values[0], series.values[-1]

    def growth(name: str) -> str:
        start, end = first[name].value, last[name].value
        if start in (None, 0) or end is None:
            return ""
        return f" ({'+' if end >= start else ''}{percent(end / start - 1)} since {series.dates[0]})"

    def amount(name: str) -> str:
        value = last[name].value
        return "—" if value is None else money(float(value))

    return (
        f"As of {series.dates[-1]}: AUM {amount('aum')}{growth('aum')}, 基金保有量 "
        f"{amount('fund_holding_balance')}{growth('fund_holding_balance')}; in the month to {series.dates[-1]} "
        f"net inflow was {amount('net_inflow')} and {count(last['active_users'].value)} clients were active."
    )


def metrics_table(series: MetricSeries) -> Table:
    """One row per reporting date, one column per metric (short headers: the Chinese label and the identifier),
    and the holdings snapshot the balances come from."""
    headers = [f"{m.label_zh} {m.name}{' (万元)' if m.unit == 'CNY' else ''}" for m in METRICS]
    rows = [
        (d.isoformat(), *(cell(point[m.name]) for m in METRICS), point["aum"].note or "—")
        for d, point in zip(series.dates, series.values, strict=True)
    ]
    # every column but the date is kept on one line (the numeric style): the table scrolls sideways instead
    return Table(("日期 date", *headers, "余额依据 balances from"), rows, frozenset(range(1, len(headers) + 2)))


def metrics_panels(series: MetricSeries) -> list[Panel]:
    """Balances, monthly flows, customers and turnover over time, then every metric in one table."""
    x = [d.isoformat() for d in series.dates]
    flows = go.Figure(
        [
            go.Bar(x=x, y=_wan_series(series, "deposits"), name="入金 deposits", marker={"color": UP}),
            go.Bar(
                x=x,
                y=[None if v is None else -v for v in _wan_series(series, "withdrawals")],
                name="出金 withdrawals",
                marker={"color": DOWN},
            ),
            go.Scatter(x=x, y=_wan_series(series, "net_inflow"), name="资金净流入 net inflow", mode="lines+markers"),
        ]
    )
    flows.update_layout(barmode="relative")
    flows.update_yaxes(**wan_axis("万元 (CNY 10k), per month"))
    turnover = go.Figure(go.Bar(x=x, y=_wan_series(series, "turnover"), name="股基交易额 turnover"))
    turnover.update_yaxes(**wan_axis("万元 (CNY 10k), per month"), rangemode="tozero")
    table = metrics_table(series)
    return [
        Panel(
            "balances",
            "资产规模与基金保有量 · AUM and fund holding balance",
            figure_json(
                _lines(series, ("aum", "fund_holding_balance", "non_money_fund_holding_balance"), money_axis=True)
            ),
            notes=(
                "Balances at each month-end, from the latest holdings snapshot on or before it: a flat stretch is "
                "months without a new snapshot (the table names the snapshot each point uses).",
            ),
        ),
        Panel("flows", "资金流动 · Deposits, withdrawals and net inflow per month", figure_json(flows)),
        Panel(
            "customers",
            "客户 · Active users, high-value customers and new accounts",
            figure_json(_lines(series, ("active_users", "high_value_customers", "new_accounts"), money_axis=False)),
            notes=("Active users and new accounts count the calendar month; high-value customers the month-end.",),
        ),
        Panel("turnover", "股基交易额 · Stock and fund turnover per month", figure_json(turnover, legend=False)),
        Panel(
            "table",
            "全部指标 · Every metric of the catalogue",
            table=table,
            notes=("Definitions: docs/metrics.md (the same catalogue objects compute these figures).",),
            wide=True,
        ),
    ]
