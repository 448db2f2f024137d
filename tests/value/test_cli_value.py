"""`wealthdesk report value`: output a person or a program reads, and one-line errors for bad requests."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wealthdesk.cli import app
from wealthdesk.testing import DemoStore, fresh_store
from wealthdesk.value.report import ValueReportError

runner = CliRunner()


def test_json_groups_add_up_to_the_total(demo: DemoStore) -> None:
    result = runner.invoke(
        app, ["report", "value", "--store", str(demo.settings.store), "--no-save", "--json", "--horizon-months", "24"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["horizon_months"] == 24 and payload["by"] == "channel" and payload["saved_table"] is None
    assert sum(g["clients"] for g in payload["groups"]) == payload["total"]["clients"] > 1000
    assert sum(g["efficiency_sum"] for g in payload["groups"]) == pytest.approx(payload["total"]["efficiency_sum"])


def test_table_output_csv_export_and_the_saved_table(demo: DemoStore, tmp_path: Path) -> None:
    store = tmp_path / "store.duckdb"
    shutil.copy(demo.settings.store, store)
    out = tmp_path / "value.csv"
    result = runner.invoke(app, ["report", "value", "--store", str(store), "--channel", "referral", "--csv", str(out)])
    assert result.exit_code == 0, result.output
    assert "referral" in result.output and "BG/NBD" in result.output and "saved" in result.output
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and {r["acquisition_channel"] for r in rows} == {"referral"}
    assert {"customer_id", "clv", "cac", "cmc", "efficiency", "p_alive"} <= set(rows[0])


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["--channel", "tv"], "unknown channel 'tv'"),
        (["--as-of", "2030-01-01"], "outside the data"),
        (["--by", "segment"], "no segment members in this store"),
    ],
)
def test_bad_requests_are_one_line_errors(demo: DemoStore, args: list[str], problem: str) -> None:
    result = runner.invoke(app, ["report", "value", "--store", str(demo.settings.store), "--no-save", *args])
    assert isinstance(result.exception, ValueReportError)
    assert problem in str(result.exception) and "\n" not in str(result.exception)


def test_a_store_without_trades_exits_2_with_a_message_and_no_traceback(tmp_path: Path) -> None:
    settings = fresh_store(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "wealthdesk.cli", "report", "value", "--store", str(settings.store), "--no-save"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "the store has no trades" in done.stderr and "Traceback" not in done.stderr
