"""No recommendation ever breaks suitability: hypothesis over random clients, contents and days, through the real
matching on a real DuckDB holding just the tables matching reads (what ``wealthdesk content match``, a segment's
batch and its CSV export all come from)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import duckdb
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from wealthdesk.content.matching import STAGE_AFFINITY, MatchRules, match
from wealthdesk.schema.columns import CONTENT_TYPES
from wealthdesk.suitability.rules import client_tolerance, content_decision
from wealthdesk.testing import MATCHING_TABLES

CODE = "300750.SZ"

clients = st.lists(
    st.fixed_dictionaries(
        {
            "risk_level": st.sampled_from([None, "C1", "C2", "C3", "C4", "C5"]),
            "assessed_days_ago": st.one_of(st.none(), st.integers(-30, 1500)),  # negative: after the day
            "lowest_category": st.booleans(),
            "investor_type": st.sampled_from([None, "retail", "professional"]),
            "stage": st.sampled_from(sorted(STAGE_AFFINITY)),
            "holds": st.booleans(),
            "interest_days_ago": st.one_of(st.none(), st.integers(-10, 90)),  # negative: said after the day
            "read_first": st.booleans(),
        }
    ),
    min_size=1,
    max_size=6,
)
contents = st.lists(
    st.fixed_dictionaries(
        {
            "content_type": st.sampled_from(CONTENT_TYPES),
            # '', 'r5' and 'R9' only a direct write to the store makes (ingest and `content add` refuse them)
            "risk_level": st.sampled_from([None, "R1", "R2", "R3", "R4", "R5", "", "r5", "R9"]),
            "published_days_ago": st.integers(-20, 200),
            "life_days": st.one_of(st.none(), st.integers(0, 120)),
            "about_code": st.booleans(),
        }
    ),
    min_size=1,
    max_size=6,
)


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    for ddl in MATCHING_TABLES:
        connection.execute(ddl)
    yield connection
    connection.close()


HELD_UNSUITABLE = {  # always tried: a C1 client holding a stock, contents about it of no level, R1 and R5
    "day": date(2022, 1, 10),
    "people": [
        {
            "risk_level": "C1",
            "assessed_days_ago": 40,
            "lowest_category": False,
            "investor_type": "retail",
            "stage": "active",
            "holds": True,
            "interest_days_ago": 3,
            "read_first": False,
        }
    ],
    "items": [
        {
            "content_type": "research_report",
            "risk_level": level,
            "published_days_ago": 5,
            "life_days": 60,
            "about_code": True,
        }
        for level in (None, "R1", "R5")
    ],
}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(**HELD_UNSUITABLE)
@given(day=st.dates(date(2019, 1, 1), date(2027, 12, 31)), people=clients, items=contents)
def test_no_recommendation_breaks_suitability_and_every_refusal_says_why(
    con: duckdb.DuckDBPyConnection, day: date, people: list[dict], items: list[dict]
) -> None:
    for table in ("customers", "profiles", "contents", "accounts", "holdings", "app_events", "keyword_tag_evidence"):
        con.execute(f"DELETE FROM {table}")
    for n, c in enumerate(people):
        customer = f"C{n}"
        assessed = None if c["assessed_days_ago"] is None else day - timedelta(days=c["assessed_days_ago"])
        con.execute(
            "INSERT INTO customers VALUES (?, ?, ?, ?, ?)",
            [customer, c["risk_level"], assessed, c["lowest_category"], c["investor_type"]],
        )
        con.execute("INSERT INTO profiles VALUES (?, ?, ?)", [customer, c["stage"], day])
        con.execute("INSERT INTO accounts VALUES (?, ?)", [f"A{n}", customer])
        if c["holds"]:
            con.execute("INSERT INTO holdings VALUES (?, ?, 'stock', ?, 100)", [day, f"A{n}", CODE])
        if c["interest_days_ago"] is not None:
            seen = day - timedelta(days=c["interest_days_ago"])
            con.execute("INSERT INTO keyword_tag_evidence VALUES (?, 'kw_chinext', ?, false)", [customer, seen])
        if c["read_first"]:
            con.execute("INSERT INTO app_events VALUES (?, ?, 'view_content', 'K0')", [customer, day])
    pushable = set()
    for n, k in enumerate(items):
        published = day - timedelta(days=k["published_days_ago"])
        expiry = None if k["life_days"] is None else published + timedelta(days=k["life_days"])
        con.execute(
            "INSERT INTO contents VALUES (?, ?, ?, ['创业板'], ?, ?, ?, ?, NULL)",
            [
                f"K{n}",
                k["content_type"],
                f"内容{n}",
                [CODE] if k["about_code"] else [],
                k["risk_level"],
                published,
                expiry,
            ],
        )
        last = (
            expiry
            if expiry is not None
            else (None if k["content_type"] == "investor_education" else published + timedelta(days=90))
        )
        if published <= day and (last is None or day <= last):
            pushable.add(f"K{n}")

    found = match(con, as_of=day, rules=MatchRules(top=10))  # room for every content: none is crowded out

    levels = {f"K{n}": k["risk_level"] for n, k in enumerate(items)}
    tolerances = {
        f"C{n}": client_tolerance(
            c["risk_level"],
            None if c["assessed_days_ago"] is None else day - timedelta(days=c["assessed_days_ago"]),
            c["lowest_category"],
            c["investor_type"],
            day,
        )
        for n, c in enumerate(people)
    }
    for row in found.recommendations.to_pylist():
        assert content_decision(tolerances[row["customer_id"]], levels[row["content_id"]]).allowed, row
        assert row["content_id"] in pushable, row  # never before publication or after expiry
        assert not (row["content_id"] == "K0" and people[int(row["customer_id"][1:])]["read_first"])
    refused = {(r["customer_id"], r["content_id"]): r["reason"] for r in found.refused.to_pylist()}
    for (customer, content), reason in refused.items():
        decision = content_decision(tolerances[customer], levels[content])
        assert not decision.allowed and reason == decision.reason and reason
    # a pushable, unread content about a stock the client holds is a candidate: recommended, or refused with a reason
    recommended = {(r["customer_id"], r["content_id"]) for r in found.recommendations.to_pylist()}
    for n, c in enumerate(people):
        for k, item in enumerate(items):
            pair = (f"C{n}", f"K{k}")
            if not (c["holds"] and item["about_code"] and pair[1] in pushable) or (k == 0 and c["read_first"]):
                continue
            allowed = content_decision(tolerances[pair[0]], levels[pair[1]]).allowed
            assert (pair in recommended) if allowed else (pair in refused), (pair, levels[pair[1]])
