"""The fund retention report: hand-built holdings whose every figure is worked out below, then the demo brokerage."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import duckdb
import ibis
import pytest
from typer.testing import CliRunner

from wealthdesk.cli import app
from wealthdesk.funds.positions import positions_at
from wealthdesk.funds.render import fund_report_html
from wealthdesk.funds.retention import fund_retention_report
from wealthdesk.funds.window import DEFAULT_WINDOW, FundReportError, Window
from wealthdesk.testing import DemoStore, fresh_store

WINDOW = Window(date(2021, 2, 10), date(2021, 3, 31))


@pytest.fixture(scope="module")
def small_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two funds, four accounts; the figures each test expects are worked out in the comments.

    Fund 000001 (equity, R4): NAV 1.0 on 2020-08-10, 2.0 at the window's start, 1.5 on 2021-02-25, 1.6 at its end;
    30% of its assets in a crowded stock at the 2020-12-31 disclosure. Fund 000002 (bond, R2): NAV 1.0, then 1.01.
    A1 held 100 units of 000001 before the data (opening snapshot) and redeems 40 on 2021-02-25 (¥60).
    A2 held 1000 units of 000002 before the data and keeps them.
    A3 bought 50 units of 000001 on 2020-09-01 and redeems all of them on 2021-03-01 (¥75): held 181 days.
    A4 subscribes 100 units of 000002 on 2021-03-15 (¥100): new money inside the window.
    Nobody ever holds 000003 (a money fund).
    """
    settings = fresh_store(tmp_path_factory.mktemp("book"))
    con = duckdb.connect(str(settings.store))
    con.execute(
        """INSERT INTO funds (fund_code, name, fund_type, company, risk_level, management_fee, custody_fee,
                              subscription_fee, redemption_fee) VALUES
           ('000001', '甲成长股票A', 'equity', '甲基金', 'R4', 0.015, 0.0025, 0.015, 0.005),
           ('000002', '乙纯债债券A&B', 'bond', '乙基金', 'R2', 0.006, 0.001, 0.008, 0.001),
           ('000003', '丙货币A', 'money', '丙基金', 'R1', 0.0025, 0.0008, 0, 0)"""
    )
    con.execute(
        """INSERT INTO fund_navs (fund_code, nav_date, unit_nav) VALUES
           ('000001', '2019-12-31', 1.0), ('000001', '2020-08-10', 1.0), ('000001', '2021-02-10', 2.0),
           ('000001', '2021-02-25', 1.5), ('000001', '2021-03-31', 1.6),
           ('000002', '2019-12-31', 1.0), ('000002', '2020-08-10', 1.0), ('000002', '2021-02-10', 1.0),
           ('000002', '2021-03-31', 1.01)"""
    )
    con.execute(
        """INSERT INTO securities (code, name, board, exchange, industry, crowded) VALUES
           ('600519.SH', '贵州茅台', 'main', 'SH', '食品饮料', true),
           ('600000.SH', '浦发银行', 'main', 'SH', '银行', false)"""
    )
    con.execute(
        """INSERT INTO fund_top_holdings (fund_code, report_date, code, weight) VALUES
           ('000001', '2020-12-31', '600519.SH', 0.3), ('000001', '2020-12-31', '600000.SH', 0.1)"""
    )
    con.execute(
        """INSERT INTO holdings (snapshot_date, account_id, asset_type, instrument_code, quantity, market_value) VALUES
           ('2019-12-31', 'A1', 'fund', '000001', 100, 100), ('2019-12-31', 'A2', 'fund', '000002', 1000, 1000),
           ('2021-02-10', 'A1', 'fund', '000001', 100, 200), ('2021-02-10', 'A2', 'fund', '000002', 1000, 1000),
           ('2021-02-10', 'A3', 'fund', '000001', 50, 100)"""
    )
    con.execute(
        """INSERT INTO trades (trade_id, account_id, trade_time, trade_type, instrument_code, quantity, price, amount,
                               fee, channel) VALUES
           ('T1', 'A3', '2020-09-01 10:00:00', 'fund_subscribe', '000001', 50, 1.2, 60, 0, 'app'),
           ('T2', 'A1', '2021-02-25 10:00:00', 'fund_redeem', '000001', 40, 1.5, 60, 0, 'app'),
           ('T3', 'A3', '2021-03-01 10:00:00', 'fund_redeem', '000001', 50, 1.5, 75, 0, 'app'),
           ('T4', 'A4', '2021-03-15 10:00:00', 'fund_subscribe', '000002', 100, 1.0, 100, 0, 'app')"""
    )
    con.close()
    return settings.store


