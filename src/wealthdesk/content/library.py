"""The content library: research reports (研报), advisor views (投顾观点), events (活动), investor education (投教).

Contents live in the store's ``contents`` table and arrive like every other
table: ingest loads a brokerage's files under the data contract, and
``wealthdesk content add`` adds a file of them (or one) through the same
contract. Before the contract, ``add`` holds contents to what matching
relies on, and refuses the whole file with every problem listed if any breaks
it (an operator fixes and adds again; re-adding a content replaces it); a row
the contract then refuses (a malformed code, say) is quarantined with its
reason, as ingest does, and reported:

- the content type is one of research_report, advisor_view, event,
  investor_education; a risk level, when given, is R1–R5 (it is the level of
  the product the content promotes, and what suitability is decided on);
- every content but investor education has an expiry date: research goes
  stale and events end, and an expired content is never pushed. Investor
  education may have none: it stays valid until withdrawn;
- the expiry is not before the publish date.

A content loaded by ingest without an expiry (the contract allows it) is
handled, not refused: matching treats it as expiring ``DEFAULT_SHELF_LIFE_DAYS``
after publication, and ``content list`` says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import duckdb

from wealthdesk.errors import WealthdeskError
from wealthdesk.ingest.load import ingest_records
from wealthdesk.schema.columns import CONTENT_TYPES, RISK_LEVELS_PRODUCT

EVERGREEN = "investor_education"  # the one content type that may have no expiry
DEFAULT_SHELF_LIFE_DAYS = 90  # a non-education content loaded without an expiry is pushed this long after publishing


class ContentError(WealthdeskError):
    """Contents that cannot be added; lists every problem found."""


@dataclass(frozen=True)
class AddReport:
    """What ``add_contents`` did."""

    added: int
    replaced: int
    quarantined: int = 0
    reasons: tuple[str, ...] = ()  # the contract's, for quarantined rows


def expiry_of(content_type: str, publish: date, expiry: date | None) -> date | None:
    """The last day a content may be pushed: its expiry, none for investor education without one, else the
    default shelf life after publication."""
    if expiry is not None or content_type == EVERGREEN:
        return expiry
    return publish + timedelta(days=DEFAULT_SHELF_LIFE_DAYS)


def content_problems(record: Mapping[str, Any], where: str) -> list[str]:
    """What stops one content from being added (empty when it may be)."""
    problems = []
    content_id = record.get("content_id") or "(no content_id)"
    head = f"{where} {content_id}"
    kind = record.get("content_type")
    if kind not in CONTENT_TYPES:
        problems.append(f"{head}: content_type {kind!r} is not one of {', '.join(CONTENT_TYPES)}")
    risk = record.get("risk_level")
    if risk not in (None, "", *RISK_LEVELS_PRODUCT):
        problems.append(
            f"{head}: risk_level {risk!r} is unknown: R1–R5 for the product it promotes, or none if it promotes none"
        )
    publish, expiry = _day(record.get("publish_date")), _day(record.get("expiry_date"))
    if publish is None:
        problems.append(f"{head}: publish_date is missing or not a date (YYYY-MM-DD)")
    if record.get("expiry_date") not in (None, "") and expiry is None:
        problems.append(f"{head}: expiry_date {record.get('expiry_date')!r} is not a date (YYYY-MM-DD)")
    elif expiry is None and kind in CONTENT_TYPES and kind != EVERGREEN:
        problems.append(f"{head}: a {kind} needs an expiry_date (only investor education may have none)")
    if publish and expiry and expiry < publish:
        problems.append(f"{head}: expiry_date {expiry} is before publish_date {publish}")
    return problems


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value not in (None, "") else None
    except ValueError:
        return None


def add_contents(con: duckdb.DuckDBPyConnection, records: Iterable[Mapping[str, Any]]) -> AddReport:
    """Add (or replace, by content_id) contents after checking every one; nothing is added if any is refused."""
    rows = [dict(r) for r in records]
    if not rows:
        raise ContentError("no contents given")
    problems = [p for n, r in enumerate(rows, start=1) for p in content_problems(r, f"content {n}")]
    ids = [r.get("content_id") for r in rows]
    twice = sorted({i for i in ids if i and ids.count(i) > 1})
    if twice:
        problems.append(f"content_id given more than once: {', '.join(twice)}")
    if problems:
        raise ContentError("no content was added:\n  " + "\n  ".join(problems))
    existing = {
        r[0]
        for r in con.execute("SELECT content_id FROM contents WHERE content_id IN (SELECT unnest(?))", [ids]).fetchall()
    }
    result = ingest_records(con, "contents", rows)
    if result.error:
        raise ContentError(f"no content was added: {result.error}")
    refused = con.execute("SELECT line, reason FROM _quarantine WHERE batch_id = ? ORDER BY line", [result.batch_id])
    refused_rows = refused.fetchall()
    stored = set(ids) - {rows[line - 1].get("content_id") for line, _ in refused_rows if line}
    return AddReport(
        added=len(stored - existing),
        replaced=len(stored & existing),
        quarantined=result.rows_quarantined,
        reasons=tuple(f"content {line}: {reason}" for line, reason in refused_rows),
    )


def list_contents(
    con: duckdb.DuckDBPyConnection, active_on: date | None = None, content_type: str | None = None
) -> list[dict[str, Any]]:
    """Contents newest first, with the last day each may be pushed; ``active_on``: only those pushable that day."""
    if content_type is not None and content_type not in CONTENT_TYPES:
        raise ContentError(f"content type {content_type!r} is not one of {', '.join(CONTENT_TYPES)}")
    cursor = con.execute(
        """SELECT content_id, content_type, title, topics, related_codes, risk_level, publish_date, expiry_date, author
           FROM contents WHERE (? IS NULL OR content_type = ?) ORDER BY publish_date DESC, content_id""",
        [content_type, content_type],
    )
    names = [d[0] for d in cursor.description]
    out = []
    for row in cursor.fetchall():
        item = dict(zip(names, row, strict=True))
        item["pushable_until"] = expiry_of(item["content_type"], item["publish_date"], item["expiry_date"])
        item["shelf_life_default"] = item["expiry_date"] is None and item["content_type"] != EVERGREEN
        last = item["pushable_until"]
        if active_on is None or (item["publish_date"] <= active_on and (last is None or active_on <= last)):
            out.append(item)
    return out
