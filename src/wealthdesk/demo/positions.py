"""Which instruments each account holds over the window, and from when.

A *position* is one (account, instrument) pair.  Some positions already exist
at the opening snapshot (2019-12-31), the rest open with their first buy.
Stock choice respects trading permissions (ChiNext / STAR only once the
account has them) and fund choice respects suitability most of the time (a
product at most one level above the client's, money funds only for the lowest
category and the never-assessed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wealthdesk.demo.calendar import FIRST_TRADE, Calendar
from wealthdesk.demo.clients import Accounts, Customers
from wealthdesk.demo.funds import Funds
from wealthdesk.demo.universe import Securities


@dataclass(frozen=True)
class Positions:
    """Positions sorted by account then instrument; ``instrument`` indexes Securities or Funds."""

    account: np.ndarray
    instrument: np.ndarray
    start: np.ndarray  # first day index a trade may happen
    legacy: np.ndarray  # held at the opening snapshot
    opening_qty: np.ndarray
    opening_cost: np.ndarray
    opened_on: np.ndarray  # day index the position was first bought (negative: before the window)

    @property
    def n(self) -> int:
        return len(self.account)


def _dedupe(account: np.ndarray, instrument: np.ndarray) -> np.ndarray:
    """Indices of the first occurrence of each (account, instrument), sorted by account then instrument."""
    key = account.astype(np.int64) * 1_000_000 + instrument
    _, first = np.unique(key, return_index=True)
    return first


def stock_positions(
    cal: Calendar, secs: Securities, cust: Customers, acc: Accounts, close0: np.ndarray, rng: np.random.Generator
) -> Positions:
    """Stock positions: count grows with the client's activity; permissions gate ChiNext and STAR."""
    c = acc.customer
    count = np.minimum(rng.poisson(1.2 + 1.5 * np.minimum(cust.activity[c], 6)), 40)
    account = np.repeat(np.arange(acc.n), count)
    p = secs.popularity / secs.popularity.sum()
    inst = rng.choice(secs.n, size=len(account), p=p)
    main = np.flatnonzero(secs.board == "main")
    pm = secs.popularity[main] / secs.popularity[main].sum()
    board = secs.board[inst]
    perm = np.where(
        board == "chinext",
        acc.chinext[account],
        np.where(board == "star", acc.star[account], np.datetime64("1990-01-01")),
    )
    lacking = np.isnat(perm)
    inst[lacking] = main[rng.choice(len(main), size=lacking.sum(), p=pm)]
    perm[lacking] = np.datetime64("1990-01-01")
    keep = _dedupe(account, inst)
    account, inst, perm = account[keep], inst[keep], perm[keep]
    return _finish(
        cal,
        account,
        inst,
        acc,
        perm,
        secs.listed[inst],
        close0[inst],
        cust.aum[acc.customer[account]],
        lots=True,
        rng=rng,
    )


def fund_positions(
    cal: Calendar, funds: Funds, cust: Customers, acc: Accounts, nav0: np.ndarray, rng: np.random.Generator
) -> Positions:
    """Fund positions in cash accounts, mostly within the client's risk level."""
    cash_acc = np.flatnonzero(~acc.margin)
    c = acc.customer[cash_acc]
    affinity = 1.0 + 0.25 * (5 - np.maximum(cust.risk[c], 1)) + 0.3 * (cust.aum[c] > 200_000)
    count = np.minimum(rng.poisson(1.1 * affinity), 15)
    account = np.repeat(cash_acc, count)
    client_level = cust.risk[acc.customer[account]]
    client_level = np.where(cust.lowest[acc.customer[account]], 0, client_level)
    fund_level = np.char.replace(funds.risk_level, "R", "").astype(int)
    p = funds.popularity / funds.popularity.sum()
    inst = rng.choice(funds.n, size=len(account), p=p)
    for _ in range(6):  # redraw unsuitable picks a few times; the few that stay are allowed with a risk warning
        bad = fund_level[inst] > np.maximum(client_level, 1) + (rng.random(len(inst)) < 0.03)
        bad |= (client_level == 0) & (fund_level[inst] > 1)
        if not bad.any():
            break
        inst[bad] = rng.choice(funds.n, size=bad.sum(), p=p)
    money = np.flatnonzero(funds.fund_type == "money")
    still_bad = (client_level == 0) & (fund_level[inst] > 1)
    inst[still_bad] = money[rng.integers(0, len(money), size=still_bad.sum())]
    keep = _dedupe(account, inst)
    account, inst = account[keep], inst[keep]
    return _finish(
        cal,
        account,
        inst,
        acc,
        np.full(len(account), np.datetime64("1990-01-01")),
        funds.inception[inst],
        nav0[inst],
        cust.aum[acc.customer[account]],
        lots=False,
        rng=rng,
    )


def _finish(
    cal: Calendar,
    account: np.ndarray,
    inst: np.ndarray,
    acc: Accounts,
    perm: np.ndarray,
    listed: np.ndarray,
    price0: np.ndarray,
    aum: np.ndarray,
    lots: bool,
    rng: np.random.Generator,
) -> Positions:
    opened = acc.opened[account]
    start = np.maximum.reduce(
        [
            cal.index_of_dates(opened),
            cal.index_of_dates(perm),
            cal.index_of_dates(listed),
            np.full(len(account), FIRST_TRADE),
        ]
    )
    legacy = (opened < cal.days[0]) & (perm < cal.days[0]) & (listed < cal.days[0]) & ~np.isnan(price0)
    legacy &= rng.random(len(account)) < 0.55
    value = aum * rng.uniform(0.03, 0.25, size=len(account))
    safe_price = np.where(np.isnan(price0), 1.0, price0)
    qty = np.maximum(np.floor(value / safe_price / 100), 1) * 100 if lots else np.round(value / safe_price, 2)
    qty = np.where(legacy, qty, 0.0)
    cost = np.round(qty * safe_price * rng.uniform(0.7, 1.3, size=len(account)), 2)
    opened_on = np.where(legacy, -rng.integers(20, 1500, size=len(account)), -1)
    keep = start < cal.n - 1
    return Positions(account[keep], inst[keep], start[keep], legacy[keep], qty[keep], cost[keep], opened_on[keep])
