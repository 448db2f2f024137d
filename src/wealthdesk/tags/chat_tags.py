"""Chat keyword tags (数据回传): evidence per mention, tags per client, incremental on the store.

Reads the text messages that clients (never advisors) sent — a message is a
client's when its sender is an external contact matched to a client
(:func:`client_messages`) — in Arrow batches, matches them with
:class:`~wealthdesk.tags.matcher.KeywordMatcher` (:func:`evidence_batch`)
and keeps every mention in ``keyword_tag_evidence`` (msgid, time, keyword,
position, negated); :func:`evidence_snippet` cuts the context from the
message, with numbers and the client's name masked, when a view shows it.
Times are China wall-clock time to the second (UTC+8; the archive's
``msgtime`` is UTC milliseconds), as the advisor saw the message.
``keyword_tags`` (:func:`keyword_tags`) is derived from the evidence: one row
per client and tag with the number of (non-negated) mentions and the first
and last time seen.

The message query and the tag aggregation are Ibis expressions, so the same
code runs on DuckDB (here, batch by batch in-process) and on Spark (the
matcher as a ``mapInArrow`` stage, :mod:`wealthdesk.pipeline.engines`).

Incremental on the store: only messages loaded by ingest batches after the
last one processed are read (``_keyword_state`` remembers it, with the
dictionary version). A new dictionary version, or ``full=True``, re-tags
everything. Tagging a message again replaces its evidence, so a message is
never counted twice (the near-real-time path tags messages as they arrive,
and the next batch run sees them again).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import duckdb
import ibis
import pyarrow as pa

from wealthdesk.governance.masking import mask_free_text
from wealthdesk.profiles.facts import external_contacts, message_time
from wealthdesk.store.duckdb_store import columns_ddl
from wealthdesk.tags.dictionary import KeywordDictionary
from wealthdesk.tags.matcher import KeywordMatcher

EVIDENCE_TABLE = "keyword_tag_evidence"
TAGS_TABLE = "keyword_tags"
STATE_TABLE = "_keyword_state"
BATCH_ROWS = 500_000
SNIPPET_CONTEXT = 12  # characters shown on each side of a mention

EVIDENCE_SCHEMA = ibis.schema(
    {
        "customer_id": "!string",
        "tag": "!string",
        "keyword": "!string",
        "msgid": "!string",
        "msgtime": "!timestamp",
        "position": "!int32",
        "length": "!int32",
        "negated": "!boolean",
        "dictionary_version": "!string",
    }
)
_DDL = {
    EVIDENCE_TABLE: columns_ddl(EVIDENCE_SCHEMA),
    STATE_TABLE: "dictionary_version VARCHAR NOT NULL, last_batch_id BIGINT NOT NULL, processed_at TIMESTAMP",
}


def client_messages(backend: Any) -> Any:
    """(msgid, msgtime, content, customer_id) of every text message a client sent and did not recall (among the
    messages ``backend`` holds), as an Ibis table.

    On the store the ingest batch (``_batch_id``) comes along, for incremental runs.
    """
    m = backend.table("wecom_messages")
    m = m.filter((m.action == "send") & (m.msgtype == "text") & m.content.notnull())
    if "pre_msgid" in m.columns:  # a recalled message counts as never sent (tables older than recalls have none)
        recalls = backend.table("wecom_messages")
        m = m.filter(~m.msgid.isin(recalls.filter(recalls.pre_msgid.notnull()).pre_msgid))
    contacts = external_contacts(backend)
    m = m.join(contacts, m.sender == contacts.external_userid)
    lineage = ["_batch_id"] if "_batch_id" in m.columns else []
    return m.mutate(msgtime=message_time(m)).select("msgid", "msgtime", "content", "customer_id", *lineage)


def keyword_tags(evidence: Any, dictionary: KeywordDictionary) -> Any:
    """One row per client and tag from the (non-negated) evidence: mentions, first and last seen, label."""
    e = evidence.filter(~evidence.negated)
    tags = e.group_by(["customer_id", "tag"]).aggregate(
        mentions=e.count().cast("int32"),
        first_seen=e.msgtime.min(),
        last_seen=e.msgtime.max(),
        dictionary_version=e.dictionary_version.max(),
    )
    label = ibis.cases(*((tags.tag == t.name, t.label) for t in dictionary.tags), else_=tags.tag)
    return tags.mutate(label=label).select(
        "customer_id", "tag", "label", "mentions", "first_seen", "last_seen", "dictionary_version"
    )


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


def ensure_tables(con: duckdb.DuckDBPyConnection) -> bool:
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


def evidence_batch(
    batch: pa.RecordBatch, matcher: KeywordMatcher, terminated: bool = False, encoded: bool = False
) -> pa.Table:
    """Evidence rows for one batch of client messages (msgid, msgtime, content, customer_id).

    ``terminated``: every content ends with a newline (:func:`messages_query`
    adds it). No Python object per mention: every column is Arrow, and the
    columns repeated from the batch or the dictionary are dictionary arrays
    (indexes into the batch's column or the names) — plain strings unless
    ``encoded``, kept as they are for DuckDB, which reads them without a copy
    per mention (Spark's ``mapInArrow`` wants plain types).
    """
    found = matcher.match(batch.column("content"), terminated=terminated).columns()
    rows = found["row"]

    def repeated(name: str) -> pa.DictionaryArray:
        return pa.DictionaryArray.from_arrays(rows, batch.column(name))

    columns = {
        "customer_id": repeated("customer_id"),
        "tag": found["tag"],
        "keyword": found["keyword"],
        "msgid": repeated("msgid"),
        "msgtime": repeated("msgtime"),
        "position": found["position"],
        "length": found["length"],
        "negated": found["negated"],
        "dictionary_version": found["dictionary_version"],
    }
    if not encoded:
        columns = {
            name: column.dictionary_decode() if isinstance(column, pa.DictionaryArray) else column
            for name, column in columns.items()
        }
    return pa.Table.from_arrays(list(columns.values()), names=list(columns))


class EvidenceMapper:
    """:func:`evidence_batch` over a stream of Arrow batches: the function Spark's ``mapInArrow`` runs.

    Holds the dictionary (cheap to ship to executors) and builds the matcher
    on first use, once per Python worker.
    """

    def __init__(self, dictionary: KeywordDictionary) -> None:
        self.dictionary = dictionary
        self._matcher: KeywordMatcher | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"dictionary": self.dictionary, "_matcher": None}

    def __call__(self, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        if self._matcher is None:
            self._matcher = KeywordMatcher(self.dictionary)
        for batch in batches:
            yield from evidence_batch(batch, self._matcher).to_batches()


def newest_message_batch(con: duckdb.DuckDBPyConnection) -> int:
    """The newest ingest batch that loaded chat messages (0 when none)."""
    return int(con.execute("SELECT coalesce(max(_batch_id), 0) FROM wecom_messages").fetchall()[0][0])


def record_state(con: duckdb.DuckDBPyConnection, dictionary_version: str, last_batch_id: int) -> None:
    """Remember which dictionary tagged the messages, and up to which ingest batch."""
    forget_state(con)
    con.execute(f"INSERT INTO {STATE_TABLE} VALUES (?, ?, now()::TIMESTAMP)", [dictionary_version, last_batch_id])


def forget_state(con: duckdb.DuckDBPyConnection) -> None:
    """Forget what was tagged: the next run re-tags every message."""
    con.execute(f"DELETE FROM {STATE_TABLE}")


def sql(expr: Any) -> str:
    """An Ibis expression over the store as DuckDB SQL, to run inside the caller's transaction."""
    return str(ibis.to_sql(expr, dialect="duckdb"))


def _write_evidence(con: duckdb.DuckDBPyConnection, msgids: pa.Array, evidence: pa.Table, replace: bool) -> None:
    """Append the evidence of a batch of messages; with ``replace``, drop what those messages had before."""
    if replace:
        con.register("_wd_msgids", pa.table({"msgid": msgids}))
        con.execute(f"DELETE FROM {EVIDENCE_TABLE} WHERE msgid IN (SELECT msgid FROM _wd_msgids)")
        con.unregister("_wd_msgids")
    if evidence.num_rows:
        con.register("_wd_evidence", evidence)
        con.execute(f"INSERT INTO {EVIDENCE_TABLE} SELECT * FROM _wd_evidence")
        con.unregister("_wd_evidence")


def messages_query(messages: Any) -> str:
    """The SQL that :func:`tag_messages` reads, for ``messages`` (an Ibis table of :func:`client_messages`).

    Each content comes with a newline at the end: the matcher scans a batch as
    one text with the messages separated by newlines, and the Arrow buffer
    DuckDB hands over is then that text already (no copy).
    """
    line = messages.content + "\n"
    return sql(messages.select("msgid", "msgtime", content=line, customer_id=messages.customer_id))


def tag_messages(
    con: duckdb.DuckDBPyConnection,
    query: str,
    matcher: KeywordMatcher,
    report: ChatTagReport,
    batch_rows: int = BATCH_ROWS,
    replace: bool = True,
    stream: bool = True,
) -> None:
    """Match the messages ``query`` (a :func:`messages_query`) reads and store their evidence.

    The query ends each content with a newline, and the evidence goes to
    DuckDB dictionary-encoded (see :func:`evidence_batch`).
    ``replace=False`` skips looking for earlier evidence (the table was emptied for a full run).
    ``stream`` reads through a second connection, batch by batch, while this
    one writes; ``stream=False`` reads everything first on this connection,
    which sees its own temp tables and uncommitted rows (for a few messages).
    """
    if stream:
        batches: Iterable[pa.RecordBatch] = con.cursor().sql(query).to_arrow_reader(batch_rows)
    else:
        batches = con.sql(query).to_arrow_table().to_batches(batch_rows)
    for batch in batches:
        evidence = evidence_batch(batch, matcher, terminated=True, encoded=True)
        report.messages += batch.num_rows
        report.mentions += evidence.num_rows
        report.negated += sum(chunk.true_count for chunk in evidence.column("negated").chunks)
        _write_evidence(con, batch.column("msgid"), evidence, replace)


def drop_recalled_evidence(con: duckdb.DuckDBPyConnection, messages: str) -> list[str]:
    """Delete the evidence of every message a recall in ``messages`` (a table of wecom_messages rows) names in its
    ``pre_msgid``; the clients whose evidence went, whose keyword tags must be counted again. A table older than
    recalls (no ``pre_msgid``) recalls nothing."""
    found = con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE table_name = ? AND column_name = 'pre_msgid'", [messages]
    )
    if not found.fetchall()[0][0]:
        return []
    gone = con.execute(
        f"""DELETE FROM {EVIDENCE_TABLE}
            WHERE msgid IN (SELECT pre_msgid FROM {messages} WHERE pre_msgid IS NOT NULL) RETURNING customer_id"""
    ).fetchall()
    return sorted({customer for (customer,) in gone})


def run_chat_tags(
    con: duckdb.DuckDBPyConnection, dictionary: KeywordDictionary, full: bool = False, batch_rows: int = BATCH_ROWS
) -> ChatTagReport:
    """Tag the client messages loaded since the last run (all of them when ``full`` or the dictionary changed)."""
    current = ensure_tables(con)
    rows = con.execute(f"SELECT dictionary_version, last_batch_id FROM {STATE_TABLE}").fetchall()
    state = rows[0] if rows else None
    full = full or not current or state is None or state[0] != dictionary.version
    since = 0 if full else int(state[1])
    newest = newest_message_batch(con)
    report = ChatTagReport(full=full, last_batch_id=newest)
    backend = ibis.duckdb.from_connection(con)
    messages = client_messages(backend)
    messages = messages.filter((messages._batch_id > since) & (messages._batch_id <= newest))
    con.execute("BEGIN TRANSACTION")
    try:
        if full:
            con.execute(f"DELETE FROM {EVIDENCE_TABLE}")
        query = messages_query(messages)
        tag_messages(con, query, KeywordMatcher(dictionary), report, batch_rows, replace=not full)
        drop_recalled_evidence(con, "wecom_messages")  # recalls loaded since a message was tagged
        tags = keyword_tags(backend.table(EVIDENCE_TABLE), dictionary)
        con.execute(f"CREATE OR REPLACE TABLE {TAGS_TABLE} AS {sql(tags)}")
        record_state(con, dictionary.version, newest)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return report
