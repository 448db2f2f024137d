"""Trades that are consistent with positions: never sell more than is held.

Events are drawn per position (uniform days for stocks; for funds,
subscriptions follow the 2020 fund boom and redemptions are an inhomogeneous
Poisson process drawn by thinning).  The redemption hazard rises with the
fund's drawdown from its recent high and with its crowded exposure during the
sell-off, and is higher for recent buyers and for conservative clients — the
pattern the fund-retention analysis has to recover.  Quantities then follow a
recurrence over each position's events, run as one vectorised step per event
rank (the loop is over ranks, never over rows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wealthdesk.demo.calendar import Calendar
from wealthdesk.demo.positions import Positions

BUY, SELL = 0, 1


@dataclass(frozen=True)
class Events:
    """Candidate events sorted by (position, time)."""

    position: np.ndarray
    day: np.ndarray
    time: np.ndarray  # datetime64[s]
    side: np.ndarray  # BUY / SELL
    fraction: np.ndarray  # share of the holding a sell disposes of (1 = all)
    budget: np.ndarray  # CNY a buy spends


@dataclass(frozen=True)
class Fills:
    """Executed trades (rows of the trades table, before formatting)."""

    position: np.ndarray
    day: np.ndarray
    time: np.ndarray
    side: np.ndarray
    quantity: np.ndarray
    price: np.ndarray
    amount: np.ndarray
    held_after: np.ndarray
    cost_after: np.ndarray


def _sort(pos: np.ndarray, day: np.ndarray, time: np.ndarray, *cols: np.ndarray) -> tuple[np.ndarray, ...]:
    order = np.lexsort((time, pos))
    return (pos[order], day[order], time[order], *(c[order] for c in cols))


def stock_events(
    cal: Calendar, pos: Positions, activity: np.ndarray, budget_base: np.ndarray, rng: np.random.Generator
) -> Events:
    """Uniformly timed buys and sells; a position that starts empty starts with a buy."""
    span = (cal.n - pos.start) / 243
    k = np.minimum(rng.poisson(1.7 * np.minimum(activity, 8) * span) + (~pos.legacy), 120)
    p = np.repeat(np.arange(pos.n), k)
    day = pos.start[p] + (rng.random(len(p)) * (cal.n - pos.start[p])).astype(np.int64)
    time = cal.trade_times(day, rng)
    first = np.r_[True, p[1:] != p[:-1]] if len(p) else np.zeros(0, bool)
    side = np.where(rng.random(len(p)) < 0.5, BUY, SELL)
    fraction = np.where(rng.random(len(p)) < 0.45, 1.0, rng.uniform(0.2, 0.8, size=len(p)))
    budget = budget_base[p] * rng.uniform(0.3, 1.5, size=len(p))
    p, day, time, side, fraction, budget = _sort(p, day, time, side, fraction, budget)
    first = np.r_[True, p[1:] != p[:-1]] if len(p) else first
    side = np.where(first & ~pos.legacy[p], BUY, side)
    return Events(p, day, time, side, fraction, budget)


def fund_events(
    cal: Calendar,
    pos: Positions,
    stress: np.ndarray,
    exposure: np.ndarray,
    client_mult: np.ndarray,
    budget_base: np.ndarray,
    rng: np.random.Generator,
) -> tuple[Events, np.ndarray]:
    """Subscriptions along the fund boom and hazard-driven redemptions; returns events and each position's open day."""
    n_days = cal.n
    days = np.arange(n_days)
    peak, (s0, s1) = cal.peak, cal.selloff
    fever = np.where(days < 120, 0.8, np.where(days <= peak, 1.8, np.where(days <= s1 + 20, 0.6, 0.9)))
    cw = np.cumsum(fever)
    span = (n_days - pos.start) / 243
    k_sub = rng.poisson(1.3 * span) + (~pos.legacy)
    p_sub = np.repeat(np.arange(pos.n), k_sub)
    lo, hi = cw[pos.start[p_sub] - 1], cw[-1]
    d_sub = np.searchsorted(cw, lo + rng.random(len(p_sub)) * (hi - lo))
    d_sub = np.clip(d_sub, pos.start[p_sub], n_days - 1)
    # the opening day of a non-legacy position is its first subscription
    opened_on = pos.opened_on.copy()
    first_sub = np.full(pos.n, n_days, dtype=np.int64)
    np.minimum.at(first_sub, p_sub, d_sub)
    opened_on = np.where(pos.legacy, opened_on, first_sub)
    # redemptions by thinning: candidates at the capped rate, accepted with probability hazard / cap
    cap = 6.0
    k_red = rng.poisson(cap * span)
    p_red = np.repeat(np.arange(pos.n), k_red)
    d_red = pos.start[p_red] + (rng.random(len(p_red)) * (n_days - pos.start[p_red])).astype(np.int64)
    lag = np.maximum(d_red - rng.integers(1, 6, size=len(d_red)), 0)
    f = pos.instrument[p_red]
    in_selloff = (d_red >= s0) & (d_red <= s1 + 15)
    tenure = d_red - opened_on[p_red]
    tenure_mult = np.where(tenure < 120, 1.9, np.where(tenure < 250, 1.3, 0.8))
    hazard = 0.22 * (1 + 14 * stress[f, lag]) * (1 + 4 * exposure[f] * in_selloff) * client_mult[p_red] * tenure_mult
    accept = (rng.random(len(p_red)) * cap < hazard) & (d_red > opened_on[p_red])
    p_red, d_red = p_red[accept], d_red[accept]
    stressed = stress[pos.instrument[p_red], d_red] > 0.08
    p = np.concatenate([p_sub, p_red])
    day = np.concatenate([d_sub, d_red])
    side = np.concatenate([np.full(len(p_sub), BUY), np.full(len(p_red), SELL)])
    full = rng.random(len(p_red)) < np.where(stressed, 0.75, 0.5)
    fraction = np.concatenate([np.ones(len(p_sub)), np.where(full, 1.0, rng.uniform(0.2, 0.8, size=len(p_red)))])
    budget = budget_base[p] * rng.uniform(0.2, 1.2, size=len(p))
    time = cal.trade_times(day, rng)
    p, day, time, side, fraction, budget = _sort(p, day, time, side, fraction, budget)
    return Events(p, day, time, side, fraction, budget), opened_on


