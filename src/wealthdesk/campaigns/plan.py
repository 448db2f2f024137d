"""A campaign's plan: which segment gets which content, through which channel, at what unit cost, measured how.

Kept in ``wd_campaigns`` (ours, beside the brokerage's own ``campaigns``
table, which a run also keeps up to date so the value reports see the
campaign's touches and cost). Everything is checked when the campaign is
created, so a run has nothing left to refuse but clients.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import duckdb

from wealthdesk.errors import WealthdeskError
from wealthdesk.schema.columns import CAMPAIGN_OBJECTIVES, TOUCH_CHANNELS
from wealthdesk.segments.definitions import SegmentError, get_segment, known_tags

CONVERSIONS = {
    "fund_subscription": "a fund subscription (trades: fund_subscribe)",
    "level2": "a Level-2 purchase (accounts.level2_date)",
    "chinext": "ChiNext permission opened (accounts.chinext_date)",
}
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")
PLANS_DDL = """CREATE TABLE IF NOT EXISTS wd_campaigns (
    campaign_id VARCHAR PRIMARY KEY, label VARCHAR, segment VARCHAR NOT NULL, content_id VARCHAR NOT NULL,
    channel VARCHAR NOT NULL, objective VARCHAR NOT NULL, unit_cost DOUBLE NOT NULL, control_share DOUBLE NOT NULL,
    conversion VARCHAR NOT NULL, window_days INTEGER NOT NULL, created_at TIMESTAMP NOT NULL)"""
MEMBERS_DDL = """CREATE TABLE IF NOT EXISTS wd_campaign_members (
    campaign_id VARCHAR NOT NULL, customer_id VARCHAR NOT NULL,
    arm VARCHAR NOT NULL,            -- treatment, control (held out at random), or refused (unsuitable)
    assigned_at TIMESTAMP NOT NULL,  -- the run that first met the client: their touch, or their would-be touch
    reason VARCHAR,                  -- refused: the suitability rule's reason
    PRIMARY KEY (campaign_id, customer_id))"""


class CampaignError(WealthdeskError):
    """A campaign that cannot be created, run or reported; says what to fix."""


@dataclass(frozen=True)
class CampaignPlan:
    campaign_id: str
    label: str | None
    segment: str
    content_id: str
    channel: str
    objective: str
    unit_cost: float
    control_share: float
    conversion: str
    window_days: int
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def ensure_campaign_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(PLANS_DDL)
    con.execute(MEMBERS_DDL)


def create_campaign(
    con: duckdb.DuckDBPyConnection,
    campaign_id: str,
    segment: str,
    content_id: str,
    *,
    label: str | None = None,
    channel: str = "wecom",
    objective: str = "cross_sell",
    unit_cost: float = 0.0,
    control_share: float = 0.1,
    conversion: str = "fund_subscription",
    window_days: int = 14,
) -> CampaignPlan:
    """Check and save a campaign's plan; every problem found is named."""
    ensure_campaign_tables(con)
    problems = []
    if not NAME.fullmatch(campaign_id):
        problems.append(f"campaign id {campaign_id!r}: 1–40 letters, digits, - or _, starting with a letter or digit")
    elif con.execute(
        "SELECT 1 FROM wd_campaigns WHERE campaign_id = ? UNION ALL SELECT 1 FROM campaigns WHERE campaign_id = ?",
        [campaign_id, campaign_id],
    ).fetchone():
        problems.append(f"campaign {campaign_id!r} exists already: pick another id")
    try:
        get_segment(con, segment, known_tags())
    except SegmentError as exc:
        problems.append(str(exc))
    if not con.execute("SELECT 1 FROM contents WHERE content_id = ?", [content_id]).fetchone():
        problems.append(f"no content {content_id!r}: add it with `wealthdesk content add`")
    if channel not in TOUCH_CHANNELS:
        problems.append(f"channel {channel!r} is not one of {', '.join(TOUCH_CHANNELS)}")
    if objective not in CAMPAIGN_OBJECTIVES or objective == "acquisition":
        problems.append(f"objective {objective!r}: one of activation, retention, cross_sell (clients already exist)")
    if not unit_cost >= 0:
        problems.append(f"unit cost {unit_cost} must not be negative")
    if not 0 < control_share < 0.5:
        problems.append(
            f"control share {control_share} must be above 0 and below 0.5: without a control group the "
            "uplift cannot be measured"
        )
    if conversion not in CONVERSIONS:
        problems.append(f"conversion {conversion!r} is not one of {', '.join(CONVERSIONS)}")
    if not 1 <= window_days <= 365:
        problems.append(f"window of {window_days} days: 1 to 365")
    if problems:
        raise CampaignError("the campaign was not created:\n  " + "\n  ".join(problems))
    plan = CampaignPlan(
        campaign_id,
        label,
        segment,
        content_id,
        channel,
        objective,
        float(unit_cost),
        float(control_share),
        conversion,
        int(window_days),
        datetime.now(),
    )
    con.execute("INSERT INTO wd_campaigns VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", list(asdict(plan).values()))
    return plan


def get_campaign(con: duckdb.DuckDBPyConnection, campaign_id: str) -> CampaignPlan:
    """A saved plan (reads only: a report may run on a read-only store)."""
    try:
        row = con.execute("SELECT * FROM wd_campaigns WHERE campaign_id = ?", [campaign_id]).fetchone()
    except duckdb.CatalogException:
        row = None  # no campaign was ever created in this store
    if row is None:
        raise CampaignError(f"no campaign {campaign_id!r}: create it with `wealthdesk campaign create`")
    return CampaignPlan(*row)
