"""Customer acquisition cost (CAC) per campaign, per channel and per client.

**Attribution rule.** A client is credited to one campaign (no fractional or
multi-touch credit; this is how the brokerage's own books attribute openings):

1. the campaign named in ``customers.acquisition_campaign_id``, the one the
   account-opening system credited when the client registered (the ad or
   referral link followed); otherwise
2. the campaign named by the WeCom channel code (渠道活码) that brought the
   client to an advisor: the ``State`` of the earliest add of the client as an
   external contact (``wecom_contacts``, and the add events of
   ``wecom_contact_events``, which keep a first add that a later one
   replaced) made no later than their registration, while that campaign ran
   (from its start date to its end date, if it has one). An add after
   registration brought a client who was already one; a code that names no
   campaign (a branch's own QR code), or one scanned outside its campaign's
   dates, credits nothing. Two first adds at the same moment: the smaller
   campaign id.

:func:`credited_clients` applies it, and every figure below reads it, so the
per-campaign and per-client figures agree.

- **Per campaign**: CAC = campaign cost ÷ clients crediting it who
  registered on or before the as-of date. Only campaigns that had started by
  the as-of date are listed: a report for a past date shows what was known
  then, not campaigns and sign-ups from its future. A campaign still running
  at the as-of date (no end date, or one after it) is marked ``running``: its
  acquisitions are those so far, and its cost is the one recorded in the
  store (a campaign carries one cost figure, which may include spend after
  the as-of date), so its CAC is provisional. Acquisition campaigns no
  client names are listed with their cost and no CAC: spend that bought no
  one is shown, not hidden.
- **Per client**: the CAC of the client's campaign. A client with no campaign
  gets the configurable unit cost of their acquisition channel, default 0
  for every channel: organic channels (branch walk-ins, app sign-ups) cost
  nothing extra, and for paid channels the data hold no cost for clients
  who came outside a recorded campaign (often years before the data start),
  so none is invented. Set your own per channel.
- **Per channel**: the clients' CACs summed and averaged by acquisition
  channel (``_aggregate`` in ``report.py``), so channel figures reconcile with
  the per-client ones by construction.

Ibis throughout, so it runs on DuckDB and Spark like the rest of the pipeline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import ibis

from wealthdesk.schema.columns import ACQUISITION_CHANNELS
from wealthdesk.wecom.contacts import ADDS, EVENTS_TABLE


@dataclass(frozen=True)
class AcquisitionRules:
    """Unit cost (CNY) of a client who came through a channel without a campaign; 0 for unlisted channels."""

    channel_unit_cost: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.channel_unit_cost) - set(ACQUISITION_CHANNELS))
        if unknown:
            raise ValueError(f"unknown acquisition channel(s) {unknown}; known: {', '.join(ACQUISITION_CHANNELS)}")
        if any(cost < 0 for cost in self.channel_unit_cost.values()):
            raise ValueError("channel unit costs must not be negative")


def credited_clients(backend: Any, as_of: date) -> Any:
    """Clients registered by ``as_of``: customer_id, acquisition_channel, advisor_id, acquisition_campaign_id (the
    campaign credited by the rule above, or null) and acquisition_credit (``account_opening``, ``wecom_state`` or
    null)."""
    c = backend.table("customers")
    c = c.filter(c.registered_at.date() <= as_of)
    adds = _wecom_campaign_adds(backend)
    early = adds.join(c.select("customer_id", "registered_at"), "customer_id")
    early = early.filter(early.added_at <= early.registered_at)
    first_time = early.group_by("customer_id").aggregate(first=early.added_at.min())
    first = early.join(first_time, (early.customer_id == first_time.customer_id) & (early.added_at == first_time.first))
    first = first.group_by("customer_id").aggregate(wecom_campaign_id=first.campaign_id.min())  # ties: the smallest
    rows = c.left_join(first, "customer_id").drop("customer_id_right")
    credit = ibis.cases(
        (rows.acquisition_campaign_id.notnull(), "account_opening"),
        (rows.wecom_campaign_id.notnull(), "wecom_state"),
        else_=ibis.null("string"),
    )
    return rows.select(
        "customer_id",
        "acquisition_channel",
        "advisor_id",
        acquisition_campaign_id=rows.acquisition_campaign_id.fill_null(rows.wecom_campaign_id),
        acquisition_credit=credit,
    )


def _wecom_campaign_adds(backend: Any) -> Any:
    """customer_id, campaign_id, added_at: every known add of a matched contact whose ``State`` is a campaign id."""
    contacts = backend.table("wecom_contacts")
    contacts = contacts.filter(contacts.customer_id.notnull())
    adds = contacts.filter(contacts.state.notnull()).select("customer_id", "state", "added_at")
    try:  # the add events kept by the callback (wecom/contacts.py); a store that never had one has no table
        events = backend.table(EVENTS_TABLE)
    except ibis.common.exceptions.TableNotFound:
        events = None
    if events is not None:
        events = events.filter(events.change_type.isin(ADDS) & events.state.notnull())
        matched = contacts.group_by("external_userid").aggregate(customer_id=contacts.customer_id.min())
        adds = adds.union(
            events.join(matched, "external_userid").select("customer_id", "state", added_at=events.event_time)
        )
    campaigns = backend.table("campaigns")
    running = (adds.added_at.date() >= campaigns.start_date) & (
        campaigns.end_date.isnull() | (adds.added_at.date() <= campaigns.end_date)
    )
    return adds.join(campaigns, (adds.state == campaigns.campaign_id) & running).select(
        "customer_id", "campaign_id", "added_at"
    )


def campaign_acquisitions(backend: Any, as_of: date) -> Any:
    """Per campaign started by ``as_of`` that acquired anyone by then or is an acquisition campaign:
    cost, acquired clients (registered by ``as_of``), CAC, and whether it was still running at ``as_of``."""
    clients = credited_clients(backend, as_of)
    credited = clients.filter(clients.acquisition_campaign_id.notnull())
    acquired = credited.group_by(campaign_id=credited.acquisition_campaign_id).aggregate(acquired=credited.count())
    c = backend.table("campaigns")
    c = c.filter(c.start_date <= as_of)
    rows = c.left_join(acquired, "campaign_id").drop("campaign_id_right")
    rows = rows.mutate(acquired=rows.acquired.fill_null(0).cast("int64"), cost=rows.cost.cast("float64"))
    rows = rows.filter((rows.objective == "acquisition") | (rows.acquired > 0))
    cac = ibis.ifelse(rows.acquired > 0, rows.cost / rows.acquired.cast("float64"), ibis.null("float64"))
    running = rows.end_date.isnull() | (rows.end_date > as_of)
    return rows.select(
        "campaign_id",
        "name",
        "objective",
        "channel",
        "start_date",
        "end_date",
        "cost",
        "acquired",
        cac=cac,
        running=running,
    ).order_by("campaign_id")


def client_acquisition_costs(backend: Any, clients: Any, as_of: date, rules: AcquisitionRules) -> Any:
    """customer_id, cac for each row of ``clients`` (customer_id, acquisition_channel, acquisition_campaign_id: the
    credited campaign, as :func:`credited_clients` gives), clients registered by ``as_of``: their campaign's CAC as
    of that date."""
    campaigns = campaign_acquisitions(backend, as_of).select(campaign_key="campaign_id", campaign_cac="cac")
    rows = clients.left_join(campaigns, clients.acquisition_campaign_id == campaigns.campaign_key)
    unit = ibis.literal(0.0)
    if rules.channel_unit_cost:
        branches = [(rows.acquisition_channel == ch, float(cost)) for ch, cost in rules.channel_unit_cost.items()]
        unit = ibis.cases(*branches, else_=0.0)
    return rows.select("customer_id", cac=rows.campaign_cac.fill_null(unit))
