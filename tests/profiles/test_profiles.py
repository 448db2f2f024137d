"""Customer 360 on a hand-built store whose every expected value was worked out by hand.

Six clients, one per lifecycle stage that matters, as of 2024-06-30:

- A: active. Deposited 100,000; bought 1,000 × 300750.SZ (ChiNext, crowded) at 50 with a 5 fee,
  sold 500 at 60 with a 3 fee → realised P&L = 30,000 − 3 − 500 × 50.005 = 4,994.50.
  Snapshot 2024-06-28: 500 shares worth 35,000 (cost 25,002.50), an equity fund worth 10,000
  (cost 9,000, R4), cash 60,000. Two logins (2024-06-29, 2024-05-01), two client messages on
  WeCom (2024-06-25, 2024-03-01 China time) and one from the advisor, which does not count.
- B: prospect (no account). C: opened (account, never deposited).
- D: dormant — last trade 2023-12-01, no login since. E: high value — 1,200,000 cash, traded 2024-06-20.
- F: lost — AUM 50, sold on 2024-01-15 (with no earlier buy), bought on 2024-02-01.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from wealthdesk.pipeline.run import run_pipeline
from wealthdesk.store import open_store
from wealthdesk.testing import fresh_store

AS_OF = date(2024, 6, 30)
SNAP = date(2024, 6, 28)


def insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    for row in rows:
        cols = ", ".join(f'"{c}"' for c in row)
        con.execute(f'INSERT INTO "{table}" ({cols}) VALUES ({", ".join("?" for _ in row)})', list(row.values()))


def client(cid: str, **extra: object) -> dict:
    row = {
        "customer_id": cid,
        "name": "张三",
        "branch_id": "B1",
        "advisor_id": "E1",
        "birth_date": date(1980, 7, 1),
        "risk_level": "C4",
        "risk_assessed_date": date(2023, 1, 1),
        "investor_type": "ordinary",
        "acquisition_channel": "branch",
        "registered_at": datetime(2020, 1, 1, 9, 0),
    }
    return row | extra


def account(aid: str, cid: str, **extra: object) -> dict:
    row = {
        "account_id": aid,
        "customer_id": cid,
        "account_type": "cash",
        "opened_date": date(2020, 1, 2),
        "status": "normal",
        "chinext_enabled": True,
        "chinext_date": date(2021, 1, 1),
        "star_enabled": False,
        "level2_enabled": False,
    }
    return row | extra


def trade(tid: str, aid: str, when: str, kind: str, code: str, qty: float, price: float, fee: float) -> dict:
    return {
        "trade_id": tid,
        "account_id": aid,
        "trade_time": datetime.fromisoformat(when),
        "trade_type": kind,
        "instrument_code": code,
        "quantity": qty,
        "price": price,
        "amount": qty * price,
        "fee": fee,
        "channel": "app",
    }


def holding(aid: str, kind: str, code: str, value: float, cost: float | None) -> dict:
    return {
        "snapshot_date": SNAP,
        "account_id": aid,
        "asset_type": kind,
        "instrument_code": code,
        "quantity": value,
        "cost_amount": cost,
        "market_value": value,
    }


def deposit(fid: str, aid: str, when: str, amount: float, kind: str = "deposit") -> dict:
    return {
        "flow_id": fid,
        "account_id": aid,
        "flow_time": datetime.fromisoformat(when),
        "flow_type": kind,
        "amount": amount,
    }


def message(mid: str, sender: str, to: str, china_time: str) -> dict:
    utc = datetime.fromisoformat(china_time).replace(tzinfo=None)
    epoch = int((utc - datetime(1970, 1, 1)).total_seconds() * 1000) - 8 * 3600 * 1000
    return {
        "msgid": mid,
        "action": "send",
        "sender": sender,
        "tolist": [to],
        "msgtime": epoch,
        "msgtype": "text",
        "content": "我想了解创业板",
    }


def build_store(folder: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(fresh_store(folder).store))
    insert(con, "branches", [{"branch_id": "B1", "name": "上海营业部", "city": "上海", "province": "上海"}])
    insert(con, "advisors", [{"advisor_id": "E1", "name": "李四", "wecom_userid": "lisi", "branch_id": "B1"}])
    insert(
        con,
        "securities",
        [{"code": "300750.SZ", "name": "宁德时代", "board": "chinext", "exchange": "SZ", "crowded": True}],
    )
    insert(
        con,
        "funds",
        [
            {
                "fund_code": "110011",
                "name": "易方达中小盘",
                "fund_type": "equity",
                "company": "易方达",
                "risk_level": "R4",
            }
        ],
    )
    insert(con, "customers", [client(c) for c in "ABCDEF"])
    insert(con, "accounts", [account(f"A{c}", c) for c in "ACDEF"])
    insert(
        con,
        "trades",
        [
            trade("T1", "AA", "2024-06-03 10:00:00", "stock_buy", "300750.SZ", 1000, 50, 5),
            trade("T2", "AA", "2024-06-27 10:00:00", "stock_sell", "300750.SZ", 500, 60, 3),
            trade("T3", "AA", "2024-06-05 10:00:00", "fund_subscribe", "110011", 9000, 1, 0),
            trade("T4", "AD", "2023-12-01 10:00:00", "stock_buy", "300750.SZ", 100, 40, 1),
            trade("T5", "AE", "2024-06-20 10:00:00", "stock_buy", "300750.SZ", 10, 50, 1),
            trade("T6", "AF", "2024-01-15 10:00:00", "stock_sell", "300750.SZ", 10, 50, 1),
            trade("T7", "AA", "2024-07-02 10:00:00", "stock_buy", "300750.SZ", 10, 50, 1),  # after as-of: ignored
            trade("T8", "AF", "2024-02-01 10:00:00", "stock_buy", "300750.SZ", 10, 40, 1),  # after F's sell
        ],
    )
    insert(
        con,
        "holdings",
        [
            holding("AA", "stock", "300750.SZ", 35_000, 25_002.5),
            holding("AA", "fund", "110011", 10_000, 9_000),
            holding("AA", "cash", "CNY", 60_000, None),
            holding("AD", "cash", "CNY", 5_000, None),
            holding("AE", "cash", "CNY", 1_200_000, None),
            holding("AF", "cash", "CNY", 50, None),
        ],
    )
    insert(
        con,
        "cash_flows",
        [
            deposit("F1", "AA", "2024-06-01 09:00:00", 100_000),
            deposit("F2", "AA", "2024-06-20 09:00:00", 5_000, "withdrawal"),
            deposit("F3", "AD", "2023-01-01 09:00:00", 5_000),
            deposit("F4", "AE", "2022-01-01 09:00:00", 1_200_000),
            deposit("F5", "AF", "2022-01-01 09:00:00", 1_000),
        ],
    )
    insert(
        con,
        "app_events",
        [
            {"event_id": "E1", "customer_id": "A", "event_time": datetime(2024, 6, 29, 20), "event_type": "login"},
            {"event_id": "E2", "customer_id": "A", "event_time": datetime(2024, 5, 1, 20), "event_type": "login"},
            {
                "event_id": "E3",
                "customer_id": "A",
                "event_time": datetime(2024, 6, 29, 20, 5),
                "event_type": "view_quote",
            },
        ],
    )
    insert(
        con,
        "wecom_contacts",
        [
            {
                "advisor_userid": "lisi",
                "external_userid": "wmAAAAAAAAAAAA",
                "customer_id": "A",
                "added_at": datetime(2022, 3, 1),
            },
            {
                "advisor_userid": "lisi",
                "external_userid": "wmFFFFFFFFFFFF",
                "customer_id": "F",
                "added_at": datetime(2022, 3, 1),
                "deleted_at": datetime(2023, 3, 1),
            },
        ],
    )
    insert(
        con,
        "wecom_messages",
        [
            message("M1", "wmAAAAAAAAAAAA", "lisi", "2024-06-25 00:30:00"),  # 2024-06-24 16:30 UTC
            message("M2", "wmAAAAAAAAAAAA", "lisi", "2024-03-01 12:00:00"),
            message("M3", "lisi", "wmAAAAAAAAAAAA", "2024-06-29 12:00:00"),  # the advisor's: not the client's
        ],
    )
    return con


@pytest.fixture(scope="module")
def profiles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("profiles")
    con = build_store(folder)
    run_pipeline(con, as_of=AS_OF)
    rows = con.sql("SELECT * FROM profiles").to_arrow_table().to_pylist()
    con.close()
    return {row["customer_id"]: row for row in rows}


def test_one_row_per_client(profiles: dict[str, dict]) -> None:
    assert sorted(profiles) == list("ABCDEF")


def test_lifecycle_stages(profiles: dict[str, dict]) -> None:
    stages = {cid: row["lifecycle_stage"] for cid, row in profiles.items()}
    assert stages == {"A": "active", "B": "prospect", "C": "opened", "D": "dormant", "E": "high_value", "F": "lost"}


def test_assets_and_allocation(profiles: dict[str, dict]) -> None:
    a = profiles["A"]
    assert (a["stock_value"], a["fund_value"], a["cash_value"], a["aum"]) == (35_000, 10_000, 60_000, 105_000)
    assert a["stock_share"] == pytest.approx(1 / 3)
    assert (a["chinext_value"], a["main_board_value"], a["equity_fund_value"], a["money_fund_value"]) == (
        35_000,
        0,
        10_000,
        0,
    )
    assert a["holds_chinext"] and a["holds_crowded"] and not a["holds_star"]
    assert a["max_product_risk_rank"] == 4
    assert profiles["B"]["aum"] == 0 and profiles["B"]["stock_share"] is None


def test_profit_and_loss(profiles: dict[str, dict]) -> None:
    a = profiles["A"]
    assert a["unrealised_pnl"] == pytest.approx(35_000 - 25_002.5 + 10_000 - 9_000)
    assert a["realised_pnl"] == pytest.approx(30_000 - 3 - 500 * 50.005)
    assert (
        profiles["F"]["realised_pnl"] == 0
    )  # F's sell came before any buy: no known cost, a later buy changes nothing


def test_activity_windows_and_recency(profiles: dict[str, dict]) -> None:
    a = profiles["A"]
    assert a["last_trade_date"] == date(2024, 6, 27) and a["days_since_last_trade"] == 3
    assert (a["trades_7d"], a["trades_30d"], a["trades_90d"]) == (1, 3, 3)  # the July trade is after as-of
    assert a["last_login_date"] == date(2024, 6, 29) and (a["logins_7d"], a["logins_90d"]) == (1, 2)
    assert (a["app_events_7d"], a["app_events_90d"]) == (2, 3)
    assert a["last_chat_date"] == date(2024, 6, 25)  # China time, though UTC was still the 24th
    assert (a["chats_7d"], a["chats_30d"], a["chats_90d"]) == (1, 1, 1)  # M3 is the advisor's
    assert a["net_inflow_30d"] == 95_000 and a["funded"]
    assert a["fund_subscribed_90d"] == 9_000 and a["fund_redeemed_90d"] == 0
    assert profiles["B"]["last_trade_date"] is None and profiles["B"]["trades_90d"] == 0


def test_identity_risk_and_relationship(profiles: dict[str, dict]) -> None:
    a = profiles["A"]
    assert a["age"] == 43  # born 1980-07-01: not yet 44 on 2024-06-30
    assert a["risk_level_rank"] == 4 and a["risk_assessment_valid"]
    assert a["chinext_enabled"] and not a["level2_enabled"]
    assert a["has_wecom"] and a["wecom_added_date"] == date(2022, 3, 1)
    assert not profiles["F"]["has_wecom"]  # the relationship was deleted in 2023
    assert not profiles["B"]["has_account"] and not profiles["C"]["funded"]


def test_assessment_expires_after_two_years(tmp_path: Path) -> None:
    con = build_store(tmp_path)
    con.execute("UPDATE customers SET risk_assessed_date = DATE '2022-06-29' WHERE customer_id = 'A'")
    run_pipeline(con, as_of=AS_OF)
    valid = con.execute("SELECT risk_assessment_valid FROM profiles WHERE customer_id = 'A'").fetchone()[0]
    assert valid is False
    assert (
        con.execute(
            "SELECT count(*) FROM customer_tags WHERE customer_id = 'A' AND tag = 'assessment_expired'"
        ).fetchone()[0]
        == 1
    )


def test_an_assessment_made_after_the_as_of_date_was_not_known_then(tmp_path: Path) -> None:
    con = build_store(tmp_path)
    run_pipeline(con, as_of=date(2022, 12, 31))  # A was assessed on 2023-01-01
    row = con.execute(
        "SELECT risk_level, risk_level_rank, risk_assessed_date, risk_assessment_valid FROM profiles "
        "WHERE customer_id = 'A'"
    ).fetchone()
    assert row == (None, None, None, False)
    tags = {t for (t,) in con.execute("SELECT tag FROM customer_tags WHERE customer_id = 'A'").fetchall()}
    assert "aggressive_investor" not in tags


def test_stage_history_records_changes_and_reruns_add_nothing(tmp_path: Path) -> None:
    con = build_store(tmp_path)
    run_pipeline(con, as_of=date(2024, 1, 31))
    run_pipeline(con, as_of=AS_OF)
    run_pipeline(con, as_of=AS_OF)
    spells = con.execute(
        "SELECT stage, valid_from, valid_to FROM profile_stage_history WHERE customer_id = 'D' ORDER BY valid_from"
    ).fetchall()
    # D traded on 2023-12-01: 61 days inactive on 2024-01-31 (funded), 212 days on 2024-06-30 (dormant)
    assert spells == [("funded", date(2024, 1, 31), AS_OF), ("dormant", AS_OF, None)]
    open_spells = con.execute("SELECT count(*) FROM profile_stage_history WHERE valid_to IS NULL").fetchone()[0]
    assert open_spells == 6


def test_rule_tags_follow_the_profile(tmp_path: Path) -> None:
    con = build_store(tmp_path)
    report = run_pipeline(con, as_of=AS_OF)
    tags = {(c, t) for c, t in con.execute("SELECT customer_id, tag FROM customer_tags").fetchall()}
    assert report.tag_version == "1"
    assert {("A", "holds_chinext"), ("A", "holds_crowded_stocks"), ("E", "high_net_worth")} <= tags
    assert {("B", "prospect"), ("C", "opened_not_funded"), ("D", "dormant"), ("F", "lost")} <= tags
    assert ("A", "high_net_worth") not in tags and ("B", "holds_chinext") not in tags
    assert report.rows["customer_tags"] == len(tags)


def test_store_opened_through_settings_works_too(tmp_path: Path) -> None:
    build_store(tmp_path).close()
    with open_store(fresh_store(tmp_path)) as con:
        assert run_pipeline(con, as_of=AS_OF).rows["profiles"] == 6
