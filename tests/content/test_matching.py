"""Matching on the generated brokerage: reasons that hold, suitability never broken, read and expired left out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import duckdb
import pytest

from wealthdesk.content.library import add_contents
from wealthdesk.content.matching import match
from wealthdesk.suitability.rules import client_tolerance, content_decision
from wealthdesk.testing import MATCHING_TABLES, StaffWorld


@pytest.fixture(scope="module")
def con(staff: StaffWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    store = staff.copy_to(tmp_path_factory.mktemp("matching")).store
    connection = duckdb.connect(str(store))
    yield connection
    connection.close()


def _content(con: duckdb.DuckDBPyConnection, content_id: str, **fields: object) -> None:
    as_of = con.execute("SELECT max(as_of) FROM profiles").fetchone()[0]
    record = {
        "content_id": content_id,
        "content_type": "research_report",
        "title": f"测试内容 {content_id}",
        "topics": ["测试"],
        "related_codes": [],
        "risk_level": None,
        "publish_date": str(as_of - timedelta(days=1)),
        "expiry_date": str(as_of + timedelta(days=30)),
        **fields,
    }
    add_contents(con, [record])


def _tolerance(con: duckdb.DuckDBPyConnection, customer: str, as_of: object) -> object:
    row = con.execute(
        "SELECT risk_level, risk_assessed_date, lowest_category, investor_type FROM customers WHERE customer_id = ?",
        [customer],
    ).fetchone()
    return client_tolerance(*row, as_of=as_of)


def test_every_recommendation_is_suitable_and_every_refusal_says_why(con: duckdb.DuckDBPyConnection) -> None:
    found = match(con)
    rows = found.recommendations.to_pylist()
    assert len({r["customer_id"] for r in rows}) > 1000
    for row in rows:
        assert 1 <= row["rank"] <= 5 and row["reasons"]
        assert content_decision(_tolerance(con, row["customer_id"], found.as_of), row["risk_level"]).allowed
    refused = found.refused.to_pylist()
    assert refused  # the demo's expired and unassessed clients meet risk-rated contents
    for row in refused[:300]:
        decision = content_decision(_tolerance(con, row["customer_id"], found.as_of), row["risk_level"])
        assert not decision.allowed and row["reason"] == decision.reason


def test_a_report_on_a_held_stock_ranks_first_and_says_so(con: duckdb.DuckDBPyConnection) -> None:
    as_of = con.execute("SELECT max(as_of) FROM profiles").fetchone()[0]
    customer, code = con.execute(
        """SELECT a.customer_id, min(h.instrument_code) FROM holdings h JOIN accounts a USING (account_id)
           WHERE h.asset_type = 'stock' AND h.quantity > 0
             AND h.snapshot_date = (SELECT max(snapshot_date) FROM holdings WHERE snapshot_date <= ?)
           GROUP BY 1 ORDER BY 1 LIMIT 1""",
        [as_of],
    ).fetchone()
    _content(con, "CTHELD01", related_codes=[code], title="持仓个股点评")
    [first, *_] = match(con, [customer]).recommendations.to_pylist()
    assert first["content_id"] == "CTHELD01" and f"holds {code}" in first["reasons"]


def test_a_recent_interest_brings_a_content_on_it_with_when_it_was_said(con: duckdb.DuckDBPyConnection) -> None:
    as_of = con.execute("SELECT max(as_of) FROM profiles").fetchone()[0]
    customer, last_seen = con.execute(
        "SELECT customer_id, last_seen FROM keyword_tags WHERE tag = 'kw_chinext' ORDER BY last_seen DESC LIMIT 1"
    ).fetchone()
    _content(con, "CTCHINEXT1", content_type="advisor_view", topics=["创业板"], title="创业板观点")
    rows = {r["content_id"]: r for r in match(con, [customer]).recommendations.to_pylist()}
    days = max((as_of - last_seen.date()).days, 0)
    said = {0: "today", 1: "yesterday"}.get(days, f"{days} days ago")
    assert "CTCHINEXT1" in rows and f"mentioned 创业板 {said}" in rows["CTCHINEXT1"]["reasons"]


def test_read_expired_and_unsuitable_contents_are_never_recommended(con: duckdb.DuckDBPyConnection) -> None:
    as_of = con.execute("SELECT max(as_of) FROM profiles").fetchone()[0]
    customer, code = con.execute(
        """SELECT c.customer_id, min(h.instrument_code) FROM holdings h JOIN accounts a USING (account_id)
           JOIN customers c USING (customer_id)
           WHERE h.asset_type = 'stock' AND h.quantity > 0 AND c.risk_level = 'C2' AND c.investor_type <> 'professional'
             AND h.snapshot_date = (SELECT max(snapshot_date) FROM holdings WHERE snapshot_date <= ?)
           GROUP BY 1 ORDER BY 1 LIMIT 1""",
        [as_of],
    ).fetchone()
    _content(con, "CTREAD01", related_codes=[code])
    _content(
        con,
        "CTOLD01",
        related_codes=[code],
        publish_date=str(as_of - timedelta(days=60)),
        expiry_date=str(as_of - timedelta(days=1)),
    )
    _content(con, "CTR5", related_codes=[code], content_type="advisor_view", risk_level="R5")
    before = {r["content_id"] for r in match(con, [customer]).recommendations.to_pylist()}
    assert "CTREAD01" in before and "CTOLD01" not in before and "CTR5" not in before
    con.execute(
        """INSERT INTO app_events (event_id, customer_id, event_time, event_type, object_id)
           VALUES ('EVTEST0001', ?, ?, 'view_content', 'CTREAD01')""",
        [customer, as_of],
    )
    found = match(con, [customer])
    assert "CTREAD01" not in {r["content_id"] for r in found.recommendations.to_pylist()}
    [refusal] = [r for r in found.refused.to_pylist() if r["content_id"] == "CTR5"]
    assert refusal["reason"].startswith("R5 above the client's tolerance")


def test_a_batch_gives_each_client_what_they_get_alone(con: duckdb.DuckDBPyConnection) -> None:
    clients = [r[0] for r in con.execute("SELECT customer_id FROM profiles ORDER BY customer_id LIMIT 40").fetchall()]
    batch = match(con, clients).recommendations.to_pylist()
    for customer in clients[:5]:
        alone = match(con, [customer]).recommendations.to_pylist()
        assert alone == [r for r in batch if r["customer_id"] == customer]


def test_a_store_without_chat_evidence_is_matched_on_the_rest() -> None:
    """No keyword evidence table (a store tagged by nothing yet): holdings, stage and freshness still match."""
    con = duckdb.connect()
    for ddl in (
        *MATCHING_TABLES[:-1],  # without the chat evidence
        "INSERT INTO customers VALUES ('C0', 'C3', DATE '2021-12-01', false, 'retail')",
        "INSERT INTO profiles VALUES ('C0', 'active', DATE '2022-01-10')",
        "INSERT INTO contents VALUES ('K0', 'research_report', '周报', ['创业板'], [], 'R2', DATE '2022-01-01',"
        " DATE '2022-02-01', NULL)",
    ):
        con.execute(ddl)
    for day in (None, date(2022, 1, 10)):
        assert [r["content_id"] for r in match(con, as_of=day).recommendations.to_pylist()] == ["K0"]
