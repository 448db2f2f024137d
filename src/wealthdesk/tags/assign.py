"""Who has which rule tag: the ``customer_tags`` table, one row per client and tag.

Each row carries the tag's category and the tag file version, so a change
in a rule is visible in the output; the table is rebuilt on every run.
"""

from __future__ import annotations

from datetime import date
from functools import reduce
from typing import Any

import ibis

from wealthdesk.tags.expression import to_ibis
from wealthdesk.tags.rules import TagBook

TAGS_TABLE = "customer_tags"
TAGS_SCHEMA = ibis.schema(
    {
        "customer_id": "string",
        "tag": "string",
        "label": "string",
        "category": "string",
        "tag_version": "string",
        "as_of": "date",
    }
)


def assign_rule_tags(profiles: Any, book: TagBook, as_of: date) -> Any:
    """Rows (customer_id, tag, label, category, tag_version, as_of) for every rule that holds, as one Ibis union."""
    parts = [
        profiles.filter(to_ibis(rule.expression, profiles)).select(
            "customer_id",
            tag=ibis.literal(rule.name),
            label=ibis.literal(rule.label),
            category=ibis.literal(rule.category),
            tag_version=ibis.literal(book.version),
            as_of=ibis.literal(as_of),
        )
        for rule in book.rules
    ]
    return reduce(lambda a, b: a.union(b), parts).cast(TAGS_SCHEMA)
