"""The command line: options, environment, exit codes and messages a person reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wealthdesk.cli import app
from wealthdesk.cli_docs import command_help, command_names
from wealthdesk.testing import DemoStore

runner = CliRunner()


def test_every_command_has_help_with_an_example() -> None:
    names = command_names()
    assert {"generate", "ingest", "quality", "metrics", "demo", "docs", "run", "profile"} <= set(names)
    assert {"segment create", "segment list", "segment members", "segment delete"} <= set(names)
    for name in names:
        assert "Example:" in command_help(name.split()), f"`wealthdesk {name} --help` shows no example"


def test_quality_json_and_exit_code(demo: DemoStore) -> None:
    result = runner.invoke(app, ["quality", "--store", str(demo.settings.store), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["passed"] is True


def test_store_from_environment_variable(demo: DemoStore) -> None:
    result = runner.invoke(
        app, ["metrics", "--as-of", "2022-06-30", "--json"], env={"WEALTHDESK_STORE": str(demo.settings.store)}
    )
    assert result.exit_code == 0, result.output
    names = {m["name"] for m in json.loads(result.output)}
    assert {"aum", "net_inflow", "funded_user_ratio", "fund_holding_balance", "active_users"} <= names


def test_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["quality", "--store", str(tmp_path / "nope.duckdb")])
    assert result.exit_code != 0
    assert "no store at" in str(result.exception) or "no store at" in result.output


def test_bad_date_is_a_clear_error(demo: DemoStore) -> None:
    result = runner.invoke(app, ["metrics", "--store", str(demo.settings.store), "--as-of", "30/06/2022"])
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output


@pytest.mark.slow
def test_demo_command_runs_end_to_end(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["demo", "--customers", "800", "--out", str(tmp_path / "files"), "--store", str(tmp_path / "d.duckdb")],
    )
    assert result.exit_code == 0, result.output
    for expected in ("quality", "AUM", "Next:"):
        assert expected in result.output
