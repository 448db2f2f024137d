"""Each quality rule, passing on the clean hand-made store and failing on a store broken on purpose."""

from __future__ import annotations

import json
from datetime import date, datetime

import duckdb
import pytest
from governance_rows import insert
from rich.console import Console

from wealthdesk.errors import QualityError
from wealthdesk.governance.quality import (
    FreshnessPolicy,
    QualityReport,
    RuleKind,
    plan_rules,
    render_quality_report,
    run_quality,
)
from wealthdesk.schema import TABLES, TABLES_BY_NAME, Column, ColumnType, ForeignKey, Table

TRADE_COLUMNS = list(TABLES_BY_NAME["trades"].column_names)


def trade(trade_id: str, account: str = "AC1", kind: str = "stock_buy", code: str = "600519.SH") -> tuple:
    return (trade_id, account, datetime(2022, 6, 29, 10), kind, code, 1, 10, 10, 0, "app")


def failed(report: QualityReport) -> dict[tuple[str, str], str]:
    return {(r.table, r.rule): r.detail for r in report.failed_rules}


def test_clean_store_passes_every_rule(small_store: duckdb.DuckDBPyConnection) -> None:
    report = run_quality(small_store)
    assert report.failed_rules == ()
    assert report.passed
    assert report.reference_date == date(2022, 6, 30)  # newest trade / holdings snapshot / cash flow
    assert report.reference_source == "newest client activity in the store"
    trades = report.table("trades")
    assert trades.row_count == 3
    assert trades.null_rates == dict.fromkeys(TRADE_COLUMNS, 0.0)  # every trade column is required
    assert trades.latest == date(2022, 6, 30)
    # WeCom msgtime is epoch ms; 2022-06-29 10:00 Beijing must date to the 29th.
    assert report.table("wecom_messages").latest == date(2022, 6, 29)


def test_every_schema_declaration_becomes_a_rule() -> None:
    for table in TABLES:
        names = {spec.name for spec in plan_rules(table)}
        assert f"unique_key({', '.join(table.key)})" in names
        assert {f"not_null({c})" for c in table.required_columns} <= names
        assert {f"unique({', '.join(u)})" for u in table.unique} <= names
        fks = [spec for spec in plan_rules(table) if spec.kind is RuleKind.FOREIGN_KEY]
        assert [spec.foreign_key for spec in fks] == list(table.foreign_keys)
        assert any(s.kind is RuleKind.FRESHNESS for s in plan_rules(table)) == (table.freshness_column is not None)


def test_duplicate_key_fails(small_store: duckdb.DuckDBPyConnection) -> None:
    insert(small_store, "trades", TRADE_COLUMNS, [trade("TR1")])  # TR1 already stored
    report = run_quality(small_store)
    assert not report.passed
    rule = next(r for r in report.rules if r.table == "trades" and r.rule == "unique_key(trade_id)")
    assert not rule.passed
    assert rule.violations == 2  # two rows share TR1
    assert "TR1" in rule.detail
    assert set(failed(report)) == {("trades", "unique_key(trade_id)")}


def test_composite_key_and_unique_set(small_store: duckdb.DuckDBPyConnection) -> None:
    insert(
        small_store,
        "holdings",
        ["snapshot_date", "account_id", "asset_type", "instrument_code", "quantity", "market_value"],
        [(date(2022, 6, 30), "AC1", "cash", "CNY", 1, 1)],
    )
    insert(
        small_store,
        "advisors",
        ["advisor_id", "name", "wecom_userid", "branch_id"],
        [("A02", "周杰", "zhangmin", "B01")],
    )  # same WeCom userid as A01
    problems = failed(run_quality(small_store))
    assert "2022-06-30, AC1, CNY" in problems[("holdings", "unique_key(snapshot_date, account_id, instrument_code)")]
    assert "zhangmin" in problems[("advisors", "unique(wecom_userid)")]


def test_orphan_trade_fails(small_store: duckdb.DuckDBPyConnection) -> None:
    insert(small_store, "trades", TRADE_COLUMNS, [trade("TR9", account="NOPE")])
    report = run_quality(small_store)
    detail = failed(report)[("trades", "foreign_key(account_id → accounts(account_id))")]
    assert detail.startswith("1 rows reference a missing accounts row")
    assert "NOPE" in detail


