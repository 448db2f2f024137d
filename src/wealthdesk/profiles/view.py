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
from collections.abc import Callable
from typing import Any

import duckdb

from wealthdesk.errors import WealthdeskError
from wealthdesk.governance.masking import MASKS
from wealthdesk.schema import TABLES_BY_NAME
from wealthdesk.tags.chat_tags import evidence_snippet

EVIDENCE_SHOWN = 3  # latest mentions shown per chat tag

_PII = TABLES_BY_NAME["customers"].pii_columns
_IDENTITY = (*(c.name for c in _PII), "gender", "city")
# The columns access.scope.client_filter's conditions refer to (alias c); a condition on any other column fails
# loudly with a binder error rather than letting a client through.
_SCOPE_COLUMNS = ("advisor_id", "branch_id")
_IDENTITY_SQL = f"SELECT {', '.join(_IDENTITY)} FROM customers WHERE customer_id = ?"
_SCOPED_IDENTITY_SQL = (
    f"WITH c AS MATERIALIZED (SELECT {', '.join((*_IDENTITY, *_SCOPE_COLUMNS))} FROM customers WHERE customer_id = ?) "
    f"SELECT {', '.join(_IDENTITY)} FROM c WHERE {{scope}}"
)
_TAG_COLUMNS = ("tag", "label", "category", "tag_version", "as_of")
_CHAT_TAG_COLUMNS = ("tag", "label", "mentions", "first_seen", "last_seen")
_TAGS_SQL = f"SELECT {', '.join(_TAG_COLUMNS)} FROM customer_tags WHERE customer_id = ? ORDER BY category, tag"
# kind 0: rule tags, 1: chat tags, 2: chat evidence; sorted here rather than by DuckDB (an ORDER BY over the union
# costs more than the three scans)
_TAGS_AND_CHAT_SQL = """
SELECT 0 AS kind, tag, label, category, tag_version, as_of,
       NULL AS mentions, NULL AS first_seen, NULL AS last_seen,
       NULL AS msgid, NULL AS msgtime, NULL AS keyword, NULL AS position, NULL AS length, NULL AS negated
  FROM customer_tags WHERE customer_id = $1
UNION ALL
SELECT 1, tag, label, NULL, NULL, NULL, mentions, first_seen, last_seen, NULL, NULL, NULL, NULL, NULL, NULL
  FROM keyword_tags WHERE customer_id = $1
UNION ALL
SELECT 2, tag, NULL, NULL, NULL, NULL, NULL, NULL, NULL, msgid, msgtime, keyword, position, length, negated
  FROM keyword_tag_evidence WHERE customer_id = $1"""


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
    try:
        profile = _rows(con, "SELECT * FROM profiles WHERE customer_id = ?", [customer_id])
    except duckdb.CatalogException:
        raise ClientNotFound("no profiles in this store yet: run `wealthdesk run` first") from None
    if not profile or not found:
        raise ClientNotFound(f"no client {customer_id!r} in the profiles (as of the last `wealthdesk run`)")
    identity = found[0]
    names = [identity["name"]]  # raw, only to mask the name where the client typed it in a chat
    for column in _PII:
        if not (reveal_name and column.name == "name"):
            identity[column.name] = MASKS[column.pii](identity[column.name])
    tags, chat_tags = _tags(con, customer_id, names)
    return {"profile": profile[0], "identity": identity, "tags": tags, "chat_tags": chat_tags}


def _tags(
    con: duckdb.DuckDBPyConnection, customer_id: str, names: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rule tags, and chat keyword tags with their latest evidence (msgid, time, snippet; empty before a run)."""
    try:
        rows = _execute(con, _TAGS_AND_CHAT_SQL, [customer_id]).fetchall()
    except duckdb.CatalogException:  # no chat tags in this store yet
        return _rows(con, _TAGS_SQL, [customer_id]), []
    # the orders SQL would give: ORDER BY category, tag / last_seen DESC / msgtime DESC, msgid (NULLS LAST)
    tags = [dict(zip(_TAG_COLUMNS, r[1:6], strict=True)) for r in rows if r[0] == 0]
    tags.sort(key=lambda t: (t["category"] is None, t["category"] or "", t["tag"] is None, t["tag"] or ""))
    chat_tags = [dict(zip(_CHAT_TAG_COLUMNS, (r[1], r[2], *r[6:9]), strict=True)) for r in rows if r[0] == 1]
    chat_tags = _descending(chat_tags, lambda t: t["last_seen"])
    # (tag, msgid, msgtime, keyword, position, length) of the mentions that count (not negated), latest first
    mentions = [(r[1], *r[9:14]) for r in rows if r[0] == 2 and not r[14]]
    mentions = _descending(sorted(mentions, key=lambda m: m[1]), lambda m: m[2])
    shown = _latest(mentions, lambda _m: True)
    contents = _contents(con, [m[1] for m in shown])
    if any(m[1] not in contents for m in shown):  # a message gone: the next mention of its tag is shown instead
        contents = _contents(con, [m[1] for m in mentions])
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


def _contents(con: duckdb.DuckDBPyConnection, msgids: list[str]) -> dict[str, str]:
    """msgid → message text, for the messages that exist."""
    if not msgids:
        return {}
    unique = list(dict.fromkeys(msgids))
    sql = f"SELECT msgid, content FROM wecom_messages WHERE msgid IN ({', '.join('?' * len(unique))})"
    return dict(_execute(con, sql, unique).fetchall())