def _report(store: Path, window: Window = WINDOW, funds: tuple[str, ...] = ()):
    with duckdb.connect(str(store), read_only=True) as con:
        return fund_retention_report(ibis.duckdb.from_connection(con), window, funds)


def test_balances_and_flows_add_up_as_worked_out(small_book: Path) -> None:
    report = _report(small_book)
    total = report.total
    # start 100×2.0 + 1000×1.0 + 50×2.0; end 60×1.6 + 1000×1.01 + 100×1.01
    assert (total.start_balance, total.end_balance) == (pytest.approx(1300), pytest.approx(1207))
    assert (total.subscribed, total.redeemed) == (100, 135)
    assert total.market_effect == pytest.approx(-93 - (100 - 135))
    assert (total.holders_at_start, total.redeemers) == (3, 2)
    assert report.by_fund_type["equity"].redeemed_share == pytest.approx(135 / 300)
    assert report.by_company["乙基金"].end_balance == pytest.approx(1111)
    assert [line.fund_code for line in report.top_by_amount] == ["000001"]
    # every fund held or traded, largest balance change first: 000001 −204, 000002 +111
    assert [(x.fund_code, round(x.flows.change, 2)) for x in report.by_fund] == [("000001", -204), ("000002", 111)]


def test_fund_traits_are_read_from_navs_and_disclosures(small_book: Path) -> None:
    report = _report(small_book)
    numeric = {t.trait: t for t in report.numeric_traits}
    # both redeemed holdings are in 000001, the one retained holding in 000002
    assert numeric["window_return"].redeemed_mean == pytest.approx(1.6 / 2.0 - 1)
    assert numeric["max_drawdown"].redeemed_mean == pytest.approx(1.5 / 2.0 - 1)
    assert numeric["trailing_return"].redeemed_mean == pytest.approx(2.0 / 1.0 - 1)
    assert numeric["crowded_exposure"].redeemed_mean == pytest.approx(0.3)
    assert numeric["crowded_exposure"].retained_mean == 0
    assert numeric["annual_fee"].retained_mean == pytest.approx(0.007)
    # one retained holding: no spread to standardise by, said as n/a rather than invented
    assert numeric["crowded_exposure"].cohens_d is None and numeric["crowded_exposure"].magnitude == "n/a"
    categories = {c.trait: c for c in report.categorical_traits}
    assert categories["fund_type"].rates["equity"] == {"holders": 2, "redeemers": 2, "rate": 1.0}


def test_holding_periods_count_from_the_spell_start_and_set_aside_unknown_starts(small_book: Path) -> None:
    periods = _report(small_book).holding_periods
    assert periods.redeemers.holdings == 2
    assert periods.redeemers.since_before_data == 1  # A1 held before the data
    assert periods.redeemers.median == (date(2021, 3, 1) - date(2020, 9, 1)).days
    assert (periods.non_redeemers.holdings, periods.non_redeemers.known) == (1, 0)


