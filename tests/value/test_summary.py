"""The CLV purchase summary, checked client by client against the trades' revenue computed by hand in Python.

Revenue by hand (the defaults of RevenueRules): a stock trade earns its fee less 0.1% stamp duty on sells
(the 2008–2023 rate); a fund subscription earns its fee; a redemption earns nothing (its fee goes to the
fund and the registrar). A purchase is a day with positive revenue.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import duckdb
import ibis
import pytest

from wealthdesk.testing import DemoStore
from wealthdesk.value.summary import clv_summary

AS_OF = dt.date(2022, 6, 30)


def hand_revenue(trade_type: str, amount: float, fee: float) -> float:
    if trade_type == "stock_sell":
        return max(fee - 0.001 * amount, 0.0)
    return {"stock_buy": fee, "fund_subscribe": fee, "fund_redeem": 0.0}[trade_type]


def test_each_client_has_the_summary_its_trades_revenue_gives(demo: DemoStore) -> None:
    with duckdb.connect(str(demo.settings.store), read_only=True) as con:
        backend = ibis.duckdb.from_connection(con)
        summary = {r["customer_id"]: r for r in backend.to_pyarrow(clv_summary(backend, AS_OF)).to_pylist()}
        trades = con.execute(
            """SELECT a.customer_id, t.trade_time::DATE, t.trade_type, t.amount::DOUBLE, t.fee::DOUBLE FROM trades t
               JOIN accounts a USING (account_id)
               WHERE t.trade_time::DATE <= ? AND a.opened_date <= ?""",
            [AS_OF, AS_OF],
        ).fetchall()
    revenue: dict[str, dict[dt.date, float]] = defaultdict(lambda: defaultdict(float))
    for customer_id, day, trade_type, amount, fee in trades:
        revenue[customer_id][day] += hand_revenue(trade_type, amount, fee)
    by_client = {c: {d: v for d, v in days.items() if v > 0} for c, days in revenue.items()}
    by_client = {c: days for c, days in by_client.items() if days}
    assert len(summary) == len(by_client) > 500
    redemption_only_days = sum(1 for days in revenue.values() for v in days.values() if v == 0)
    assert redemption_only_days > 0  # the rule matters on this data: some days earned nothing
    for customer_id, by_day in by_client.items():
        days = sorted(by_day)
        repeat = [by_day[d] for d in days[1:]]
        row = summary[customer_id]
        assert row["x"] == len(repeat)
        assert row["t_x"] == pytest.approx((days[-1] - days[0]).days / 7)
        assert row["T"] == pytest.approx((AS_OF - days[0]).days / 7)
        assert row["m_x"] == pytest.approx(sum(repeat) / len(repeat) if repeat else 0.0)
