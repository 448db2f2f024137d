"""Efficiency = CLV − (CAC + CMC): per-client rows in the store, and group figures that reconcile with them."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import ibis
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from scipy.stats import spearmanr

from wealthdesk.testing import DemoStore
from wealthdesk.value.efficiency import VALUE_TABLE
from wealthdesk.value.report import GroupBy, ValueReport, ValueReportError, value_report

AS_OF = dt.date(2022, 6, 30)
MEASURES = ("clv", "cac", "cmc", "efficiency")


@pytest.fixture(scope="module")
def store(demo: DemoStore, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo store (the report writes a table), with two overlapping segments' members."""
    path = tmp_path_factory.mktemp("value") / "store.duckdb"
    shutil.copy(demo.settings.store, path)
    with duckdb.connect(str(path)) as con:
        con.execute(
            """CREATE TABLE segment_members AS
               SELECT 'first_half' AS segment, customer_id, advisor_id, DATE '2022-06-30' AS as_of
               FROM customers WHERE customer_id <= (SELECT median(customer_id::BIGINT)::VARCHAR FROM customers)
               UNION ALL
               SELECT 'has_advisor', customer_id, advisor_id, DATE '2022-06-30' FROM customers
               WHERE advisor_id IS NOT NULL"""
        )
    return path


@pytest.fixture(scope="module")
def report(store: Path) -> ValueReport:
    with duckdb.connect(str(store)) as con:
        return value_report(ibis.duckdb.from_connection(con), as_of=AS_OF, by=GroupBy.channel, save=True)


def test_every_registered_client_gets_a_row_in_the_store(report: ValueReport, store: Path) -> None:
    with duckdb.connect(str(store), read_only=True) as con:
        saved = con.execute(f"SELECT count(*), count(DISTINCT customer_id), min(as_of), max(as_of) FROM {VALUE_TABLE}")
        rows, distinct, first, last = saved.fetchall()[0]
        registered = con.execute("SELECT count(*) FROM customers WHERE registered_at::DATE <= ?", [AS_OF]).fetchall()
    assert report.saved_table == VALUE_TABLE
    assert rows == distinct == registered[0][0] == report.values.table.num_rows
    assert first == last == AS_OF


def test_each_clients_efficiency_is_clv_less_cac_and_cmc(report: ValueReport) -> None:
    rows = report.values.table.to_pylist()
    annuity = report.values.rules.horizon.annuity
    for row in rows:
        assert row["efficiency"] == pytest.approx(row["clv"] - row["cac"] - row["cmc"])
        assert row["clv"] == pytest.approx(row["transaction_clv"] + row["recurring_clv"])
        assert row["cmc"] == pytest.approx(row["cmc_12m"] / 12 * annuity)
        assert row["recurring_clv"] == pytest.approx(row["recurring_monthly"] * row["p_alive"] * annuity)
        if row["x"] is None:  # never earned a trade revenue day: recurring value only
            assert row["transaction_clv"] == 0 and row["p_alive"] == 1
    never_traded = [r for r in rows if r["x"] is None]
    assert never_traded and any(r["recurring_clv"] > 0 for r in never_traded)


def test_total_cac_is_what_the_campaigns_that_acquired_clients_cost(report: ValueReport, store: Path) -> None:
    with duckdb.connect(str(store), read_only=True) as con:
        spend = con.execute(
            """SELECT sum(cost)::DOUBLE FROM campaigns
               WHERE campaign_id IN (SELECT acquisition_campaign_id FROM customers)"""
        ).fetchall()[0][0]
    assert report.total["cac_sum"] == pytest.approx(spend)


def test_group_figures_reconcile_with_the_per_client_rows(report: ValueReport) -> None:
    clients = report.values.table
    assert sum(g["clients"] for g in report.groups) == report.total["clients"] == clients.num_rows
    for m in MEASURES:
        assert sum(g[f"{m}_sum"] for g in report.groups) == pytest.approx(report.total[f"{m}_sum"])
        assert report.total[f"{m}_sum"] == pytest.approx(pc.sum(clients.column(m)).as_py())
    for g in report.groups:
        mine = clients.filter(pc.equal(clients.column("acquisition_channel"), g["group"]))
        assert g["clients"] == mine.num_rows
        for m in MEASURES:
            assert g[f"{m}_mean"] == pytest.approx(pc.mean(mine.column(m)).as_py())
            assert g[f"{m}_sum"] == pytest.approx(g[f"{m}_mean"] * g["clients"])


