"""Each client's purchase history as the CLV models read it: (x, t_x, T, m_x), from the trades.

A *purchase* is a day on which the client paid the brokerage something: a
day with at least one trade carrying a fee (commission, stamp duty passed
through, fund subscription or redemption fees). Its value is the day's fees.
Counting days rather than trades follows the CDNOW convention (several
orders on one day are one visit) and keeps a busy trading day from reading
as many independent purchases.

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

DAYS_PER_WEEK = 7.0


def purchase_days(backend: Any, as_of: date) -> Any:
    """(customer_id, day, value): the fee-paying days of each client, up to ``as_of``."""
    period = Period(as_of)
    t = backend.table("trades")
    t = t.filter((t.trade_time.date() <= as_of) & (t.fee > 0))
    t = t.join(account_owners(backend, period), "account_id")
    return t.group_by(["customer_id", t.trade_time.date().name("day")]).aggregate(value=t.fee.cast("float64").sum())


def clv_summary(backend: Any, as_of: date) -> Any:
    """One row per client who ever paid a fee: customer_id, x, t_x, T (weeks), m_x (CNY)."""
    days = purchase_days(backend, as_of)
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
