"""What is known about each fund holding at the close of a day, as numbers a redemption-risk model can weigh.

Every feature is computed from data dated on or before that close, so a
model trained on past days and scored today never sees the future. They
are what an advisor would name when explaining a call to a client: how far
the fund has fallen, its crowded-stock exposure, how recently the client
bought, how cautious the client is and whether they have been redeeming.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import ibis

from wealthdesk.funds.positions import fund_trades, navs_at, positions_at, spell_starts
from wealthdesk.profiles.facts import crowded_weights

HIGH_WINDOW_DAYS = 60  # "recent high": the highest NAV over the last two months
RETURN_DAYS = 30
REDEMPTION_MEMORY_DAYS = 90
EQUITY_TYPES = ("hybrid", "equity", "index")
CONSERVATIVE = ("C1", "C2")

# feature → how to say it when the holding is above / below the average, worded with the holding's own values
FEATURES: dict[str, tuple[str, str]] = {
    "fall_from_high": ("fund close to its two-month high", "fund down {fall_below_high:.1%} from its two-month high"),
    "return_1m": ("fund up {return_1m:.1%} over the past month", "fund {return_1m:+.1%} over the past month"),
    "crowded_exposure": (
        "fund has {crowded_exposure:.0%} in crowded stocks (抱团股)",
        "fund has little in crowded stocks",
    ),
    "equity_fund": ("{fund_type} fund (equity-like)", "{fund_type} fund"),
    "product_risk": ("higher-risk product ({product_risk_level})", "lower-risk product ({product_risk_level})"),
    "tenure_under_6m": ("bought {tenure_days:.0f} days ago", "held over six months"),
    "tenure_6_12m": ("held {tenure_days:.0f} days (under a year)", "held {tenure_days:.0f} days"),
    "conservative_client": ("cautious client ({client_risk_level})", "client risk level {client_risk_level}"),
    "unassessed_client": ("risk tolerance never assessed", "risk tolerance assessed"),
    "log_client_funds": (
        "large fund account (¥{client_fund_value:,.0f})",
        "small fund account (¥{client_fund_value:,.0f})",
    ),
    "recent_redemptions": ("redeemed {recent_redemptions:.0f} time(s) in the past 90 days", "no recent redemptions"),
    "log_holding_value": ("large holding (¥{market_value:,.0f})", "small holding (¥{market_value:,.0f})"),
}


MARKET_FEATURES = ("fall_from_high", "return_1m", "crowded_exposure", "equity_fund", "product_risk")
CLIENT_FEATURES = tuple(name for name in FEATURES if name not in MARKET_FEATURES)


def holding_features(backend: Any, day: date, spells: Any = None) -> Any:
    """One row per fund holding at the close of ``day``: ids, the values the reasons quote, and :data:`FEATURES`.

    ``spells`` (the :func:`~wealthdesk.funds.positions.spell_starts` rows, e.g. computed once as a memtable)
    saves tracing every holding spell again when features are built for many days.
    """
    pos = positions_at(backend, day)
    accounts = backend.table("accounts").select("account_id", "customer_id")
    c = backend.table("customers")
    # the customers table keeps only the latest assessment: one made after the day was not known on it
    known = c.risk_assessed_date.notnull() & (c.risk_assessed_date <= day)
    customers = c.select("customer_id", "advisor_id", client_risk_level=ibis.ifelse(known, c.risk_level, None))
    funds = backend.table("funds").select(
        "fund_code", fund_name="name", fund_type="fund_type", product_risk_level="risk_level"
    )
    rows = pos.join(accounts, "account_id").join(customers, "customer_id").join(funds, "fund_code")
    rows = rows.left_join(_nav_moves(backend, day), "fund_code").drop("fund_code_right")
    rows = rows.left_join(crowded_weights(backend, day), "fund_code").drop("fund_code_right")
    rows = rows.left_join(_tenure(backend, day, pos, spells), ["account_id", "fund_code"]).drop(
        "account_id_right", "fund_code_right"
    )
    rows = rows.left_join(_recent_redemptions(backend, day), "customer_id").drop("customer_id_right")
    client_funds = rows.market_value.sum().over(ibis.window(group_by="customer_id"))
    tenure = rows.tenure_days
    return rows.select(
        "customer_id",
        "account_id",
        "advisor_id",
        "fund_code",
        "fund_name",
        "fund_type",
        "product_risk_level",
        "client_risk_level",
        "market_value",
        "tenure_days",
        client_fund_value=client_funds,
        fall_from_high=rows.fall_from_high.fill_null(0.0),
        return_1m=rows.return_1m.fill_null(0.0),
        crowded_exposure=rows.crowded_weight.fill_null(0.0),
        equity_fund=rows.fund_type.isin(EQUITY_TYPES).cast("float64"),
        product_risk=rows.product_risk_level.substr(1).cast("float64"),
        tenure_under_6m=(rows.start_known & (tenure < 182)).cast("float64"),
        tenure_6_12m=(rows.start_known & (tenure >= 182) & (tenure < 365)).cast("float64"),
        conservative_client=rows.client_risk_level.isin(CONSERVATIVE).fill_null(False).cast("float64"),
        unassessed_client=rows.client_risk_level.isnull().cast("float64"),
        log_client_funds=(client_funds + 1).ln(),
        recent_redemptions=rows.recent_redemptions.fill_null(0).cast("float64"),
        log_holding_value=(rows.market_value + 1).ln(),
    )


def _nav_moves(backend: Any, day: date) -> Any:
    """fund_code → fall from the two-month high and the one-month return at the close of ``day``."""
    n = backend.table("fund_navs")
    recent = n.filter((n.nav_date > day - timedelta(days=HIGH_WINDOW_DAYS)) & (n.nav_date <= day))
    high = recent.group_by("fund_code").aggregate(high=recent.unit_nav.cast("float64").max())
    now = navs_at(backend, day).rename(now="unit_nav")
    before = navs_at(backend, day - timedelta(days=RETURN_DAYS)).rename(before="unit_nav")
    moves = now.join(high, "fund_code").left_join(before, "fund_code").drop("fund_code_right")
    return moves.select("fund_code", fall_from_high=moves.now / moves.high - 1, return_1m=moves.now / moves.before - 1)


def _tenure(backend: Any, day: date, pos: Any, spells: Any = None) -> Any:
    """account_id, fund_code → days since the running holding spell began, and whether that start is known.

    A holding already held when the data begin has no known start: its days
    count from the data's first day (a lower bound) and ``start_known`` is
    false, so it is never taken for a recent purchase.
    """
    first = backend.to_pyarrow(backend.table("holdings").snapshot_date.min()).as_py()
    s = spell_starts(backend) if spells is None else spells
    s = s.filter(s.started <= day)
    opened = s.group_by(["account_id", "fund_code"]).aggregate(opened=s.started.max())
    pos = pos.select("account_id", "fund_code")
    rows = pos.left_join(opened, ["account_id", "fund_code"]).drop("account_id_right", "fund_code_right")
    start = rows.opened.fill_null(first)
    return rows.select(
        "account_id",
        "fund_code",
        tenure_days=ibis.literal(day).delta(start, unit="day").cast("float64"),
        start_known=rows.opened.notnull(),
    )


def _recent_redemptions(backend: Any, day: date) -> Any:
    """customer_id → fund redemptions in the 90 days up to ``day``."""
    t = fund_trades(backend)
    t = t.filter(~t.buy & (t.day > day - timedelta(days=REDEMPTION_MEMORY_DAYS)) & (t.day <= day))
    owners = backend.table("accounts").select("account_id", "customer_id")
    t = t.join(owners, "account_id")
    return t.group_by("customer_id").aggregate(recent_redemptions=t.count())


def redeemed_within(backend: Any, day: date, days: int) -> Any:
    """account_id, fund_code of holdings with a redemption in the ``days`` after the close of ``day``."""
    t = fund_trades(backend)
    t = t.filter(~t.buy & (t.day > day) & (t.day <= day + timedelta(days=days)))
    return t.select("account_id", "fund_code").distinct()
