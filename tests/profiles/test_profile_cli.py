"""`wealthdesk run` and `wealthdesk profile` on the generated demo store: what an advisor reads, masked."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from wealthdesk.cli import app
from wealthdesk.testing import DemoStore

runner = CliRunner()


def _store_with_run(demo: DemoStore, tmp_path: Path) -> str:
    store = tmp_path / "run.duckdb"
    shutil.copy(demo.settings.store, store)
    result = runner.invoke(app, ["run", "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert "profiles" in result.output and "customer_tags" in result.output
    return str(store)


def test_run_then_profile_shows_a_masked_360_view(demo: DemoStore, tmp_path: Path) -> None:
    store = _store_with_run(demo, tmp_path)
    with duckdb.connect(store, read_only=True) as con:
        customer_id, name, phone, id_number = con.execute(
            """SELECT c.customer_id, c.name, c.phone, c.id_number
               FROM customers c JOIN customer_tags t USING (customer_id)
               WHERE c.phone IS NOT NULL AND c.id_number IS NOT NULL ORDER BY c.customer_id LIMIT 1"""
        ).fetchone()
        tags = {
            t for (t,) in con.execute("SELECT label FROM customer_tags WHERE customer_id = ?", [customer_id]).fetchall()
        }
    result = runner.invoke(app, ["profile", customer_id, "--store", store], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert f"{phone[:3]}****{phone[-4:]}" in result.output
    assert f"{name[0]}*" in result.output
    assert phone not in result.output and id_number not in result.output and name not in result.output
    assert all(label in result.output for label in tags)
    assert "lifecycle_stage" in result.output

    payload = json.loads(runner.invoke(app, ["profile", customer_id, "--store", store, "--json"]).output)
    assert payload["profile"]["customer_id"] == customer_id
    raw = json.dumps(payload, ensure_ascii=False)
    assert phone not in raw and id_number not in raw
    assert not re.search(r"(?<![\d.])1[3-9]\d{9}(?!\d)", raw)  # no unmasked mobile number at all


def test_unknown_client_and_store_without_run_are_clear_errors(demo: DemoStore, tmp_path: Path) -> None:
    store = tmp_path / "norun.duckdb"
    shutil.copy(demo.settings.store, store)
    result = runner.invoke(app, ["profile", "310000000001", "--store", str(store)])
    assert result.exit_code != 0
    assert "run `wealthdesk run` first" in str(result.exception)
    ran = _store_with_run(demo, tmp_path)
    result = runner.invoke(app, ["profile", "nobody", "--store", ran])
    assert "no client 'nobody'" in str(result.exception)


def test_a_broken_tag_file_stops_the_run_before_it_starts(demo: DemoStore, tmp_path: Path) -> None:
    tags = tmp_path / "tags.yaml"
    tags.write_text("version: 1\ntags:\n  - {name: x1, label: x, category: risk, description: d, when: 'aum >'}\n")
    store = tmp_path / "t.duckdb"
    shutil.copy(demo.settings.store, store)
    result = runner.invoke(app, ["run", "--store", str(store), "--tags", str(tags)])
    assert result.exit_code != 0
    assert "tag #1 (x1): when: column 6" in str(result.exception)
    with duckdb.connect(str(store), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'profiles'").fetchone()[0] == 0