def fill(events: Events, pos: Positions, price: np.ndarray, lots: bool) -> Fills:
    """Run the holding recurrence over event ranks; sells of an empty position are dropped."""
    m = len(events.position)
    held = pos.opening_qty.astype(np.float64).copy()
    cost = pos.opening_cost.astype(np.float64).copy()
    qty = np.zeros(m)
    held_after = np.zeros(m)
    cost_after = np.zeros(m)
    starts = np.r_[0, np.flatnonzero(events.position[1:] != events.position[:-1]) + 1] if m else np.zeros(0, np.int64)
    rank = np.arange(m) - np.repeat(starts, np.diff(np.r_[starts, m])) if m else np.zeros(0, np.int64)
    order = np.argsort(rank, kind="stable")
    bounds = np.searchsorted(rank[order], np.arange(int(rank.max(initial=-1)) + 2))
    for r in range(len(bounds) - 1):
        idx = order[bounds[r] : bounds[r + 1]]
        p = events.position[idx]
        h = held[p]
        px = price[idx]
        buy = events.side[idx] == BUY
        if lots:
            q_buy = np.maximum(np.floor(events.budget[idx] / px / 100), 1) * 100
            partial = np.floor(h * events.fraction[idx] / 100) * 100
        else:
            q_buy = np.maximum(np.round(events.budget[idx] / px, 2), 10.0)
            partial = np.round(h * events.fraction[idx], 2)
        q_sell = np.where((events.fraction[idx] >= 1) | (partial <= 0), h, np.minimum(partial, h))
        q = np.where(buy, q_buy, q_sell)
        new_h = np.where(buy, h + q, h - q)
        new_h = np.where(new_h < 1e-6, 0.0, new_h)
        c = cost[p]
        new_c = np.where(
            buy, c + np.round(q * px, 2), np.where(h > 0, np.round(c * new_h / np.where(h > 0, h, 1), 2), 0)
        )
        held[p], cost[p] = new_h, new_c
        qty[idx], held_after[idx], cost_after[idx] = q, new_h, new_c
    ok = qty > 0
    return Fills(
        events.position[ok],
        events.day[ok],
        events.time[ok],
        events.side[ok],
        qty[ok],
        price[ok],
        np.round(qty[ok] * price[ok], 2),
        held_after[ok],
        cost_after[ok],
    )


def holdings_at(fills: Fills, pos: Positions, day: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(position index, quantity, cost) of every non-empty position at the close of ``day``."""
    width = np.int64(1 << 20)
    keys = fills.position.astype(np.int64) * width + fills.day
    probe = np.arange(pos.n, dtype=np.int64) * width + day
    idx = np.searchsorted(keys, probe, side="right") - 1
    traded = (idx >= 0) & (fills.position[np.maximum(idx, 0)] == np.arange(pos.n))
    qty = np.where(traded, fills.held_after[np.maximum(idx, 0)], pos.opening_qty)
    cost = np.where(traded, fills.cost_after[np.maximum(idx, 0)], pos.opening_cost)
    alive = qty > 0
    return np.flatnonzero(alive), qty[alive], cost[alive]
