"""The chat archive: official-shape records by seq into the keyword-tag path; recalls; resuming without gaps."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from wealthdesk.cli import app
from wealthdesk.pipeline.live import LiveUpdater
from wealthdesk.schema.wecom import BEIJING_OFFSET_MS
from wealthdesk.store.duckdb_store import create_tables
from wealthdesk.tags.chat_tags import run_chat_tags
from wealthdesk.tags.dictionary import load_keyword_dictionary
from wealthdesk.testing import a_wecom_client
from wealthdesk.wecom.archive import ArchiveError, archive_row, ingest_archive, last_seq

NOON = int(dt.datetime(2022, 7, 1, 12, tzinfo=dt.UTC).timestamp() * 1000) - BEIJING_OFFSET_MS


@pytest.fixture
def con(ran_con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """This test's own copy of the demo store after one run (conftest.ran_con)."""
    return ran_con


def _record(seq: int, msgid: str, sender: str, to: str, action: str, msgtype: str, payload: dict) -> dict:
    """A decrypted archive record in the official shape, with the seq it was fetched at."""
    return {
        "seq": seq,
        "msgid": msgid,
        "action": action,
        "from": sender,
        "tolist": [to],
        "roomid": "",
        "msgtime": NOON + seq,
        "msgtype": msgtype,
        msgtype: payload,
    }


def _text(seq: int, msgid: str, sender: str, to: str, content: str) -> dict:
    return _record(seq, msgid, sender, to, "send", "text", {"content": content})


def _recall(seq: int, msgid: str, sender: str, to: str, recalled: str) -> dict:
    return _record(seq, msgid, sender, to, "recall", "revoke", {"pre_msgid": recalled})


def _mentions(con: duckdb.DuckDBPyConnection, customer: str, tag: str) -> int:
    found = con.execute("SELECT mentions FROM keyword_tags WHERE customer_id = ? AND tag = ?", [customer, tag])
    rows = found.fetchall()
    return rows[0][0] if rows else 0


def _evidence(con: duckdb.DuckDBPyConnection, msgid: str) -> int:
    return con.execute("SELECT count(*) FROM keyword_tag_evidence WHERE msgid = ?", [msgid]).fetchall()[0][0]


def test_official_records_flow_into_the_client_tags_and_the_seq_is_remembered(con) -> None:
    customer, external, advisor = a_wecom_client(con)
    before = _mentions(con, customer, "kw_chinext")
    report = ingest_archive(LiveUpdater(con), [_text(900_001, "ARC-1", external, advisor, "想加仓创业板ETF")])
    assert (report.loaded, report.quarantined, report.last_seq) == (1, 0, 900_001)
    assert customer in report.customers
    assert _mentions(con, customer, "kw_chinext") == before + 1 and _evidence(con, "ARC-1") == 1
    assert con.execute("SELECT content FROM wecom_messages WHERE msgid = 'ARC-1'").fetchall() == [("想加仓创业板ETF",)]
    assert last_seq(con) == 900_001


def test_a_recall_takes_back_the_mention_now_and_in_every_later_run(con) -> None:
    customer, external, advisor = a_wecom_client(con)
    before = _mentions(con, customer, "kw_chinext")
    updater = LiveUpdater(con)
    ingest_archive(updater, [_text(900_001, "ARC-2", external, advisor, "想加仓创业板ETF")])
    assert _mentions(con, customer, "kw_chinext") == before + 1
    report = ingest_archive(updater, [_recall(900_002, "ARC-2-RECALL", external, advisor, "ARC-2")])
    assert report.loaded == 1 and customer in report.customers
    assert _evidence(con, "ARC-2") == 0 and _mentions(con, customer, "kw_chinext") == before
    dictionary = load_keyword_dictionary()
    for full in (False, True):  # the batch path agrees: an incremental run, then a full one
        run_chat_tags(con, dictionary, full=full)
        assert _evidence(con, "ARC-2") == 0 and _mentions(con, customer, "kw_chinext") == before


