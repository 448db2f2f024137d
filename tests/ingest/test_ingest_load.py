"""Loading: natural keys, upserts, foreign keys, quarantine bookkeeping, reconciliation, PII."""

from __future__ import annotations

import io
from pathlib import Path

from ingest_files import ACCOUNTS, ADVISORS, CUSTOMERS, VALID_ID, one, quarantine, trade, write_csv, write_parquet
from rich.console import Console

from wealthdesk.ingest import ingest_path, render_load_report


def counts(result) -> tuple[int, int, int, int, int]:
    return (result.rows_read, result.rows_loaded, result.rows_updated, result.rows_unchanged, result.rows_quarantined)


def test_duplicate_keys_in_file_and_reingest_adds_nothing(parents_store, tmp_path: Path) -> None:
    rows = [trade("T1"), trade("T2"), trade("T1", fee="6")]
    path = write_csv(tmp_path / "trades.csv", rows)
    first = one(ingest_path(parents_store, path))
    assert counts(first) == (3, 2, 0, 0, 1)
    assert quarantine(parents_store)[0][:2] == (4, "duplicate key (trade_id=T1) first seen at line 2")
    again = one(ingest_path(parents_store, path))
    assert counts(again) == (3, 0, 0, 2, 1)
    assert parents_store.execute("SELECT count(*) FROM trades").fetchone()[0] == 2
    # the earlier load's quarantine rows were replaced, not duplicated
    assert len(quarantine(parents_store)) == 1
    batches = parents_store.execute("SELECT count(*) FROM _ingest_batches WHERE table_name = 'trades'").fetchone()[0]
    assert batches == 2


def test_same_key_in_another_file_is_unchanged_for_immutable_tables(parents_store, tmp_path: Path) -> None:
    write_parquet(tmp_path / "trades" / "part-0001.parquet", [trade("T1")])
    write_parquet(tmp_path / "trades" / "part-0002.parquet", [trade("T1", fee="9"), trade("T2")])
    report = ingest_path(parents_store, tmp_path / "trades")
    assert [counts(f) for f in report.files] == [(1, 1, 0, 0, 0), (2, 1, 0, 1, 0)]
    assert parents_store.execute("SELECT fee FROM trades WHERE trade_id = 'T1'").fetchone()[0] == 5


def test_mutable_table_upsert(parents_store, tmp_path: Path) -> None:
    changed = ACCOUNTS[0] | {"status": "dormant"}
    new = ACCOUNTS[0] | {"account_id": "AC2"}
    result = one(ingest_path(parents_store, write_csv(tmp_path / "accounts.csv", [changed, new])))
    assert counts(result) == (2, 1, 1, 0, 0)
    assert parents_store.execute("SELECT account_id, status FROM accounts ORDER BY 1").fetchall() == [
        ("AC1", "dormant"),
        ("AC2", "normal"),
    ]
    result = one(ingest_path(parents_store, write_csv(tmp_path / "accounts.csv", [changed, new])))
    assert counts(result) == (2, 0, 0, 2, 0)
    batch = parents_store.execute("SELECT max(batch_id) FROM _ingest_batches WHERE table_name = 'accounts'").fetchone()
    assert parents_store.execute("SELECT DISTINCT _batch_id FROM accounts").fetchall() == [(batch[0] - 1,)]


def test_conditional_foreign_keys(parents_store, tmp_path: Path) -> None:
    rows = [
        trade("T1"),  # stock trade on a known stock
        trade("T2", trade_type="fund_subscribe", instrument_code="110011"),  # fund trade on a known fund
        trade("T3", trade_type="fund_subscribe", instrument_code="600519.SH"),  # a stock is not a fund
        trade("T4", instrument_code="110011"),  # a fund is not a stock
        trade("T5", account_id="NOPE"),
    ]
    result = one(ingest_path(parents_store, write_csv(tmp_path / "trades.csv", rows)))
    assert counts(result) == (5, 2, 0, 0, 3)
    assert [(line, reason) for line, reason, _ in quarantine(parents_store)] == [
        (
            4,
            "instrument_code=600519.SH not found in funds(fund_code), required when trade_type IN "
            "('fund_subscribe', 'fund_redeem'); load funds first or fix the value",
        ),
        (
            5,
            "instrument_code=110011 not found in securities(code), required when trade_type IN "
            "('stock_buy', 'stock_sell'); load securities first or fix the value",
        ),
        (6, "account_id=NOPE not found in accounts(account_id); load accounts first or fix the value"),
    ]


