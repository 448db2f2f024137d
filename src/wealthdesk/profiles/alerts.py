"""Risk alerts on one client for their advisor: suitability first, then what the market did to their holdings.

Each alert is a fact with the number behind it, phrased for the advisor who
will act on it; the thresholds are settings of ``AlertRules`` so a brokerage
can tune them without touching the code.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

import duckdb

from wealthdesk.profiles.portfolio import Portfolio
from wealthdesk.suitability.rules import client_tolerance, product_decision


@dataclass(frozen=True)
class AlertRules:
    expiry_warning_days: int = 30  # warn this long before a risk assessment expires
    drawdown: float = 0.10  # a held fund this far below its recent high
    drawdown_window_days: int = 60  # "recent": the high over this many days
    loss: float = 0.20  # a position this far below its cost
    concentration: float = 0.50  # one position this large a share of the portfolio


@dataclass(frozen=True)
class Alert:
    level: str  # "high" or "medium"
    kind: str  # suitability, assessment, drawdown, loss, concentration
    text: str
    code: str | None = None  # the instrument it is about, if any

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def risk_alerts(
    con: duckdb.DuckDBPyConnection, customer_id: str, book: Portfolio, as_of: date, rules: AlertRules = AlertRules()
) -> list[Alert]:
    """Alerts on ``as_of`` (the profiles' date), most serious first."""
    alerts = _suitability_alerts(con, customer_id, book, as_of, rules)
    alerts += _drawdown_alerts(con, book, as_of, rules)
    invested = [h for h in book.holdings if h.asset_type != "cash"]  # P&L and concentration are about these
    for h in invested:
        name = h.name or h.code
        if h.pnl_pct is not None and h.pnl_pct <= -rules.loss:
            alerts.append(Alert("medium", "loss", f"{name} 浮亏 {-h.pnl_pct:.0%}（{h.pnl:,.0f} 元）", h.code))
        share = h.value / book.value if book.value > 0 else 0.0
        if share >= rules.concentration and h.fund_type != "money":  # a money fund is where cash waits, not a bet
            alerts.append(Alert("medium", "concentration", f"{name} 占持仓 {share:.0%}，集中度高", h.code))
    return sorted(alerts, key=lambda a: a.level != "high")


def _suitability_alerts(
    con: duckdb.DuckDBPyConnection, customer_id: str, book: Portfolio, as_of: date, rules: AlertRules
) -> list[Alert]:
    row = con.execute(
        "SELECT risk_level, risk_assessed_date, lowest_category, investor_type FROM customers WHERE customer_id = ?",
        [customer_id],
    ).fetchone()
    if row is None:
        return []
    tolerance = client_tolerance(*row, as_of=as_of)
    alerts = []
    if tolerance.status == "unassessed":
        alerts.append(Alert("high", "assessment", "客户未做风险测评：不可推荐任何有风险等级的产品"))
    elif tolerance.status == "expired":
        text = f"风险测评已过期（有效至 {tolerance.valid_until}）：不可推荐任何有风险等级的产品"
        alerts.append(Alert("high", "assessment", text))
    elif tolerance.valid_until and tolerance.valid_until - as_of <= timedelta(days=rules.expiry_warning_days):
        alerts.append(Alert("medium", "assessment", f"风险测评将于 {tolerance.valid_until} 后到期，请提醒客户重新测评"))
    if tolerance.max_rank > 0:
        level = {"professional": "专业投资者", "lowest_category": "C1 最低类别"}.get(tolerance.status, row[0])
        for h in book.holdings:
            if h.asset_type == "fund" and h.risk_level and not product_decision(tolerance, h.risk_level).allowed:
                text = f"持有 {h.name or h.code}（{h.risk_level}），高于客户风险承受能力 {level}"
                alerts.append(Alert("high", "suitability", text, h.code))
    return alerts


def _drawdown_alerts(con: duckdb.DuckDBPyConnection, book: Portfolio, as_of: date, rules: AlertRules) -> list[Alert]:
    """Held funds whose accumulated NAV on ``as_of`` is far below their high of the preceding window."""
    names = {h.code: h.name or h.code for h in book.holdings if h.asset_type == "fund"}
    if not names:
        return []
    rows = con.execute(
        """SELECT fund_code, arg_max(accumulated_nav, nav_date)::DOUBLE AS last, max(accumulated_nav)::DOUBLE AS high
           FROM fund_navs
           WHERE fund_code IN (SELECT unnest(?)) AND nav_date BETWEEN ? AND ?
           GROUP BY fund_code""",
        [list(names), as_of - timedelta(days=rules.drawdown_window_days), as_of],
    ).fetchall()
    alerts = []
    for code, last, high in sorted(rows, key=lambda r: r[1] / r[2] if r[2] else 1.0):
        if high and last / high - 1 <= -rules.drawdown:
            fall = 1 - last / high
            days = rules.drawdown_window_days
            alerts.append(Alert("medium", "drawdown", f"{names[code]} 较近 {days} 天高点回撤 {fall:.1%}", code))
    return alerts