def test_a_restart_resumes_after_the_last_seq_without_gaps_or_duplicates(con) -> None:
    _, external, advisor = a_wecom_client(con)
    records = [_text(900_000 + i, f"ARC-R{i}", external, advisor, f"第{i}条 创业板") for i in range(1, 7)]
    first = ingest_archive(LiveUpdater(con), records[:3], batch=2)
    assert (first.loaded, first.batches, first.last_seq) == (3, 2, 900_003)
    # the process restarts; the source pages from the start again, out of order
    again = ingest_archive(LiveUpdater(con), list(reversed(records)), batch=2)
    assert (again.skipped, again.loaded, again.unchanged, again.last_seq) == (3, 3, 0, 900_006)
    stored = con.execute("SELECT count(*), count(DISTINCT msgid) FROM wecom_messages WHERE msgid LIKE 'ARC-R%'")
    assert stored.fetchall() == [(6, 6)]
    assert con.execute("SELECT count(*) FROM keyword_tag_evidence WHERE msgid LIKE 'ARC-R%'").fetchall() == [(6,)]


def test_a_batch_loaded_before_a_crash_is_sent_again_and_adds_nothing(con) -> None:
    customer, external, advisor = a_wecom_client(con)
    records = [_text(900_010 + i, f"ARC-C{i}", external, advisor, "创业板") for i in range(3)]
    LiveUpdater(con).feed("wecom_messages", [archive_row(r) for r in records])  # committed; the seq was not moved
    mentions = _mentions(con, customer, "kw_chinext")
    report = ingest_archive(LiveUpdater(con), records)
    assert (report.loaded, report.unchanged, report.last_seq) == (0, 3, 900_012)
    assert _mentions(con, customer, "kw_chinext") == mentions


def test_bad_and_unusual_records(con) -> None:
    _, external, advisor = a_wecom_client(con)
    switch = {"seq": 900_020, "msgid": "ARC-SW", "action": "switch", "time": NOON, "user": advisor}
    broken = {**_text(900_021, "ARC-BAD", external, advisor, "创业板"), "msgtime": "yesterday"}
    report = ingest_archive(LiveUpdater(con), [switch, broken])
    assert (report.loaded, report.quarantined) == (1, 1)
    assert "msgtime" in report.reasons[0]
    assert con.execute("SELECT action, sender FROM wecom_messages WHERE msgid = 'ARC-SW'").fetchall() == [
        ("switch", advisor)
    ]
    with pytest.raises(ArchiveError, match="seq"):
        ingest_archive(LiveUpdater(con), [{"msgid": "ARC-NOSEQ", "action": "send"}])


def test_the_archive_command_loads_an_export_once(con, tmp_path: Path) -> None:
    _, external, advisor = a_wecom_client(con)
    export = tmp_path / "archive.jsonl"
    records = [_text(900_030 + i, f"ARC-CLI{i}", external, advisor, "想了解创业板") for i in range(3)]
    export.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    store = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()
    con.close()
    runner = CliRunner()
    first = runner.invoke(app, ["wecom", "archive", str(export), "--store", store[0][0], "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["loaded"] == 3
    again = runner.invoke(app, ["wecom", "archive", str(export), "--store", store[0][0], "--json"])
    assert (json.loads(again.output)["skipped"], json.loads(again.output)["loaded"]) == (3, 0)
    export.write_text("not json\n", encoding="utf-8")
    broken = runner.invoke(app, ["wecom", "archive", str(export), "--store", store[0][0]])
    assert broken.exit_code != 0 and "line 1 is not JSON" in str(broken.exception)  # main() prints it


def test_a_store_from_before_recalls_still_tags_and_is_brought_up_to_date(con) -> None:
    con.execute("ALTER TABLE wecom_messages DROP COLUMN pre_msgid")  # as a store made by an earlier version
    report = run_chat_tags(con, load_keyword_dictionary(), full=True)
    assert report.mentions > 0
    create_tables(con)  # what opening the store with wealthdesk does
    columns = con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = 'wecom_messages'").fetchall()
    assert ("pre_msgid",) in columns
