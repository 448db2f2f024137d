"""The interest vocabulary planted in chats and the hidden interests of each client.

Keyword tagging (数据回传) must find these interests from raw chat text, so
each interest has its simplified keyword, a traditional-character spelling
used by some clients, and a place in the client's latent profile (a client who
likes ChiNext is also more likely to open ChiNext; one who talks about Level-2
is more likely to subscribe).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# keyword, traditional spelling, base share of clients with this interest
INTERESTS: tuple[tuple[str, str, float], ...] = (
    ("创业板", "創業板", 0.10),
    ("上证50", "上證50", 0.04),
    ("沪深300", "滬深300", 0.05),
    ("定投", "定投", 0.08),
    ("赎回", "贖回", 0.06),
    ("科创板", "科創板", 0.05),
    ("新能源", "新能源", 0.08),
    ("医药", "醫藥", 0.06),
    ("白酒", "白酒", 0.07),
    ("半导体", "半導體", 0.05),
    ("Level-2", "Level-2", 0.04),
    ("打新", "打新", 0.05),
    ("可转债", "可轉債", 0.04),
    ("基金", "基金", 0.10),
    ("理财", "理財", 0.08),
)
KEYWORDS: tuple[str, ...] = tuple(i[0] for i in INTERESTS)
TRADITIONAL: tuple[str, ...] = tuple(i[1] for i in INTERESTS)
CHINEXT, LEVEL2 = KEYWORDS.index("创业板"), KEYWORDS.index("Level-2")


@dataclass(frozen=True)
class Interests:
    """Planted interests as a sparse list: (customer index, keyword index, strength, negated)."""

    customer: np.ndarray
    keyword: np.ndarray
    strength: np.ndarray  # 0.2 … 1.0: how often the client brings it up
    negated: np.ndarray  # the client mentions it only to say they do NOT want it
    traditional: np.ndarray  # per customer: writes traditional characters

    def has(self, keyword: int, n: int) -> np.ndarray:
        """Per-customer strength of a (non-negated) interest, 0 when absent."""
        out = np.zeros(n)
        sel = (self.keyword == keyword) & ~self.negated
        out[self.customer[sel]] = self.strength[sel]
        return out


def plant(n: int, risk_score: np.ndarray, young: np.ndarray, rng: np.random.Generator) -> Interests:
    """Give each client 0–3 interests; risk-seeking and younger clients lean to ChiNext, STAR and Level-2."""
    base = np.array([i[2] for i in INTERESTS])
    tilt = np.zeros((n, len(INTERESTS)))
    for kw in ("创业板", "科创板", "Level-2", "打新", "半导体", "新能源"):
        tilt[:, KEYWORDS.index(kw)] = 0.8 * (risk_score - 0.5) + 0.4 * young
    for kw in ("理财", "定投", "赎回", "基金"):
        tilt[:, KEYWORDS.index(kw)] = -0.6 * (risk_score - 0.5)
    prob = np.clip(base[None, :] * np.exp(tilt), 0, 0.9)
    hit = rng.random((n, len(INTERESTS))) < prob
    cust, kw = np.nonzero(hit)
    strength = np.round(rng.uniform(0.2, 1.0, size=len(cust)), 3)
    negated = rng.random(len(cust)) < 0.08
    return Interests(customer=cust, keyword=kw, strength=strength, negated=negated, traditional=rng.random(n) < 0.04)
