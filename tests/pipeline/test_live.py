"""Near real time: records fed through LiveUpdater update the client's chat tags and activity at once."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from wealthdesk.cli import app
from wealthdesk.ingest.load import ingest_records
from wealthdesk.pipeline.live import LiveError, LiveUpdater
from wealthdesk.schema.wecom import BEIJING_OFFSET_MS
from wealthdesk.tags.chat_tags import run_chat_tags
from wealthdesk.tags.dictionary import load_keyword_dictionary
from wealthdesk.testing import a_wecom_client

AS_OF = dt.date(2022, 6, 30)  # the as-of date of the run conftest.ran_store made
ACTIVITY = "as_of, last_chat_date, days_since_last_chat, chats_7d, chats_30d, chats_90d"
LOGINS = "last_login_date, days_since_last_login, logins_7d, logins_30d, app_events_7d, app_events_90d"


@pytest.fixture
def con(ran_con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """This test's own copy of the demo store after one run (conftest.ran_con)."""
    return ran_con


def message(msgid: str, sender: str, to: str, content: str, day: dt.date = dt.date(2022, 7, 1)) -> dict:
    china_noon = dt.datetime.combine(day, dt.time(12, 0), tzinfo=dt.UTC)
    msgtime = int(china_noon.timestamp() * 1000) - BEIJING_OFFSET_MS
    return {"msgid": msgid, "action": "send", "from": sender, "tolist": [to], "msgtime": msgtime, "msgtype": "text"} | {
        "content": content
    }


def row(con: duckdb.DuckDBPyConnection, columns: str, customer_id: str) -> tuple:
    return con.execute(f"SELECT {columns} FROM profiles WHERE customer_id = ?", [customer_id]).fetchall()[0]


def tags(con: duckdb.DuckDBPyConnection, customer_id: str) -> dict[str, int]:
    found = con.execute("SELECT tag, mentions FROM keyword_tags WHERE customer_id = ?", [customer_id]).fetchall()
    return dict(found)


def test_a_client_message_updates_tags_with_evidence_and_chat_activity(con) -> None:
    customer_id, external, advisor = a_wecom_client(con)
    before, tags_before = row(con, ACTIVITY, customer_id), tags(con, customer_id)
    report = LiveUpdater(con).feed("wecom_messages", [message("LIVE-1", external, advisor, "想加仓创业板ETF")])
    assert report.intake.rows_loaded == 1 and report.customers == [customer_id]
    assert report.mentions == 1 and report.profiles_updated == 1
    assert tags(con, customer_id).get("kw_chinext", 0) == tags_before.get("kw_chinext", 0) + 1
    evidence = con.execute(
        "SELECT keyword, msgtime, position FROM keyword_tag_evidence WHERE msgid = 'LIVE-1'"
    ).fetchall()
    assert evidence == [("创业板ETF", dt.datetime(2022, 7, 1, 12, 0), 3)]  # the longest keyword wins
    after = row(con, ACTIVITY, customer_id)
    assert after[:3] == (AS_OF, dt.date(2022, 7, 1), 0)  # a day after the as-of date: 0 days ago
    assert after[3:] == tuple(n + 1 for n in before[3:])


def test_the_advisors_own_message_is_loaded_but_tags_nobody(con) -> None:
    customer_id, external, advisor = a_wecom_client(con)
    before = (row(con, ACTIVITY, customer_id), tags(con, customer_id))
    report = LiveUpdater(con).feed("wecom_messages", [message("LIVE-2", advisor, external, "推荐您看看创业板")])
    assert report.intake.rows_loaded == 1 and report.customers == [] and report.mentions == 0
    assert (row(con, ACTIVITY, customer_id), tags(con, customer_id)) == before


def test_feeding_the_same_message_again_changes_nothing(con) -> None:
    customer_id, external, advisor = a_wecom_client(con)
    updater = LiveUpdater(con)
    updater.feed("wecom_messages", [message("LIVE-3", external, advisor, "白酒基金还能买吗")])
    after_once = (row(con, ACTIVITY, customer_id), tags(con, customer_id))
    again = updater.feed("wecom_messages", [message("LIVE-3", external, advisor, "白酒基金还能买吗")])
    assert again.intake.rows_unchanged == 1 and again.intake.rows_loaded == 0 and again.customers == []
    assert (row(con, ACTIVITY, customer_id), tags(con, customer_id)) == after_once


def test_a_bad_record_is_quarantined_with_its_reason_and_the_good_one_loads(con) -> None:
    _, external, advisor = a_wecom_client(con)
    bad = message("LIVE-4", external, advisor, "创业板") | {"action": "shout"}
    good = message("LIVE-5", external, advisor, "创业板")
    report = LiveUpdater(con).feed("wecom_messages", [bad, good])
    assert report.intake.reconciles()
    assert (report.intake.rows_read, report.intake.rows_loaded, report.intake.rows_quarantined) == (2, 1, 1)
    reason = con.execute("SELECT reason FROM _quarantine WHERE batch_id = ?", [report.intake.batch_id]).fetchall()
    assert len(reason) == 1 and "action" in reason[0][0]
    assert con.execute("SELECT count(*) FROM keyword_tag_evidence WHERE msgid = 'LIVE-4'").fetchall() == [(0,)]


