"""Chat keyword tags (数据回传) on the DuckDB store: evidence per mention, tags per client, incremental.

Reads the text messages that clients (never advisors) sent — a message is a
client's when its sender is an external contact matched to a client — in
Arrow batches, matches them with :class:`~wealthdesk.tags.matcher.KeywordMatcher`
and appends every mention to ``keyword_tag_evidence`` (msgid, time, keyword,
position, negated); :func:`evidence_snippet` cuts the context from the
message, with numbers and the client's name masked, when a view shows it.
Times are China wall-clock time (UTC+8; the archive's ``msgtime`` is UTC
milliseconds), as the advisor saw the message.
``keyword_tags`` is then rebuilt from the evidence: one row per client and
tag with the number of (non-negated) mentions and the first and last time
seen.

Incremental: only messages loaded by ingest batches after the last one
processed are read (``_keyword_state`` remembers it, with the dictionary
version). A new dictionary version, or ``full=True``, re-tags everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

from wealthdesk.governance.masking import mask_free_text
from wealthdesk.schema.wecom import BEIJING_OFFSET_MS
from wealthdesk.tags.dictionary import KeywordDictionary
from wealthdesk.tags.matcher import KeywordMatcher

EVIDENCE_TABLE = "keyword_tag_evidence"
TAGS_TABLE = "keyword_tags"
STATE_TABLE = "_keyword_state"
BATCH_ROWS = 500_000
SNIPPET_CONTEXT = 12  # characters shown on each side of a mention

_DDL = {
    EVIDENCE_TABLE: """customer_id VARCHAR NOT NULL, tag VARCHAR NOT NULL, keyword VARCHAR NOT NULL,
        msgid VARCHAR NOT NULL, msgtime TIMESTAMP NOT NULL, position INTEGER NOT NULL, length INTEGER NOT NULL,
        negated BOOLEAN NOT NULL, dictionary_version VARCHAR NOT NULL""",
    STATE_TABLE: "dictionary_version VARCHAR NOT NULL, last_batch_id BIGINT NOT NULL, processed_at TIMESTAMP",
}

CLIENT_MESSAGES = f"""
    SELECT m.msgid, make_timestamp((m.msgtime + {BEIJING_OFFSET_MS}) * 1000) AS msgtime, m.content, c.customer_id
    FROM wecom_messages m
    JOIN (SELECT DISTINCT external_userid, customer_id FROM wecom_contacts WHERE customer_id IS NOT NULL) c
      ON m.sender = c.external_userid
    WHERE m.action = 'send' AND m.msgtype = 'text' AND m.content IS NOT NULL AND m._batch_id > ?
