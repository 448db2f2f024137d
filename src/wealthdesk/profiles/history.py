"""Lifecycle stage history: one row per client and stage spell, with the dates it held.

``profile_stage_history`` has (customer_id, stage, valid_from, valid_to);
the open spell of a client has ``valid_to`` null. A run as of date D closes
the open spell of every client whose stage changed (valid_to = D) and opens a
new one from D. Runs are meant to move forward in time; re-running date D
(or an earlier date) first undoes what runs on or after D recorded, so the
history is the same however often a date is re-run.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import ibis

HISTORY_TABLE = "profile_stage_history"
HISTORY_SCHEMA = ibis.schema(
    {"customer_id": "string", "stage": "string", "valid_from": "date", "valid_to": "date"},
)


def next_history(previous: Any, profiles: Any, as_of: date) -> Any:
    """The stage history after a run as of ``as_of`` (an Ibis expression)."""
    day = ibis.literal(as_of)
    kept = previous.filter(previous.valid_from < day)
    kept = kept.mutate(valid_to=ibis.ifelse(kept.valid_to >= day, ibis.null("date"), kept.valid_to))
    open_spells = kept.filter(kept.valid_to.isnull()).select(open_id="customer_id", open_stage="stage")
    current = profiles.select("customer_id", current_stage="lifecycle_stage")
    compared = current.left_join(open_spells, current.customer_id == open_spells.open_id)
    changed = compared.filter(compared.open_stage.isnull() | (compared.open_stage != compared.current_stage))
    closing = changed.filter(changed.open_id.notnull()).select(closing_id="customer_id")
    marked = kept.left_join(closing, kept.customer_id == closing.closing_id)
    closed = marked.select(
        "customer_id",
        "stage",
        "valid_from",
        valid_to=ibis.ifelse(marked.valid_to.isnull() & marked.closing_id.notnull(), day, marked.valid_to),
    )
    opened = changed.select("customer_id", stage="current_stage", valid_from=day, valid_to=ibis.null("date"))
    return closed.union(opened).cast(HISTORY_SCHEMA)
