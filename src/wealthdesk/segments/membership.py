"""Who is in a segment: the expression evaluated on profiles with the tags it tests as boolean columns.

Written in Ibis like the rest of the pipeline, so it runs on DuckDB and Spark.
Rule tags come from ``customer_tags`` and chat tags from ``keyword_tags``;
only the tags the expression uses are joined.
"""

from __future__ import annotations

from typing import Any

import ibis

from wealthdesk.segments.definitions import Segment, SegmentError
from wealthdesk.tags.expression import tag_column, to_ibis

MEMBER_COLUMNS = ("customer_id", "branch_id", "advisor_id", "lifecycle_stage", "aum")


def _tag_holders(backend: Any, tag: str) -> Any:
    """customer_id of every client that has ``tag`` (a rule tag or a chat tag)."""
    parts = []
    for table in ("customer_tags", "keyword_tags"):
        try:
            t = backend.table(table)
        except ibis.common.exceptions.TableNotFound:
            continue
        parts.append(t.filter(t.tag == tag).select("customer_id"))
    if not parts:
        raise SegmentError("no tags in this store yet: run `wealthdesk run` first")
    holders = parts[0] if len(parts) == 1 else parts[0].union(parts[1])
    return holders.distinct().mutate(**{tag_column(tag): ibis.literal(True)})


def segment_members(backend: Any, segment: Segment) -> Any:
    """Members of ``segment`` as an Ibis table (MEMBER_COLUMNS), by customer_id."""
    try:
        profiles = backend.table("profiles")
    except ibis.common.exceptions.TableNotFound:
        raise SegmentError("no profiles in this store yet: run `wealthdesk run` first") from None
    table = profiles
    for tag in sorted(segment.expression.tags):
        table = table.left_join(_tag_holders(backend, tag), "customer_id").drop("customer_id_right")
        table = table.mutate(**{tag_column(tag): table[tag_column(tag)].fill_null(False)})
    return table.filter(to_ibis(segment.expression, table)).select(*MEMBER_COLUMNS).order_by("customer_id")


MEMBERS_TABLE = "segment_members"


def all_segment_members(backend: Any, segments: list[Segment], as_of: Any) -> Any | None:
    """Members of every saved segment, one row per (segment, client), or None when there are no segments."""
    parts = [
        segment_members(backend, segment).select(
            segment=ibis.literal(segment.name), customer_id="customer_id", advisor_id="advisor_id"
        )
        for segment in segments
    ]
    if not parts:
        return None
    union = parts[0]
    for part in parts[1:]:
        union = union.union(part)
    return union.mutate(as_of=ibis.literal(as_of))
