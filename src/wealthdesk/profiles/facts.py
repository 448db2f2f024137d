"""Per-client facts from each source table, as Ibis expressions (one function per source).

Each function reads the store's tables through an Ibis backend and returns
one row per ``customer_id`` that has any data in that source; the profile
builder left-joins them onto the client list. Only data on or before the
as-of date counts, so a profile as of a past date is what was known then.
Everything here is plain relational Ibis, so it runs unchanged on DuckDB
and on Spark.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import ibis

from wealthdesk.profiles.columns import WINDOWS
from wealthdesk.schema.columns import BOARDS, FUND_TYPES
from wealthdesk.schema.wecom import BEIJING_OFFSET_MS

DISCLOSURE_LAG_DAYS = 25  # a quarter's top-ten holdings are public ~15 working days after the quarter-end
CROWDED_FUND_WEIGHT = 0.2  # a fund is crowded-exposed when crowded stocks are ≥ 20% of its disclosed top holdings


@dataclass(frozen=True)
class Period:
    """The as-of date and helpers that date a column relative to it."""

    as_of: date

    def days_before(self, day: Any) -> Any:
        """Whole days from ``day`` (a date column) to the as-of date."""
        return ibis.literal(self.as_of).delta(day, unit="day")

    def within(self, day: Any, days: int) -> Any:
        """``day`` falls in the ``days``-day window ending on the as-of date (both ends included)."""
        return self.days_before(day) < days


def _count_if(condition: Any) -> Any:
    return ibis.ifelse(condition, 1, 0).sum()


def _sum_if(condition: Any, value: Any) -> Any:
    return ibis.ifelse(condition, value, 0.0).sum()


def account_owners(backend: Any, period: Period) -> Any:
    """account_id → customer_id of accounts opened by the as-of date."""
    accounts = backend.table("accounts")
    return accounts.filter(accounts.opened_date <= period.as_of).select("account_id", "customer_id")


def permissions(backend: Any, period: Period) -> Any:
    """Has an account, and the ChiNext / STAR / Level-2 permissions held on the as-of date."""
    a = backend.table("accounts")
    a = a.filter(a.opened_date <= period.as_of)

    def held(flag: Any, since: Any) -> Any:
        return _count_if(flag & (since.isnull() | (since <= period.as_of))) > 0

    return a.group_by("customer_id").aggregate(
        has_account=ibis.literal(True),
        chinext_enabled=held(a.chinext_enabled, a.chinext_date),
        star_enabled=held(a.star_enabled, a.star_date),
        level2_enabled=held(a.level2_enabled, a.level2_date),
    )


def crowded_weights(backend: Any, as_of: date) -> Any:
    """fund_code → crowded_weight: the share of net assets in crowded stocks in the latest disclosure by ``as_of``.

    A quarter's top ten is public some weeks after the quarter-end it refers to (fund quarterly reports come out
    within 15 working days), so a report counts only :data:`DISCLOSURE_LAG_DAYS` after its ``report_date``.

    Only funds that disclosed top holdings by then have a row (money and bond
    funds disclose no stocks: no row, read as no exposure).
    """
    top = backend.table("fund_top_holdings")
    top = top.filter(top.report_date <= as_of - timedelta(days=DISCLOSURE_LAG_DAYS))
    latest = top.group_by("fund_code").aggregate(latest_report=top.report_date.max())
    secs = backend.table("securities").select(code="code", crowded="crowded")
    rows = top.join(latest, [top.fund_code == latest.fund_code, top.report_date == latest.latest_report])
    rows = rows.join(secs, rows.code == secs.code)
    return rows.group_by("fund_code").aggregate(crowded_weight=_sum_if(rows.crowded, rows.weight.cast("float64")))


def _crowded_funds(backend: Any, period: Period) -> Any:
    """Funds whose latest disclosed top holdings (by the as-of date) are ≥ 20% crowded stocks."""
    weights = crowded_weights(backend, period.as_of)
    return weights.filter(weights.crowded_weight >= CROWDED_FUND_WEIGHT).select("fund_code", crowded_fund=True)


def positions(backend: Any, period: Period, snapshot: date | None) -> Any:
    """Values by asset class, fund type and board, exposures and unrealised P&L on the latest snapshot."""
    h = backend.table("holdings")
    # no snapshot by the as-of date: no positions at all
    h = h.filter(ibis.literal(False) if snapshot is None else h.snapshot_date == snapshot)
    owners = account_owners(backend, period)
    secs = backend.table("securities").select(stock_code="code", board="board", crowded_stock="crowded")
    funds = backend.table("funds").select(fund_key="fund_code", fund_type="fund_type", fund_risk="risk_level")
    crowded = _crowded_funds(backend, period).rename(crowded_key="fund_code")
    rows = h.join(owners, "account_id")
    rows = rows.left_join(secs, (rows.asset_type == "stock") & (rows.instrument_code == secs.stock_code))
    rows = rows.left_join(funds, (rows.asset_type == "fund") & (rows.instrument_code == funds.fund_key))
    rows = rows.left_join(crowded, rows.instrument_code == crowded.crowded_key)
    value = rows.market_value.cast("float64")
    invested = rows.asset_type != "cash"
    metrics = {
        "stock_value": _sum_if(rows.asset_type == "stock", value),
        "fund_value": _sum_if(rows.asset_type == "fund", value),
        "cash_value": _sum_if(rows.asset_type == "cash", value),
        "unrealised_pnl": _sum_if(invested & rows.cost_amount.notnull(), value - rows.cost_amount.cast("float64")),
        "holds_chinext": _count_if(rows.board == "chinext") > 0,
        "holds_star": _count_if(rows.board == "star") > 0,
        "holds_crowded": _count_if(rows.crowded_stock.fill_null(False) | rows.crowded_fund.notnull()) > 0,
        "max_product_risk_rank": rows.fund_risk.substr(1).cast("int32").max(),
    }
    for fund_type in FUND_TYPES:
        metrics[f"{fund_type}_fund_value"] = _sum_if(rows.fund_type == fund_type, value)
    for board in BOARDS:
        metrics["main_board_value" if board == "main" else f"{board}_value"] = _sum_if(rows.board == board, value)
    return rows.group_by("customer_id").aggregate(**metrics)


def trading(backend: Any, period: Period) -> Any:
    """Last trade, trade counts per window, fund flows over 90 days and realised P&L (average cost).

    Realised P&L of a sell or redemption is its amount less fees less the
    quantity times the average cost, at the time of the sell, of that
    account's earlier buys of the instrument (amount + fees over quantity;
    under moving-average costing a sell does not change the average). A sell
    with no earlier buy in the trade history has no known cost and adds nothing.
    """
    t = backend.table("trades")
    t = t.filter(t.trade_time.date() <= period.as_of)
    t = t.join(account_owners(backend, period), "account_id")
    day = t.trade_time.date()
    buying = t.trade_type.isin(["stock_buy", "fund_subscribe"])
    amount, fee = t.amount.cast("float64"), t.fee.cast("float64")
    so_far = ibis.cumulative_window(group_by=[t.account_id, t.instrument_code], order_by=[t.trade_time, t.trade_id])
    flows = t.mutate(
        bought_cost=ibis.ifelse(buying, amount + fee, 0.0).sum().over(so_far),
        bought_units=ibis.ifelse(buying, t.quantity, 0.0).sum().over(so_far),
    )
    sells = flows.filter(~buying & (flows.bought_units > 0))
    unit_cost = sells.bought_cost / sells.bought_units
    realised = sells.group_by("customer_id").aggregate(
        realised_pnl=(sells.amount.cast("float64") - sells.fee.cast("float64") - sells.quantity * unit_cost).sum()
    )
    recent = period.within(day, 90)
    counts = t.group_by("customer_id").aggregate(
        last_trade_date=day.max(),
        fund_redeemed_90d=_sum_if(recent & (t.trade_type == "fund_redeem"), amount),
        fund_subscribed_90d=_sum_if(recent & (t.trade_type == "fund_subscribe"), amount),
        **{f"trades_{d}d": _count_if(period.within(day, d)) for d in WINDOWS},
    )
    return counts.left_join(realised, "customer_id").drop("customer_id_right")


def cash(backend: Any, period: Period) -> Any:
    """Whether the client ever deposited, and net inflow over 30 days."""
    f = backend.table("cash_flows")
    f = f.filter(f.flow_time.date() <= period.as_of)
    f = f.join(account_owners(backend, period), "account_id")
    signed = ibis.ifelse(f.flow_type == "deposit", f.amount.cast("float64"), -f.amount.cast("float64"))
    return f.group_by("customer_id").aggregate(
        funded=_count_if(f.flow_type == "deposit") > 0,
        net_inflow_30d=_sum_if(period.within(f.flow_time.date(), 30), signed),
    )


def app_activity(backend: Any, period: Period) -> Any:
    """Last login, logins and app events per window."""
    e = backend.table("app_events")
    day = e.event_time.date()
    e = e.filter(day <= period.as_of)
    day = e.event_time.date()
    login = e.event_type == "login"
    return e.group_by("customer_id").aggregate(
        last_login_date=ibis.ifelse(login, day, ibis.null("date")).max(),
        **{f"logins_{d}d": _count_if(login & period.within(day, d)) for d in WINDOWS},
        **{f"app_events_{d}d": _count_if(period.within(day, d)) for d in WINDOWS},
    )


def external_contacts(backend: Any) -> Any:
    """external_userid → customer_id for contacts matched to a client (one row per pair)."""
    c = backend.table("wecom_contacts")
    return c.filter(c.customer_id.notnull()).select("external_userid", "customer_id").distinct()


def message_time(messages: Any) -> Any:
    """The China wall-clock time of an archived message, to the second (msgtime is UTC milliseconds).

    Converted through whole seconds: Spark (through Ibis) reads Unix times in seconds only.
    """
    return ((messages.msgtime + BEIJING_OFFSET_MS) // 1000).as_timestamp("s")


def message_day(messages: Any) -> Any:
    """The China-time date of an archived message."""
    return message_time(messages).date()


def chats(backend: Any, period: Period) -> Any:
    """Messages the client wrote (not the advisor's) per window, and the last one's date."""
    m = backend.table("wecom_messages")
    m = m.filter((m.action == "send") & (message_day(m) <= period.as_of))
    contacts = external_contacts(backend)
    m = m.join(contacts, m.sender == contacts.external_userid)
    day = message_day(m)
    return m.group_by("customer_id").aggregate(
        last_chat_date=day.max(),
        **{f"chats_{d}d": _count_if(period.within(day, d)) for d in WINDOWS},
    )


def wecom_relationship(backend: Any, period: Period) -> Any:
    """Whether an advisor has the client on WeCom on the as-of date, and since when."""
    c = backend.table("wecom_contacts")
    live = (
        c.customer_id.notnull()
        & (c.added_at.date() <= period.as_of)
        & (c.deleted_at.isnull() | (c.deleted_at.date() > period.as_of))
    )
    c = c.filter(live)
    return c.group_by("customer_id").aggregate(has_wecom=ibis.literal(True), wecom_added_date=c.added_at.date().min())
