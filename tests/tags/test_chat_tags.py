"""Chat keyword tags on real stores: client messages only, evidence, incremental runs, planted interests."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from wealthdesk.ingest import ingest_path
from wealthdesk.tags.chat_tags import evidence_snippet, run_chat_tags
from wealthdesk.tags.dictionary import load_keyword_dictionary, parse_keyword_dictionary
from wealthdesk.testing import DemoStore

CONTACTS = [
    '{"advisor_userid":"lisi","external_userid":"wmClientA0000001","customer_id":"A","added_at":"2024-01-01 09:00:00"}',
    '{"advisor_userid":"lisi","external_userid":"wmUnmatched00001","added_at":"2024-01-01 09:00:00"}',
]


def msg(msgid: str, sender: str, to: str, content: str, msgtime: int = 1_719_000_000_000, **extra: str) -> str:
    fields = {"msgid": msgid, "action": "send", "from": sender, "tolist": [to], "msgtime": msgtime, "msgtype": "text"}
    import json

    return json.dumps(fields | {"content": content} | extra, ensure_ascii=False)


def small_store(folder: Path) -> duckdb.DuckDBPyConnection:
    """A client A with a WeCom contact, an unmatched external contact, and advisor lisi."""
    files = folder / "in"
    files.mkdir(parents=True)
    (files / "branches.csv").write_text("branch_id,name,city,province\nB1,上海营业部,上海,上海\n", encoding="utf-8")
    (files / "advisors.csv").write_text("advisor_id,name,wecom_userid,branch_id\nE1,李四,lisi,B1\n", encoding="utf-8")
    (files / "customers.csv").write_text(
        "customer_id,name,branch_id,investor_type,acquisition_channel,registered_at\n"
        "A,张三,B1,ordinary,branch,2020-01-01 09:00:00\n",
        encoding="utf-8",
    )
    (files / "wecom_contacts.jsonl").write_text("\n".join(CONTACTS) + "\n", encoding="utf-8")
    (files / "wecom_messages.jsonl").write_text(
        "\n".join(
            [
                msg("M1", "wmClientA0000001", "lisi", "想了解一下创业板，电话13812345678"),
                msg("M2", "lisi", "wmClientA0000001", "给您推荐科创板基金"),  # the advisor's words: no tag
                msg("M3", "wmUnmatched00001", "lisi", "我想买白酒"),  # not matched to a client: no tag
                msg("M4", "wmClientA0000001", "lisi", "不想买科创板"),  # negated
                msg("M5", "wmClientA0000001", "lisi", "创业板还能买吗", msgtime=1_719_100_000_000),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    con = duckdb.connect(str(folder / "store.duckdb"))
    assert ingest_path(con, files).ok
    return con


def test_only_client_messages_give_tags_with_evidence(tmp_path: Path) -> None:
    con = small_store(tmp_path)
    report = run_chat_tags(con, load_keyword_dictionary())
    assert (report.messages, report.mentions, report.negated, report.full) == (3, 3, 1, True)
    tags = con.execute("SELECT customer_id, tag, label, mentions, first_seen, last_seen FROM keyword_tags").fetchall()
    assert len(tags) == 1
    customer, tag, label, mentions, first, last = tags[0]
    assert (customer, tag, label, mentions) == ("A", "kw_chinext", "关注创业板", 2)
    assert str(first) == "2024-06-22 04:00:00" and str(last) == "2024-06-23 07:46:40"  # China time
    evidence = [
        (msgid, evidence_snippet(content, position, length, ["张三"]), negated)
        for msgid, content, position, length, negated in con.execute(
            """SELECT e.msgid, m.content, e.position, e.length, e.negated
               FROM keyword_tag_evidence e JOIN wecom_messages m USING (msgid) ORDER BY e.msgid"""
        ).fetchall()
    ]
    assert evidence == [
        ("M1", "想了解一下创业板，电话*********", False),  # 12 characters of context, the number masked
        ("M4", "不想买科创板", True),
        ("M5", "创业板还能买吗", False),
    ]


def test_incremental_runs_read_only_new_messages(tmp_path: Path) -> None:
    con = small_store(tmp_path)
    dictionary = load_keyword_dictionary()
    run_chat_tags(con, dictionary)
    assert run_chat_tags(con, dictionary).messages == 0
    more = tmp_path / "more"
    more.mkdir()
    (more / "wecom_messages.jsonl").write_text(msg("M6", "wmClientA0000001", "lisi", "定投怎么弄") + "\n")
    assert ingest_path(con, more).ok
    report = run_chat_tags(con, dictionary)
    assert (report.messages, report.mentions, report.full) == (1, 1, False)
    assert con.execute("SELECT count(*) FROM keyword_tag_evidence").fetchone()[0] == 4  # nothing twice
    assert ingest_path(con, more).ok  # re-delivery of the same file: no new rows, nothing to tag
    assert run_chat_tags(con, dictionary).messages == 0
    full = run_chat_tags(con, dictionary, full=True)
    assert (full.messages, full.full) == (4, True)
    assert con.execute("SELECT count(*) FROM keyword_tag_evidence").fetchone()[0] == 4


def test_evidence_table_of_an_older_layout_is_rebuilt(tmp_path: Path) -> None:
    con = small_store(tmp_path)
    con.execute("CREATE TABLE keyword_tag_evidence (customer_id VARCHAR, tag VARCHAR, snippet VARCHAR)")
    con.execute("INSERT INTO keyword_tag_evidence VALUES ('A', 'kw_old', 'stale')")
    con.execute(
        "CREATE TABLE _keyword_state (dictionary_version VARCHAR, last_batch_id BIGINT, processed_at TIMESTAMP)"
    )
    con.execute("INSERT INTO _keyword_state VALUES ('1', 999, NULL)")  # claims everything was processed
    report = run_chat_tags(con, load_keyword_dictionary())
    assert report.full and report.messages == 3
    assert con.execute("SELECT count(*) FROM keyword_tag_evidence WHERE tag = 'kw_old'").fetchone()[0] == 0


def test_a_new_dictionary_version_retags_everything(tmp_path: Path) -> None:
    con = small_store(tmp_path)
    run_chat_tags(con, load_keyword_dictionary())
    mine = parse_keyword_dictionary(
        "version: 2\nnegations: [不想]\ntags:\n  - {name: kw_star, label: 科创, keywords: [科创板]}\n"
    )
    report = run_chat_tags(con, mine)
    assert report.full and report.messages == 3
    rows = con.execute("SELECT tag, dictionary_version FROM keyword_tag_evidence").fetchall()
    assert rows == [("kw_star", "2")]  # only M4, negated, so no tag at all
    assert con.execute("SELECT count(*) FROM keyword_tags").fetchone()[0] == 0


@pytest.fixture(scope="module")
def tagged_demo(demo: DemoStore, tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    store = tmp_path_factory.mktemp("kw") / "store.duckdb"
    shutil.copy(demo.settings.store, store)
    con = duckdb.connect(str(store))
    run_chat_tags(con, load_keyword_dictionary())
    return con


def test_every_planted_mention_is_found_with_its_negation(
    tagged_demo: duckdb.DuckDBPyConnection, demo: DemoStore
) -> None:
    """The generator's ground truth lists each message where a client voiced a planted interest.

    Mentions by external contacts that were never matched to a client cannot
    give a client a tag, so they are left out; a mention counts as found when
    the message has evidence for the interest's tag (the longest keyword may
    be another word of the same tag, e.g. 买基金 for 基金).
    """
    dictionary = load_keyword_dictionary()
    tag_of = pa.table(
        {
            "interest": [w for t in dictionary.tags for w in t.keywords],
            "tag": [t.name for t in dictionary.tags for _ in t.keywords],
        }
    )
    tagged_demo.register("truth", pq.read_table(demo.generation.out / "_truth" / "chat_mentions.parquet"))
    tagged_demo.register("tag_of", tag_of)
    missed, wrong_negation, total = tagged_demo.execute(
        """WITH planted AS (
               SELECT t.msgid, t.negated, k.tag FROM truth t JOIN tag_of k USING (interest)
               JOIN wecom_messages m USING (msgid)
               WHERE m.sender IN (SELECT external_userid FROM wecom_contacts WHERE customer_id IS NOT NULL))
           SELECT count(*) FILTER (WHERE e.msgid IS NULL),
                  count(*) FILTER (WHERE e.negated IS DISTINCT FROM p.negated AND e.msgid IS NOT NULL),
                  count(*)
           FROM planted p LEFT JOIN keyword_tag_evidence e ON e.msgid = p.msgid AND e.tag = p.tag"""
    ).fetchone()
    assert total > 500
    assert missed == 0
    assert wrong_negation == 0


def test_no_advisor_message_is_evidence(tagged_demo: duckdb.DuckDBPyConnection) -> None:
    advisors = tagged_demo.execute(
        """SELECT count(*) FROM keyword_tag_evidence e JOIN wecom_messages m USING (msgid)
           WHERE m.sender IN (SELECT wecom_userid FROM advisors)"""
    ).fetchone()[0]
    assert advisors == 0
