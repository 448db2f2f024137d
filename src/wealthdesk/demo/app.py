"""App behaviour events: logins, quotes, fund pages, content, search, banners, shares.

Volume follows each client's latent app engagement; clients with a high
Level-2 or ChiNext propensity visit the Level-2 / ChiNext pages more often
before they adopt, which is the behavioural signal the propensity models are
meant to pick up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wealthdesk.demo.calendar import AS_OF, WINDOW_START, waking_seconds
from wealthdesk.demo.interests import KEYWORDS
from wealthdesk.schema.columns import APP_EVENT_TYPES

EVENT_TYPES = APP_EVENT_TYPES
_TYPE_P = np.array([0.26, 0.27, 0.13, 0.1, 0.08, 0.05, 0.02, 0.02, 0.07])


@dataclass(frozen=True)
class AppEvents:
    customer: np.ndarray
    time: np.ndarray  # datetime64[s], sorted
    kind: np.ndarray  # index into EVENT_TYPES
    obj_kind: np.ndarray  # 0 none, 1 stock, 2 fund, 3 content, 4 search term, 5 campaign
    obj: np.ndarray  # index into the matching vocabulary
    device: np.ndarray


def build(
    registered: np.ndarray,
    app_use: np.ndarray,
    p_level2: np.ndarray,
    p_chinext: np.ndarray,
    adopt_level2: np.ndarray,
    adopt_chinext: np.ndarray,
    stock_pop: np.ndarray,
    fund_pop: np.ndarray,
    n_contents: int,
    n_campaigns: int,
    rng: np.random.Generator,
) -> AppEvents:
    """Events per client in proportion to app engagement, plus propensity-driven page visits before adoption."""
    n = len(app_use)
    start = np.maximum(registered.astype("datetime64[D]"), np.datetime64(WINDOW_START))
    end = np.datetime64(AS_OF) + 1
    span = np.maximum((end - start).astype(np.int64), 1)
    k = rng.poisson(7.5 * np.minimum(app_use, 12) * span / 365)
    c = np.repeat(np.arange(n), k)
    kind = rng.choice(len(EVENT_TYPES), size=len(c), p=_TYPE_P)
    # extra page visits driven by propensity, placed before the adoption date when there is one
    extra = []
    for page, prop, adopt in ((6, p_level2, adopt_level2), (7, p_chinext, adopt_chinext)):
        ke = rng.poisson(25 * prop)
        ce = np.repeat(np.arange(n), ke)
        last = np.where(np.isnat(adopt[ce]), end, np.maximum(adopt[ce], start[ce] + 1))
        extra.append((ce, np.full(len(ce), page), last))
    c_all = np.concatenate([c, extra[0][0], extra[1][0]])
    kind = np.concatenate([kind, extra[0][1], extra[1][1]])
    last = np.concatenate([np.full(len(c), end), extra[0][2], extra[1][2]]).astype("datetime64[D]")
    s = start[c_all]
    days = s + (rng.random(len(c_all)) * np.maximum((last - s).astype(np.int64), 1)).astype(np.int64)
    time = days.astype("datetime64[s]") + waking_seconds(len(c_all), rng)
    obj_kind = np.select([kind == 1, kind == 2, (kind == 3) | (kind == 8), kind == 4, kind == 5], [1, 2, 3, 4, 5], 0)
    obj = np.zeros(len(c_all), dtype=np.int64)
    for ok, size, pop in ((1, len(stock_pop), stock_pop), (2, len(fund_pop), fund_pop)):
        sel = obj_kind == ok
        obj[sel] = rng.choice(size, size=sel.sum(), p=pop / pop.sum())
    for ok, size in ((3, n_contents), (4, len(SEARCH_TERMS)), (5, n_campaigns)):
        sel = obj_kind == ok
        obj[sel] = rng.integers(0, size, size=sel.sum())
    pref = rng.choice(3, size=n, p=[0.4, 0.5, 0.1])
    device = np.where(rng.random(len(c_all)) < 0.9, pref[c_all], rng.integers(0, 3, size=len(c_all)))
    order = np.argsort(time, kind="stable")
    return AppEvents(c_all[order], time[order], kind[order], obj_kind[order], obj[order], device[order])


SEARCH_TERMS = (
    *KEYWORDS,
    "茅台",
    "宁德时代",
    "基金排行",
    "银行理财",
    "国债逆回购",
    "北向资金",
    "ETF",
    "新股申购",
    "融资融券",
    "股息率",
)
