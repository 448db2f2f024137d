"""What clients do: trades, holdings, cash movements and app behaviour."""

from __future__ import annotations

from wealthdesk.schema.columns import APP_EVENT_TYPES, ASSET_TYPES, DEVICES, TRADE_CHANNELS, TRADE_TYPES
from wealthdesk.schema.model import Column, ForeignKey, Table
from wealthdesk.schema.model import ColumnType as T

GROUP = "Client activity"

_STOCK_TRADE = "trade_type IN ('stock_buy', 'stock_sell')"
_FUND_TRADE = "trade_type IN ('fund_subscribe', 'fund_redeem')"

TRADES = Table(
    name="trades",
    description="Executed stock trades and fund subscriptions/redemptions.",
    group=GROUP,
    key=("trade_id",),
    foreign_keys=(
        ForeignKey(("account_id",), "accounts", ("account_id",)),
        ForeignKey(("instrument_code",), "securities", ("code",), when=_STOCK_TRADE),
        ForeignKey(("instrument_code",), "funds", ("fund_code",), when=_FUND_TRADE),
    ),
    freshness_column="trade_time",
    columns=(
        Column("trade_id", T.STRING, "Trade or fund order number.", required=True),
        Column("account_id", T.STRING, "Account.", required=True),
        Column("trade_time", T.TIMESTAMP, "Execution (or order confirmation) time.", required=True),
        Column("trade_type", T.STRING, "Kind of trade.", required=True, allowed=TRADE_TYPES),
        Column("instrument_code", T.STRING, "Stock code (e.g. 600519.SH) or fund code.", required=True),
        Column("quantity", T.DOUBLE, "Shares or fund units.", required=True, minimum=0),
        Column("price", T.PRICE, "Execution price or fund NAV applied.", required=True, minimum=0),
        Column("amount", T.MONEY, "Gross amount in CNY.", required=True, minimum=0),
        Column("fee", T.MONEY, "Commission, stamp duty and fund fees in CNY.", required=True, minimum=0),
        Column("channel", T.STRING, "Where the order came from.", required=True, allowed=TRADE_CHANNELS),
    ),
)

HOLDINGS = Table(
    name="holdings",
    description="End-of-day holdings snapshots per account (stocks, funds and cash).",
    group=GROUP,
    key=("snapshot_date", "account_id", "instrument_code"),
    foreign_keys=(
        ForeignKey(("account_id",), "accounts", ("account_id",)),
        ForeignKey(("instrument_code",), "securities", ("code",), when="asset_type = 'stock'"),
        ForeignKey(("instrument_code",), "funds", ("fund_code",), when="asset_type = 'fund'"),
    ),
    freshness_column="snapshot_date",
    columns=(
        Column("snapshot_date", T.DATE, "Date of the snapshot (close of day).", required=True),
        Column("account_id", T.STRING, "Account.", required=True),
        Column("asset_type", T.STRING, "stock, fund or cash.", required=True, allowed=ASSET_TYPES),
        Column("instrument_code", T.STRING, "Stock code, fund code, or CNY for cash.", required=True),
        Column("quantity", T.DOUBLE, "Shares, units, or CNY for cash.", required=True, minimum=0),
        Column("cost_amount", T.MONEY, "Total cost of the position in CNY.", minimum=0),
        Column("market_value", T.MONEY, "Market value at the snapshot date in CNY.", required=True, minimum=0),
    ),
)

CASH_FLOWS = Table(
    name="cash_flows",
    description="Deposits into and withdrawals from accounts (银证转账).",
    group=GROUP,
    key=("flow_id",),
    foreign_keys=(ForeignKey(("account_id",), "accounts", ("account_id",)),),
    freshness_column="flow_time",
    columns=(
        Column("flow_id", T.STRING, "Transfer serial number.", required=True),
        Column("account_id", T.STRING, "Account.", required=True),
        Column("flow_time", T.TIMESTAMP, "Time of the transfer.", required=True),
        Column("flow_type", T.STRING, "deposit or withdrawal.", required=True, allowed=("deposit", "withdrawal")),
        Column("amount", T.MONEY, "Amount in CNY (always positive).", required=True, minimum=0),
        Column("bank", T.STRING, "Bank on the other side."),
    ),
)

APP_EVENTS = Table(
    name="app_events",
    description="Behaviour events from the brokerage's mobile app and web site.",
    group=GROUP,
    key=("event_id",),
    foreign_keys=(ForeignKey(("customer_id",), "customers", ("customer_id",)),),
    freshness_column="event_time",
    columns=(
        Column("event_id", T.STRING, "Event id from the tracking SDK.", required=True),
        Column("customer_id", T.STRING, "Logged-in client.", required=True),
        Column("event_time", T.TIMESTAMP, "Client-side time of the event.", required=True),
        Column("event_type", T.STRING, "What happened.", required=True, allowed=APP_EVENT_TYPES),
        Column("object_id", T.STRING, "What it happened to: a stock, fund or content id, or a search term."),
        Column("device", T.STRING, "ios, android or web.", allowed=DEVICES),
    ),
)

TABLES = (TRADES, HOLDINGS, CASH_FLOWS, APP_EVENTS)