def test_positions_between_snapshots_roll_the_trades_forward(demo: DemoStore) -> None:
    """The 2021-03-31 snapshot equals the position at the previous close plus that day's fund trades."""
    with duckdb.connect(str(demo.settings.store), read_only=True) as con:
        backend = ibis.duckdb.from_connection(con)
        rolled = backend.to_pyarrow(positions_at(backend, date(2021, 3, 30))).to_pylist()
        day_trades = con.execute(
            """SELECT account_id, instrument_code,
                      sum(CASE WHEN trade_type = 'fund_subscribe' THEN quantity ELSE -quantity END)
               FROM trades WHERE trade_type IN ('fund_subscribe', 'fund_redeem') AND trade_time::DATE = '2021-03-31'
               GROUP BY ALL"""
        ).fetchall()
        snapshot = con.execute(
            """SELECT account_id, instrument_code, quantity FROM holdings
               WHERE snapshot_date = '2021-03-31' AND asset_type = 'fund'"""
        ).fetchall()
    expected: dict[tuple[str, str], float] = {(r["account_id"], r["fund_code"]): r["quantity"] for r in rolled}
    for account, fund, delta in day_trades:
        expected[(account, fund)] = expected.get((account, fund), 0.0) + delta
    expected = {k: v for k, v in expected.items() if v > 1e-6}
    assert len(day_trades) > 0
    assert expected.keys() == {(a, f) for a, f, _ in snapshot}
    for account, fund, quantity in snapshot:
        assert expected[(account, fund)] == pytest.approx(quantity, abs=0.01)


def test_demo_report_reconciles_with_snapshots_and_trades(demo: DemoStore) -> None:
    report = _report(demo.settings.store, DEFAULT_WINDOW)
    with duckdb.connect(str(demo.settings.store), read_only=True) as con:
        start, end = (
            con.execute(
                "SELECT sum(market_value)::DOUBLE FROM holdings WHERE asset_type = 'fund' AND snapshot_date = ?", [day]
            ).fetchone()[0]
            for day in (DEFAULT_WINDOW.start, DEFAULT_WINDOW.end)
        )
        redeemed = con.execute(
            """SELECT sum(amount)::DOUBLE FROM trades WHERE trade_type = 'fund_redeem'
               AND trade_time::DATE > ? AND trade_time::DATE <= ?""",
            [DEFAULT_WINDOW.start, DEFAULT_WINDOW.end],
        ).fetchone()[0]
    # snapshots hold market values rounded to the fen, the report values units at the NAV
    assert report.total.start_balance == pytest.approx(start, rel=1e-6)
    assert report.total.end_balance == pytest.approx(end, rel=1e-6)
    assert report.total.redeemed == pytest.approx(redeemed)
    assert sum(f.redeemed for f in report.by_fund_type.values()) == pytest.approx(redeemed)
    assert sum(f.start_balance for f in report.by_company.values()) == pytest.approx(start, rel=1e-6)


def test_demo_report_recovers_the_planted_sell_off_pattern(demo: DemoStore) -> None:
    """The generator made crowded, falling funds and recent buyers redeem more (see its _truth/README.md)."""
    report = _report(demo.settings.store, DEFAULT_WINDOW)
    numeric = {t.trait: t for t in report.numeric_traits}
    assert numeric["crowded_exposure"].cohens_d > 0.5
    assert numeric["window_return"].cohens_d < -0.5
    rates = {k: v.redeemer_rate for k, v in report.by_fund_type.items()}
    assert rates["equity"] > 2 * rates["bond"]
    assert report.holding_periods.redeemers.median < report.holding_periods.non_redeemers.median
    assert any("crowded stocks" in line for line in report.summary)


def test_crowded_exposure_matches_the_generator_truth(demo: DemoStore) -> None:
    truth_file = demo.generation.out / "_truth" / "fund_exposure.csv"
    with truth_file.open(encoding="utf-8") as f:
        truth = {row["fund_code"]: float(row["crowded_exposure"]) for row in csv.DictReader(f)}
    from wealthdesk.funds.traits import fund_traits

    with duckdb.connect(str(demo.settings.store), read_only=True) as con:
        backend = ibis.duckdb.from_connection(con)
        traits = backend.to_pyarrow(fund_traits(backend, DEFAULT_WINDOW)).to_pylist()
    ours = {row["fund_code"]: row["crowded_exposure"] for row in traits}
    assert ours.keys() == truth.keys()
    for code, exposure in truth.items():
        assert ours[code] == pytest.approx(exposure, abs=1e-4), code


