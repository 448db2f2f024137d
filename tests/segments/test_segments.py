"""Segments on the generated demo store: saved definitions, members, CSV and WeCom exports, errors."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from wealthdesk.cli import app
from wealthdesk.pipeline.run import run_pipeline
from wealthdesk.segments.definitions import SegmentError, get_segment, known_tags, list_segments, save_segment
from wealthdesk.segments.export import members_csv, members_wecom
from wealthdesk.segments.membership import segment_members
from wealthdesk.tags.expression import ExpressionError
from wealthdesk.testing import DemoStore

runner = CliRunner()
LEADS = "tagged('kw_chinext') and not chinext_enabled and aum > 0"


@pytest.fixture
def store(demo: DemoStore, tmp_path: Path) -> duckdb.DuckDBPyConnection:
    """The demo store after one pipeline run, in a copy of its own."""
    path = tmp_path / "seg.duckdb"
    shutil.copy(demo.settings.store, path)
    con = duckdb.connect(str(path))
    run_pipeline(con)
    yield con
    con.close()


def members_of(con: duckdb.DuckDBPyConnection, name: str) -> list[str]:
    import ibis

    backend = ibis.duckdb.from_connection(con)
    table = backend.to_pyarrow(segment_members(backend, get_segment(con, name, known_tags())))
    return table.column("customer_id").to_pylist()


def test_members_follow_the_expression(store: duckdb.DuckDBPyConnection) -> None:
    save_segment(store, "chinext_leads", LEADS, "创业板意向客户", known_tags())
    expected = [
        cid
        for (cid,) in store.execute(
            """SELECT p.customer_id FROM profiles p
               WHERE p.customer_id IN (SELECT customer_id FROM keyword_tags WHERE tag = 'kw_chinext')
                 AND NOT p.chinext_enabled AND p.aum > 0 ORDER BY 1"""
        ).fetchall()
    ]
    assert expected, "the demo brokerage should have ChiNext leads"
    assert members_of(store, "chinext_leads") == expected


def test_rule_and_chat_tags_combine(store: duckdb.DuckDBPyConnection) -> None:
    save_segment(store, "rich_or_star", "tagged('high_net_worth') or tagged('kw_star')", None, known_tags())
    expected = {
        cid
        for (cid,) in store.execute(
            """SELECT customer_id FROM customer_tags WHERE tag = 'high_net_worth'
               UNION SELECT customer_id FROM keyword_tags WHERE tag = 'kw_star'"""
        ).fetchall()
    }
    assert set(members_of(store, "rich_or_star")) == expected


def test_pipeline_materialises_every_saved_segment(store: duckdb.DuckDBPyConnection) -> None:
    save_segment(store, "chinext_leads", LEADS, None, known_tags())
    save_segment(store, "dormant_rich", "lifecycle_stage == 'dormant' and aum >= 100_000", None, known_tags())
    report = run_pipeline(store)
    counts = dict(store.execute("SELECT segment, count(*) FROM segment_members GROUP BY 1").fetchall())
    assert counts.get("chinext_leads") == len(members_of(store, "chinext_leads"))
    assert sum(counts.values()) == report.rows["segment_members"]


def test_csv_and_wecom_exports(store: duckdb.DuckDBPyConnection) -> None:
    import ibis

    save_segment(store, "chinext_leads", LEADS, None, known_tags())
    backend = ibis.duckdb.from_connection(store)
    members = backend.to_pyarrow(segment_members(backend, get_segment(store, "chinext_leads", known_tags())))
    rows = list(csv.DictReader(io.StringIO(members_csv(members))))
    assert [r["customer_id"] for r in rows] == members.column("customer_id").to_pylist()
    assert set(rows[0]) == {"customer_id", "branch_id", "advisor_id", "lifecycle_stage", "aum"}  # no personal data

    # a second advisor adds one member: that member must still get the message once, from their own advisor
    first = members.column("customer_id")[0].as_py()
    store.execute(
        """INSERT INTO wecom_contacts (advisor_userid, external_userid, customer_id, added_at)
           SELECT a.wecom_userid, 'wmSecondAdvisor0001', ?, TIMESTAMP '2000-01-01'
           FROM advisors a WHERE a.advisor_id <> (SELECT advisor_id FROM customers WHERE customer_id = ?) LIMIT 1""",
        [first, first],
    )
    wecom = members_wecom(store, members, "chinext_leads")
    live = store.execute(
        """SELECT DISTINCT c.customer_id FROM wecom_contacts c
           WHERE c.deleted_at IS NULL AND c.customer_id IN (SELECT * FROM UNNEST(?))""",
        [members.column("customer_id").to_pylist()],
    ).fetchall()
    sent = [e for r in wecom["requests"] for e in r["external_userid"]]
    assert len(sent) == len(set(sent)) == len(live) == wecom["members_on_wecom"]  # everyone reached, once
    assert (
        "wmSecondAdvisor0001" not in sent
        or store.execute(
            """SELECT count(*) FROM customers k JOIN advisors a USING (advisor_id)
           JOIN wecom_contacts c ON c.customer_id = k.customer_id AND c.advisor_userid = a.wecom_userid
           WHERE k.customer_id = ?""",
            [first],
        ).fetchone()[0]
        == 0
    )
    assert all(r["chat_type"] == "single" and len(r["external_userid"]) <= 10_000 for r in wecom["requests"])
    assert wecom["members"] == wecom["members_on_wecom"] + wecom["members_not_on_wecom"]


def test_errors_are_clear(store: duckdb.DuckDBPyConnection) -> None:
    tags = known_tags()
    save_segment(store, "chinext_leads", LEADS, None, tags)
    with pytest.raises(SegmentError, match="exists already"):
        save_segment(store, "chinext_leads", "aum > 0", None, tags)
    with pytest.raises(SegmentError, match="snake_case"):
        save_segment(store, "Bad Name", "aum > 0", None, tags)
    with pytest.raises(ExpressionError, match="unknown tag 'kw_chinex'; did you mean kw_chinext"):
        save_segment(store, "typo", "tagged('kw_chinex')", None, tags)
    with pytest.raises(ExpressionError, match="tagged\\(\\) takes exactly one tag name"):
        save_segment(store, "typo", "tagged(kw_chinext)", None, tags)
    with pytest.raises(SegmentError, match="no segment named 'nope'; saved segments: chinext_leads"):
        get_segment(store, "nope", tags)
    assert [row[0] for row in list_segments(store)] == ["chinext_leads"]


def test_segment_cli(demo: DemoStore, tmp_path: Path) -> None:
    path = tmp_path / "cli.duckdb"
    shutil.copy(demo.settings.store, path)
    store = ["--store", str(path)]
    assert runner.invoke(app, ["run", *store]).exit_code == 0
    created = runner.invoke(app, ["segment", "create", "leads", "--when", LEADS, "--label", "创业板意向", *store])
    assert created.exit_code == 0, created.output
    listed = json.loads(runner.invoke(app, ["segment", "list", "--json", *store]).output)
    assert [(s["name"], s["label"], s["expression"]) for s in listed] == [("leads", "创业板意向", LEADS)]
    out_csv, out_json = tmp_path / "leads.csv", tmp_path / "leads.json"
    result = runner.invoke(
        app, ["segment", "members", "leads", "--csv", str(out_csv), "--wecom-json", str(out_json), *store]
    )
    assert result.exit_code == 0, result.output
    assert "members" in result.output
    assert out_csv.read_text(encoding="utf-8").startswith("customer_id,")
    assert json.loads(out_json.read_text(encoding="utf-8"))["segment"] == "leads"
    assert runner.invoke(app, ["segment", "delete", "leads", *store]).exit_code == 0
    assert json.loads(runner.invoke(app, ["segment", "list", "--json", *store]).output) == []
