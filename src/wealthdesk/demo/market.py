"""Simulated daily prices and NAVs with the 2020 crowded-stock rally and the Feb–Mar 2021 sell-off.

Log returns are a factor model: a market factor with the real episodes of the
window (the Covid gap after the 2020 Spring Festival, the July 2020 rally, the
spring-2022 slide), a crowded (抱团) factor that rallies through 2020 to the
2021-02-10 peak and then loses ~40% by 2021-03-09, sector factors and
idiosyncratic noise, clipped to the daily price limits of each board.
Fund NAVs load on the same factors through their equity share and their
crowded exposure (from the top-ten disclosures), so funds that held the
crowded names fall with them — the mechanism the redemption analysis must find.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wealthdesk.demo.calendar import Calendar
from wealthdesk.demo.funds import Funds, TopHoldings
from wealthdesk.demo.universe import Securities

# (first day, last day, total log move of the market factor spread over the span)
_MARKET_EPISODES = (
    ("2020-02-03", "2020-02-03", -0.08),
    ("2020-02-04", "2020-03-05", 0.10),
    ("2020-03-09", "2020-03-23", -0.12),
    ("2020-06-29", "2020-07-13", 0.20),
    ("2020-07-14", "2020-09-30", -0.05),
    ("2020-11-01", "2021-02-10", 0.12),
    ("2021-02-18", "2021-03-09", -0.08),
    ("2021-12-01", "2022-01-31", -0.08),
    ("2022-03-01", "2022-04-26", -0.22),
    ("2022-04-27", "2022-06-30", 0.15),
)


@dataclass(frozen=True)
class Market:
    """Dense daily close prices (stocks × days) and NAVs (funds × days)."""

    close: np.ndarray  # float64, NaN before listing
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    volume: np.ndarray  # int64
    nav: np.ndarray  # unit NAV, funds × days
    acc_nav: np.ndarray
    crowded_factor: np.ndarray  # cumulative log level of the crowded factor per day
    stock_drawdown: np.ndarray  # per stock: close at the trough / close at the peak - 1
    fund_drawdown: np.ndarray  # per fund: NAV at trough / NAV at peak - 1
    fund_stress: np.ndarray  # funds × days: drawdown from the trailing 40-day NAV high (>= 0)


def _factor(
    cal: Calendar, episodes: tuple[tuple[str, str, float], ...], vol: float, rng: np.random.Generator
) -> np.ndarray:
    r = rng.normal(0, vol, size=cal.n)
    for first, last, move in episodes:
        a, b = cal.index(first), cal.index(last)
        r[a : b + 1] += move / (b - a + 1)
    return r


def simulate(cal: Calendar, secs: Securities, funds: Funds, top: TopHoldings, rng: np.random.Generator) -> Market:
    """Simulate every stock's OHLCV and every fund's NAV over the window."""
    n_days = cal.n
    market = _factor(cal, _MARKET_EPISODES, 0.011, rng)
    peak, (s0, s1) = cal.peak, cal.selloff
    crowd_eps = (
        ("2020-01-02", "2021-02-10", 0.55),
        ("2021-02-18", "2021-03-09", -0.46),
        ("2021-03-10", "2021-06-30", 0.12),
        ("2021-07-01", "2022-06-30", -0.15),
    )
    crowd = _factor(cal, crowd_eps, 0.006, rng)
    sectors = sorted(set(secs.industry))
    sector_r = rng.normal(0, 0.007, size=(len(sectors), n_days))
    sector_of = np.searchsorted(np.array(sectors), secs.industry)

    beta = rng.uniform(0.7, 1.3, size=secs.n)
    gamma = np.where(secs.crowded, rng.uniform(0.75, 1.05, size=secs.n), rng.uniform(-0.05, 0.12, size=secs.n))
    sigma = rng.uniform(0.012, 0.03, size=secs.n) * np.where(secs.board == "main", 1.0, 1.3)
    ret = (
        beta[:, None] * market[None, :]
        + gamma[:, None] * crowd[None, :]
        + sector_r[sector_of]
        + sigma[:, None] * rng.standard_normal((secs.n, n_days))
    )
    limit = np.where(secs.board == "main", np.log(1.1), np.log(1.2))[:, None]
    limit = np.where(
        (secs.board[:, None] == "chinext") & (np.arange(n_days)[None, :] < cal.index("2020-08-24")), np.log(1.1), limit
    )
    ret = np.clip(ret, -limit, limit)
    start_price = rng.lognormal(np.log(14), 0.7, size=secs.n) * np.where(secs.crowded, 5, 1)
    start_price[secs.name == "贵州茅台"] = 1130.0
    close = np.round(start_price[:, None] * np.exp(np.cumsum(ret, axis=1)), 2)
    close = np.maximum(close, 1.0)
    list_day = cal.index_of_dates(secs.listed)
    not_listed = np.arange(n_days)[None, :] < list_day[:, None]
    listed_before = secs.listed < cal.days[0]
    not_listed &= ~listed_before[:, None]
    close[not_listed] = np.nan
    prev = np.concatenate([close[:, :1], close[:, :-1]], axis=1)
    opn = np.round(prev * np.exp(rng.normal(0, 0.004, size=close.shape)), 2)
    opn = np.where(np.isnan(prev), close, opn)
    spread = np.abs(rng.normal(0, 0.008, size=close.shape))
    high = np.round(np.maximum(opn, close) * (1 + spread), 2)
    low = np.round(np.minimum(opn, close) * (1 - spread), 2)
    volume = (rng.lognormal(np.log(8e6), 0.8, size=(secs.n, 1)) * rng.lognormal(0, 0.35, size=close.shape)).astype(
        np.int64
    )
    volume = volume // 100 * 100

    # funds: equity sleeve = market + sector + crowded loading from the top-ten disclosure
    f_sector = np.array([sectors.index(s) if s in sectors else -1 for s in funds.sector])
    sect = np.where(f_sector[:, None] >= 0, sector_r[np.maximum(f_sector, 0)], 0.0)
    eq = funds.equity_share[:, None]
    loading = np.clip(top.crowded_exposure * 1.6, 0, 1.0)[:, None]
    idio = rng.normal(0, 0.004, size=(funds.n, n_days))
    fret = eq * (market[None, :] + 0.6 * sect + loading * crowd[None, :]) + eq * idio
    is_type = {t: (funds.fund_type == t)[:, None] for t in ("money", "bond", "qdii", "fof")}
    fret = np.where(is_type["bond"], 0.00015 + rng.normal(0, 0.0008, size=fret.shape) + 0.05 * market[None, :], fret)
    fret = np.where(is_type["qdii"], rng.normal(0.0004, 0.013, size=fret.shape) + 0.2 * market[None, :], fret)
    fret = np.where(is_type["fof"], 0.00012 + 0.35 * market[None, :] + rng.normal(0, 0.002, size=fret.shape), fret)
    start_nav = np.where(funds.inception < cal.days[0], rng.lognormal(np.log(1.6), 0.4, size=funds.n), 1.0)
    nav = start_nav[:, None] * np.exp(np.cumsum(fret, axis=1))
    nav = np.where(is_type["money"], 1.0, np.round(nav, 4))
    incept = cal.index_of_dates(funds.inception)
    before = (np.arange(n_days)[None, :] < incept[:, None]) & (funds.inception >= cal.days[0])[:, None]
    nav[before] = np.nan
    money_acc = 1.0 + np.cumsum(np.full(n_days, 0.023 / 250))
    dist = np.where(funds.inception < cal.days[0], np.round(rng.uniform(0, 0.6, size=funds.n), 4), 0.0)
    acc = np.where(is_type["money"], np.round(money_acc[None, :] + dist[:, None], 4), np.round(nav + dist[:, None], 4))

    trough = s1
    stock_dd = close[:, trough] / close[:, peak] - 1
    fund_dd = np.where(is_type["money"][:, 0], 0.0, nav[:, trough] / nav[:, peak] - 1)
    filled = np.where(np.isnan(nav), np.nanmax(np.where(np.isnan(nav), -np.inf, nav), axis=1, keepdims=True), nav)
    stress = np.zeros_like(filled)
    for d in range(n_days):  # trailing 40-day high: a short loop over days, vectorised over funds
        stress[:, d] = 1 - filled[:, d] / filled[:, max(0, d - 40) : d + 1].max(axis=1)
    stress = np.where(is_type["money"], 0.0, stress)
    del s0
    return Market(
        close=close,
        open=opn,
        high=high,
        low=low,
        volume=volume,
        nav=nav,
        acc_nav=acc,
        crowded_factor=np.cumsum(crowd),
        stock_drawdown=stock_dd,
        fund_drawdown=fund_dd,
        fund_stress=stress,
    )
