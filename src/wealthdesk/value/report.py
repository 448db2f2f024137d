"""The customer-value report: efficiency = CLV − (CAC + CMC) by segment, advisor or acquisition channel.

``value_report`` checks the request against the store (trades present,
as-of date inside the data, a known channel, segments built when grouping by
segment) and fails with a one-line :class:`ValueReportError` otherwise — an
empty or silently wrong report is worse than an error. It computes the
per-client values (``efficiency.py``), saves them only when asked (the store
may be shared with a running server), and sums and averages them per group.
Group sums add up to the per-client sums; by segment a client counts once in
every segment they belong to, so segment totals can exceed the book's.

Segment memberships are not recomputed here: ``segment_members`` holds those
of the last ``wealthdesk run``, at that run's as-of date. When it differs from
the report's, the report says so in a note (and ``segments_as_of``) rather
than refusing: the memberships are still the best grouping the store has,
and recomputing them would need the whole profile pipeline at the old date.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.compute as pc

from wealthdesk.errors import WealthdeskError
from wealthdesk.schema.columns import ACQUISITION_CHANNELS
from wealthdesk.value.acquisition import campaign_acquisitions
from wealthdesk.value.clv import ValueModelError
from wealthdesk.value.efficiency import CustomerValues, ValueRules, customer_values, save_customer_values
from wealthdesk.value.grouping import GroupBy

MEASURES = ("clv", "cac", "cmc", "efficiency")
NO_ADVISOR = "(none)"


class ValueReportError(WealthdeskError):
    """The customer-value report cannot be made for this store or request."""


@dataclass
class ValueReport:
    """The per-group and total value of the client book, with the models and rules behind them."""

    values: CustomerValues
    by: GroupBy
    channel: str | None
    groups: list[dict[str, Any]]
    total: dict[str, Any]
    campaigns: list[dict[str, Any]]
    saved_table: str | None = None
    notes: list[str] = field(default_factory=list)
    segments_as_of: date | None = None

    @property
    def clients(self) -> pa.Table:
        """The per-client rows the report covers (after the channel filter)."""
        return _filter_channel(self.values.table, self.channel)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: dates as ISO strings, every number a plain float or int."""
        models = self.values.models
        return {
            "as_of": self.values.as_of.isoformat(),
            "holdings_snapshot": self.values.holdings_snapshot.isoformat() if self.values.holdings_snapshot else None,
            "horizon_months": self.values.rules.horizon.months,
            "discount_rate": self.values.rules.horizon.discount_rate,
            "by": str(self.by),
            "channel": self.channel,
            "models": {"bgnbd": asdict(models.bgnbd), "gamma_gamma": asdict(models.spend)},
            "rules": _rules_dict(self.values.rules),
            "cmc_coverage": [
                {
                    "source": c.source,
                    "first_day": c.first_day.isoformat() if c.first_day else None,
                    "days": c.days,
                    "factor": c.factor,
                }
                for c in self.values.cmc_coverage
            ],
            "segments_as_of": self.segments_as_of.isoformat() if self.segments_as_of else None,
            "total": self.total,
            "groups": self.groups,
            "campaigns": [
                {**c, "start_date": _iso(c["start_date"]), "end_date": _iso(c["end_date"])} for c in self.campaigns
            ],
            "saved_table": self.saved_table,
            "notes": self.notes,
        }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _rules_dict(rules: ValueRules) -> dict[str, Any]:
    out = asdict(rules)
    out["revenue"]["stamp_duty_on_sells"] = [[d.isoformat(), r] for d, r in rules.revenue.stamp_duty_on_sells]
    out["acquisition"]["channel_unit_cost"] = dict(rules.acquisition.channel_unit_cost)
    out["maintenance"]["touch_unit_cost"] = dict(rules.maintenance.touch_unit_cost)
    return out


def data_range(backend: Any) -> tuple[date, date]:
    """First and last trade day in the store; a clear error when there are no trades."""
    t = backend.table("trades")
    day = t.trade_time.date()
    row = backend.to_pyarrow(t.aggregate(first=day.min(), last=day.max(), n=t.count())).to_pylist()[0]
    if not row["n"]:
        raise ValueReportError("the store has no trades: ingest a brokerage's files first (wealthdesk ingest DIR)")
    return row["first"], row["last"]


def _has_rows(backend: Any, name: str) -> bool:
    try:
        table = backend.table(name)
    except ibis.common.exceptions.TableNotFound:
        return False
    return bool(backend.to_pyarrow(table.count()).as_py())


