"""One pipeline, two engines: `run_pipeline` on the DuckDB store and on a real local Spark session.

Two copies of the same generated brokerage, the same saved segment, the same
two runs (as of two dates, so the stage history closes and opens spells):
every output table must come out with the same columns and types in the
store and the same rows, row for row (doubles to 1e-9 relative).
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from wealthdesk.cli import app
from wealthdesk.pipeline.engines import SparkEngine
from wealthdesk.pipeline.run import PipelineError, RunReport, run_pipeline
from wealthdesk.segments.definitions import known_tags, save_segment
from wealthdesk.store.duckdb_store import create_tables
from wealthdesk.store.spark import local_spark
from wealthdesk.tags.chat_tags import newest_message_batch, run_chat_tags
from wealthdesk.tags.dictionary import load_keyword_dictionary
from wealthdesk.testing import DemoStore

AS_OF = (dt.date(2022, 3, 31), dt.date(2022, 6, 30))
OUTPUTS = (
    "profiles",
    "profile_stage_history",
    "customer_tags",
    "keyword_tag_evidence",
    "keyword_tags",
    "segment_members",
)
SEGMENT = "tagged('high_net_worth') or (holds_chinext and aum > 200_000) or tagged('kw_chinext')"


def run_both(demo: DemoStore, folder: Path) -> dict[str, tuple[duckdb.DuckDBPyConnection, list[RunReport]]]:
    spark = local_spark()
    stores = {}
    for name in ("duckdb", "spark"):
        path = folder / f"{name}.duckdb"
        shutil.copy(demo.settings.store, path)
        con = duckdb.connect(str(path))
        save_segment(con, "rich_or_chinext", SEGMENT, None, known_tags())
        reports = []
        for as_of in AS_OF:
            engine = SparkEngine(con, spark, folder / "lake") if name == "spark" else None
            reports.append(run_pipeline(con, as_of=as_of, engine=engine))
        stores[name] = (con, reports)
    return stores


@pytest.fixture(scope="module")
def stores(demo: DemoStore, tmp_path_factory: pytest.TempPathFactory):
    runs = run_both(demo, tmp_path_factory.mktemp("engines"))
    yield runs
    for con, _ in runs.values():
        con.close()


def same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)
    return a == b


def table_rows(con: duckdb.DuckDBPyConnection, name: str) -> list[tuple]:
    return con.execute(f'SELECT * FROM "{name}" ORDER BY ALL').fetchall()


@pytest.mark.parametrize("table", OUTPUTS)
def test_every_output_is_identical_on_both_engines(stores, table: str) -> None:
    (duck, _), (spark, _) = stores["duckdb"], stores["spark"]
    assert duck.execute(f'DESCRIBE "{table}"').fetchall() == spark.execute(f'DESCRIBE "{table}"').fetchall()
    left, right = table_rows(duck, table), table_rows(spark, table)
    assert len(left) == len(right) > 0
    for x, y in zip(left, right, strict=True):
        assert all(same(a, b) for a, b in zip(x, y, strict=True)), (x, y)


def test_both_engines_report_the_same_run(stores) -> None:
    (_, duck), (_, spark) = stores["duckdb"], stores["spark"]
    assert [r.engine for r in spark] == ["spark", "spark"]
    for d, s in zip(duck, spark, strict=True):
        assert d.rows == s.rows
    first = (duck[0].chat, spark[0].chat)
    newest = newest_message_batch(stores["duckdb"][0])
    assert {(c.messages, c.mentions, c.negated, c.last_batch_id, c.full) for c in first} == {
        (first[0].messages, first[0].mentions, first[0].negated, newest, True)
    }
    assert first[0].mentions > 500
    # the second DuckDB run is incremental (no new messages); Spark re-tags them all
    assert duck[1].chat.messages == 0 and spark[1].chat.messages == spark[0].chat.messages
    closed = stores["spark"][0].execute("SELECT count(*) FROM profile_stage_history WHERE valid_to = ?", [AS_OF[1]])
    assert closed.fetchall()[0][0] > 0, "the second run closes the spells of clients whose stage changed"


def test_a_duckdb_run_after_a_spark_run_carries_on_incrementally(stores) -> None:
    spark_store, _ = stores["spark"]
    report = run_chat_tags(spark_store, load_keyword_dictionary())
    assert not report.full and report.messages == 0


def test_the_cli_runs_on_spark_and_leaves_no_lake_behind(stores, demo: DemoStore, tmp_path: Path) -> None:
    """`wealthdesk run --engine spark` writes into the store what the DuckDB engine writes."""
    store = tmp_path / "cli.duckdb"
    shutil.copy(demo.settings.store, store)
    args = ["run", "--store", str(store), "--engine", "spark", "--as-of", AS_OF[1].isoformat()]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert f"Pipeline as of {AS_OF[1]} on spark" in result.output
    assert not Path(f"{store}.lake").exists()
    duck, _ = stores["duckdb"]
    with duckdb.connect(str(store), read_only=True) as con:
        for table in ("profiles", "customer_tags", "keyword_tags"):
            left, right = table_rows(duck, table), table_rows(con, table)
            assert len(left) == len(right)
            assert all(same(a, b) for x, y in zip(left, right, strict=True) for a, b in zip(x, y, strict=True))


def test_a_failed_spark_run_leaves_no_copy_of_the_data_behind(stores, tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "empty.duckdb"))
    create_tables(con)
    engine = SparkEngine(con, local_spark(), tmp_path / "lake")
    assert (tmp_path / "lake" / "in" / "customers.parquet").exists()
    assert (tmp_path / "lake").stat().st_mode & 0o077 == 0, "the lake holds personal data: its owner's only"
    with pytest.raises(PipelineError, match="no holdings snapshot"):
        run_pipeline(con, engine=engine)
    assert not (tmp_path / "lake").exists()
