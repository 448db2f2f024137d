"""A client's 360 view as a plain dict: profile, masked identity and tags.

This is what the CLI's ``wealthdesk profile`` prints and what the API and the
advisor sidebar serve; personal data leaves it masked only.

**Why it is three or four statements.** The API serves this view for every
client an advisor opens, and on a 1M-client store every DuckDB statement
costs: ~0.3 ms to parse, plan and start even ``SELECT 1`` from Python, and
~20 µs more per column of the result (the 62-column profile: ~2 ms before a
row is read). A point lookup is cheap only as an ART index scan
(:data:`wealthdesk.store.duckdb_store.SERVING_INDEXES`), which DuckDB picks
only when the key equality is the scan's *one* filter: ``customer_id = ? AND
NOT negated`` or ``… AND advisor_id = ?`` scans the whole table (6–30 ms
instead of ~1 ms). So the scope condition is applied to a MATERIALIZED
one-row CTE rather than pushed into the customers scan; rule tags, chat
tags and chat evidence come back from one UNION ALL of three index scans,
and the negated mentions, the order and the latest three per tag are sorted
out here; the evidence messages are fetched by ``msgid IN (…)`` (an index
scan) instead of a join (a hash join reads all 3M messages); and each
thread parses each statement once (:func:`_execute`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import duckdb

from wealthdesk.errors import WealthdeskError
from wealthdesk.governance.masking import MASKS
from wealthdesk.profiles.columns import PROFILES
from wealthdesk.schema import TABLES_BY_NAME
from wealthdesk.tags.chat_tags import evidence_snippet

EVIDENCE_SHOWN = 3  # latest mentions shown per chat tag
PROFILES_TABLE = PROFILES.name

_PII = TABLES_BY_NAME["customers"].pii_columns
_NAME = next(c for c in _PII if c.name == "name")
_IDENTITY = (*(c.name for c in _PII), "gender", "city")
# The columns access.scope.client_filter's conditions refer to (alias c); a condition on any other column fails
# loudly with a binder error rather than letting a client through.
_SCOPE_COLUMNS = ("advisor_id", "branch_id")
_IDENTITY_SQL = f"SELECT {', '.join(_IDENTITY)} FROM customers WHERE customer_id = ?"
_SCOPED_IDENTITY_SQL = (
    f"WITH c AS MATERIALIZED (SELECT {', '.join((*_IDENTITY, *_SCOPE_COLUMNS))} FROM customers WHERE customer_id = ?) "
    f"SELECT {', '.join(_IDENTITY)} FROM c WHERE {{scope}}"
)
# identity with the scope columns, of one client ({key} "= $1") or of a range of them ("BETWEEN $1 AND $2")
_RECORD_IDENTITY_SQL = (
    f"SELECT customer_id, {', '.join((*_IDENTITY, *_SCOPE_COLUMNS))} FROM customers WHERE customer_id {{key}}"
)
_EVIDENCE_CONTENTS_SQL = """SELECT DISTINCT m.msgid, m.content
  FROM keyword_tag_evidence e JOIN wecom_messages m USING (msgid)
  WHERE e.customer_id BETWEEN ? AND ? AND NOT e.negated"""
_TAG_COLUMNS = ("tag", "label", "category", "tag_version", "as_of")
_CHAT_TAG_COLUMNS = ("tag", "label", "mentions", "first_seen", "last_seen")
# One row shape for rule tags (kind 0), chat tags (1) and chat evidence (2), the client's id last; sorted here
# rather than by DuckDB (an ORDER BY over the union costs more than the three scans). {key} is "= $1" for one
# client (an index scan) or "BETWEEN $1 AND $2" for a range of them (all_client_views).
_RULE_TAG_ROWS = """
SELECT 0 AS kind, tag, label, category, tag_version, as_of,
       NULL AS mentions, NULL AS first_seen, NULL AS last_seen,
       NULL AS msgid, NULL AS msgtime, NULL AS keyword, NULL AS position, NULL AS length, NULL AS negated, customer_id
  FROM customer_tags WHERE customer_id {key}"""
_TAG_ROWS = f"""{_RULE_TAG_ROWS}
UNION ALL
SELECT 1, tag, label, NULL, NULL, NULL, mentions, first_seen, last_seen, NULL, NULL, NULL, NULL, NULL, NULL, customer_id
  FROM keyword_tags WHERE customer_id {{key}}