def test_several_failures_make_one_quarantine_row(parents_store, tmp_path: Path) -> None:
    rows = [trade("T1", account_id="NOPE", channel="fax", fee="-1")]
    result = one(ingest_path(parents_store, write_csv(tmp_path / "trades.csv", rows)))
    assert result.rows_quarantined == 1
    [(_, reason, _)] = quarantine(parents_store)
    assert reason == (
        "fee: '-1.00' is below the minimum 0; channel: 'fax' is not one of app, pc, counter, phone, advisor; "
        "account_id=NOPE not found in accounts(account_id); load accounts first or fix the value"
    )


def test_unique_constraint_within_file_and_against_store(parents_store, tmp_path: Path) -> None:
    rows = [
        ADVISORS[0] | {"advisor_id": "A2"},  # wecom_userid 'wang' already belongs to A1
        ADVISORS[0] | {"advisor_id": "A3", "wecom_userid": "li"},
        ADVISORS[0] | {"advisor_id": "A4", "wecom_userid": "li"},
    ]
    result = one(ingest_path(parents_store, write_csv(tmp_path / "advisors.csv", rows)))
    assert counts(result) == (3, 1, 0, 0, 2)
    assert [r[1] for r in quarantine(parents_store)] == [
        "wecom_userid=wang must be unique but already belongs to advisor_id=A1 in the store",
        "wecom_userid=li must be unique but was first seen at line 3",
    ]


def test_failing_file_loses_nothing_already_loaded(parents_store, tmp_path: Path) -> None:
    write_csv(tmp_path / "trades.csv", [trade("T1")])
    ingest_path(parents_store, tmp_path / "trades.csv")
    before = parents_store.execute("SELECT * FROM trades").fetchall()
    broken = write_csv(tmp_path / "bad" / "trades.csv", [{"trade_id": "T2"}])  # misses required columns
    bad = tmp_path / "bad" / "accounts.parquet"
    bad.write_bytes(b"PAR1 this is not parquet")
    report = ingest_path(parents_store, broken.parent)
    assert not report.ok and all(f.error for f in report.files) and report.reconciles()
    assert parents_store.execute("SELECT * FROM trades").fetchall() == before
    assert parents_store.execute("SELECT count(*) FROM accounts").fetchone()[0] == 1


def test_report_reconciles_and_serialises(parents_store, tmp_path: Path) -> None:
    write_csv(tmp_path / "in" / "trades.csv", [trade("T1"), trade("T2", fee="x"), trade("T1")])
    (tmp_path / "in" / "unknown.csv").write_text("a\n1\n")
    report = ingest_path(parents_store, tmp_path / "in")
    assert report.reconciles()
    totals = report.tables["trades"]
    assert (totals.rows_read, totals.rows_loaded, totals.rows_quarantined) == (3, 1, 2)
    data = report.to_dict()
    assert data["tables"]["trades"]["rows_read"] == 3 and data["ignored"] == [str(tmp_path / "in" / "unknown.csv")]
    stored = parents_store.execute("SELECT count(*) FROM _quarantine WHERE table_name = 'trades'").fetchone()[0]
    assert stored == totals.rows_quarantined


def test_pii_never_in_reason_raw_or_report(parents_store, tmp_path: Path) -> None:
    secret_phone, secret_id, secret_name = "23800001111", VALID_ID[:-1] + "5", "欧阳秘密"
    rows = [
        CUSTOMERS[0] | {"customer_id": "C9", "name": secret_name, "phone": secret_phone, "id_number": secret_id},
        CUSTOMERS[0] | {"customer_id": "C9", "name": secret_name},  # duplicate key
    ]
    path = write_csv(tmp_path / "customers.csv", rows)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"C10,{secret_name},{secret_id}\n")  # malformed line holding personal data
    report = ingest_path(parents_store, path)
    assert one(report).rows_quarantined == 2
    console = Console(file=io.StringIO(), width=200)
    render_load_report(report, console)
    texts = [str(report.to_dict()), console.file.getvalue()]
    for _line, reason, raw in quarantine(parents_store):
        texts += [reason, raw or ""]
    assert "phone does not match ^1[3-9]\\d{9}$" in texts[2]
    joined = "\n".join(texts)
    for secret in (secret_phone, secret_id, secret_name):
        assert secret not in joined
    assert '"phone":"238****1111"' in joined and '"name":"欧***"' in joined
