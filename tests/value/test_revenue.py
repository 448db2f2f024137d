"""Revenue rules: what the brokerage earns per trade and per month, checked by hand on the demo brokerage.

Sources of the defaults (see wealthdesk.value.revenue): stamp duty 0.1% on sells from 2008-09-19 and 0.05%
from 2023-08-28 (财政部 税务总局公告 2023 年第 39 号); trailing commission at most 50% of the management fee
for individual investors (《公开募集证券投资基金销售机构监督管理办法》, CSRC 2020).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import duckdb
import ibis
import pytest

from wealthdesk.testing import DemoStore
from wealthdesk.value.revenue import RevenueRules, recurring_revenue, trade_revenue

AS_OF = dt.date(2022, 6, 30)


def revenues(con: duckdb.DuckDBPyConnection, rules: RevenueRules) -> dict[str, tuple[str, float, float, float]]:
    backend = ibis.duckdb.from_connection(con)
    t = backend.table("trades")
    rows = backend.to_pyarrow(
        t.select(
            "trade_id",
            "trade_type",
            amount=t.amount.cast("float64"),
            fee=t.fee.cast("float64"),
            revenue=trade_revenue(t, rules),
        )
    ).to_pylist()
    return {r["trade_id"]: (r["trade_type"], r["amount"], r["fee"], r["revenue"]) for r in rows}


def test_each_trade_type_earns_what_the_rules_say(demo: DemoStore) -> None:
    with duckdb.connect(str(demo.settings.store), read_only=True) as con:
        default = revenues(con, RevenueRules())
        shared = revenues(con, RevenueRules(redemption_fee_share=0.25, subscription_fee_share=0.8))
    seen = defaultdict(int)
    for trade_id, (kind, amount, fee, revenue) in default.items():
        seen[kind] += 1
        expected = {
            "stock_buy": fee,  # commission only: no stamp duty on buys
            "stock_sell": fee - 0.001 * amount,  # the 0.1% stamp duty is the state's
            "fund_subscribe": fee,  # the subscription fee is the distributor's
            "fund_redeem": 0.0,  # the redemption fee goes to the fund and the registrar
        }[kind]
        assert revenue == pytest.approx(expected, abs=0.006), trade_id  # fees are rounded to the fen
        assert revenue >= 0
        other = shared[trade_id][3]
        if kind == "fund_redeem":
            assert other == pytest.approx(0.25 * fee)
        elif kind == "fund_subscribe":
            assert other == pytest.approx(0.8 * fee)
    assert min(seen[k] for k in ("stock_buy", "stock_sell", "fund_subscribe", "fund_redeem")) > 10


def test_stamp_duty_follows_its_schedule_by_trade_date() -> None:
    """A sell of 100,000 CNY with a 130 CNY fee: 100 CNY duty before 2023-08-28, 50 CNY from that day."""
    trades = ibis.memtable(
        {
            "trade_type": ["stock_sell", "stock_sell", "stock_buy"],
            "trade_time": [dt.datetime(2023, 8, 25, 10), dt.datetime(2023, 8, 28, 10), dt.datetime(2023, 8, 28, 10)],
            "amount": [100_000.0, 100_000.0, 100_000.0],
            "fee": [130.0, 80.0, 25.0],
        }
    )
    out = ibis.duckdb.connect().to_pyarrow(trades.select(r=trade_revenue(trades, RevenueRules()))).column("r")
    assert out.to_pylist() == pytest.approx([30.0, 30.0, 25.0])
    levied = RevenueRules(pass_through_rate=0.0000687)  # levies paid out of the commission, both sides
    out = ibis.duckdb.connect().to_pyarrow(trades.select(r=trade_revenue(trades, levied))).column("r")
    assert out.to_pylist() == pytest.approx([30.0 - 6.87, 30.0 - 6.87, 25.0 - 6.87])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"trailing_commission_share": 1.5},
        {"redemption_fee_share": -0.1},
        {"level2_monthly_fee": -1.0},
        {"stamp_duty_on_sells": ()},
    ],
)
def test_impossible_rules_are_refused(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        RevenueRules(**kwargs)


def test_recurring_revenue_is_trailing_commission_plus_level2(demo: DemoStore) -> None:
    """Monthly = Σ fund market value × management fee × 50% ÷ 12 on the as-of snapshot, + 10 CNY per Level-2 account."""
    as_of = dt.date(2022, 5, 15)  # between snapshots: the 2022-04-29 one counts
    with duckdb.connect(str(demo.settings.store), read_only=True) as con:
        backend = ibis.duckdb.from_connection(con)
        snapshot = con.execute("SELECT max(snapshot_date) FROM holdings WHERE snapshot_date <= ?", [as_of]).fetchall()[
            0
        ][0]
        assert snapshot == dt.date(2022, 4, 29)
        got = {
            r["customer_id"]: r
            for r in backend.to_pyarrow(recurring_revenue(backend, as_of, snapshot, RevenueRules())).to_pylist()
        }
        funds = con.execute(
            """SELECT a.customer_id, h.market_value::DOUBLE, f.management_fee FROM holdings h
               JOIN accounts a USING (account_id) JOIN funds f ON f.fund_code = h.instrument_code
               WHERE h.snapshot_date = ? AND h.asset_type = 'fund' AND a.opened_date <= ?""",
            [snapshot, as_of],
        ).fetchall()
        level2 = con.execute(
            """SELECT customer_id, count(*) FROM accounts WHERE level2_enabled AND opened_date <= ?
               AND (level2_date IS NULL OR level2_date <= ?) GROUP BY 1""",
            [as_of, as_of],
        ).fetchall()
    trailing: dict[str, float] = defaultdict(float)
    for customer_id, value, fee in funds:
        trailing[customer_id] += value * fee * 0.5 / 12
    subscriptions = dict(level2)
    assert set(got) == set(trailing) | set(subscriptions)
    assert len(subscriptions) > 5 and len(trailing) > 100
    for customer_id, row in got.items():
        assert row["trailing_monthly"] == pytest.approx(trailing.get(customer_id, 0.0))
        assert row["level2_monthly"] == pytest.approx(10.0 * subscriptions.get(customer_id, 0))
        assert row["recurring_monthly"] == pytest.approx(row["trailing_monthly"] + row["level2_monthly"])


def test_no_snapshot_means_no_trailing_commission(demo: DemoStore) -> None:
    with duckdb.connect(str(demo.settings.store), read_only=True) as con:
        backend = ibis.duckdb.from_connection(con)
        rows = backend.to_pyarrow(recurring_revenue(backend, AS_OF, None, RevenueRules())).to_pylist()
    assert rows and all(r["trailing_monthly"] == 0 and r["level2_monthly"] > 0 for r in rows)