UNION ALL
SELECT 2, tag, NULL, NULL, NULL, NULL, NULL, NULL, NULL, msgid, msgtime, keyword, position, length, negated, customer_id
  FROM keyword_tag_evidence WHERE customer_id {{key}}"""
_ONE = "= $1"
_CHAT_TABLES = {"keyword_tags", "keyword_tag_evidence", "wecom_messages"}
_RANGE = "BETWEEN $1 AND $2"


class ClientNotFound(WealthdeskError):
    """No profile for the requested client."""


class ClientOutOfScope(ClientNotFound):
    """The client does not exist or is not among the clients the user may see (the two are told apart nowhere)."""


_parsed = threading.local()  # per thread: SQL text → DuckDB statement, parsed once


def _execute(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> duckdb.DuckDBPyConnection:
    """``con.execute(sql, params)`` without parsing ``sql`` again: DuckDB's parser takes 0.1–0.6 ms a statement."""
    statements: dict[str, duckdb.Statement] = _parsed.__dict__.setdefault("statements", {})
    statement = statements.get(sql)
    if statement is None:
        if len(statements) >= 64:  # the IN lists of _contents vary in length; keep the cache small
            statements.clear()
        statement = statements[sql] = con.extract_statements(sql)[0]
    return con.execute(statement, params)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = _execute(con, sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def client_view(
    con: duckdb.DuckDBPyConnection,
    customer_id: str,
    reveal_name: bool = False,
    *,
    scope: tuple[str, list[Any]] | None = None,
) -> dict[str, Any]:
    """Profile, masked identity and tags (with category) of one client; raises ClientNotFound.

    ``reveal_name`` leaves the name whole (for the advisor serving the client); phone and ID number are
    always masked. ``scope`` is a condition on the customers table aliased ``c`` and its parameters
    (:func:`wealthdesk.access.scope.client_filter`): a client outside it raises ClientOutOfScope, exactly
    as a client that does not exist.
    """
    if scope is None or scope[0] == "true":  # everyone in scope: no CTE needed
        found = _rows(con, _IDENTITY_SQL, [customer_id])
    else:
        condition, params = scope
        found = _rows(con, _SCOPED_IDENTITY_SQL.format(scope=condition), [customer_id, *params])
    if scope is not None and not found:
        raise ClientOutOfScope(f"no client {customer_id!r} among the clients you may see")
    profile = _profile(con, customer_id)
    if profile is None or not found:
        raise ClientNotFound(f"no client {customer_id!r} in the profiles (as of the last `wealthdesk run`)")
    return _assemble(found[0], profile, _tag_rows(con, _ONE, [customer_id]), _store_contents(con), reveal_name)


@dataclass(frozen=True)
class ClientRecord:
    """One client's 360 view with the name whole, and the columns a user's scope is decided on
    (:func:`wealthdesk.access.scope.may_see`): what a server keeps to answer any user for this client."""

    customer_id: str
    advisor_id: str | None
    branch_id: str | None
    view: dict[str, Any]


def client_record(
    con: duckdb.DuckDBPyConnection,
    customer_id: str,
    visible: Callable[[str | None, str | None], bool] = lambda _advisor, _branch: True,
) -> ClientRecord:
    """One client's record. ``visible(advisor_id, branch_id)`` decides whether the caller may see the client
    (:func:`wealthdesk.access.scope.may_see`); a client it refuses raises ClientOutOfScope after the same one
    statement as a client that does not exist, so neither the answer nor its time tells them apart. A client
    without a profile raises ClientNotFound."""
    found = _rows(con, _RECORD_IDENTITY_SQL.format(key=_ONE), [customer_id])
    if not found or not visible(found[0]["advisor_id"], found[0]["branch_id"]):
        raise ClientOutOfScope(f"no client {customer_id!r} among the clients you may see")
    identity = found[0]
    del identity["customer_id"]
    advisor_id, branch_id = (identity.pop(c) for c in _SCOPE_COLUMNS)
    profile = _profile(con, customer_id)
    if profile is None:
        raise ClientNotFound(f"no client {customer_id!r} in the profiles (as of the last `wealthdesk run`)")
    view = _assemble(identity, profile, _tag_rows(con, _ONE, [customer_id]), _store_contents(con), True)
    return ClientRecord(customer_id, advisor_id, branch_id, view)


def all_client_records(con: duckdb.DuckDBPyConnection, clients_per_query: int = 20_000) -> Iterator[ClientRecord]:
    """Every profiled client's record, in client-number order, read in one transaction on a cursor of its own
    (one consistent snapshot however long the caller takes).

    The same rows and the same assembly as :func:`client_record`, read for a range of clients per statement:
    one client per statement would take about an hour for a million clients, a range takes seconds. Which tables
    exist is looked up first: a failed statement would abort the transaction.
    """
    tables = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()}
    if PROFILES_TABLE not in tables:
        return
    chat = tables >= _CHAT_TABLES
    cursor = con.cursor()
    try:
        cursor.begin()
        ids = [i for (i,) in cursor.execute(f"SELECT customer_id FROM {PROFILES_TABLE} ORDER BY 1").fetchall()]
        for start in range(0, len(ids), clients_per_query):
            bounds = [ids[start], ids[min(start + clients_per_query, len(ids)) - 1]]
            yield from _records_between(cursor, bounds, chat)
        cursor.commit()
    finally:
        cursor.close()