def test_an_app_login_updates_login_activity(con) -> None:
    customer_id, *_ = a_wecom_client(con)
    before = row(con, LOGINS, customer_id)
    event = {
        "event_id": "LIVE-E1",
        "customer_id": customer_id,
        "event_type": "login",
        "event_time": "2022-06-25 09:30:00",
    }
    report = LiveUpdater(con).feed("app_events", [event])
    assert report.customers == [customer_id] and report.profiles_updated == 1
    last, days, *counts = row(con, LOGINS, customer_id)
    assert last == max(d for d in (before[0], dt.date(2022, 6, 25)) if d is not None)
    assert days == (AS_OF - last).days
    assert counts == [n + 1 for n in before[2:]]


def test_an_old_event_counts_only_in_the_windows_it_falls_in(con) -> None:
    customer_id, external, advisor = a_wecom_client(con)
    before = row(con, ACTIVITY, customer_id)
    twenty_days_before = AS_OF - dt.timedelta(days=20)
    LiveUpdater(con).feed("wecom_messages", [message("LIVE-6", external, advisor, "你好", twenty_days_before)])
    after = row(con, ACTIVITY, customer_id)
    assert after[3:] == (before[3], before[4] + 1, before[5] + 1)  # not in the 7-day window


def test_a_batch_run_after_live_feeds_counts_every_message_once(con) -> None:
    customer_id, external, advisor = a_wecom_client(con)
    LiveUpdater(con).feed("wecom_messages", [message("LIVE-7", external, advisor, "想了解科创板和白酒")])
    live = tags(con, customer_id)
    incremental = run_chat_tags(con, load_keyword_dictionary())
    assert incremental.messages == 1 and not incremental.full  # the batch run sees the live batch again …
    assert tags(con, customer_id) == live  # … and replaces its evidence rather than adding to it
    run_chat_tags(con, load_keyword_dictionary(), full=True)
    assert tags(con, customer_id) == live


def test_only_messages_and_app_events_are_fed_live(con) -> None:
    with pytest.raises(LiveError, match="wecom_messages or app_events"):
        LiveUpdater(con).feed("trades", [{"trade_id": "T1"}])


def test_ingest_records_names_an_unknown_table(con) -> None:
    from wealthdesk.errors import IngestError

    with pytest.raises(IngestError, match="unknown table 'nope'"):
        ingest_records(con, "nope", [{}])
    empty = ingest_records(con, "app_events", [])
    assert empty.rows_read == 0 and empty.error is None and empty.notes


def test_a_record_missing_a_required_field_is_quarantined_not_refused_whole(con) -> None:
    _, external, advisor = a_wecom_client(con)
    incomplete = message("LIVE-8", external, advisor, "你好")
    del incomplete["tolist"]
    report = LiveUpdater(con).feed("wecom_messages", [incomplete, "not json"])
    assert report.intake.error is None and report.intake.rows_quarantined == 2
    assert report.quarantined == ["record 1: tolist: required value is missing", "record 2: not valid JSON"]


def test_the_feed_command_reads_records_line_by_line(con, tmp_path: Path) -> None:
    customer_id, external, advisor = a_wecom_client(con)
    store = con.execute("SELECT path FROM duckdb_databases() WHERE NOT internal").fetchall()[0][0]
    con.close()
    lines = [json.dumps(message("LIVE-9", external, advisor, "想买红利ETF"), ensure_ascii=False), "", "{oops"]
    result = CliRunner().invoke(
        app, ["feed", "wecom_messages", "-", "--store", store, "--json"], input="\n".join(lines) + "\n"
    )
    assert result.exit_code == 0, result.output
    reports = [json.loads(line) for line in result.output.splitlines()]
    assert [r["line"] for r in reports] == [1, 3]  # the empty line is skipped
    assert reports[0]["customers"] == [customer_id] and reports[0]["mentions"] == 1
    assert reports[1]["rows_quarantined"] == 1 and reports[1]["quarantined"] == ["record 1: not valid JSON"]


def test_an_evidence_table_of_an_older_layout_makes_the_next_run_retag_everything(con) -> None:
    con.execute("DROP TABLE keyword_tag_evidence")
    con.execute("CREATE TABLE keyword_tag_evidence (customer_id VARCHAR, snippet VARCHAR)")  # an older layout
    LiveUpdater(con)
    report = run_chat_tags(con, load_keyword_dictionary())
    assert report.full and report.messages > 1000
