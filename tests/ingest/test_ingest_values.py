"""Each value rule of the contract: accepted spellings and the reason a bad value gets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from ingest_files import VALID_ID, one, quarantine, trade, write_csv, write_jsonl

from wealthdesk.ingest import ingest_path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-01 10:00:00", dt.datetime(2024, 3, 1, 10)),
        ("2024-03-01T10:00:00.250000", dt.datetime(2024, 3, 1, 10, 0, 0, 250000)),
        ("20240301100000", dt.datetime(2024, 3, 1, 10)),
    ],
)
def test_timestamp_spellings(parents_store, tmp_path: Path, text: str, expected: dt.datetime) -> None:
    report = ingest_path(parents_store, write_csv(tmp_path / "trades.csv", [trade(trade_time=text)]))
    assert one(report).rows_loaded == 1, quarantine(parents_store)
    assert parents_store.execute("SELECT trade_time FROM trades").fetchone()[0] == expected


@pytest.mark.parametrize("text", ["20240301", "2024-03-01"])
def test_date_spellings(store, tmp_path: Path, text: str) -> None:
    rows = [{"branch_id": "B1", "name": "n", "city": "c", "province": "p", "opened_date": text}]
    assert one(ingest_path(store, write_csv(tmp_path / "branches.csv", rows))).rows_loaded == 1
    assert store.execute("SELECT opened_date FROM branches").fetchone()[0] == dt.date(2024, 3, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True),
        ("FALSE", False),
        ("1", True),
        ("0", False),
        ("Y", True),
        ("n", False),
        ("是", True),
        ("否", False),
    ],
)
def test_boolean_spellings(store, tmp_path: Path, text: str, expected: bool) -> None:
    rows = [{"code": "600519.SH", "name": "贵州茅台", "board": "main", "exchange": "SH", "crowded": text}]
    assert one(ingest_path(store, write_csv(tmp_path / "securities.csv", rows))).rows_loaded == 1
    assert store.execute("SELECT crowded FROM securities").fetchone()[0] is expected


BAD_TRADES = [
    (trade(trade_time="2024/03/01"), "trade_time: cannot read '2024/03/01' as a timestamp"),
    (trade(quantity="1,000"), "quantity: cannot read '1,000' as a number"),
    (trade(price="abc"), "price: cannot read 'abc' as a price"),
    (trade(fee=""), "fee: required value is missing"),
    (trade(channel="wechat"), "channel: 'wechat' is not one of app, pc, counter, phone, advisor"),
    (trade(amount="-3"), "amount: '-3.00' is below the minimum 0"),
    (trade(quantity="nan"), "quantity: cannot read 'nan' as a number"),
]


@pytest.mark.parametrize(("row", "reason"), BAD_TRADES)
def test_bad_trade_values_are_quarantined_with_reason(parents_store, tmp_path: Path, row, reason: str) -> None:
    report = ingest_path(parents_store, write_csv(tmp_path / "trades.csv", [trade("T0"), row | {"trade_id": "T9"}]))
    result = one(report)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 1, 1)
    [(line, text, raw)] = quarantine(parents_store)
    assert line == 3
    assert text.startswith(reason), text
    assert '"trade_id":"T9"' in raw


def test_pattern_and_id_checksum(store, tmp_path: Path) -> None:
    rows = [
        {"code": "600519", "name": "x", "board": "main", "exchange": "SH", "crowded": "N"},
        {"code": "600519.SH", "name": "x", "board": "gem", "exchange": "SH", "crowded": "maybe"},
    ]
    ingest_path(store, write_csv(tmp_path / "securities.csv", rows))
    reasons = [r[1] for r in quarantine(store)]
    assert reasons == [
        "code: '600519' does not match ^\\d{6}\\.(SH|SZ)$",
        "board: 'gem' is not one of main, chinext, star; crowded: cannot read 'maybe' as a boolean "
        "(true/false, 1/0, Y/N, 是/否)",
    ]


def test_id_number_check_digit(parents_store, tmp_path: Path) -> None:
    good = {
        "customer_id": "C2",
        "name": "李四",
        "id_number": VALID_ID.lower(),
        "branch_id": "B1",
        "investor_type": "ordinary",
        "acquisition_channel": "branch",
        "registered_at": "2024-01-01 00:00:00",
    }
    wrong = good | {"customer_id": "C3", "id_number": VALID_ID[:-1] + "1"}
    result = one(ingest_path(parents_store, write_csv(tmp_path / "customers.csv", [good, wrong])))
    # lower-case x fails the schema pattern ^\d{17}[\dX]$ but not the checksum
    reasons = [r[1] for r in quarantine(parents_store)]
    assert reasons == [
        "id_number does not match ^\\d{17}[\\dX]$",
        "id_number: check digit is wrong (GB 11643 ISO 7064 MOD 11-2)",
    ]
    assert result.rows_quarantined == 2


def test_lists_from_json_arrays(store, tmp_path: Path) -> None:
    rows = [
        {
            "content_id": "K1",
            "content_type": "advisor_view",
            "title": "t",
            "topics": '["创业板", "定投"]',
            "publish_date": "20240301",
        },
        {
            "content_id": "K2",
            "content_type": "advisor_view",
            "title": "t",
            "topics": "创业板",
            "publish_date": "20240301",
        },
    ]
    result = one(ingest_path(store, write_csv(tmp_path / "contents.csv", rows)))
    assert result.rows_loaded == 1
    assert store.execute("SELECT topics FROM contents").fetchone()[0] == ["创业板", "定投"]
    assert quarantine(store)[0][1] == "topics: cannot read '创业板' as a list (a JSON array of strings)"


def test_jsonl_lists_numbers_and_alias(store, tmp_path: Path) -> None:
    rows = [
        {
            "msgid": "m1",
            "seq": 7,
            "action": "send",
            "from": "wang",
            "tolist": ["wmABCDEFGHIJK"],
            "msgtime": 1709251200000,
            "msgtype": "text",
            "content": "我想了解创业板",
        },
        {"msgid": "m2", "action": "send", "from": "wang", "tolist": "wm1", "msgtime": -5, "msgtype": "text"},
    ]
    result = one(ingest_path(store, write_jsonl(tmp_path / "wecom_messages.jsonl", rows)))
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    assert store.execute("SELECT sender, tolist, seq, msgtime FROM wecom_messages").fetchone() == (
        "wang",
        ["wmABCDEFGHIJK"],
        7,
        1709251200000,
    )
    assert quarantine(store)[0][1] == (
        "tolist: cannot read '\"wm1\"' as a list (a JSON array of strings); msgtime: '-5' is below the minimum 0"
    )


def test_empty_strings_are_null_and_optional_columns_may_be_missing(store, tmp_path: Path) -> None:
    rows = [{"branch_id": "B1", "name": "n", "city": "c", "province": "p", "opened_date": ""}]
    assert one(ingest_path(store, write_csv(tmp_path / "branches.csv", rows))).rows_loaded == 1
    assert store.execute("SELECT opened_date FROM branches").fetchone()[0] is None
