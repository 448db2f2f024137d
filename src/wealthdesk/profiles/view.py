"""A client's 360 view as a plain dict: profile, masked identity and tags.

This is what the CLI's ``wealthdesk profile`` prints and what the API and the
advisor sidebar will serve; personal data leaves it masked only.
"""

from __future__ import annotations

from typing import Any

import duckdb

from wealthdesk.errors import WealthdeskError
from wealthdesk.governance.masking import MASKS
from wealthdesk.schema import TABLES_BY_NAME
from wealthdesk.tags.chat_tags import evidence_snippet


class ClientNotFound(WealthdeskError):
    """No profile for the requested client."""


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def client_view(con: duckdb.DuckDBPyConnection, customer_id: str, reveal_name: bool = False) -> dict[str, Any]:
    """Profile, masked identity and tags (with category) of one client; raises ClientNotFound.

    ``reveal_name`` leaves the name whole (for the advisor serving the client); phone and ID number are
    always masked.
    """
    try:
        profile = _rows(con, "SELECT * FROM profiles WHERE customer_id = ?", [customer_id])
    except duckdb.CatalogException:
        raise ClientNotFound("no profiles in this store yet: run `wealthdesk run` first") from None
    if not profile:
        raise ClientNotFound(f"no client {customer_id!r} in the profiles (as of the last `wealthdesk run`)")
    pii = TABLES_BY_NAME["customers"].pii_columns
    identity = _rows(
        con,
        f"SELECT {', '.join(c.name for c in pii)}, gender, city FROM customers WHERE customer_id = ?",
        [customer_id],
    )[0]
    names = [identity["name"]]  # raw, only to mask the name where the client typed it in a chat
    for column in pii:
        if not (reveal_name and column.name == "name"):
            identity[column.name] = MASKS[column.pii](identity[column.name])
    tags = _rows(
        con,
        "SELECT tag, label, category, tag_version, as_of FROM customer_tags WHERE customer_id = ? "
        "ORDER BY category, tag",
        [customer_id],
    )
    return {"profile": profile[0], "identity": identity, "tags": tags, "chat_tags": _chat_tags(con, customer_id, names)}


EVIDENCE_SHOWN = 3  # latest mentions shown per chat tag


def _chat_tags(con: duckdb.DuckDBPyConnection, customer_id: str, names: list[str]) -> list[dict[str, Any]]:
    """Chat keyword tags with their latest evidence (msgid, time, snippet); empty before the first run."""
    try:
        tags = _rows(
            con,
            "SELECT tag, label, mentions, first_seen, last_seen FROM keyword_tags WHERE customer_id = ? "
            "ORDER BY last_seen DESC",
            [customer_id],
        )
        evidence = _rows(
            con,
            """SELECT e.tag, e.msgid, e.msgtime, e.keyword, m.content, e.position, e.length
               FROM keyword_tag_evidence e JOIN wecom_messages m USING (msgid)
               WHERE e.customer_id = ? AND NOT e.negated
               QUALIFY row_number() OVER (PARTITION BY e.tag ORDER BY e.msgtime DESC, e.msgid) <= ?
               ORDER BY e.msgtime DESC""",
            [customer_id, EVIDENCE_SHOWN],
        )
    except duckdb.CatalogException:
        return []
    for item in evidence:
        item["snippet"] = evidence_snippet(item.pop("content"), item.pop("position"), item.pop("length"), names)
    for tag in tags:
        tag["evidence"] = [e for e in evidence if e["tag"] == tag["tag"]]
    return tags
