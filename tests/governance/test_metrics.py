"""Metric values on the hand-made store of conftest.py, each computed by hand in the comments."""

from __future__ import annotations

import json
from datetime import date

import duckdb
import pytest
from rich.console import Console

from wealthdesk.errors import QualityError
from wealthdesk.governance.metrics import METRICS, METRICS_BY_NAME, compute_metrics, render_metrics


def values(con: duckdb.DuckDBPyConnection, as_of: date, window_days: int = 30) -> dict[str, float | int | None]:
    return {v.name: v.value for v in compute_metrics(con, as_of, window_days)}


def test_catalogue_defines_each_metric_once() -> None:
    names = [m.name for m in METRICS]
    assert len(names) == len(set(names))
    for required in ("aum", "net_inflow", "funded_user_ratio", "fund_holding_balance", "active_users"):
        assert required in METRICS_BY_NAME
    for metric in METRICS:
        assert metric.label_zh and metric.label_en and metric.formula and metric.unit
        if metric.ratio_of:
            assert set(metric.ratio_of) <= set(METRICS_BY_NAME)


def test_metrics_on_the_last_day(small_store: duckdb.DuckDBPyConnection) -> None:
    got = values(small_store, date(2022, 6, 30))
    # Snapshot 2022-06-30: AC1 stock 900,000 + AC1 cash 200,000 + AC1M money fund 100,000
    #                      + AC2 fund 1,500 + AC2 cash 500 = 1,202,000 (the 06-29 snapshot is ignored).
    assert got["aum"] == 1_202_000
    assert got["fund_holding_balance"] == 101_500  # 100,000 (money fund 000009) + 1,500 (hybrid 000001)
    assert got["non_money_fund_holding_balance"] == 1_500  # only the hybrid fund
    assert got["high_value_customers"] == 1  # C1: 1,200,000 over two accounts; C2: 2,000
    # Window 2022-06-01 … 06-30: deposits F2 5,000 + F4 100,000; withdrawals F3 20,000 + F5 1,000 (23:59 on 06-30).
    assert got["deposits"] == 105_000
    assert got["withdrawals"] == 21_000
    assert got["net_inflow"] == 84_000
    # Opened: C1, C2, C3 (C4 is a prospect). Funded: C1 (F1), C2 (F2); C3 never deposited → 2 of 3.
    assert got["opened_customers"] == 3
    assert got["funded_customers"] == 2
    assert got["funded_user_ratio"] == pytest.approx(2 / 3)
    assert got["new_accounts"] == 2  # AC2 (06-10), AC3 (06-20)
    # Active: C1 (trade TR1, login E3), C2 (trade TR2), C3 (login E1); C4 only viewed a quote → 3.
    assert got["active_users"] == 3
    assert got["turnover"] == 181_200  # TR1 180,000 + TR2 1,200; TR3 (04-01) is outside the window


def test_metrics_move_with_as_of(small_store: duckdb.DuckDBPyConnection) -> None:
    got = values(small_store, date(2022, 6, 29))
    assert got["aum"] == 880_500  # snapshot 06-29: AC1 stock 880,000 + AC2 cash 500
    assert got["withdrawals"] == 20_000  # F5 is on 06-30
    got = values(small_store, date(2022, 6, 11))
    # Opened by 06-11: C1 (AC1, AC1M), C2 (AC2 on 06-10). Funded: C1 only (F2 is on 06-12) → 1 of 2.
    assert got["funded_user_ratio"] == 0.5


def test_window_days(small_store: duckdb.DuckDBPyConnection) -> None:
    got = values(small_store, date(2022, 6, 30), window_days=1)
    assert got["net_inflow"] == -1_000  # only F5 on 06-30
    assert got["active_users"] == 1  # only C1 traded on 06-30


def test_before_first_snapshot_the_balances_are_none_with_a_reason(small_store: duckdb.DuckDBPyConnection) -> None:
    by_name = {v.name: v for v in compute_metrics(small_store, date(2022, 3, 1))}
    assert by_name["aum"].value is None
    assert by_name["aum"].note == "no holdings snapshot on or before 2022-03-01"
    assert by_name["funded_user_ratio"].value == 1.0  # C1 opened AC1 and deposited F1 in January


def test_as_of_before_any_data_is_a_clear_error(small_store: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(QualityError, match=r"before the first data in the store \(2022-01-10\)"):
        compute_metrics(small_store, date(2021, 12, 31))


def test_empty_store_and_bad_window_are_errors(fresh_store: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(QualityError, match="holds no accounts"):
        compute_metrics(fresh_store, date(2022, 6, 30))
    with pytest.raises(QualityError, match="window_days"):
        compute_metrics(fresh_store, date(2022, 6, 30), window_days=0)


def test_values_serialise_and_render(small_store: duckdb.DuckDBPyConnection) -> None:
    result = compute_metrics(small_store, date(2022, 6, 30))
    json.dumps([v.to_dict() for v in result], ensure_ascii=False)
    console = Console(record=True, width=250)
    render_metrics(result, console)
    text = console.export_text()
    assert "入金率 (funded-user ratio)" in text
    assert "66.67%" in text
    assert "¥1,202,000.00" in text