def _check_request(backend: Any, as_of: date | None, channel: str | None, by: GroupBy) -> date:
    first, last = data_range(backend)
    as_of = as_of or last
    if not first <= as_of <= last:
        raise ValueReportError(f"as-of date {as_of} is outside the data ({first} … {last}); pick a date in it")
    if channel is not None and channel not in ACQUISITION_CHANNELS:
        raise ValueReportError(f"unknown channel {channel!r}; known channels: {', '.join(ACQUISITION_CHANNELS)}")
    if by is GroupBy.segment and not _has_rows(backend, "segment_members"):
        raise ValueReportError(
            "no segment members in this store: save a segment (wealthdesk segment create) and run `wealthdesk run`"
        )
    return as_of


def _filter_channel(table: pa.Table, channel: str | None) -> pa.Table:
    return table if channel is None else table.filter(pc.equal(table.column("acquisition_channel"), channel))


def _aggregate(table: pa.Table, key: str | None) -> list[dict[str, Any]]:
    aggregations = [("customer_id", "count")] + [(m, f) for m in MEASURES for f in ("sum", "mean")]
    if key is None:
        grouped = table.group_by([]).aggregate(aggregations) if table.num_rows else None
    else:
        grouped = table.group_by(key).aggregate(aggregations).sort_by(key)
    if grouped is None:
        return []
    rows = []
    for row in grouped.to_pylist():
        out: dict[str, Any] = {} if key is None else {"group": row[key]}
        out["clients"] = row["customer_id_count"]
        for m in MEASURES:
            out[f"{m}_sum"], out[f"{m}_mean"] = row[f"{m}_sum"], row[f"{m}_mean"]
        rows.append(out)
    return rows


def _segment_members(backend: Any) -> tuple[pa.Table, date | None]:
    """The (segment, customer_id) pairs of the last `wealthdesk run`, and the as-of date they were built at."""
    table = backend.table("segment_members")
    members = backend.to_pyarrow(table.select("segment", "customer_id").distinct())
    built = backend.to_pyarrow(table.as_of.max()).as_py() if "as_of" in table.columns else None
    return members, built


def _grouped(members: pa.Table | None, clients: pa.Table, by: GroupBy) -> list[dict[str, Any]]:
    if by is GroupBy.channel:
        return _aggregate(clients, "acquisition_channel")
    if by is GroupBy.advisor:
        advisor = pc.fill_null(clients.column("advisor_id"), NO_ADVISOR)
        return _aggregate(
            clients.set_column(clients.schema.get_field_index("advisor_id"), "advisor_id", advisor), "advisor_id"
        )
    assert members is not None
    return _aggregate(members.join(clients, "customer_id", join_type="inner"), "segment")


def _notes(values: CustomerValues, channel: str | None, clients: pa.Table, segments_as_of: date | None) -> list[str]:
    """What a reader must know to trust the figures: missing inputs, scaled or partial costs, stale segments."""
    as_of = values.as_of
    notes = []
    if values.holdings_snapshot is None:
        notes.append(f"no holdings snapshot on or before {as_of}: no trailing commission is counted")
    notes += [c.note for c in values.cmc_coverage if c.note]
    if segments_as_of is not None and segments_as_of != as_of:
        notes.append(
            f"segment memberships are from {segments_as_of} (the last `wealthdesk run`), not {as_of}: "
            f"clients are grouped by the segments they were in on {segments_as_of}"
        )
    if channel is not None and not clients.num_rows:
        notes.append(f"no client registered by {as_of} came through channel {channel}")
    return notes


def value_report(
    backend: Any,
    as_of: date | None = None,
    rules: ValueRules | None = None,
    by: GroupBy = GroupBy.channel,
    channel: str | None = None,
    save: bool = False,
) -> ValueReport:
    """Compute every client's value as of ``as_of`` (default: the last trade day) and group it.

    ``save=True`` also replaces the store's ``customer_value`` table with the per-client rows; by
    default nothing is written. Nothing is saved when the request or the models fail.
    """
    as_of = _check_request(backend, as_of, channel, by)
    members, segments_as_of = _segment_members(backend) if by is GroupBy.segment else (None, None)
    try:
        values = customer_values(backend, as_of, rules)
    except ValueModelError as exc:
        raise ValueReportError(f"cannot fit the CLV models as of {as_of}: {exc}; try a later --as-of") from None
    saved = save_customer_values(backend, values) if save else None
    clients = _filter_channel(values.table, channel)
    campaigns = backend.to_pyarrow(campaign_acquisitions(backend, as_of)).to_pylist()
    if channel is not None:
        campaigns = [c for c in campaigns if c["channel"] == channel]
    total = _aggregate(clients, None)
    return ValueReport(
        values=values,
        by=by,
        channel=channel,
        groups=_grouped(members, clients, by),
        total=total[0] if total else {"clients": 0},
        campaigns=campaigns,
        saved_table=saved,
        notes=_notes(values, channel, clients, segments_as_of),
        segments_as_of=segments_as_of,
    )
