"""Content, campaigns and the news the brokerage watches."""

from __future__ import annotations

from wealthdesk.schema.columns import CAMPAIGN_OBJECTIVES, CONTENT_TYPES, RISK_LEVELS_PRODUCT, TOUCH_CHANNELS
from wealthdesk.schema.model import Column, ForeignKey, Table
from wealthdesk.schema.model import ColumnType as T

GROUP = "Content, campaigns and news"

CONTENTS = Table(
    name="contents",
    description="Research reports, advisor views, events and investor education pieces pushed to clients.",
    group=GROUP,
    key=("content_id",),
    mutable=True,
    freshness_column="publish_date",
    columns=(
        Column("content_id", T.STRING, "Content id.", required=True),
        Column("content_type", T.STRING, "Kind of content.", required=True, allowed=CONTENT_TYPES),
        Column("title", T.STRING, "Title.", required=True),
        Column("topics", T.STRING_LIST, "Topics, e.g. 创业板, 定投, 新能源."),
        Column("related_codes", T.STRING_LIST, "Related stock or fund codes."),
        Column(
            "risk_level",
            T.STRING,
            "Risk level of the product it promotes; empty when it promotes none.",
            allowed=RISK_LEVELS_PRODUCT,
        ),
        Column("publish_date", T.DATE, "Publication date.", required=True),
        Column("expiry_date", T.DATE, "Date after which it must not be pushed."),
        Column("author", T.STRING, "Author or team."),
    ),
)

CAMPAIGNS = Table(
    name="campaigns",
    description="Marketing campaigns with their total cost.",
    group=GROUP,
    key=("campaign_id",),
    mutable=True,
    foreign_keys=(ForeignKey(("content_id",), "contents", ("content_id",)),),
    freshness_column="start_date",
    columns=(
        Column("campaign_id", T.STRING, "Campaign id.", required=True),
        Column("name", T.STRING, "Campaign name.", required=True),
        Column("objective", T.STRING, "What the campaign is for.", required=True, allowed=CAMPAIGN_OBJECTIVES),
        Column("channel", T.STRING, "Main channel (an acquisition channel or a touch channel).", required=True),
        Column("start_date", T.DATE, "First day.", required=True),
        Column("end_date", T.DATE, "Last day."),
        Column("cost", T.MONEY, "Total cost in CNY.", required=True, minimum=0),
        Column("content_id", T.STRING, "Content the campaign pushes, if any."),
    ),
)

CAMPAIGN_TOUCHES = Table(
    name="campaign_touches",
    description="Who a campaign reached, when, through which channel and at what unit cost.",
    group=GROUP,
    key=("touch_id",),
    foreign_keys=(
        ForeignKey(("campaign_id",), "campaigns", ("campaign_id",)),
        ForeignKey(("customer_id",), "customers", ("customer_id",)),
    ),
    freshness_column="touched_at",
    columns=(
        Column("touch_id", T.STRING, "Touch id.", required=True),
        Column("campaign_id", T.STRING, "Campaign.", required=True),
        Column("customer_id", T.STRING, "Client reached.", required=True),
        Column("touched_at", T.TIMESTAMP, "When.", required=True),
        Column("channel", T.STRING, "Touch channel.", required=True, allowed=TOUCH_CHANNELS),
        Column("cost", T.MONEY, "Unit cost of this touch in CNY.", required=True, minimum=0),
    ),
)

NEWS = Table(
    name="news",
    description="News items about listed companies, input to public-opinion alerts.",
    group=GROUP,
    key=("news_id",),
    freshness_column="published_at",
    columns=(
        Column("news_id", T.STRING, "News id.", required=True),
        Column("published_at", T.TIMESTAMP, "Publication time.", required=True),
        Column("source", T.STRING, "Publisher."),
        Column("title", T.STRING, "Headline.", required=True),
        Column("body", T.STRING, "Text."),
        Column("related_codes", T.STRING_LIST, "Stock codes the provider tagged, if any."),
    ),
)

TABLES = (CONTENTS, CAMPAIGNS, CAMPAIGN_TOUCHES, NEWS)
