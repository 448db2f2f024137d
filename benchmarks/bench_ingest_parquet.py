"""Throughput of Parquet ingest with validation (a script, not a test).

    .venv/bin/python benchmarks/bench_ingest_parquet.py [ROWS] [PARTS]

Writes ROWS synthetic trades (default 5M) in PARTS Parquet part files with
their parent tables, ingests the folder into a fresh store and prints rows/s
for the trades files. About 1 in 10,000 rows breaks a rule.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import duckdb

from wealthdesk.ingest import ingest_path


def write_data(folder: Path, rows: int, parts: int) -> None:
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT 'B1' AS branch_id, 'b' AS name, 'c' AS city, 'p' AS province) TO '{folder}/branches.parquet'"
    )
    con.execute(
        f"""COPY (SELECT 'C' || i AS customer_id, 'n' AS name, 'B1' AS branch_id, 'ordinary' AS investor_type,
                   'branch' AS acquisition_channel, TIMESTAMP '2024-01-01' AS registered_at FROM range(100000) t(i))
            TO '{folder}/customers.parquet'"""
    )
    con.execute(
        f"""COPY (SELECT 'A' || i AS account_id, 'C' || i AS customer_id, 'cash' AS account_type,
                   DATE '2020-01-01' AS opened_date, 'normal' AS status, true AS chinext_enabled,
                   false AS star_enabled, false AS level2_enabled FROM range(100000) t(i))
            TO '{folder}/accounts.parquet'"""
    )
    con.execute(
        f"""COPY (SELECT lpad(i::VARCHAR, 6, '0') || '.SH' AS code, 's' AS name, 'main' AS board, 'SH' AS exchange,
                   false AS crowded FROM range(3000) t(i)) TO '{folder}/securities.parquet'"""
    )
    con.execute(
        f"""COPY (SELECT lpad(i::VARCHAR, 6, '0') AS fund_code, 'f' AS name, 'equity' AS fund_type, 'co' AS company,
                   'R3' AS risk_level FROM range(2000) t(i)) TO '{folder}/funds.parquet'"""
    )
    (folder / "trades").mkdir()
    per = rows // parts
    for p in range(parts):
        con.execute(
            f"""COPY (
                SELECT 'T' || lpad(i::VARCHAR, 10, '0') AS trade_id,
                       'A' || (hash(i) % 100000) AS account_id,
                       TIMESTAMP '2024-01-02 09:30:00' + to_seconds(i % 10000000) AS trade_time,
                       CASE WHEN i % 2 = 0 THEN 'stock_buy' ELSE 'fund_subscribe' END AS trade_type,
                       CASE WHEN i % 2 = 0 THEN lpad((i % 3000)::VARCHAR, 6, '0') || '.SH'
                            ELSE lpad((i % 2000)::VARCHAR, 6, '0') END AS instrument_code,
                       CASE WHEN i % 10007 = 0 THEN -1.0 ELSE 100.0 END AS quantity,
                       CAST(10.5 AS DECIMAL(18,4)) AS price,
                       CAST(1050 AS DECIMAL(18,2)) AS amount,
                       CAST(5 AS DECIMAL(18,2)) AS fee,
                       'app' AS channel
                FROM range({p * per}, {(p + 1) * per}) t(i))
                TO '{folder}/trades/part-{p:04d}.parquet'"""
        )


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000_000
    parts = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "data"
        folder.mkdir()
        write_data(folder, rows, parts)
        con = duckdb.connect(str(Path(tmp) / "store.duckdb"))
        began = time.perf_counter()
        report = ingest_path(con, folder)
        total = time.perf_counter() - began
        trades = [f for f in report.files if f.table == "trades"]
        seconds = sum(f.seconds for f in trades)
        read = sum(f.rows_read for f in trades)
        print(
            f"trades: {read:,} rows in {seconds:.2f} s = {read / seconds:,.0f} rows/s "
            f"(loaded {sum(f.rows_loaded for f in trades):,}, "
            f"quarantined {sum(f.rows_quarantined for f in trades):,}); whole folder {total:.2f} s; "
            f"ok={report.ok} reconciles={report.reconciles()}"
        )
        began = time.perf_counter()
        again = ingest_path(con, folder / "trades")
        seconds = time.perf_counter() - began
        print(
            f"re-ingest trades: {seconds:.2f} s = {read / seconds:,.0f} rows/s, "
            f"unchanged {sum(f.rows_unchanged for f in again.files):,}, "
            f"quarantined {sum(f.rows_quarantined for f in again.files):,}"
        )


if __name__ == "__main__":
    main()
