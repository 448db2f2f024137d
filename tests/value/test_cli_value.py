"""`wealthdesk report value`: output a person or a program reads, and one-line errors for bad requests."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from wealthdesk.cli import app, main
from wealthdesk.testing import DemoStore, fresh_store
from wealthdesk.value.efficiency import VALUE_TABLE
from wealthdesk.value.report import ValueReportError

runner = CliRunner()


def run_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    """Run the installed entry point in-process: exit code, stdout, stderr, as a shell would see them."""
    monkeypatch.setattr(sys, "argv", ["wealthdesk", *args])
    with pytest.raises(SystemExit) as stop:
        main()
    out = capsys.readouterr()
    return int(stop.value.code or 0), out.out, out.err


def store_copy(demo: DemoStore, tmp_path: Path) -> Path:
    path = tmp_path / "store.duckdb"
    shutil.copy(demo.settings.store, path)
    return path


def saved_tables(store: Path) -> set[str]:
    with duckdb.connect(str(store), read_only=True) as con:
        return {name for (name,) in con.execute("SHOW TABLES").fetchall()}


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
    store = store_copy(demo, tmp_path)
    out = tmp_path / "value.csv"
    args = ["report", "value", "--store", str(store), "--channel", "referral", "--csv", str(out), "--save"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert VALUE_TABLE in saved_tables(store)
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


def test_by_default_the_report_writes_nothing_to_the_store(demo: DemoStore, tmp_path: Path) -> None:
    store = store_copy(demo, tmp_path)
    result = runner.invoke(app, ["report", "value", "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert "BG/NBD" in result.output and "saved" not in result.output
    assert VALUE_TABLE not in saved_tables(store)


@pytest.mark.parametrize("as_of", ["2020-01-03", "2020-01-06", "2020-01-31"])
def test_a_history_too_short_for_clv_exits_2_and_saves_nothing(
    demo: DemoStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, as_of: str
) -> None:
    """Days or weeks after the data start the models cannot be fitted: an error, not NaN or absurd CLVs."""
    store = store_copy(demo, tmp_path)
    out = tmp_path / "value.csv"
    args = ["report", "value", "--store", str(store), "--as-of", as_of, "--save", "--json", "--csv", str(out)]
    code, stdout, stderr = run_main(monkeypatch, capsys, *args)
    assert code == 2
    message = " ".join(stderr.split())  # rich wraps long lines at the terminal width
    assert f"cannot fit the CLV models as of {as_of}: the history is too short to fit" in message
    assert "at least 12 weeks and 100 repeat buyers; try a later --as-of" in message
    assert "Traceback" not in stderr and stdout == ""  # no JSON with NaN in it
    assert not out.exists() and VALUE_TABLE not in saved_tables(store)


def test_csv_into_a_missing_folder_is_refused_before_anything_is_computed_or_saved(
    demo: DemoStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    store = store_copy(demo, tmp_path)
    out = tmp_path / "no-such-folder" / "value.csv"
    code, stdout, stderr = run_main(
        monkeypatch, capsys, "report", "value", "--store", str(store), "--save", "--csv", str(out)
    )
    assert code == 2
    assert "does not exist" in stderr and "--csv" in stderr and "Traceback" not in stderr
    assert "BG/NBD" not in stdout and VALUE_TABLE not in saved_tables(store)
    assert not out.parent.exists()
