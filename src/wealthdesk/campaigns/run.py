"""Running a campaign: the segment's members today, suitability first, a random control group, one touch each.

- **Suitability first.** A member for whom the campaign's content is
  unsuitable (``suitability.rules.content_decision``) is neither touched nor
  counted in the control group: they are recorded as ``refused`` with the
  rule's reason.
- **The control group** is drawn at random, but reproducibly: a member is held
  out when a hash of the campaign and the client falls below the control
  share. The same client lands in the same arm on every run, so the groups
  stay comparable however often the campaign runs.
- **One touch per client, ever.** A run meets each member once: the first run
  that finds them in the segment assigns their arm (and, for the treatment,
  sends the touch, ``campaign_touches`` with id ``<campaign>-<client>``). A
  run again touches only members who joined the segment since. Nothing is
  sent twice, whether the run is repeated by hand or after a failure.
- **The books.** The run keeps the brokerage's ``campaigns`` row of the
  campaign (cost = the touches' unit costs so far), so value reports count it.

Everything a run writes is one transaction: a failed run leaves nothing half done.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import date, datetime, time
from typing import Any

import duckdb
import ibis

from wealthdesk.campaigns.plan import CampaignError, CampaignPlan, get_campaign
from wealthdesk.content.library import list_contents
from wealthdesk.segments.definitions import get_segment, known_tags
from wealthdesk.segments.membership import segment_members
from wealthdesk.suitability.clients import client_tolerances
from wealthdesk.suitability.rules import content_decision

TOUCH_HOUR = time(9, 30)  # a run for a past or future day touches at the opening of the trading day


@dataclass(frozen=True)
class RunReport:
    campaign_id: str
    on: date
    members: int  # in the segment at this run
    touched: int  # sent now
    held_out: int  # put in the control group now
    refused: int  # unsuitable now: not sent, not in the control group
    met_before: int  # members an earlier run already met: nothing sent again
    cost: float  # of the touches sent now

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "on": self.on.isoformat()}


def in_control(campaign_id: str, customer_id: str, share: float) -> bool:
    """Whether the client is held out: a uniform draw from the hash of the campaign and the client."""
    digest = hashlib.sha256(f"{campaign_id}\n{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def run_campaign(con: duckdb.DuckDBPyConnection, campaign_id: str, on: date | None = None) -> RunReport:
    """Run the campaign for the segment's members as of today (or ``on``)."""
    plan = get_campaign(con, campaign_id)
    day = on or date.today()
    _check_content(con, plan, day)
    backend = ibis.duckdb.from_connection(con)
    members = backend.to_pyarrow(segment_members(backend, get_segment(con, plan.segment, known_tags())))
    ids = members.column("customer_id").to_pylist()
    if not ids:
        raise CampaignError(f"segment {plan.segment!r} has no members: nothing was sent")
    met = {
        r[0]
        for r in con.execute(
            "SELECT customer_id FROM wd_campaign_members WHERE campaign_id = ? AND customer_id IN (SELECT unnest(?))",
            [campaign_id, ids],
        ).fetchall()
    }
    new = [i for i in ids if i not in met]
    level = con.execute("SELECT risk_level FROM contents WHERE content_id = ?", [plan.content_id]).fetchone()[0]
    touched_at = datetime.combine(day, TOUCH_HOUR) if on else datetime.now()
    rows, touches = [], []
    for customer, tolerance in client_tolerances(con, day, "SELECT unnest($ids) AS customer_id", {"ids": new}):
        decision = content_decision(tolerance, level)
        if not decision.allowed:
            rows.append((campaign_id, customer, "refused", touched_at, decision.reason))
        elif in_control(campaign_id, customer, plan.control_share):
            rows.append((campaign_id, customer, "control", touched_at, None))
        else:
            rows.append((campaign_id, customer, "treatment", touched_at, None))
            touches.append(
                (f"{campaign_id}-{customer}", campaign_id, customer, touched_at, plan.channel, plan.unit_cost)
            )
    con.begin()
    try:
        if rows:
            con.executemany("INSERT INTO wd_campaign_members VALUES (?, ?, ?, ?, ?)", rows)
        if touches:
            con.executemany(
                """INSERT INTO campaign_touches (touch_id, campaign_id, customer_id, touched_at, channel, cost)
                   SELECT ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM campaign_touches WHERE touch_id = ?)""",
                [(*touch, touch[0]) for touch in touches],
            )
        _keep_books(con, plan)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    arms = [r[2] for r in rows]
    return RunReport(
        campaign_id,
        day,
        len(ids),
        arms.count("treatment"),
        arms.count("control"),
        arms.count("refused"),
        len(met),
        round(len(touches) * plan.unit_cost, 2),
    )


def _check_content(con: duckdb.DuckDBPyConnection, plan: CampaignPlan, day: date) -> None:
    if not any(c["content_id"] == plan.content_id for c in list_contents(con, active_on=day)):
        raise CampaignError(
            f"content {plan.content_id!r} may not be pushed on {day} (not yet published, or expired): "
            "nothing was sent; pick another content or day"
        )


def _keep_books(con: duckdb.DuckDBPyConnection, plan: CampaignPlan) -> None:
    """The brokerage's ``campaigns`` row for this campaign: its touches so far and their cost."""
    con.execute("DELETE FROM campaigns WHERE campaign_id = ?", [plan.campaign_id])
    con.execute(
        """INSERT INTO campaigns (campaign_id, name, objective, channel, start_date, end_date, cost, content_id)
           SELECT ?, ?, ?, ?, coalesce(min(touched_at)::DATE, current_date), NULL, coalesce(sum(cost), 0), ?
           FROM campaign_touches WHERE campaign_id = ?""",
        [
            plan.campaign_id,
            plan.label or plan.campaign_id,
            plan.objective,
            plan.channel,
            plan.content_id,
            plan.campaign_id,
        ],
    )
