"""The foundation end to end: generated brokerage → validated ingest → quality and metrics.

The generator records every row it spoiled on purpose in _truth/bad_rows.csv;
ingest must quarantine exactly those rows, and nothing else.
"""

from __future__ import annotations

import csv
from collections import Counter

from wealthdesk.governance.metrics import compute_metrics
from wealthdesk.governance.quality import run_quality
from wealthdesk.ingest import ingest_path
from wealthdesk.pipeline.demo import latest_snapshot_date
from wealthdesk.schema import TABLES_BY_NAME
from wealthdesk.store import open_store
from wealthdesk.testing import DemoStore


def _truth_bad_rows(demo: DemoStore) -> set[tuple[str, str, int]]:
    with open(demo.generation.out / "_truth" / "bad_rows.csv", encoding="utf-8", newline="") as handle:
        return {(r["table"], r["file"], int(r["line"])) for r in csv.DictReader(handle)}


def _relative(demo: DemoStore, source_file: str) -> str:
    from pathlib import Path

    return Path(source_file).resolve().relative_to(demo.generation.out.resolve()).as_posix()


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
    truth = _truth_bad_rows(demo)
    assert truth, "the generator must plant bad rows"
    with open_store(demo.settings, read_only=True) as con:
        rows = con.execute("SELECT table_name, source_file, line, reason FROM _quarantine").fetchall()
    quarantined = {(table, _relative(demo, source), line) for table, source, line, _ in rows}
    assert quarantined == truth
    assert all(reason for *_, reason in rows)
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
