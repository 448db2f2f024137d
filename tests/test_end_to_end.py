"""The foundation end to end: generated brokerage → validated ingest → quality and metrics.

The generator records every row it spoiled on purpose in _truth/bad_rows.csv;
ingest must quarantine exactly those rows, and nothing else.
"""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from pathlib import Path

import duckdb

from wealthdesk.demo import generate_brokerage
from wealthdesk.governance.metrics import compute_metrics
from wealthdesk.governance.quality import run_quality
from wealthdesk.ingest import ingest_path
from wealthdesk.pipeline.demo import latest_snapshot_date
from wealthdesk.schema import TABLES_BY_NAME
from wealthdesk.store import open_store
from wealthdesk.testing import DemoStore, fresh_store


def _truth_bad_rows(out: Path) -> set[tuple[str, str, int]]:
    with open(out / "_truth" / "bad_rows.csv", encoding="utf-8", newline="") as handle:
        return {(r["table"], r["file"], int(r["line"])) for r in csv.DictReader(handle)}


def _quarantined(con: duckdb.DuckDBPyConnection, out: Path) -> set[tuple[str, str, int]]:
    rows = con.execute("SELECT table_name, source_file, line FROM _quarantine").fetchall()
    return {(table, Path(source).resolve().relative_to(out.resolve()).as_posix(), line) for table, source, line in rows}


def test_every_file_loaded_and_counts_reconcile(demo: DemoStore) -> None:
    assert demo.load.ok, [f.error for f in demo.load.files if f.error]
    assert demo.load.reconciles()
    loaded_tables = {f.table for f in demo.load.files}
    assert loaded_tables == set(TABLES_BY_NAME), set(TABLES_BY_NAME) - loaded_tables
    for result in demo.load.files:
        assert result.rows_read == (
            result.rows_loaded + result.rows_updated + result.rows_unchanged + result.rows_quarantined
        )


def test_quarantine_holds_exactly_the_planted_bad_rows(demo: DemoStore) -> None:
    truth = _truth_bad_rows(demo.generation.out)
    assert truth, "the generator must plant bad rows"
    with open_store(demo.settings, read_only=True) as con:
        assert _quarantined(con, demo.generation.out) == truth
        assert con.execute("SELECT count(*) FROM _quarantine WHERE coalesce(reason, '') = ''").fetchone()[0] == 0
    per_table = Counter(table for table, _, _ in truth)
    assert dict(per_table) == {t: n for t, n in demo.generation.bad_rows.items() if n}
    report_quarantined = {t: totals.rows_quarantined for t, totals in demo.load.tables.items()}
    assert {t: n for t, n in report_quarantined.items() if n} == dict(per_table)


def test_loaded_rows_match_generated_rows(demo: DemoStore) -> None:
    with open_store(demo.settings, read_only=True) as con:
        for name, written in demo.generation.rows.items():
            stored = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
            assert stored == written - demo.generation.bad_rows.get(name, 0), name


def test_reingesting_the_same_files_adds_nothing(demo: DemoStore, tmp_path) -> None:
    import shutil

    store = tmp_path / "copy.duckdb"
    shutil.copy(demo.settings.store, store)
    from wealthdesk.config import load_settings

    settings = load_settings(store=store)
    with open_store(settings) as con:
        before = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in TABLES_BY_NAME}
        quarantine_before = con.execute("SELECT count(*) FROM _quarantine").fetchone()[0]
        again = ingest_path(con, demo.generation.out)
        after = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in TABLES_BY_NAME}
        quarantine_after = con.execute("SELECT count(*) FROM _quarantine").fetchone()[0]
    assert after == before
    assert quarantine_after == quarantine_before
    assert again.reconciles()
    assert sum(f.rows_loaded + f.rows_updated for f in again.files) == 0


def test_quality_passes_on_the_demo_store(demo: DemoStore) -> None:
    with open_store(demo.settings, read_only=True) as con:
        report = run_quality(con)
    failing = [r for r in report.rules if not r.passed and r.severity == "error"]
    assert report.passed, failing


def test_metrics_on_the_demo_store_are_plausible(demo: DemoStore) -> None:
    with open_store(demo.settings, read_only=True) as con:
        as_of = latest_snapshot_date(con)
        assert as_of is not None
        values = {m.name: m.value for m in compute_metrics(con, as_of=as_of)}
        stored_aum = con.execute("SELECT sum(market_value) FROM holdings WHERE snapshot_date = ?", [as_of]).fetchone()[
            0
        ]
    assert float(values["aum"]) == float(stored_aum)
    assert 0 < values["funded_user_ratio"] <= 1
    assert 0 < values["fund_holding_balance"] < values["aum"]
    assert values["active_users"] > 0


def test_planted_rows_reconcile_when_tables_come_in_many_part_files(tmp_path: Path) -> None:
    """Big exports arrive as part files; a planted duplicate must stay in its original's file.

    (An exact copy of a row in *another* file is a harmless re-delivery that
    ingest rightly counts as unchanged, so it would not be a defect at all.)
    """
    out = tmp_path / "files"
    generation = generate_brokerage(out, customers=300, seed=5, part_rows=2_000)
    shutil.rmtree(out / "security_prices")  # the daily price history is big and no planted table refers to it
    parts = {t: len(list((out / t).glob("part-*"))) for t in ("trades", "holdings", "app_events")}
    assert min(parts.values()) >= 3, parts
    with open_store(fresh_store(tmp_path)) as con:
        report = ingest_path(con, out)
        assert report.ok and report.reconciles()
        assert _quarantined(con, out) == _truth_bad_rows(out)
    for table in parts:
        assert report.tables[table].rows_quarantined == generation.bad_rows[table]
        assert report.tables[table].rows_unchanged == 0
