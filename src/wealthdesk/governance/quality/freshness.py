"""Freshness policy: how old the newest row of each table may be.

Freshness is measured against a *reference date*. When the caller gives
``as_of`` that date is used. Otherwise the reference is the newest activity
in the store itself (the latest value of the freshness column over the
client-activity tables: trades, holdings, cash flows, app events), not the
wall clock: a store loaded from a historical extract — such as the demo,
whose window ends 2022-06-30 — is judged by whether its tables end together,
and a production store fed daily behaves the same because its newest activity
is yesterday. Only a store without any activity falls back to today.

Maximum ages are set per table group (the ``group`` of each schema table),
with per-table overrides, because feeds of one group arrive at one rhythm:
activity and market data daily (7 days leaves room for the week-long
Spring Festival and National Day closures), client master data whenever a
client registers, fund top-ten holdings quarterly with a lag of about a month.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType

from wealthdesk.schema import ColumnType, Table, activity, clients, market, marketing, reference, wecom

DEFAULT_GROUP_MAX_AGE_DAYS: Mapping[str, int] = MappingProxyType(
    {
        activity.GROUP: 7,
        market.GROUP: 7,
        wecom.GROUP: 7,
        clients.GROUP: 30,
        marketing.GROUP: 90,
        reference.GROUP: 120,
    }
)
DEFAULT_TABLE_MAX_AGE_DAYS: Mapping[str, int] = MappingProxyType({"news": 7})
FALLBACK_MAX_AGE_DAYS = 30

# Groups whose newest row defines "now" for a store when no as_of is given.
REFERENCE_GROUPS: tuple[str, ...] = (activity.GROUP,)


@dataclass(frozen=True)
class FreshnessPolicy:
    """Maximum age in days of a table's newest row, by group with per-table overrides."""

    group_max_age_days: Mapping[str, int] = field(default_factory=lambda: DEFAULT_GROUP_MAX_AGE_DAYS)
    table_max_age_days: Mapping[str, int] = field(default_factory=lambda: DEFAULT_TABLE_MAX_AGE_DAYS)
    default_max_age_days: int = FALLBACK_MAX_AGE_DAYS

    def max_age_days(self, table: Table) -> int:
        if table.name in self.table_max_age_days:
            return self.table_max_age_days[table.name]
        return self.group_max_age_days.get(table.group, self.default_max_age_days)


DEFAULT_POLICY = FreshnessPolicy()


def latest_date_sql(table: Table) -> str | None:
    """SQL aggregate giving the newest business date of ``table``, or None without a freshness column.

    TIMESTAMP columns are cut to their date; BIGINT columns are epoch
    milliseconds (the WeCom archive's ``msgtime``) converted to a Beijing date.
    """
    if table.freshness_column is None:
        return None
    column = table.column(table.freshness_column)
    name = f'"{column.name}"'
    if column.type is ColumnType.DATE:
        return f"max({name})"
    if column.type is ColumnType.TIMESTAMP:
        return f"CAST(max({name}) AS DATE)"
    if column.type in (ColumnType.BIGINT, ColumnType.INT):
        return f"CAST(epoch_ms(max({name})) + INTERVAL {wecom.BEIJING_OFFSET_HOURS} HOUR AS DATE)"
    raise TypeError(f"freshness column {table.name}.{column.name} has type {column.type.name}, not a date or time")


def reference_date(
    as_of: date | None, latest: Mapping[str, date | None], groups: Mapping[str, str]
) -> tuple[date, str]:
    """Pick the date freshness is measured against and say where it came from.

    ``latest`` maps table name → newest date, ``groups`` table name → group.
    """
    if as_of is not None:
        return as_of, "as_of"
    activity_dates = [d for name, d in latest.items() if d is not None and groups.get(name) in REFERENCE_GROUPS]
    if activity_dates:
        return max(activity_dates), "newest client activity in the store"
    return date.today(), "today (the store holds no client activity)"
