"""Fund positions on any day, and when each holding began: the snapshot before it plus the trades since.

Holdings snapshots are taken on a few dates only, but every subscription and
redemption is in ``trades``. A position at the close of a day is therefore
the latest snapshot on or before it plus the fund trades after the snapshot
up to that close, valued at the day's unit NAV (the latest NAV on or before
it). That is the cash rule the source systems follow, and it lets a window
start or end on any trading day.

A *holding spell* begins with a subscription made when nothing of the fund
was held; the spell's start is how long a client has held. Spells are traced
from the earliest snapshot, so a position already held then has no known
start ("held since before the data").
"""

from __future__ import annotations

from datetime import date
from typing import Any

import ibis

from wealthdesk.funds.window import FundReportError
from wealthdesk.profiles.build import latest_snapshot as profiles_snapshot

FUND_TRADES = ("fund_subscribe", "fund_redeem")
EMPTY = 1e-6  # units below this count as nothing held (rounding of full redemptions)


def latest_snapshot(backend: Any, day: date) -> date:
    """The latest holdings snapshot on or before ``day`` (the profiles' rule); refused when there is none."""
    snapshot = profiles_snapshot(backend, day)
    if snapshot is None:
        raise FundReportError(f"no holdings snapshot on or before {day}: positions cannot be known then")
    return snapshot


def fund_trades(backend: Any) -> Any:
    """Fund trades with their signed unit change: account_id, fund_code, trade_id, trade_time, day, delta, amount."""
    t = backend.table("trades")
    t = t.filter(t.trade_type.isin(FUND_TRADES))
    buy = t.trade_type == "fund_subscribe"
    units = t.quantity.cast("float64")
    return t.select(
        "account_id",
        "trade_id",
        "trade_time",
        fund_code=t.instrument_code,
        day=t.trade_time.date(),
        buy=buy,
        delta=ibis.ifelse(buy, units, -units),
        amount=t.amount.cast("float64"),
    )


def navs_at(backend: Any, day: date) -> Any:
    """fund_code → unit_nav at the close of ``day`` (the latest NAV on or before it)."""
    n = backend.table("fund_navs")
    n = n.filter(n.nav_date <= day)
    latest = n.group_by("fund_code").aggregate(nav_date=n.nav_date.max())
    return n.join(latest, ["fund_code", "nav_date"]).select("fund_code", unit_nav=n.unit_nav.cast("float64"))


def positions_at(backend: Any, day: date) -> Any:
    """Fund positions at the close of ``day``: account_id, fund_code, quantity, market_value."""
    snapshot = latest_snapshot(backend, day)
    h = backend.table("holdings")
    base = h.filter((h.snapshot_date == snapshot) & (h.asset_type == "fund")).select(
        "account_id", fund_code=h.instrument_code, delta=h.quantity.cast("float64")
    )
    t = fund_trades(backend)
    since = t.filter((t.day > snapshot) & (t.day <= day)).select("account_id", "fund_code", "delta")
    rows = base.union(since, distinct=False)
    held = rows.group_by(["account_id", "fund_code"]).aggregate(quantity=rows.delta.sum())
    held = held.filter(held.quantity > EMPTY)
    navs = navs_at(backend, day)
    held = held.join(navs, "fund_code")
    return held.select("account_id", "fund_code", "quantity", market_value=held.quantity * held.unit_nav)


def spell_starts(backend: Any) -> Any:
    """account_id, fund_code, started: the days holding spells began (a subscription into an empty position)."""
    first = backend.to_pyarrow(backend.table("holdings").snapshot_date.min()).as_py()
    if first is None:
        raise FundReportError("the store has no holdings snapshots: ingest the brokerage's data first")
    t = fund_trades(backend)
    h = backend.table("holdings")
    opening = h.filter((h.snapshot_date == first) & (h.asset_type == "fund")).select(
        "account_id",
        fund_code=h.instrument_code,
        trade_id=ibis.literal("", "string"),
        trade_time=ibis.literal(first).cast(t.trade_time.type()),
        buy=ibis.literal(False),
        delta=h.quantity.cast("float64"),
    )
    t = t.filter(t.day > first).select("account_id", "fund_code", "trade_id", "trade_time", "buy", "delta")
    rows = opening.union(t, distinct=False)
    w = ibis.window(group_by=["account_id", "fund_code"], order_by=["trade_time", "trade_id"], following=0)
    rows = rows.mutate(held_before=rows.delta.sum().over(w) - rows.delta)
    starts = rows.filter(rows.buy & (rows.held_before <= EMPTY))
    return starts.select("account_id", "fund_code", started=starts.trade_time.date())
