"""Full pipeline rebuild on DuckDB vs on Spark local, same store, same machine, side by side.

A full rebuild is ``run_pipeline(full=True)``: profiles, stage history, rule
tags, every chat message re-tagged, segment members. Each engine gets its own
copy of the same store (one saved segment each). Spark runs ``local[N]`` on
this machine; its time is shown without and with publishing the store's
tables to the Parquet lake (a data-lake deployment has them there already),
and includes copying the outputs back into the store.

Prints seconds per stage and in total, and the ratio Spark / DuckDB.
Issue targets: DuckDB full rebuild ≤ 5 min on the 1M-customer brokerage, and
≥ 5× faster than Spark local.

Usage: python benchmarks/bench_engines.py [--customers 1000000] [--spark-master local[2]] [--spark-memory 8g]
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

from kept_store import kept_store, remove_store, store_arguments, working_copy
from wealthdesk.pipeline.engines import SparkEngine
from wealthdesk.pipeline.run import RunReport, run_pipeline
from wealthdesk.segments.definitions import known_tags, save_segment
from wealthdesk.store.spark import local_spark

console = Console(width=150)
SEGMENT = "tagged('high_net_worth') or (holds_chinext and aum > 200_000) or tagged('kw_chinext')"


def prepared(kept: Path, name: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(working_copy(kept, name)), config={"memory_limit": "8GB"})
    save_segment(con, "bench_segment", SEGMENT, None, known_tags())
    return con


def main() -> None:
    parser = store_arguments(__doc__)
    parser.add_argument("--spark-master", default="local[2]")
    parser.add_argument("--spark-memory", default="8g", help="Spark driver memory (local mode runs in the driver)")
    args = parser.parse_args()

    kept = kept_store(args.workdir, args.customers, args.seed, console)
    reports: dict[str, RunReport] = {}
    totals: dict[str, float] = {}

    console.rule(f"DuckDB: full rebuild, {args.customers:,} customers")
    con = prepared(kept, "engines-duckdb.duckdb")
    try:
        started = time.perf_counter()
        reports["duckdb"] = run_pipeline(con, full=True)
        totals["duckdb"] = time.perf_counter() - started
    finally:
        con.close()
        remove_store(args.workdir / "engines-duckdb.duckdb")
    console.print(f"DuckDB: {totals['duckdb']:,.1f} s")

    console.rule(f"Spark {args.spark_master}: full rebuild, {args.customers:,} customers")
    os.environ["PYSPARK_SUBMIT_ARGS"] = f"--driver-memory {args.spark_memory} pyspark-shell"
    spark = local_spark(args.spark_master)
    con = prepared(kept, "engines-spark.duckdb")
    try:
        started = time.perf_counter()
        engine = SparkEngine(con, spark, args.workdir / "engines-lake")
        publish = time.perf_counter() - started
        started = time.perf_counter()
        reports["spark"] = run_pipeline(con, full=True, engine=engine)
        totals["spark"] = time.perf_counter() - started
    finally:
        con.close()
        remove_store(args.workdir / "engines-spark.duckdb")
        spark.stop()
    console.print(f"Spark: publish {publish:,.1f} s, pipeline {totals['spark']:,.1f} s")

    table = Table(
        title=f"Full rebuild, {args.customers:,} customers: seconds per stage (chat evidence and tags: one stage)"
    )
    for column in ("stage", "rows", "DuckDB s", f"Spark {args.spark_master} s"):
        table.add_column(column)
    for name, rows in reports["duckdb"].rows.items():
        table.add_row(
            name, f"{rows:,}", f"{reports['duckdb'].seconds[name]:,.1f}", f"{reports['spark'].seconds[name]:,.1f}"
        )
    table.add_row("total", "", f"{totals['duckdb']:,.1f}", f"{totals['spark']:,.1f} (+ {publish:,.1f} publish)")
    console.print(table)
    same = reports["duckdb"].rows == reports["spark"].rows
    console.print(f"same row counts in every output table on both engines: {'yes' if same else 'NO'}")
    ratio = totals["spark"] / totals["duckdb"]
    with_publish = (totals["spark"] + publish) / totals["duckdb"]
    console.print(
        f"DuckDB full rebuild: {totals['duckdb']:,.1f} s; target ≤ 300 s → "
        f"{'MET' if totals['duckdb'] <= 300 else 'MISSED'}"
    )
    console.print(
        f"ratio Spark / DuckDB: {ratio:,.1f}× ({with_publish:,.1f}× counting the publish); target ≥ 5× → "
        f"{'MET' if ratio >= 5 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
