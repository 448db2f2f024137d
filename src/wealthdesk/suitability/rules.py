"""The suitability rule, decided here and nowhere else.

Clients are rated C1 … C5, products R1 … R5; a product may be offered only
when its level does not exceed the client's (C3 → R1–R3). Within C1 the
"lowest category" (最低类别) may have R1 only. Professional investors are not
graded and may have R1–R5. A client whose assessment is missing or older than
its validity (two years, 730 days, unless configured) may be offered no
risk-rated product at all. The profiles' ``risk_assessment_valid`` column uses
the same validity.
Every decision carries its reason in words an advisor can repeat to a client.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

ASSESSMENT_VALID_DAYS = 730
CLIENT_LEVELS = ("C1", "C2", "C3", "C4", "C5")
PRODUCT_LEVELS = ("R1", "R2", "R3", "R4", "R5")


@dataclass(frozen=True)
class Tolerance:
    """The highest product rank (1 … 5) a client may be offered, 0 for none, and why."""

    max_rank: int
    reason: str
    status: str  # professional, unassessed, expired, lowest_category or assessed
    valid_until: date | None = None  # the last day the assessment behind it is valid


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


def valid_until(assessed: date, valid_days: int = ASSESSMENT_VALID_DAYS) -> date:
    """The last day an assessment made on ``assessed`` is valid."""
    return assessed + timedelta(days=valid_days)


def client_tolerance(
    risk_level: str | None,
    assessed: date | None,
    lowest_category: bool | None,
    investor_type: str | None,
    as_of: date,
    valid_days: int = ASSESSMENT_VALID_DAYS,
) -> Tolerance:
    """What ``as_of`` allows this client; an assessment dated after ``as_of`` was not yet known then."""
    if investor_type == "professional":
        return Tolerance(5, "professional investor (专业投资者): R1–R5", "professional")
    if risk_level not in CLIENT_LEVELS or assessed is None or assessed > as_of:
        return Tolerance(0, "no risk assessment (未做风险测评): no risk-rated product", "unassessed")
    last_day = valid_until(assessed, valid_days)
    if last_day < as_of:
        reason = f"risk assessment expired after {last_day} (测评已过期): no risk-rated product"
        return Tolerance(0, reason, "expired", last_day)
    if lowest_category:
        return Tolerance(1, "C1 lowest category (最低类别): R1 only", "lowest_category", last_day)
    rank = CLIENT_LEVELS.index(risk_level) + 1
    return Tolerance(rank, f"{risk_level}: R1–R{rank}", "assessed", last_day)


def product_decision(tolerance: Tolerance, product_level: str | None) -> Decision:
    """May a product of ``product_level`` be offered to a client of ``tolerance``?"""
    if product_level not in PRODUCT_LEVELS:
        return Decision(False, f"unknown product risk level {product_level!r}: never offered")
    rank = PRODUCT_LEVELS.index(product_level) + 1
    if rank <= tolerance.max_rank:
        return Decision(True, f"{product_level} within {tolerance.reason}")
    return Decision(False, f"{product_level} above the client's tolerance ({tolerance.reason})")


def content_decision(tolerance: Tolerance, risk_level: str | None) -> Decision:
    """May a content be recommended to a client of ``tolerance``? A content's risk level is that of the product it
    promotes: with none it promotes no product and suits everyone; with one it is decided as that product."""
    if risk_level is None or risk_level == "":
        return Decision(True, "promotes no product (no risk level): open to every client")
    return product_decision(tolerance, risk_level)