def test_orphan_account_and_customer_chain(small_store: duckdb.DuckDBPyConnection) -> None:
    small_store.execute("UPDATE accounts SET customer_id = 'C404' WHERE account_id = 'AC3'")
    assert ("accounts", "foreign_key(customer_id → customers(customer_id))") in failed(run_quality(small_store))


def test_conditional_foreign_keys_apply_only_to_their_rows(small_store: duckdb.DuckDBPyConnection) -> None:
    # A fund trade with an unknown fund code breaks the funds reference only; the securities reference
    # does not apply to fund trades. Cash holdings ("CNY") are checked against neither.
    insert(small_store, "trades", TRADE_COLUMNS, [trade("TR9", kind="fund_subscribe", code="999999")])
    report = run_quality(small_store)
    problems = failed(report)
    fund_fk = "foreign_key(instrument_code → funds(fund_code) when trade_type IN ('fund_subscribe', 'fund_redeem'))"
    stock_fk = "foreign_key(instrument_code → securities(code) when trade_type IN ('stock_buy', 'stock_sell'))"
    assert "999999" in problems[("trades", fund_fk)]
    assert ("trades", stock_fk) not in problems
    assert next(r for r in report.rules if r.table == "trades" and r.rule == stock_fk).passed
    assert not any(table == "holdings" for table, _ in problems)


def test_stock_trade_on_a_fund_code_breaks_the_securities_reference(small_store: duckdb.DuckDBPyConnection) -> None:
    insert(small_store, "trades", TRADE_COLUMNS, [trade("TR9", kind="stock_sell", code="000001")])
    problems = failed(run_quality(small_store))
    assert [rule for table, rule in problems if table == "trades"] == [
        "foreign_key(instrument_code → securities(code) when trade_type IN ('stock_buy', 'stock_sell'))"
    ]


def test_null_and_blank_required_values_fail_with_their_rate(small_store: duckdb.DuckDBPyConnection) -> None:
    small_store.execute("UPDATE customers SET name = NULL WHERE customer_id = 'C3'")
    small_store.execute("UPDATE customers SET name = '  ' WHERE customer_id = 'C4'")
    report = run_quality(small_store)
    assert report.table("customers").null_rates["name"] == 0.5  # 2 of 4 customers
    assert failed(report)[("customers", "not_null(name)")] == "2 of 4 rows (50.00%) are NULL or blank"
    assert not report.passed


def test_allowed_values_minimum_and_pattern(small_store: duckdb.DuckDBPyConnection) -> None:
    small_store.execute("UPDATE accounts SET status = 'weird' WHERE account_id = 'AC3'")
    small_store.execute("UPDATE cash_flows SET amount = -5 WHERE flow_id = 'F5'")
    insert(
        small_store,
        "securities",
        ["code", "name", "board", "exchange", "crowded"],
        [("60051.SH", "坏代码", "main", "SH", False)],
    )
    problems = failed(run_quality(small_store))
    assert "'weird'" in problems[("accounts", "allowed_values(status)")]
    assert "1 of 5 rows" in problems[("cash_flows", "minimum(amount)")]
    assert "'60051.SH'" in problems[("securities", "pattern(code)")]


def test_stale_table_fails(small_store: duckdb.DuckDBPyConnection) -> None:
    small_store.execute("UPDATE security_prices SET trade_date = DATE '2022-06-01'")  # 29 days before 06-30
    detail = failed(run_quality(small_store))[("security_prices", "freshness(trade_date)")]
    assert "29 days before 2022-06-30" in detail
    assert "allows 7 days" in detail


def test_explicit_as_of_and_policy(small_store: duckdb.DuckDBPyConnection) -> None:
    report = run_quality(small_store, as_of=date(2022, 7, 31))
    assert report.reference_source == "as_of"
    assert ("trades", "freshness(trade_time)") in failed(report)  # 31 days > 7
    lenient = FreshnessPolicy(group_max_age_days={}, table_max_age_days={}, default_max_age_days=400)
    assert run_quality(small_store, as_of=date(2022, 7, 31), policy=lenient).passed


def test_empty_table_fails_with_a_clear_detail(small_store: duckdb.DuckDBPyConnection) -> None:
    small_store.execute("DELETE FROM news")
    report = run_quality(small_store)
    problems = failed(report)
    assert problems[("news", "not_empty")] == "table is empty: nothing has been loaded into it"
    assert "table is empty" in problems[("news", "freshness(published_at)")]
    assert set(problems) == {("news", "not_empty"), ("news", "freshness(published_at)")}


