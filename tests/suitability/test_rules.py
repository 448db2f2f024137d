"""The suitability rule: levels, the lowest category, professionals, missing and expired assessments."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from wealthdesk.suitability.rules import (
    ASSESSMENT_VALID_DAYS,
    CLIENT_LEVELS,
    PRODUCT_LEVELS,
    client_tolerance,
    product_decision,
)

AS_OF = date(2022, 6, 30)


def _allowed(level: str | None, assessed: date | None, product: str, lowest: bool = False, kind: str = "ordinary"):
    return product_decision(client_tolerance(level, assessed, lowest, kind, AS_OF), product)


def test_a_product_up_to_the_clients_level_and_no_further() -> None:
    recent = AS_OF - timedelta(days=10)
    assert _allowed("C3", recent, "R3").allowed
    refused = _allowed("C3", recent, "R4")
    assert not refused.allowed and "above" in refused.reason and "C3" in refused.reason
    assert _allowed("C5", recent, "R5").allowed and _allowed("C1", recent, "R1").allowed
    assert not _allowed("C1", recent, "R2").allowed


def test_the_lowest_category_may_have_r1_only() -> None:
    recent = AS_OF - timedelta(days=10)
    assert _allowed("C1", recent, "R1", lowest=True).allowed
    refused = _allowed("C1", recent, "R2", lowest=True)
    assert not refused.allowed and "lowest category" in refused.reason


def test_an_assessment_is_valid_for_730_days_and_not_a_day_more() -> None:
    last_valid = AS_OF - timedelta(days=ASSESSMENT_VALID_DAYS)
    assert _allowed("C4", last_valid, "R1").allowed
    expired = _allowed("C4", last_valid - timedelta(days=1), "R1")
    assert not expired.allowed and "expired" in expired.reason


def test_no_assessment_or_one_from_the_future_allows_no_risk_rated_product() -> None:
    for level, assessed in ((None, None), ("C5", None), ("C5", AS_OF + timedelta(days=1))):
        refused = _allowed(level, assessed, "R1")
        assert not refused.allowed and "no risk assessment" in refused.reason


def test_professional_investors_may_have_every_level_even_unassessed() -> None:
    assert all(_allowed(None, None, p, kind="professional").allowed for p in PRODUCT_LEVELS)


def test_an_unknown_product_level_is_never_offered() -> None:
    refused = _allowed("C5", AS_OF, "R9")
    assert not refused.allowed and "unknown" in refused.reason


@given(
    level=st.sampled_from([*CLIENT_LEVELS, None]),
    age_days=st.one_of(st.none(), st.integers(-30, 3000)),
    lowest=st.booleans(),
    kind=st.sampled_from(["ordinary", "professional"]),
)
def test_allowed_levels_are_a_prefix_r1_up_and_every_refusal_says_why(
    level: str | None, age_days: int | None, lowest: bool, kind: str
) -> None:
    assessed = None if age_days is None else AS_OF - timedelta(days=age_days)
    tolerance = client_tolerance(level, assessed, lowest, kind, AS_OF)
    decisions = [product_decision(tolerance, p) for p in PRODUCT_LEVELS]
    allowed = [d.allowed for d in decisions]
    assert allowed == sorted(allowed, reverse=True)  # never R3 without R1 and R2
    assert sum(allowed) == tolerance.max_rank
    unknown_then = level is None or age_days is None or age_days < 0 or age_days > ASSESSMENT_VALID_DAYS
    if kind == "ordinary" and unknown_then:
        assert not any(allowed)
    if kind == "ordinary" and lowest:
        assert sum(allowed) <= 1
    assert all(d.reason for d in decisions)
