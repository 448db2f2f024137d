"""What each fund looked like in a window, and how strongly a trait separates redeemed from retained holdings.

Fund traits are the ones an analyst reaches for after a fall: the fund's type
and risk level, how far it fell, its exposure to the crowded stocks (from its
latest quarterly top-ten disclosure before the window), how it had done in
the six months before, and what it costs to hold and to leave.

Effect sizes are the usual ones, so their sizes can be read with the usual
rules of thumb: Cohen's d (difference of means over the pooled standard
deviation; 0.2 small, 0.5 medium, 0.8 large) for numeric traits, and
Cramér's V (0.1 small, 0.3 medium, 0.5 large) for categorical ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import ibis
import numpy as np

from wealthdesk.funds.positions import navs_at
from wealthdesk.funds.window import Window
from wealthdesk.profiles.facts import crowded_weights

TRAILING_DAYS = 182  # "trailing performance" is the six months before the window

NUMERIC_TRAITS: dict[str, str] = {
    "window_return": "return over the window",
    "max_drawdown": "fall from a high within the window",
    "crowded_exposure": "share of assets in crowded stocks (抱团股)",
    "trailing_return": "return in the six months before",
    "annual_fee": "annual management + custody fee",
    "redemption_fee": "redemption fee under one year",
}
CATEGORICAL_TRAITS: dict[str, str] = {"fund_type": "fund type", "risk_level": "risk level"}


def fund_traits(backend: Any, window: Window) -> Any:
    """One row per fund: type, company, risk level and the numeric traits of :data:`NUMERIC_TRAITS`."""
    funds = backend.table("funds")
    start_nav = navs_at(backend, window.start).rename(start_nav="unit_nav")
    end_nav = navs_at(backend, window.end).rename(end_nav="unit_nav")
    before_nav = navs_at(backend, window.start - timedelta(days=TRAILING_DAYS)).rename(before_nav="unit_nav")
    exposure = crowded_weights(backend, window.start)
    rows = funds.left_join(start_nav, "fund_code").drop("fund_code_right")
    rows = rows.left_join(end_nav, "fund_code").drop("fund_code_right")
    rows = rows.left_join(before_nav, "fund_code").drop("fund_code_right")
    rows = rows.left_join(exposure, "fund_code").drop("fund_code_right")
    rows = rows.left_join(_max_drawdown(backend, window), "fund_code").drop("fund_code_right")
    return rows.select(
        "fund_code",
        "fund_type",
        "company",
        "risk_level",
        fund_name=rows.name,
        window_return=rows.end_nav / rows.start_nav - 1,
        max_drawdown=rows.max_drawdown,
        crowded_exposure=rows.crowded_weight.fill_null(0.0),
        trailing_return=rows.start_nav / rows.before_nav - 1,
        annual_fee=(rows.management_fee.fill_null(0.0) + rows.custody_fee.fill_null(0.0)).cast("float64"),
        redemption_fee=rows.redemption_fee.cast("float64"),
    )


def _max_drawdown(backend: Any, window: Window) -> Any:
    """fund_code → the deepest fall from a running high of the unit NAV between the window's two closes (≤ 0)."""
    n = backend.table("fund_navs")
    inside = n.filter((n.nav_date > window.start) & (n.nav_date <= window.end))
    inside = inside.select("fund_code", "nav_date", unit_nav=inside.unit_nav.cast("float64"))
    # the running high starts from the NAV at the start's close, even when the start is not itself a NAV day
    opening = navs_at(backend, window.start).mutate(nav_date=ibis.literal(window.start))
    n = opening.select("fund_code", "nav_date", "unit_nav").union(inside, distinct=False)
    high = n.unit_nav.max().over(ibis.window(group_by="fund_code", order_by="nav_date", following=0))
    n = n.mutate(fall=n.unit_nav / high - 1)
    return n.group_by("fund_code").aggregate(max_drawdown=n.fall.min())


def cohens_d(group: np.ndarray, rest: np.ndarray) -> float | None:
    """Standardised mean difference with the pooled SD; None when either side has under two values or no spread."""
    group, rest = group[np.isfinite(group)], rest[np.isfinite(rest)]
    if len(group) < 2 or len(rest) < 2:
        return None
    pooled = ((len(group) - 1) * group.var(ddof=1) + (len(rest) - 1) * rest.var(ddof=1)) / (len(group) + len(rest) - 2)
    if pooled <= 0:
        return None
    return float((group.mean() - rest.mean()) / np.sqrt(pooled))


def cramers_v(categories: np.ndarray, flag: np.ndarray) -> float | None:
    """Cramér's V of a category against a yes/no outcome (the φ coefficient generalised); None without variety."""
    labels, index = np.unique(categories, return_inverse=True)
    if len(labels) < 2 or flag.all() or not flag.any():
        return None
    table = np.zeros((len(labels), 2))
    np.add.at(table, (index, flag.astype(int)), 1)
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / table.sum()
    chi2 = float(((table - expected) ** 2 / expected).sum())
    return float(np.sqrt(chi2 / table.sum()))  # min(rows, columns) − 1 = 1 for a yes/no outcome


def magnitude(effect: float | None, thresholds: tuple[float, float, float]) -> str:
    """'negligible', 'small', 'medium' or 'large' by the rule-of-thumb thresholds of the effect size."""
    if effect is None:
        return "n/a"
    size = abs(effect)
    small, medium, large = thresholds
    return "large" if size >= large else "medium" if size >= medium else "small" if size >= small else "negligible"


D_THRESHOLDS = (0.2, 0.5, 0.8)
V_THRESHOLDS = (0.1, 0.3, 0.5)


@dataclass(frozen=True)
class TraitComparison:
    """A numeric trait of the funds behind redeemed vs retained holdings."""

    trait: str
    meaning: str
    redeemed_mean: float | None
    retained_mean: float | None
    cohens_d: float | None
    magnitude: str


@dataclass(frozen=True)
class CategoryComparison:
    """A categorical trait: the redemption rate within each category, and Cramér's V."""

    trait: str
    meaning: str
    rates: dict[str, dict[str, float | int]]  # category → holders, redeemers, rate
    cramers_v: float | None
    magnitude: str


def compare_numeric(trait: str, values: np.ndarray, redeemed: np.ndarray) -> TraitComparison:
    """Means on each side and Cohen's d (redeemed minus retained)."""
    values = values.astype(float)
    group, rest = values[redeemed], values[~redeemed]
    d = cohens_d(group, rest)
    return TraitComparison(
        trait,
        NUMERIC_TRAITS[trait],
        _mean(group),
        _mean(rest),
        None if d is None else round(d, 3),
        magnitude(d, D_THRESHOLDS),
    )


def compare_categories(trait: str, categories: np.ndarray, redeemed: np.ndarray) -> CategoryComparison:
    """Redemption rate per category and Cramér's V."""
    rates: dict[str, dict[str, float | int]] = {}
    for label in sorted(set(categories.tolist())):
        mask = categories == label
        holders, redeemers = int(mask.sum()), int(redeemed[mask].sum())
        rates[str(label)] = {"holders": holders, "redeemers": redeemers, "rate": round(redeemers / holders, 4)}
    v = cramers_v(categories, redeemed)
    return CategoryComparison(
        trait, CATEGORICAL_TRAITS[trait], rates, None if v is None else round(v, 3), magnitude(v, V_THRESHOLDS)
    )


def _mean(values: np.ndarray) -> float | None:
    finite = values[np.isfinite(values)]
    return round(float(finite.mean()), 6) if len(finite) else None