@pytest.mark.parametrize(
    ("window", "funds", "message"),
    [
        (Window(date(2021, 3, 1), date(2021, 3, 1)), (), "is empty"),
        (Window(date(2021, 3, 31), date(2021, 2, 10)), (), "is empty"),
        (Window(date(2018, 1, 1), date(2018, 6, 30)), (), "outside the data"),
        (Window(date(2021, 2, 10), date(2023, 1, 1)), (), "outside the data"),
        (WINDOW, ("999999",), "unknown fund code(s): 999999"),
        (Window(date(2020, 1, 2), date(2020, 9, 1)), ("000002",), None),  # held, no trades: a report
    ],
)
def test_bad_windows_and_funds_say_what_is_wrong(
    small_book: Path, window: Window, funds: tuple[str, ...], message: str | None
) -> None:
    if message is None:
        assert _report(small_book, window, funds).total.holders_at_start == 1
        return
    with pytest.raises(FundReportError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _report(small_book, window, funds)


def test_a_window_without_a_trading_day_is_an_error_not_an_empty_report(demo: DemoStore) -> None:
    with pytest.raises(FundReportError, match="no trading day after 2021-02-13 up to 2021-02-14"):
        _report(demo.settings.store, Window(date(2021, 2, 13), date(2021, 2, 14)))  # a weekend


def test_a_disclosure_counts_only_once_it_is_public(small_book: Path) -> None:
    """The 2020-12-31 top ten is published weeks later: on 2021-01-05 the fund's exposure was not yet known."""
    from wealthdesk.funds.traits import fund_traits

    with duckdb.connect(str(small_book), read_only=True) as con:
        backend = ibis.duckdb.from_connection(con)
        early, later = (
            {r["fund_code"]: r["crowded_exposure"] for r in backend.to_pyarrow(fund_traits(backend, w)).to_pylist()}
            for w in (Window(date(2021, 1, 5), date(2021, 2, 10)), WINDOW)
        )
    assert early["000001"] == 0 and later["000001"] == pytest.approx(0.3)


def test_the_fall_within_the_window_starts_from_the_opening_close(small_book: Path) -> None:
    """A window opening on a day without a NAV still measures the fall from the NAV of its opening close."""
    report = _report(small_book, Window(date(2021, 2, 12), date(2021, 3, 31)))  # 2.0 on 2021-02-10, then 1.5
    numeric = {t.trait: t for t in report.numeric_traits}
    assert numeric["max_drawdown"].redeemed_mean == pytest.approx(1.5 / 2.0 - 1)


def test_a_window_when_nothing_was_held_is_an_error_not_an_empty_report(small_book: Path) -> None:
    with pytest.raises(FundReportError, match="no fund was held at the close of 2021-02-10 among 000003"):
        _report(small_book, WINDOW, ("000003",))


def test_cli_json_html_and_errors(small_book: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    page = tmp_path / "funds.html"
    args = ["report", "funds", "--store", str(small_book), "--from", "2021-02-10", "--to", "20210331"]
    result = runner.invoke(app, [*args, "--json", "--html", str(page)])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["window"] == {"from": "2021-02-10", "to": "2021-03-31"}
    assert payload["total"]["redeemed"] == 135
    html = page.read_text(encoding="utf-8")
    assert "甲成长股票A" in html and payload["summary"][0].split(":")[0] in html
    assert "http://" not in html and "https://" not in html and "<script" not in html
    bad = runner.invoke(app, ["report", "funds", "--store", str(small_book), "--fund", "123456"])
    assert isinstance(bad.exception, FundReportError) and "unknown fund code(s): 123456" in str(bad.exception)


def test_html_escapes_names(small_book: Path) -> None:
    html = fund_report_html(_report(small_book))
    assert "<td>乙纯债债券A&amp;B</td>" in html and "乙纯债债券A&B" not in html