def _records_between(cursor: duckdb.DuckDBPyConnection, bounds: list[str], chat: bool) -> Iterator[ClientRecord]:
    identities = {r.pop("customer_id"): r for r in _rows(cursor, _RECORD_IDENTITY_SQL.format(key=_RANGE), bounds)}
    profiles = _rows(cursor, f"SELECT * FROM {PROFILES_TABLE} WHERE customer_id {_RANGE}", bounds)
    tag_rows: dict[str, list[tuple[Any, ...]]] = {}
    for row in _execute(cursor, (_TAG_ROWS if chat else _RULE_TAG_ROWS).format(key=_RANGE), bounds).fetchall():
        tag_rows.setdefault(row[-1], []).append(row)
    found = dict(_execute(cursor, _EVIDENCE_CONTENTS_SQL, bounds).fetchall()) if chat else {}
    contents = lambda msgids: {m: found[m] for m in msgids if m in found}  # noqa: E731
    for profile in profiles:
        customer_id = profile["customer_id"]
        identity = identities.get(customer_id)
        if identity is None:  # a profile whose client has left the customers table
            continue
        advisor_id, branch_id = (identity.pop(c) for c in _SCOPE_COLUMNS)
        view = _assemble(identity, profile, tag_rows.get(customer_id, []), contents, True)
        yield ClientRecord(customer_id, advisor_id, branch_id, view)


def _profile(con: duckdb.DuckDBPyConnection, customer_id: str) -> dict[str, Any] | None:
    try:
        found = _rows(con, f"SELECT * FROM {PROFILES_TABLE} WHERE customer_id = ?", [customer_id])
    except duckdb.CatalogException:
        raise ClientNotFound("no profiles in this store yet: run `wealthdesk run` first") from None
    return found[0] if found else None


def _assemble(
    identity: dict[str, Any],
    profile: dict[str, Any],
    tag_rows: list[tuple[Any, ...]],
    contents_of: Callable[[list[str]], dict[str, str]],
    reveal_name: bool,
) -> dict[str, Any]:
    """The view from one client's rows: identity masked (the name too unless ``reveal_name``), tags, chat tags."""
    names = [identity["name"]]  # raw, only to mask the name where the client typed it in a chat
    identity = dict(identity)
    for column in _PII:
        if column.name != "name":
            identity[column.name] = MASKS[column.pii](identity[column.name])
    if not reveal_name:
        identity = hide_name(identity)
    tags, chat_tags = _tags(tag_rows, contents_of, names)
    return {"profile": profile, "identity": identity, "tags": tags, "chat_tags": chat_tags}


