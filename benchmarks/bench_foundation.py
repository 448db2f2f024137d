"""Foundation benchmark: generate a brokerage, ingest it with validation, compare with a naive baseline.

Prints, with sizes:
- generation time and rows per table (target: 1M customers in ≤ 10 min);
- ingest + validation throughput in rows/s per table (target: Parquet ≥ 1M rows/s);
- side by side, a naive pandas row-by-row validator on the same Parquet files
  (first part file of each table, up to --baseline-rows rows) and the ratio.

Usage: python benchmarks/bench_foundation.py --customers 1000000 [--keep]
"""

from __future__ import annotations

import argparse
import shutil
import time
from collections import defaultdict
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table as RichTable

from naive_validation import validate_file_naively
from wealthdesk.config import load_settings
from wealthdesk.demo import generate_brokerage
from wealthdesk.ingest import ingest_path
from wealthdesk.schema import TABLES_BY_NAME
from wealthdesk.store import open_store

console = Console(width=150)


def parent_key_sets(con: duckdb.DuckDBPyConnection, tables: list[str]) -> dict[str, set[object]]:
    """The referenced keys the naive validator looks foreign keys up in, as Python sets."""
    sets: dict[str, set[object]] = {}
    for name in tables:
        for fk in TABLES_BY_NAME[name].foreign_keys:
            label = f"{fk.table}.{','.join(fk.ref_columns)}"
            if label not in sets:
                cols = ", ".join(f'"{c}"' for c in fk.ref_columns)
                sets[label] = set(con.execute(f'SELECT {cols} FROM "{fk.table}"').fetchall())
    return sets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=Path("benchmarks/out"))
    parser.add_argument("--baseline-rows", type=int, default=300_000, help="rows per table for the naive baseline")
    parser.add_argument("--keep", action="store_true", help="keep the generated files and store")
    args = parser.parse_args()

    data_dir = args.workdir / f"brokerage-{args.customers}"
    store_path = args.workdir / f"store-{args.customers}.duckdb"
    shutil.rmtree(data_dir, ignore_errors=True)
    for path in (store_path, store_path.with_name(store_path.name + ".wal")):
        path.unlink(missing_ok=True)
    args.workdir.mkdir(parents=True, exist_ok=True)

    console.rule(f"Generation: {args.customers:,} customers, seed {args.seed}")
    summary = generate_brokerage(data_dir, customers=args.customers, seed=args.seed)
    total_rows = sum(summary.rows.values())
    for name, rows in sorted(summary.rows.items(), key=lambda kv: -kv[1]):
        console.print(f"  {name:<20} {rows:>13,} rows")
    console.print(
        f"generation: {total_rows:,} rows in {summary.seconds:.1f} s "
        f"({total_rows / summary.seconds:,.0f} rows/s); "
        f"target ≤ 600 s → {'MET' if summary.seconds <= 600 else 'MISSED'}"
    )

    console.rule("Ingest with validation (DuckDB, set-based)")
    settings = load_settings(store=store_path)
    started = time.perf_counter()
    with open_store(settings) as con:
        report = ingest_path(con, data_dir)
        ingest_seconds = time.perf_counter() - started
        per_table: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
        formats: dict[str, str] = {}
        for result in report.files:
            acc = per_table[result.table]
            acc[0] += result.rows_read
            acc[1] += result.seconds
            acc[2] += result.rows_quarantined
            formats[result.table] = Path(result.file).suffix.lstrip(".")
        parents = parent_key_sets(con, sorted(per_table))

    console.print(
        f"ingest: {sum(v[0] for v in per_table.values()):,.0f} rows in {ingest_seconds:.1f} s wall; "
        f"reconciles: {report.reconciles()}"
    )

    console.rule(f"Side by side: ours vs naive pandas row-by-row (≤ {args.baseline_rows:,} rows per table)")
    grid = RichTable(
        "table", "format", "rows read", "ours rows/s", "naive rows/s (rows)", "ratio", "quarantined", "planted bad"
    )
    parquet_rows = parquet_seconds = 0.0
    for name, (rows, seconds, quarantined) in sorted(per_table.items(), key=lambda kv: -kv[1][0]):
        ours = rows / seconds if seconds else float("inf")
        if formats[name] == "parquet":
            parquet_rows += rows
            parquet_seconds += seconds
        first = sorted(f.file for f in report.files if f.table == name)[0]
        t0 = time.perf_counter()
        checked, _ = validate_file_naively(TABLES_BY_NAME[name], Path(first), parents, limit=args.baseline_rows)
        naive = checked / (time.perf_counter() - t0)
        planted = summary.bad_rows.get(name, 0)
        grid.add_row(
            name,
            formats[name],
            f"{rows:,.0f}",
            f"{ours:,.0f}",
            f"{naive:,.0f} ({checked:,})",
            f"{ours / naive:,.1f}×",
            f"{quarantined:,.0f}",
            f"{planted:,}" + ("" if planted == quarantined else "  ≠ quarantined"),
        )
    console.print(grid)
    parquet_rate = parquet_rows / parquet_seconds if parquet_seconds else 0.0
    console.print(
        f"Parquet ingest with validation: {parquet_rows:,.0f} rows in {parquet_seconds:.1f} s = "
        f"{parquet_rate:,.0f} rows/s; target ≥ 1,000,000 → {'MET' if parquet_rate >= 1_000_000 else 'MISSED'}"
    )

    if not args.keep:
        shutil.rmtree(data_dir, ignore_errors=True)
        for path in (store_path, store_path.with_name(store_path.name + ".wal")):
            path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
