"""How long clients had held when they redeemed, against how long the others have held.

A redeeming holding's period runs from the start of its holding spell to its
first redemption in the window; a retained one's from the spell start to the
window's end. Holdings already held when the data begin have no known start:
they are counted apart ("held since before the data") rather than given a
made-up date, so the quartiles describe known periods only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class PeriodStats:
    """Quartiles of holding periods in days, and how many holdings had no known start."""

    holdings: int
    known: int
    since_before_data: int
    q1: float | None
    median: float | None
    q3: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def period_stats(days: np.ndarray) -> PeriodStats:
    """Quartiles of ``days`` (NaN = start unknown)."""
    known = days[np.isfinite(days)]
    if len(known):
        q1, median, q3 = (round(float(v), 1) for v in np.percentile(known, [25, 50, 75]))
    else:
        q1 = median = q3 = None
    return PeriodStats(len(days), len(known), int(len(days) - len(known)), q1, median, q3)


@dataclass(frozen=True)
class HoldingPeriods:
    """Redeemers vs non-redeemers, overall and by fund type."""

    redeemers: PeriodStats
    non_redeemers: PeriodStats
    by_fund_type: dict[str, dict[str, PeriodStats]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "redeemers": self.redeemers.to_dict(),
            "non_redeemers": self.non_redeemers.to_dict(),
            "by_fund_type": {
                t: {side: stats.to_dict() for side, stats in sides.items()} for t, sides in self.by_fund_type.items()
            },
        }


def holding_periods(days: np.ndarray, redeemed: np.ndarray, fund_type: np.ndarray) -> HoldingPeriods:
    """Split ``days`` by redeemed / not, overall and per fund type."""
    by_type = {
        str(t): {
            "redeemers": period_stats(days[(fund_type == t) & redeemed]),
            "non_redeemers": period_stats(days[(fund_type == t) & ~redeemed]),
        }
        for t in sorted(set(fund_type.tolist()))
    }
    return HoldingPeriods(period_stats(days[redeemed]), period_stats(days[~redeemed]), by_type)