def hide_name(identity: dict[str, Any]) -> dict[str, Any]:
    """The identity as everyone but the client's advisor and branch manager sees it: the name masked too (张*)."""
    return {**identity, "name": MASKS[_NAME.pii](identity["name"])}


def _tag_rows(con: duckdb.DuckDBPyConnection, key: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """Rule tags, chat tags and chat evidence (see _TAG_ROWS) of the clients ``key`` picks."""
    try:
        return _execute(con, _TAG_ROWS.format(key=key), params).fetchall()
    except duckdb.CatalogException:  # no chat tags in this store yet
        return _execute(con, _RULE_TAG_ROWS.format(key=key), params).fetchall()


def _tags(
    rows: list[tuple[Any, ...]], contents_of: Callable[[list[str]], dict[str, str]], names: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rule tags, and chat keyword tags with their latest evidence (msgid, time, snippet; empty before a run)."""
    # the orders SQL would give: ORDER BY category, tag / last_seen DESC / msgtime DESC, msgid (NULLS LAST)
    tags = [dict(zip(_TAG_COLUMNS, r[1:6], strict=True)) for r in rows if r[0] == 0]
    tags.sort(key=lambda t: (t["category"] is None, t["category"] or "", t["tag"] is None, t["tag"] or ""))
    chat_tags = [dict(zip(_CHAT_TAG_COLUMNS, (r[1], r[2], *r[6:9]), strict=True)) for r in rows if r[0] == 1]
    # ties broken by tag, and mentions by message and place: the order never depends on how the rows were read
    chat_tags = _descending(sorted(chat_tags, key=lambda t: t["tag"]), lambda t: t["last_seen"])
    # (tag, msgid, msgtime, keyword, position, length) of the mentions that count (not negated), latest first
    mentions = [(r[1], *r[9:14]) for r in rows if r[0] == 2 and not r[14]]
    mentions = _descending(sorted(mentions, key=lambda m: (m[1], m[4], m[0])), lambda m: m[2])
    shown = _latest(mentions, lambda _m: True)
    contents = contents_of([m[1] for m in shown])
    if any(m[1] not in contents for m in shown):  # a message gone: the next mention of its tag is shown instead
        contents = contents_of([m[1] for m in mentions])
        shown = _latest(mentions, lambda m: m[1] in contents)
    evidence: dict[str, list[dict[str, Any]]] = {}
    for tag, msgid, msgtime, keyword, position, length in shown:
        snippet = evidence_snippet(contents[msgid], position, length, names)
        evidence.setdefault(tag, []).append(
            {"tag": tag, "msgid": msgid, "msgtime": msgtime, "keyword": keyword, "snippet": snippet}
        )
    for tag in chat_tags:
        tag["evidence"] = evidence.get(tag["tag"], [])
    return tags, chat_tags


def _descending(items: list[Any], key: Callable[[Any], Any]) -> list[Any]:
    """``items`` by ``key`` descending, None last, ties in their given order (a stable sort)."""
    return sorted((i for i in items if key(i) is not None), key=key, reverse=True) + [
        i for i in items if key(i) is None
    ]


def _latest(mentions: list[tuple[Any, ...]], usable: Callable[[tuple[Any, ...]], bool]) -> list[tuple[Any, ...]]:
    """The first EVIDENCE_SHOWN usable mentions of each tag, in the given (latest first) order."""
    taken: dict[str, int] = {}
    shown = []
    for mention in mentions:
        if usable(mention) and taken.get(mention[0], 0) < EVIDENCE_SHOWN:
            taken[mention[0]] = taken.get(mention[0], 0) + 1
            shown.append(mention)
    return shown


def _store_contents(con: duckdb.DuckDBPyConnection) -> Callable[[list[str]], dict[str, str]]:
    """msgids → {msgid: message text} for the messages that exist, looked up in the store."""

    def contents(msgids: list[str]) -> dict[str, str]:
        if not msgids:
            return {}
        unique = list(dict.fromkeys(msgids))
        sql = f"SELECT msgid, content FROM wecom_messages WHERE msgid IN ({', '.join('?' * len(unique))})"
        return dict(_execute(con, sql, unique).fetchall())

    return contents
