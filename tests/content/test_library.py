"""The content library: what `add` refuses and why, replacing by id, the contract's quarantine, what is pushable."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from wealthdesk.content.library import DEFAULT_SHELF_LIFE_DAYS, ContentError, add_contents, list_contents
from wealthdesk.store import open_store
from wealthdesk.testing import fresh_store

REPORT = {
    "content_id": "CTX0001",
    "content_type": "research_report",
    "title": "宁德时代深度报告",
    "topics": ["新能源", "创业板"],
    "related_codes": ["300750.SZ"],
    "risk_level": None,
    "publish_date": "2026-11-01",
    "expiry_date": "2027-01-31",
    "author": "研究所",
}


def test_a_content_is_added_listed_and_replaced_by_id(tmp_path: Path) -> None:
    with open_store(fresh_store(tmp_path)) as con:
        assert add_contents(con, [REPORT]).added == 1
        again = add_contents(con, [{**REPORT, "title": "宁德时代深度报告（更新）"}])
        assert (again.added, again.replaced) == (0, 1)  # re-adding replaces: no duplicate
        [item] = list_contents(con)
        assert item["title"] == "宁德时代深度报告（更新）" and item["topics"] == ["新能源", "创业板"]
        assert item["pushable_until"] == date(2027, 1, 31)
        assert list_contents(con, active_on=date(2026, 10, 31)) == []  # not yet published
        assert list_contents(con, active_on=date(2027, 2, 1)) == []  # expired


def test_bad_contents_are_refused_with_every_reason_and_nothing_is_added(tmp_path: Path) -> None:
    bad = [
        {**REPORT, "content_id": "CTX0002", "risk_level": "R9"},
        {**REPORT, "content_id": "CTX0003", "expiry_date": None},
        {**REPORT, "content_id": "CTX0004", "expiry_date": "2026-10-01"},
        {**REPORT, "content_id": "CTX0005", "content_type": "podcast"},
        REPORT,
        REPORT,
    ]
    with open_store(fresh_store(tmp_path)) as con:
        with pytest.raises(ContentError) as refused:
            add_contents(con, bad)
        text = str(refused.value)
        assert "CTX0002: risk_level 'R9' is unknown" in text
        assert "CTX0003: a research_report needs an expiry_date" in text
        assert "CTX0004: expiry_date 2026-10-01 is before publish_date 2026-11-01" in text
        assert "CTX0005: content_type 'podcast'" in text
        assert "content_id given more than once: CTX0001" in text
        assert list_contents(con) == []
        with pytest.raises(ContentError, match="no contents given"):
            add_contents(con, [])


def test_investor_education_may_have_no_expiry_and_the_contract_quarantines_what_it_refuses(tmp_path: Path) -> None:
    lesson = {**REPORT, "content_id": "CTX0010", "content_type": "investor_education", "expiry_date": None}
    malformed = {**REPORT, "content_id": "CTX0011", "title": None}  # the contract requires a title
    with open_store(fresh_store(tmp_path)) as con:
        report = add_contents(con, [lesson, malformed])
        assert (report.added, report.quarantined) == (1, 1)
        assert report.reasons and report.reasons[0].startswith("content 2:")
        [item] = list_contents(con, active_on=date(2030, 1, 1))  # evergreen
        assert item["content_id"] == "CTX0010" and item["pushable_until"] is None


def test_a_content_loaded_without_an_expiry_is_pushed_for_the_default_shelf_life(tmp_path: Path) -> None:
    with open_store(fresh_store(tmp_path)) as con:
        con.execute(
            """INSERT INTO contents (content_id, content_type, title, publish_date)
               VALUES ('CTX0020', 'advisor_view', '观点', DATE '2026-11-01')"""
        )
        [item] = list_contents(con)
        assert (
            item["shelf_life_default"] and (item["pushable_until"] - date(2026, 11, 1)).days == DEFAULT_SHELF_LIFE_DAYS
        )
