"""Each client's purchase history as the CLV models read it: (x, t_x, T, m_x), from the trades.

A *purchase* is a day on which the brokerage earned something from the
client's trades: its value is the day's trade revenue under the
:class:`~wealthdesk.value.revenue.RevenueRules` (commission net of stamp
duty, the fund subscription fee, the credited share of redemption fees), and
a day that earned nothing (say, a redemption whose fee all goes to the fund)
is no purchase. Counting days rather than trades follows the CDNOW convention
(several orders on one day are one visit) and keeps a busy trading day from
reading as many independent purchases. Recurring revenue that needs no trade
(trailing commission, Level-2) is not a purchase; see ``revenue.py``.

- ``x``: repeat purchase days (all but the first);
- ``t_x``: weeks from the first purchase day to the last;
- ``T``: weeks from the first purchase day to the as-of date;
- ``m_x``: the mean value of the repeat purchase days (0 when there are
  none), as the Gamma-Gamma model takes it.

Only trades on or before the as-of date count. Written in Ibis, so it runs
on DuckDB and on Spark like the rest of the pipeline.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import ibis

from wealthdesk.profiles.facts import Period, account_owners
from wealthdesk.value.revenue import RevenueRules, trade_revenue

DAYS_PER_WEEK = 7.0


def purchase_days(backend: Any, as_of: date, rules: RevenueRules | None = None) -> Any:
    """(customer_id, day, value): the days each client's trades earned the brokerage revenue, up to ``as_of``."""
    period = Period(as_of)
    t = backend.table("trades")
    t = t.filter(t.trade_time.date() <= as_of)
    t = t.join(account_owners(backend, period), "account_id")
    t = t.mutate(day=t.trade_time.date(), revenue=trade_revenue(t, rules or RevenueRules()))
    days = t.group_by(["customer_id", "day"]).aggregate(value=t.revenue.sum())
    return days.filter(days.value > 0)


def clv_summary(backend: Any, as_of: date, rules: RevenueRules | None = None) -> Any:
    """One row per client whose trades ever earned revenue: customer_id, x, t_x, T (weeks), m_x (CNY)."""
    days = purchase_days(backend, as_of, rules)
    first = days.group_by("customer_id").aggregate(first_day=days.day.min())
    days = days.join(first, "customer_id")
    repeat = days.day > days.first_day
    summary = days.group_by(["customer_id", "first_day"]).aggregate(
        x=ibis.ifelse(repeat, 1, 0).sum(),
        last_day=days.day.max(),
        repeat_value=ibis.ifelse(repeat, days.value, 0.0).sum(),
    )
    as_of_literal = ibis.literal(as_of)
    return summary.select(
        "customer_id",
        x=summary.x.cast("int64"),
        t_x=summary.last_day.delta(summary.first_day, unit="day").cast("float64") / DAYS_PER_WEEK,
        T=as_of_literal.delta(summary.first_day, unit="day").cast("float64") / DAYS_PER_WEEK,
        m_x=ibis.ifelse(summary.x > 0, summary.repeat_value / summary.x.cast("float64"), 0.0),
    )
