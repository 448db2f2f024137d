"""Customer 360: one Ibis expression that builds the profile table as of a date.

``build_profiles(backend, as_of)`` joins the per-source facts of
:mod:`wealthdesk.profiles.facts` onto the client list, derives shares,
recencies and the lifecycle stage, and returns exactly the columns of
:data:`wealthdesk.profiles.columns.PROFILES` in their declared types. The
backend is any Ibis backend holding the store's tables (DuckDB by default,
Spark for large deployments), so the same code builds the same profiles on
both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import ibis

from wealthdesk.profiles import facts
from wealthdesk.profiles.columns import PROFILES
from wealthdesk.profiles.lifecycle import LifecycleRules, lifecycle_stage
from wealthdesk.schema.model import ColumnType, Table
from wealthdesk.suitability.rules import ASSESSMENT_VALID_DAYS

_IBIS_TYPES = {
    ColumnType.STRING: "string",
    ColumnType.INT: "int32",
    ColumnType.BIGINT: "int64",
    ColumnType.DOUBLE: "float64",
    ColumnType.MONEY: "float64",
    ColumnType.PRICE: "float64",
    ColumnType.DATE: "date",
    ColumnType.TIMESTAMP: "timestamp",
    ColumnType.BOOL: "boolean",
}


@dataclass(frozen=True)
class ProfileRules:
    """Everything a profile build depends on besides the data."""

    as_of: date
    assessment_valid_days: int = ASSESSMENT_VALID_DAYS
    lifecycle: LifecycleRules = field(default_factory=LifecycleRules)


def latest_snapshot(backend: Any, as_of: date) -> date | None:
    """The newest holdings snapshot on or before ``as_of`` (None when there is none)."""
    h = backend.table("holdings")
    return backend.to_pyarrow(h.filter(h.snapshot_date <= as_of).snapshot_date.max()).as_py()


def conform(expr: Any, table: Table) -> Any:
    """Exactly ``table``'s columns, in order, cast to their declared types."""
    return expr.select(*(expr[c.name].cast(_IBIS_TYPES[c.type]).name(c.name) for c in table.columns))


def _clients(backend: Any, rules: ProfileRules, period: facts.Period) -> Any:
    c = backend.table("customers")
    c = c.filter(c.registered_at.date() <= rules.as_of)
    as_of = rules.as_of
    birthday_to_come = (c.birth_date.month() > as_of.month) | (
        (c.birth_date.month() == as_of.month) & (c.birth_date.day() > as_of.day)
    )
    # the store keeps only the latest assessment: one made after the as-of date was not known then
    assessed = c.risk_level.notnull() & c.risk_assessed_date.notnull() & (c.risk_assessed_date <= as_of)
    return c.select(
        "customer_id",
        "branch_id",
        "advisor_id",
        "investor_type",
        risk_level=ibis.ifelse(assessed, c.risk_level, ibis.null("string")),
        risk_assessed_date=ibis.ifelse(assessed, c.risk_assessed_date, ibis.null("date")),
        as_of=ibis.literal(as_of),
        age=as_of.year - c.birth_date.year() - ibis.ifelse(birthday_to_come, 1, 0),
        days_since_registered=period.days_before(c.registered_at.date()),
        risk_level_rank=ibis.ifelse(assessed, c.risk_level.substr(1).cast("int32"), ibis.null("int32")),
        risk_assessment_valid=assessed & (period.days_before(c.risk_assessed_date) <= rules.assessment_valid_days),
    )


_EMPTY = {ColumnType.DOUBLE: 0.0, ColumnType.INT: 0, ColumnType.BOOL: False}


def _fill_required(p: Any) -> Any:
    """A client with no rows in a source has 0 / false there, not unknown (required columns only)."""
    present = set(p.columns)
    wanted = [c for c in PROFILES.columns if c.required and c.type in _EMPTY and c.name in present]
    return p.mutate(**{c.name: p[c.name].fill_null(_EMPTY[c.type]) for c in wanted})


def build_profiles(backend: Any, rules: ProfileRules) -> Any:
    """The profile table as of ``rules.as_of``, as an Ibis expression over ``backend``."""
    period = facts.Period(rules.as_of)
    snapshot = latest_snapshot(backend, rules.as_of)
    p = _clients(backend, rules, period)
    for part in (
        facts.permissions(backend, period),
        facts.positions(backend, period, snapshot),
        facts.trading(backend, period),
        facts.cash(backend, period),
        facts.app_activity(backend, period),
        facts.chats(backend, period),
        facts.wecom_relationship(backend, period),
    ):
        p = p.left_join(part, "customer_id").drop("customer_id_right")
    p = _fill_required(p)
    aum = p.stock_value + p.fund_value + p.cash_value
    share = {
        f"{k}_share": ibis.ifelse(aum > 0, p[f"{k}_value"] / aum, ibis.null("float64"))
        for k in ("stock", "fund", "cash")
    }
    p = p.mutate(
        aum=aum,
        **share,
        days_since_last_trade=period.days_before(p.last_trade_date),
        days_since_last_login=period.days_before(p.last_login_date),
        days_since_last_chat=period.days_before(p.last_chat_date),
    )
    p = p.mutate(lifecycle_stage=lifecycle_stage(p, rules.lifecycle))
    return conform(p, PROFILES)
