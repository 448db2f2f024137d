"""The hand-made brokerage the governance tests run on (see conftest.py for the fixtures).

Four customers: C1 (two accounts, funded, ≥ 1M AUM), C2 (funded in June), C3
(account opened, never funded), C4 (a prospect without an account). The newest
client activity is 2022-06-30. Every quality rule passes on these rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import duckdb

from wealthdesk.schema import TABLES_BY_NAME


def insert(con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table`` with a parameterised statement."""
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    con.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', [list(r) for r in rows])


def _ms(text: str) -> int:
    """Epoch milliseconds of a Beijing (UTC+8) local time."""
    local = datetime.fromisoformat(text + "+08:00")
    return int(local.astimezone(UTC).timestamp() * 1000)


D = date.fromisoformat
T = datetime.fromisoformat


def populate(con: duckdb.DuckDBPyConnection) -> None:
    insert(
        con, "branches", ["branch_id", "name", "city", "province"], [("B01", "上海世纪大道证券营业部", "上海", "上海")]
    )
    insert(con, "advisors", ["advisor_id", "name", "wecom_userid", "branch_id"], [("A01", "张敏", "zhangmin", "B01")])
    insert(
        con,
        "securities",
        ["code", "name", "board", "exchange", "crowded"],
        [("600519.SH", "贵州茅台", "main", "SH", True), ("300750.SZ", "宁德时代", "chinext", "SZ", True)],
    )
    insert(
        con,
        "funds",
        ["fund_code", "name", "fund_type", "company", "risk_level"],
        [
            ("000001", "华夏成长混合", "hybrid", "华夏基金", "R3"),
            ("000009", "易方达天天理财", "money", "易方达基金", "R1"),
        ],
    )
    insert(
        con,
        "fund_top_holdings",
        ["fund_code", "report_date", "code", "weight"],
        [("000001", D("2022-03-31"), "600519.SH", 0.08)],
    )
    insert(con, "security_prices", ["code", "trade_date", "close"], [("600519.SH", D("2022-06-30"), 1800)])
    insert(con, "fund_navs", ["fund_code", "nav_date", "unit_nav"], [("000001", D("2022-06-30"), 1.5)])
    insert(
        con,
        "contents",
        ["content_id", "content_type", "title", "topics", "publish_date"],
        [("CT1", "research_report", "创业板周报", ["创业板"], D("2022-06-01"))],
    )
    insert(
        con,
        "campaigns",
        ["campaign_id", "name", "objective", "channel", "start_date", "cost", "content_id"],
        [("CP1", "企微活码拉新", "acquisition", "wecom_qrcode", D("2022-05-01"), 1000, "CT1")],
    )
    customers = [
        "customer_id",
        "name",
        "branch_id",
        "advisor_id",
        "investor_type",
        "acquisition_channel",
        "acquisition_campaign_id",
        "registered_at",
    ]
    insert(
        con,
        "customers",
        customers,
        [
            ("C1", "李雷", "B01", "A01", "ordinary", "branch", None, T("2021-12-20 10:00")),
            ("C2", "韩梅梅", "B01", "A01", "ordinary", "wecom_qrcode", "CP1", T("2022-06-05 11:00")),
            ("C3", "王芳", "B01", None, "ordinary", "app_organic", None, T("2022-06-18 09:30")),
            ("C4", "赵强", "B01", None, "ordinary", "app_organic", None, T("2022-06-01 12:00")),  # prospect, no account
        ],
    )
    accounts = [
        "account_id",
        "customer_id",
        "account_type",
        "opened_date",
        "status",
        "chinext_enabled",
        "star_enabled",
        "level2_enabled",
    ]
    insert(
        con,
        "accounts",
        accounts,
        [
            ("AC1", "C1", "cash", D("2022-01-10"), "normal", True, False, False),
            ("AC1M", "C1", "margin", D("2022-03-01"), "normal", False, False, False),
            ("AC2", "C2", "cash", D("2022-06-10"), "normal", False, False, False),
            ("AC3", "C3", "cash", D("2022-06-20"), "normal", False, False, False),
        ],
    )
    trades = list(TABLES_BY_NAME["trades"].column_names)
    insert(
        con,
        "trades",
        trades,
        [
            ("TR1", "AC1", T("2022-06-30 10:00"), "stock_buy", "600519.SH", 100, 1800, 180000, 5, "app"),
            ("TR2", "AC2", T("2022-06-15 14:00"), "fund_subscribe", "000001", 1000, 1.2, 1200, 12, "app"),
            ("TR3", "AC1", T("2022-04-01 10:00"), "stock_sell", "300750.SZ", 100, 500, 50000, 30, "pc"),
        ],
    )
    holdings = ["snapshot_date", "account_id", "asset_type", "instrument_code", "quantity", "market_value"]
    insert(
        con,
        "holdings",
        holdings,
        [
            (D("2022-06-29"), "AC1", "stock", "600519.SH", 500, 880000),
            (D("2022-06-29"), "AC2", "cash", "CNY", 500, 500),
            (D("2022-06-30"), "AC1", "stock", "600519.SH", 500, 900000),
            (D("2022-06-30"), "AC1", "cash", "CNY", 200000, 200000),
            (D("2022-06-30"), "AC1M", "fund", "000009", 100000, 100000),
            (D("2022-06-30"), "AC2", "fund", "000001", 1000, 1500),
            (D("2022-06-30"), "AC2", "cash", "CNY", 500, 500),
        ],
    )
    insert(
        con,
        "cash_flows",
        ["flow_id", "account_id", "flow_time", "flow_type", "amount"],
        [
            ("F1", "AC1", T("2022-01-15 09:00"), "deposit", 1000000),
            ("F2", "AC2", T("2022-06-12 09:00"), "deposit", 5000),
            ("F3", "AC1", T("2022-06-20 09:00"), "withdrawal", 20000),
            ("F4", "AC1M", T("2022-06-25 09:00"), "deposit", 100000),
            ("F5", "AC2", T("2022-06-30 23:59"), "withdrawal", 1000),
        ],
    )
    insert(
        con,
        "app_events",
        ["event_id", "customer_id", "event_time", "event_type", "object_id", "device"],
        [
            ("E1", "C3", T("2022-06-25 09:00"), "login", None, "ios"),
            ("E2", "C4", T("2022-06-29 10:00"), "view_quote", "600519.SH", "android"),
            ("E3", "C1", T("2022-06-28 08:00"), "login", None, "ios"),
        ],
    )
    insert(
        con,
        "wecom_contacts",
        ["advisor_userid", "external_userid", "customer_id", "added_at"],
        [("zhangmin", "wmABCDEFGHIJKL", "C1", T("2022-06-28 10:00"))],
    )
    insert(
        con,
        "wecom_messages",
        ["msgid", "seq", "action", "sender", "tolist", "msgtime", "msgtype", "content"],
        [("m1", 1, "send", "wmABCDEFGHIJKL", ["zhangmin"], _ms("2022-06-29 10:00"), "text", "创业板怎么看")],
    )
    insert(
        con,
        "campaign_touches",
        ["touch_id", "campaign_id", "customer_id", "touched_at", "channel", "cost"],
        [("TO1", "CP1", "C2", T("2022-06-26 10:00"), "wecom", 1.5)],
    )
    insert(
        con,
        "news",
        ["news_id", "published_at", "title", "related_codes"],
        [("N1", T("2022-06-29 08:00"), "贵州茅台发布半年报预告", ["600519.SH"])],
    )
