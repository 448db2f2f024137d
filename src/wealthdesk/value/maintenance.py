"""Customer maintenance cost (CMC): what serving a client cost over the 12 months before the as-of date.

Two sources, per client:

- **Service touches**: every touch of a campaign whose objective is not
  acquisition (activation, retention, cross-sell; acquisition campaigns are
  CAC) at its recorded unit cost, or at a configurable per-channel unit cost
  when one is set (say, to price WeCom touches that are recorded at 0 but
  take advisor time). **Campaign fixed costs are allocated**: a campaign's
  cost less its recorded touch costs (content, creative, platform fees) is
  spread evenly over all its touches, and each touch in the window carries
  its share. That way the CMC of all clients adds up to what the service
  campaigns cost in the window, and a campaign whose touches are free is not
  free. ``allocate_campaign_fixed_costs=False`` turns it off.
- **Advisor WeCom messages**: one-to-one messages an advisor sent the client
  (sender is an advisor's WeCom userid, the recipient a contact matched to
  the client) × ``message_unit_cost``, default 1 CNY: about 25 seconds of an
  advisor at a loaded cost near 150 CNY/hour. It is an assumption, not a
  figure from the data: set your own. Group-chat messages are left out (one
  message serves many clients and the data do not say how to split it).

The window is the ``window_days`` (365) days ending on the as-of date. Each
source's cost is scaled to a year separately, by how much of the window *that
source* covers (:func:`cost_coverage`): a source starts on its first record in
the store (the first touch of any campaign; the first archived WeCom message),
since before it the store cannot tell "no cost" from "not recorded". In the
demo data trades start 2019-12-31, messages 2020-01-02 and touches only
2020-02-13: one start date for all would scale the touches too little.

Below ``min_coverage_days`` (90) a source is **not** scaled: a few weeks of
bursty campaign touches (or an as-of days after the data start) say little
about a year, and a ×40 or ×180 factor turned them into nonsense. Its cost is
then what was observed, a lower bound, and the report says so. The
projection over the horizon (in ``efficiency.py``) takes the annual cost as a
monthly run rate, discounted like CLV, and is **not** weighted by P(alive): a
client who has quietly left is still on the call and push lists and still
costs money.

Ibis throughout, so it runs on DuckDB and Spark like the rest of the pipeline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import ibis

from wealthdesk.profiles.facts import external_contacts, message_day
from wealthdesk.schema.columns import TOUCH_CHANNELS


@dataclass(frozen=True)
class MaintenanceRules:
    """Unit costs and the window of the maintenance cost (see the module docstring for the defaults)."""

    touch_unit_cost: Mapping[str, float] = field(default_factory=dict)
    message_unit_cost: float = 1.0
    allocate_campaign_fixed_costs: bool = True
    window_days: int = 365
    min_coverage_days: int = 90

    def __post_init__(self) -> None:
        unknown = sorted(set(self.touch_unit_cost) - set(TOUCH_CHANNELS))
        if unknown:
            raise ValueError(f"unknown touch channel(s) {unknown}; known: {', '.join(TOUCH_CHANNELS)}")
        if self.message_unit_cost < 0 or any(c < 0 for c in self.touch_unit_cost.values()):
            raise ValueError("unit costs must not be negative")
        if self.window_days < 1:
            raise ValueError("the window needs at least one day")
        if self.min_coverage_days < 1:
            raise ValueError("the minimum coverage needs at least one day")

    def window(self, as_of: date) -> tuple[date, date]:
        """First and last day of the cost window (both included)."""
        return as_of - timedelta(days=self.window_days - 1), as_of

    def annual_factor(self, as_of: date, source_start: date | None) -> tuple[int, float]:
        """Days of the window a source starting on ``source_start`` covers, and the factor that makes
        its cost over them read as a year's: 365 ÷ days, or 1 (not scaled) below the minimum coverage."""
        first, _ = self.window(as_of)
        covered = 0 if source_start is None else max((as_of - max(first, source_start)).days + 1, 0)
        if covered < min(self.min_coverage_days, self.window_days):
            return covered, 1.0
        return covered, 365.0 / covered


@dataclass(frozen=True)
class Coverage:
    """How much of the CMC window one cost source covers, and the factor its cost was scaled by."""

    source: str
    first_day: date | None
    days: int
    factor: float
    window_days: int
    min_days: int

    @property
    def note(self) -> str | None:
        """What a reader of the report must know about this source's cost, or None when it is a full year."""
        if self.first_day is None or self.days == 0:
            return f"no {self.source} recorded by the as-of date: CMC counts none"
        if self.days < min(self.min_days, self.window_days):
            return (
                f"{self.source} recorded for {self.days} days only (from {self.first_day}), fewer than "
                f"{self.min_days}: their cost is not scaled to a year, so CMC is a lower bound"
            )
        if self.factor > 1.0:
            return (
                f"{self.source} cover {self.days} days of the {self.window_days}-day CMC window "
                f"(from {self.first_day}): their cost is scaled ×{self.factor:.2f} to a year"
            )
        return None


