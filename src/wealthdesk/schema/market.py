"""Daily market data: stock prices and fund net asset values."""

from __future__ import annotations

from wealthdesk.schema.columns import FUND_CODE, SECURITY_CODE
from wealthdesk.schema.model import Column, ForeignKey, Table
from wealthdesk.schema.model import ColumnType as T

GROUP = "Market data"

SECURITY_PRICES = Table(
    name="security_prices",
    description="Daily prices of stocks (forward-adjusted).",
    group=GROUP,
    key=("code", "trade_date"),
    foreign_keys=(ForeignKey(("code",), "securities", ("code",)),),
    freshness_column="trade_date",
    columns=(
        Column("code", T.STRING, "Stock.", required=True, pattern=SECURITY_CODE),
        Column("trade_date", T.DATE, "Trading day.", required=True),
        Column("open", T.PRICE, "Opening price.", minimum=0),
        Column("high", T.PRICE, "High.", minimum=0),
        Column("low", T.PRICE, "Low.", minimum=0),
        Column("close", T.PRICE, "Closing price.", required=True, minimum=0),
        Column("volume", T.BIGINT, "Shares traded.", minimum=0),
    ),
)

FUND_NAVS = Table(
    name="fund_navs",
    description="Daily fund net asset values.",
    group=GROUP,
    key=("fund_code", "nav_date"),
    foreign_keys=(ForeignKey(("fund_code",), "funds", ("fund_code",)),),
    freshness_column="nav_date",
    columns=(
        Column("fund_code", T.STRING, "Fund.", required=True, pattern=FUND_CODE),
        Column("nav_date", T.DATE, "Valuation day.", required=True),
        Column("unit_nav", T.PRICE, "Unit net asset value (单位净值).", required=True, minimum=0),
        Column("accumulated_nav", T.PRICE, "Accumulated NAV including distributions (累计净值).", minimum=0),
    ),
)

TABLES = (SECURITY_PRICES, FUND_NAVS)
