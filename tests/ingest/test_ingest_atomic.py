"""A file's load is atomic: killing the process mid-load leaves no partial rows, and a re-run is clean."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from ingest_files import write_parents

from wealthdesk.ingest import ingest_path
from wealthdesk.store import create_tables

ROWS = 5_000_000
BAD_EVERY = 100_003  # rows whose quantity is negative: quarantined

CHILD = """
import sys
from pathlib import Path

import duckdb

from wealthdesk.ingest import ingest_path


class Announce:
    def start(self, task, total):
        print("started", flush=True)

    def advance(self, task, units=1):
        print("advanced", flush=True)


con = duckdb.connect(sys.argv[1])
ingest_path(con, Path(sys.argv[2]), reporter=Announce())
con.close()
print("finished", flush=True)
"""


def write_big_trades(path: Path) -> None:
    con = duckdb.connect()
    con.execute(
        f"""COPY (
            SELECT 'T' || lpad(i::VARCHAR, 9, '0') AS trade_id, 'AC1' AS account_id,
                   TIMESTAMP '2024-03-01 09:30:00' + to_seconds(i % 100000) AS trade_time,
                   'stock_buy' AS trade_type, '600519.SH' AS instrument_code,
                   CASE WHEN i % {BAD_EVERY} = 0 THEN -1.0 ELSE 100.0 END AS quantity,
                   1700.5 AS price, 170050 AS amount, 5 AS fee, 'app' AS channel
            FROM range({ROWS}) t(i)) TO '{path}' (FORMAT parquet)"""
    )
    con.close()


@pytest.mark.slow
def test_kill_mid_load_leaves_nothing_and_rerun_is_complete(tmp_path: Path) -> None:
    store_path = tmp_path / "store.duckdb"
    con = duckdb.connect(str(store_path))
    create_tables(con)
    assert ingest_path(con, write_parents(tmp_path / "parents")).ok
    before = con.execute("SELECT count(*) FROM _ingest_batches").fetchone()[0]
    con.close()
    trades = tmp_path / "trades.parquet"
    write_big_trades(trades)

    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(store_path), str(trades)],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ | {"PYTHONUNBUFFERED": "1"},
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "started"
    time.sleep(1.0)
    assert child.poll() is None, "the load finished before it could be killed; make the file bigger"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    con = duckdb.connect(str(store_path))
    assert con.execute("SELECT count(*) FROM trades").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM _quarantine").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM _ingest_batches").fetchone()[0] == before
    assert con.execute("SELECT count(*) FROM accounts").fetchone()[0] == 1  # earlier loads survive

    bad = len(range(0, ROWS, BAD_EVERY))
    result = ingest_path(con, trades).files[0]
    assert result.error is None
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (ROWS, ROWS - bad, bad)
    assert con.execute("SELECT count(*) FROM trades").fetchone()[0] == ROWS - bad
    assert con.execute("SELECT count(*) FROM _quarantine").fetchone()[0] == bad
    con.close()
