"""The CLV purchase summary, checked client by client against the trades computed by hand in Python."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import duckdb
import ibis
import pytest

from wealthdesk.testing import DemoStore
from wealthdesk.value.summary import clv_summary

AS_OF = dt.date(2022, 6, 30)


def test_each_paying_client_has_the_summary_its_trades_give(demo: DemoStore) -> None:
    with duckdb.connect(str(demo.settings.store), read_only=True) as con:
        backend = ibis.duckdb.from_connection(con)
        summary = {r["customer_id"]: r for r in backend.to_pyarrow(clv_summary(backend, AS_OF)).to_pylist()}
        trades = con.execute(
            """SELECT a.customer_id, t.trade_time::DATE, t.fee::DOUBLE FROM trades t
               JOIN accounts a USING (account_id)
               WHERE t.trade_time::DATE <= ? AND a.opened_date <= ? AND t.fee > 0""",
            [AS_OF, AS_OF],
        ).fetchall()
    fees: dict[str, dict[dt.date, float]] = defaultdict(lambda: defaultdict(float))
    for customer_id, day, fee in trades:
        fees[customer_id][day] += fee
    assert len(summary) == len(fees) > 500
    for customer_id, by_day in fees.items():
        days = sorted(by_day)
        repeat = [by_day[d] for d in days[1:]]
        row = summary[customer_id]
        assert row["x"] == len(repeat)
        assert row["t_x"] == pytest.approx((days[-1] - days[0]).days / 7)
        assert row["T"] == pytest.approx((AS_OF - days[0]).days / 7)
        assert row["m_x"] == pytest.approx(sum(repeat) / len(repeat) if repeat else 0.0)