def test_by_advisor_and_by_segment(store: Path) -> None:
    with duckdb.connect(str(store), read_only=True) as con:
        backend = ibis.duckdb.from_connection(con)
        by_advisor = value_report(backend, as_of=AS_OF, by=GroupBy.advisor, save=False)
        by_segment = value_report(backend, as_of=AS_OF, by=GroupBy.segment, save=False)
        sizes = dict(con.execute("SELECT segment, count(*) FROM segment_members GROUP BY 1").fetchall())
    assert "(none)" in {g["group"] for g in by_advisor.groups}  # clients without an advisor are a group, not lost
    assert sum(g["efficiency_sum"] for g in by_advisor.groups) == pytest.approx(by_advisor.total["efficiency_sum"])
    segments = {g["group"]: g for g in by_segment.groups}
    assert {name: g["clients"] for name, g in segments.items()} == sizes
    clients = by_segment.values.table
    with_advisor = clients.filter(pc.is_valid(clients.column("advisor_id")))
    assert segments["has_advisor"]["clv_sum"] == pytest.approx(pc.sum(with_advisor.column("clv")).as_py())
    # a client in both segments counts in both: the segments' sum exceeds the book's
    assert sum(g["clients"] for g in segments.values()) > by_segment.total["clients"]


def test_by_segment_says_when_the_memberships_are_from_another_date(store: Path) -> None:
    """segment_members holds the last `wealthdesk run` (2022-06-30 here): a report for another date says so."""
    with duckdb.connect(str(store), read_only=True) as con:
        backend = ibis.duckdb.from_connection(con)
        earlier = value_report(backend, as_of=dt.date(2021, 12, 31), by=GroupBy.segment)
        same = value_report(backend, as_of=AS_OF, by=GroupBy.segment)
    note = "segment memberships are from 2022-06-30 (the last `wealthdesk run`), not 2021-12-31"
    assert any(note in n for n in earlier.notes)
    assert earlier.to_dict()["segments_as_of"] == same.to_dict()["segments_as_of"] == "2022-06-30"
    assert not any("segment memberships" in n for n in same.notes)


def test_the_report_writes_nothing_unless_asked(demo: DemoStore) -> None:
    """The store may be shared with a running server: computing the report must not write to it."""
    with duckdb.connect(str(demo.settings.store), read_only=True) as con:
        report = value_report(ibis.duckdb.from_connection(con), as_of=AS_OF)
        tables = {name for (name,) in con.execute("SHOW TABLES").fetchall()}
    assert report.saved_table is None and VALUE_TABLE not in tables


def test_one_channel_only(store: Path) -> None:
    with duckdb.connect(str(store), read_only=True) as con:
        report = value_report(ibis.duckdb.from_connection(con), as_of=AS_OF, channel="online_ads", save=False)
    assert [g["group"] for g in report.groups] == ["online_ads"]
    assert report.groups[0]["clients"] == report.total["clients"] == report.clients.num_rows > 0
    assert {c["channel"] for c in report.campaigns} == {"online_ads"}


def test_clv_ranks_clients_like_the_generators_latent_value(report: ValueReport, demo: DemoStore) -> None:
    """The truth README: value analyses should rank clients roughly like aum_latent × activity."""
    latent = pq.read_table(demo.generation.out / "_truth" / "customer_latent.parquet").to_pylist()
    truth = {r["customer_id"]: r["aum_latent"] * r["activity"] for r in latent}
    traded = [r for r in report.values.table.to_pylist() if r["x"] is not None]
    rho = spearmanr([r["clv"] for r in traded], [truth[r["customer_id"]] for r in traded]).statistic
    assert rho > 0.5


def test_report_json_carries_models_rules_and_groups(report: ValueReport) -> None:
    payload = report.to_dict()
    assert payload["as_of"] == "2022-06-30" and payload["horizon_months"] == 36
    assert payload["rules"]["revenue"]["trailing_commission_share"] == 0.5
    assert payload["models"]["bgnbd"]["clients"] > 500
    assert {g["group"] for g in payload["groups"]} <= {
        "branch",
        "app_organic",
        "wecom_qrcode",
        "bank_partner",
        "online_ads",
        "referral",
    }


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"as_of": dt.date(2019, 6, 30)}, "outside the data"),
        ({"as_of": dt.date(2030, 1, 1)}, "outside the data"),
        ({"channel": "tv"}, "unknown channel 'tv'"),
        ({"as_of": dt.date(2020, 1, 2)}, "cannot fit the CLV models"),
    ],
)
def test_requests_the_data_cannot_answer_get_a_clear_error(demo: DemoStore, kwargs: dict, problem: str) -> None:
    with (
        duckdb.connect(str(demo.settings.store), read_only=True) as con,
        pytest.raises(ValueReportError, match=problem),
    ):
        value_report(ibis.duckdb.from_connection(con), save=False, **kwargs)