def cost_coverage(backend: Any, as_of: date, rules: MaintenanceRules) -> tuple[Coverage, Coverage]:
    """Coverage of the touches and of the WeCom messages: each from its own first record on or before as_of."""
    t = backend.table("campaign_touches")
    m = backend.table("wecom_messages")
    touch_day, message = t.touched_at.date(), message_day(m)
    starts = (
        backend.to_pyarrow(t.filter(touch_day <= as_of).aggregate(first=touch_day.min())).to_pylist()[0]["first"],
        backend.to_pyarrow(m.filter(message <= as_of).aggregate(first=message.min())).to_pylist()[0]["first"],
    )
    out = []
    for source, start in zip(("campaign touches", "WeCom messages"), starts, strict=True):
        days, factor = rules.annual_factor(as_of, start)
        out.append(Coverage(source, start, days, factor, rules.window_days, rules.min_coverage_days))
    return out[0], out[1]


def _touch_costs(backend: Any, as_of: date, rules: MaintenanceRules) -> Any:
    t = backend.table("campaign_touches")
    c = backend.table("campaigns")
    service = c.filter(c.objective != "acquisition").select("campaign_id", campaign_cost="cost")
    t = t.join(service, "campaign_id")
    recorded = t.cost.cast("float64")
    per_campaign = t.group_by("campaign_id").aggregate(
        touches_total=t.count(), recorded_total=recorded.sum(), campaign_cost=t.campaign_cost.cast("float64").max()
    )
    fixed_share = ibis.greatest(per_campaign.campaign_cost - per_campaign.recorded_total, 0.0) / (
        per_campaign.touches_total.cast("float64")
    )
    shares = per_campaign.select(campaign_key="campaign_id", fixed_share=fixed_share)
    first, last = rules.window(as_of)
    day = t.touched_at.date()
    t = t.filter((day >= first) & (day <= last))
    t = t.join(shares, t.campaign_id == shares.campaign_key)
    unit = t.cost.cast("float64")
    if rules.touch_unit_cost:
        unit = ibis.cases(*((t.channel == ch, float(v)) for ch, v in rules.touch_unit_cost.items()), else_=unit)
    fixed = t.fixed_share * (1.0 if rules.allocate_campaign_fixed_costs else 0.0)
    return t.group_by("customer_id").aggregate(
        touches=t.count(), touch_cost=unit.sum(), campaign_fixed_cost=fixed.sum()
    )


def _message_costs(backend: Any, as_of: date, rules: MaintenanceRules) -> Any:
    m = backend.table("wecom_messages")
    advisors = backend.table("advisors").select(advisor_userid="wecom_userid")
    first, last = rules.window(as_of)
    day = message_day(m)
    sent = (m.action == "send") & m.roomid.isnull() & (day >= first) & (day <= last)
    m = m.filter(sent & m.sender.isin(advisors.advisor_userid))
    m = m.select("msgid", recipient=m.tolist.unnest())
    contacts = external_contacts(backend).rename(recipient="external_userid")
    m = m.join(contacts, "recipient")
    return m.group_by("customer_id").aggregate(advisor_messages=m.count())


def maintenance_costs(
    backend: Any, as_of: date, rules: MaintenanceRules, coverage: tuple[Coverage, Coverage] | None = None
) -> Any:
    """Per client with any service cost in the window: touches, touch_cost, campaign_fixed_cost,
    advisor_messages, message_cost, cmc_window (CNY, as observed) and cmc_12m (each source scaled to a
    year by its ``coverage``, default :func:`cost_coverage`)."""
    touch_cover, message_cover = coverage or cost_coverage(backend, as_of, rules)
    touches = _touch_costs(backend, as_of, rules)
    messages = _message_costs(backend, as_of, rules)
    both = touches.outer_join(messages, "customer_id")
    both = both.select(
        customer_id=ibis.coalesce(both.customer_id, both.customer_id_right),
        touches=both.touches.fill_null(0).cast("int64"),
        touch_cost=both.touch_cost.fill_null(0.0),
        campaign_fixed_cost=both.campaign_fixed_cost.fill_null(0.0),
        advisor_messages=both.advisor_messages.fill_null(0).cast("int64"),
    )
    message_cost = both.advisor_messages.cast("float64") * rules.message_unit_cost
    touch_cost = both.touch_cost + both.campaign_fixed_cost
    return both.mutate(
        message_cost=message_cost,
        cmc_window=touch_cost + message_cost,
        cmc_12m=touch_cost * touch_cover.factor + message_cost * message_cover.factor,
    )
