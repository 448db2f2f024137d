"""The customer-profile table: one row per client, the contract of the Customer 360 stage.

The profile pipeline writes exactly these columns; rule tags and segments are
written over them (:mod:`wealthdesk.tags.expression` checks every name and
type against this list), and the docs list them. Amounts are in RMB, counts
are over the trailing window that ends on the pipeline's as-of date.
"""

from __future__ import annotations

from wealthdesk.schema.columns import INVESTOR_TYPES, RISK_LEVELS_CLIENT
from wealthdesk.schema.model import Column, ForeignKey, Table
from wealthdesk.schema.model import ColumnType as T

LIFECYCLE_STAGES = ("prospect", "opened", "funded", "active", "high_value", "dormant", "lost")
WINDOWS = (7, 30, 90)

_IDENTITY = (
    Column("customer_id", T.STRING, "Client number (客户号).", required=True),
    Column("branch_id", T.STRING, "Branch the client belongs to.", required=True),
    Column("advisor_id", T.STRING, "Advisor serving the client, if any."),
    Column("age", T.INT, "Age in whole years on the as-of date."),
    Column("days_since_registered", T.INT, "Days from registration to the as-of date."),
    Column("has_account", T.BOOL, "Has at least one securities account.", required=True),
    Column("funded", T.BOOL, "Has ever deposited cash (入金).", required=True),
    Column(
        "as_of",
        T.DATE,
        "The date the profile was built as of (activity fed in live since then counts too).",
        required=True,
    ),
)

_RISK = (
    Column("risk_level", T.STRING, "Risk tolerance C1 … C5; empty when never assessed.", allowed=RISK_LEVELS_CLIENT),
    Column("risk_level_rank", T.INT, "Risk level as a number 1 … 5 (C1 = 1), for comparisons; empty when unassessed."),
    Column("risk_assessed_date", T.DATE, "Date of the latest risk assessment."),
    Column(
        "risk_assessment_valid", T.BOOL, "The assessment exists and has not expired on the as-of date.", required=True
    ),
    Column("investor_type", T.STRING, "ordinary or professional.", required=True, allowed=INVESTOR_TYPES),
    Column("chinext_enabled", T.BOOL, "May trade ChiNext (创业板).", required=True),
    Column("star_enabled", T.BOOL, "May trade the STAR market (科创板).", required=True),
    Column("level2_enabled", T.BOOL, "Subscribes to Level-2 market data.", required=True),
)

_ASSETS = (
    Column("aum", T.DOUBLE, "Assets under management: stocks + funds + cash on the latest snapshot.", required=True),
    Column("stock_value", T.DOUBLE, "Market value of stocks.", required=True),
    Column("fund_value", T.DOUBLE, "Market value of funds.", required=True),
    Column("cash_value", T.DOUBLE, "Cash balance.", required=True),
    Column("stock_share", T.DOUBLE, "Stocks as a share of AUM (0 … 1); empty when AUM is 0."),
    Column("fund_share", T.DOUBLE, "Funds as a share of AUM (0 … 1); empty when AUM is 0."),
    Column("cash_share", T.DOUBLE, "Cash as a share of AUM (0 … 1); empty when AUM is 0."),
    Column("money_fund_value", T.DOUBLE, "Market value of money-market funds.", required=True),
    Column("bond_fund_value", T.DOUBLE, "Market value of bond funds.", required=True),
    Column("hybrid_fund_value", T.DOUBLE, "Market value of hybrid funds.", required=True),
    Column("equity_fund_value", T.DOUBLE, "Market value of equity funds.", required=True),
    Column("index_fund_value", T.DOUBLE, "Market value of index funds and ETFs.", required=True),
    Column("qdii_fund_value", T.DOUBLE, "Market value of QDII funds.", required=True),
    Column("fof_fund_value", T.DOUBLE, "Market value of FOFs.", required=True),
    Column("main_board_value", T.DOUBLE, "Market value of main-board stocks (主板).", required=True),
    Column("chinext_value", T.DOUBLE, "Market value of ChiNext stocks (创业板).", required=True),
    Column("star_value", T.DOUBLE, "Market value of STAR-market stocks (科创板).", required=True),
    Column("holds_chinext", T.BOOL, "Holds at least one ChiNext stock.", required=True),
    Column("holds_star", T.BOOL, "Holds at least one STAR-market stock.", required=True),
    Column("holds_crowded", T.BOOL, "Holds a crowded (抱团) stock or a fund heavy in them.", required=True),
    Column("max_product_risk_rank", T.INT, "Highest risk rank (R1 = 1 … R5 = 5) among funds held; empty when none."),
    Column("realised_pnl", T.DOUBLE, "Realised profit and loss from sells and redemptions, all time.", required=True),
    Column("unrealised_pnl", T.DOUBLE, "Market value minus cost of current positions.", required=True),
    Column("net_inflow_30d", T.DOUBLE, "Deposits minus withdrawals over the last 30 days.", required=True),
    Column("fund_redeemed_90d", T.DOUBLE, "Amount of fund redemptions over the last 90 days.", required=True),
    Column("fund_subscribed_90d", T.DOUBLE, "Amount of fund subscriptions over the last 90 days.", required=True),
)

_ACTIVITY = (
    Column("last_trade_date", T.DATE, "Date of the latest trade."),
    Column("last_login_date", T.DATE, "Date of the latest app login."),
    Column("last_chat_date", T.DATE, "Date of the latest WeCom message the client wrote."),
    Column("days_since_last_trade", T.INT, "Days since the latest trade; empty when never traded."),
    Column("days_since_last_login", T.INT, "Days since the latest app login; empty when never logged in."),
    Column("days_since_last_chat", T.INT, "Days since the client last wrote on WeCom; empty when never."),
    *(Column(f"trades_{d}d", T.INT, f"Trades over the last {d} days.", required=True) for d in WINDOWS),
    *(Column(f"logins_{d}d", T.INT, f"App logins over the last {d} days.", required=True) for d in WINDOWS),
    *(
        Column(f"app_events_{d}d", T.INT, f"App events of any kind over the last {d} days.", required=True)
        for d in WINDOWS
    ),
    *(
        Column(f"chats_{d}d", T.INT, f"WeCom messages the client wrote over the last {d} days.", required=True)
        for d in WINDOWS
    ),
)

_RELATIONSHIP = (
    Column("has_wecom", T.BOOL, "An advisor has the client as a WeCom external contact.", required=True),
    Column("wecom_added_date", T.DATE, "When the current WeCom relationship began."),
    Column(
        "lifecycle_stage",
        T.STRING,
        "prospect → opened → funded → active → high_value → dormant → lost (rules in docs/profiles.md).",
        required=True,
        allowed=LIFECYCLE_STAGES,
    ),
)

PROFILES = Table(
    name="profiles",
    description="Customer 360: one row per client, rebuilt by the pipeline as of a date.",
    group="Customer 360",
    key=("customer_id",),
    foreign_keys=(ForeignKey(("customer_id",), "customers", ("customer_id",)),),
    columns=(*_IDENTITY, *_RISK, *_ASSETS, *_ACTIVITY, *_RELATIONSHIP),
)