"""


def evidence_snippet(content: str, position: int, length: int, names: Iterable[str | None] = ()) -> str:
    """The mention in context (SNIPPET_CONTEXT characters each side), long numbers and the names masked."""
    masked = mask_free_text(content, names)
    return masked[max(position - SNIPPET_CONTEXT, 0) : position + length + SNIPPET_CONTEXT]


@dataclass
class ChatTagReport:
    """What a keyword-tag run read and wrote."""

    messages: int = 0
    mentions: int = 0
    negated: int = 0
    full: bool = False
    last_batch_id: int = 0


def _ensure_tables(con: duckdb.DuckDBPyConnection) -> bool:
    """Create the tables; returns False when a table had another layout and was rebuilt (re-tag everything).

    Evidence is derived data — it can always be rebuilt from the messages — so a
    table from an older wealthdesk is replaced rather than migrated.
    """
    same = True
    for name, body in _DDL.items():
        con.execute(f"CREATE TEMP TABLE _wd_layout ({body})")
        wanted = con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = '_wd_layout' ORDER BY column_index"
        ).fetchall()
        con.execute("DROP TABLE _wd_layout")
        stored = con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? AND database_name <> 'temp' "
            "ORDER BY column_index",
            [name],
        ).fetchall()
        if stored and stored != wanted:
            con.execute(f"DROP TABLE {name}")
            same = False
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({body})")
    return same


def evidence_batch(batch: pa.RecordBatch, matcher: KeywordMatcher) -> pa.Table:
    """Evidence rows for one batch of client messages (msgid, msgtime, content, customer_id)."""
    found = matcher.match(batch.column("content"))
    take = pa.array(found.row, pa.int64())
    names = np.array([t.name for t in matcher.dictionary.tags], dtype=object)
    return pa.table(
        {
            "customer_id": batch.column("customer_id").take(take),
            "tag": pa.array(names[found.tag].tolist() if len(found.tag) else [], pa.string()),
            "keyword": pa.array(found.keyword, pa.string()),
            "msgid": batch.column("msgid").take(take),
            "msgtime": batch.column("msgtime").take(take),
            "position": pa.array(found.start, pa.int32()),
            "length": pa.array(found.end - found.start, pa.int32()),
            "negated": pa.array(found.negated, pa.bool_()),
            "dictionary_version": pa.array([matcher.dictionary.version] * len(found.row), pa.string()),
        }
    )


def _rebuild_tags(con: duckdb.DuckDBPyConnection, dictionary: KeywordDictionary) -> None:
    labels = pa.table({"tag": [t.name for t in dictionary.tags], "label": [t.label for t in dictionary.tags]})
    con.register("_wd_keyword_labels", labels)
    con.execute(
        f"""CREATE OR REPLACE TABLE {TAGS_TABLE} AS
        SELECT e.customer_id, e.tag, l.label, count(*)::INTEGER AS mentions,
               min(e.msgtime) AS first_seen, max(e.msgtime) AS last_seen,
               any_value(e.dictionary_version) AS dictionary_version
        FROM {EVIDENCE_TABLE} e JOIN _wd_keyword_labels l USING (tag)
        WHERE NOT e.negated
        GROUP BY e.customer_id, e.tag, l.label"""
    )
    con.unregister("_wd_keyword_labels")


def run_chat_tags(
    con: duckdb.DuckDBPyConnection, dictionary: KeywordDictionary, full: bool = False, batch_rows: int = BATCH_ROWS
) -> ChatTagReport:
    """Tag the client messages loaded since the last run (all of them when ``full`` or the dictionary changed)."""
    current = _ensure_tables(con)
    rows = con.execute(f"SELECT dictionary_version, last_batch_id FROM {STATE_TABLE}").fetchall()
    state = rows[0] if rows else None
    full = full or not current or state is None or state[0] != dictionary.version
    since = 0 if full else int(state[1])
    newest = con.execute("SELECT coalesce(max(_batch_id), 0) FROM wecom_messages").fetchall()[0][0]
    report = ChatTagReport(full=full, last_batch_id=int(newest))
    matcher = KeywordMatcher(dictionary)
    con.execute("BEGIN TRANSACTION")
    try:
        if full:
            con.execute(f"DELETE FROM {EVIDENCE_TABLE}")
        reader = con.cursor().sql(CLIENT_MESSAGES + " AND m._batch_id <= ?", params=[since, newest])
        for batch in reader.to_arrow_reader(batch_rows):
            evidence = evidence_batch(batch, matcher)
            report.messages += batch.num_rows
            report.mentions += evidence.num_rows
            report.negated += int(np.count_nonzero(evidence.column("negated").to_numpy(zero_copy_only=False)))
            if evidence.num_rows:
                con.register("_wd_evidence", evidence)
                con.execute(f"INSERT INTO {EVIDENCE_TABLE} SELECT * FROM _wd_evidence")
                con.unregister("_wd_evidence")
        _rebuild_tags(con, dictionary)
        con.execute(f"DELETE FROM {STATE_TABLE}")
        con.execute(f"INSERT INTO {STATE_TABLE} VALUES (?, ?, now()::TIMESTAMP)", [dictionary.version, newest])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return report