def test_fresh_store_fails_and_falls_back_to_today(fresh_store: duckdb.DuckDBPyConnection) -> None:
    report = run_quality(fresh_store)
    assert not report.passed
    assert report.reference_date == date.today()
    assert all(not t.passed for t in report.tables)


def test_store_without_schema_tables_is_a_quality_error(tmp_path) -> None:
    con = duckdb.connect(str(tmp_path / "other.duckdb"))
    with pytest.raises(QualityError, match="not a wealthdesk store"):
        run_quality(con)


def test_a_new_table_gets_its_rules_for_free(small_store: duckdb.DuckDBPyConnection) -> None:
    orders = Table(
        name="fund_orders",
        description="test-only table",
        group="Client activity",
        key=("order_id",),
        foreign_keys=(ForeignKey(("fund_code",), "funds", ("fund_code",), when="side = 'buy'"),),
        freshness_column="ordered_on",
        columns=(
            Column("order_id", ColumnType.STRING, "id", required=True),
            Column("fund_code", ColumnType.STRING, "fund", required=True),
            Column("side", ColumnType.STRING, "buy/sell", required=True, allowed=("buy", "sell")),
            Column("ordered_on", ColumnType.DATE, "date", required=True),
        ),
    )
    small_store.execute("CREATE TABLE fund_orders (order_id VARCHAR, fund_code VARCHAR, side VARCHAR, ordered_on DATE)")
    small_store.execute(
        "INSERT INTO fund_orders VALUES ('O1', '000001', 'buy', DATE '2022-06-30'), ('O1', 'ZZZ', 'buy', NULL), "
        "('O2', 'ZZZ', 'sell', DATE '2022-06-30')"
    )
    report = run_quality(small_store, tables=[orders])
    assert set(failed(report)) == {
        ("fund_orders", "unique_key(order_id)"),
        ("fund_orders", "not_null(ordered_on)"),
        ("fund_orders", "foreign_key(fund_code → funds(fund_code) when side = 'buy')"),
    }


def test_quarantine_summary_is_information_only(small_store: duckdb.DuckDBPyConnection) -> None:
    rows = [
        (1, "trades", "t.csv", "abc", line, reason, "raw")
        for line, reason in [
            (2, "bad date"),
            (3, "bad date"),
            (4, "duplicate key"),
            (5, "unknown trade_type"),
            (6, "bad date"),
        ]
    ]
    rows.append((1, "customers", "c.csv", "def", 2, "ID checksum", "raw"))
    insert(
        small_store,
        "_quarantine",
        ["batch_id", "table_name", "source_file", "file_sha256", "line", "reason", "raw"],
        rows,
    )
    report = run_quality(small_store)
    assert report.passed
    trades = next(q for q in report.quarantine if q.table == "trades")
    assert trades.rows == 5
    assert trades.top_reasons == (("bad date", 3), ("duplicate key", 1), ("unknown trade_type", 1))
    assert report.table("customers").quarantined == 1


def test_report_to_dict_is_json(small_store: duckdb.DuckDBPyConnection) -> None:
    insert(small_store, "trades", TRADE_COLUMNS, [trade("TR1")])
    data = json.loads(json.dumps(run_quality(small_store).to_dict(), ensure_ascii=False))
    assert data["passed"] is False
    assert data["reference_date"] == "2022-06-30"
    assert data["summary"]["failed"] == 1
    assert {"table", "rule", "passed", "severity", "detail", "violations"} <= set(data["rules"][0])
    assert len(data["tables"]) == len(TABLES)


def test_render_shows_failures_and_verdict(small_store: duckdb.DuckDBPyConnection) -> None:
    insert(small_store, "trades", TRADE_COLUMNS, [trade("TR9", account="NOPE")])
    console = Console(record=True, width=250)
    render_quality_report(run_quality(small_store), console)
    text = console.export_text()
    assert "Failed rules" in text
    assert "NOPE" in text
    assert "FAILED: 1 of" in text


def test_runs_on_a_read_only_connection(tmp_path) -> None:
    # The CLI opens the store read-only: the checks must only read.
    from governance_rows import populate

    from wealthdesk.store import create_tables

    path = str(tmp_path / "ro.duckdb")
    with duckdb.connect(path) as con:
        create_tables(con)
        populate(con)
    with duckdb.connect(path, read_only=True) as con:
        assert run_quality(con).passed
