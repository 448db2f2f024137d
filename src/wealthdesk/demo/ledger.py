"""Fees, cash and holdings snapshots: the books that must reconcile with the trades.

Cash rule (documented in ``_truth/README.md``): a buy or subscription takes
``amount + fee`` from the account's cash, a sell or redemption adds
``amount - fee``, deposits add and withdrawals take.  Every account gets just
enough money in (opening cash or a first deposit on the opening day) that its
cash never goes negative, so a snapshot's cash row equals opening cash plus
every flow and trade up to that day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wealthdesk.demo.calendar import Calendar
from wealthdesk.demo.clients import Accounts
from wealthdesk.demo.positions import Positions
from wealthdesk.demo.trading import BUY, Fills, holdings_at

BANKS = (
    "工商银行",
    "建设银行",
    "农业银行",
    "中国银行",
    "交通银行",
    "招商银行",
    "浦发银行",
    "兴业银行",
    "中信银行",
    "平安银行",
    "民生银行",
    "光大银行",
)
TRADE_CHANNELS = ("app", "pc", "counter", "phone", "advisor")


def stock_fees(fills: Fills) -> np.ndarray:
    """Commission 0.025% (minimum 5 CNY) plus 0.1% stamp duty on sells."""
    commission = np.maximum(np.round(fills.amount * 0.00025, 2), 5.0)
    return np.round(commission + np.where(fills.side == BUY, 0, fills.amount * 0.001), 2)


def fund_fees(
    fills: Fills, pos: Positions, sub_rate: np.ndarray, red_rate: np.ndarray, opened_on: np.ndarray
) -> np.ndarray:
    """Front-end subscription fee (brokerage discount 1折 on the app) and redemption fee within a year of opening."""
    f = pos.instrument[fills.position]
    held_days = (fills.day - opened_on[fills.position]) * 365 / 243
    rate = np.where(fills.side == BUY, sub_rate[f] * 0.1, np.where(held_days < 365, red_rate[f], 0.0))
    return np.round(fills.amount * rate, 2)


@dataclass(frozen=True)
class CashFlows:
    account: np.ndarray
    time: np.ndarray  # datetime64[s]
    deposit: np.ndarray  # bool
    amount: np.ndarray
    bank: np.ndarray  # index into BANKS


@dataclass(frozen=True)
class Cash:
    flows: CashFlows
    opening: np.ndarray  # per account cash at the opening snapshot
    # (account, time, delta) of every cash movement, sorted, for snapshot balances
    mv_account: np.ndarray
    mv_time: np.ndarray
    mv_balance: np.ndarray


def cash(
    cal: Calendar,
    acc: Accounts,
    aum: np.ndarray,
    trade_acc: np.ndarray,
    trade_time: np.ndarray,
    trade_delta: np.ndarray,
    rng: np.random.Generator,
) -> Cash:
    """Random deposits and withdrawals, then the opening cash / first deposit that keeps every balance >= 0."""
    first_day = np.maximum(acc.opened, cal.days[1])
    years = np.maximum((cal.days[-1] - first_day).astype(np.int64), 0) / 365
    traded = np.bincount(trade_acc, minlength=acc.n) > 0
    k = rng.poisson((0.8 + 1.6 * traded) * years)
    a = np.repeat(np.arange(acc.n), k)
    span = np.maximum((cal.days[-1] - first_day[a]).astype(np.int64), 1)
    t = (
        first_day[a].astype("datetime64[s]")
        + (rng.random(len(a)) * span).astype(np.int64) * 86400
        + rng.integers(8 * 3600, 21 * 3600, size=len(a))
    )
    dep = rng.random(len(a)) < 0.6
    amt = np.round(aum[a] * rng.lognormal(-2.6, 0.8, size=len(a)), 2) + 100
    delta = np.where(dep, amt, -amt)
    # merge trades and flows, find each account's lowest running balance
    acc_all = np.concatenate([trade_acc, a])
    time_all = np.concatenate([trade_time, t])
    delta_all = np.concatenate([trade_delta, delta])
    order = np.lexsort((time_all, acc_all))
    acc_all, time_all, delta_all = acc_all[order], time_all[order], delta_all[order]
    running = np.cumsum(delta_all)
    starts = np.r_[0, np.flatnonzero(acc_all[1:] != acc_all[:-1]) + 1] if len(acc_all) else np.zeros(0, np.int64)
    base = np.repeat(running[starts] - delta_all[starts], np.diff(np.r_[starts, len(acc_all)]))
    running = running - base
    lowest = np.zeros(acc.n)
    if len(acc_all):
        lowest[acc_all[starts]] = np.minimum.reduceat(running, starts)
    need = np.round(np.maximum(-lowest, 0) + aum * rng.uniform(0.01, 0.08, size=acc.n), 2)
    need = np.where(traded | (np.bincount(a, minlength=acc.n) > 0), need, 0.0)
    legacy = acc.opened < cal.days[0]
    opening = np.where(legacy, need, 0.0)
    # accounts opened in the window fund themselves with a first deposit on the opening day, before any trade
    new = ~legacy & (need > 0)
    first_t = first_day[new].astype("datetime64[s]") + 8 * 3600 + rng.integers(0, 1800, size=new.sum())
    flows = CashFlows(
        account=np.concatenate([a, np.flatnonzero(new)]),
        time=np.concatenate([t, first_t]),
        deposit=np.concatenate([dep, np.ones(new.sum(), bool)]),
        amount=np.concatenate([amt, need[new]]),
        bank=rng.integers(0, len(BANKS), size=len(a) + int(new.sum())),
    )
    order = np.lexsort((flows.time, flows.account))
    flows = CashFlows(*(getattr(flows, f)[order] for f in ("account", "time", "deposit", "amount", "bank")))
    # balances after each movement, for snapshots
    acc_all = np.concatenate([trade_acc, flows.account])
    time_all = np.concatenate([trade_time, flows.time])
    delta_all = np.concatenate([trade_delta, np.where(flows.deposit, flows.amount, -flows.amount)])
    order = np.lexsort((time_all, acc_all))
    acc_all, time_all, delta_all = acc_all[order], time_all[order], delta_all[order]
    starts = np.r_[0, np.flatnonzero(acc_all[1:] != acc_all[:-1]) + 1] if len(acc_all) else np.zeros(0, np.int64)
    run = np.cumsum(delta_all)
    base = np.repeat(run[starts] - delta_all[starts], np.diff(np.r_[starts, len(acc_all)]))
    balance = np.round(run - base + opening[acc_all], 2)
    return Cash(flows, opening, acc_all, time_all, balance)


def cash_at(c: Cash, n_accounts: int, day_end: np.datetime64) -> tuple[np.ndarray, np.ndarray]:
    """(account, balance) with a positive cash balance at ``day_end`` (exclusive end of the day)."""
    width = np.int64(1 << 34)
    t0 = np.datetime64("2019-01-01T00:00:00")
    keys = c.mv_account.astype(np.int64) * width + (c.mv_time - t0).astype(np.int64)
    probe = np.arange(n_accounts, dtype=np.int64) * width + (day_end - t0).astype(np.int64) - 1
    idx = np.searchsorted(keys, probe, side="right") - 1
    own = (idx >= 0) & (c.mv_account[np.maximum(idx, 0)] == np.arange(n_accounts))
    bal = np.where(own, c.mv_balance[np.maximum(idx, 0)], c.opening)
    alive = bal >= 0.01
    return np.flatnonzero(alive), bal[alive]


@dataclass(frozen=True)
class Snapshot:
    day: np.ndarray  # day index
    account: np.ndarray
    asset: np.ndarray  # 0 stock, 1 fund, 2 cash
    instrument: np.ndarray  # index (stock/fund) or -1 for cash
    quantity: np.ndarray
    cost: np.ndarray  # NaN for cash
    value: np.ndarray


def snapshots(
    cal: Calendar,
    days: np.ndarray,
    stock_fills: Fills,
    stock_pos: Positions,
    close: np.ndarray,
    fund_fills: Fills,
    fund_pos: Positions,
    nav: np.ndarray,
    cash_book: Cash,
    n_accounts: int,
) -> Snapshot:
    """Holdings at the close of each snapshot day: stocks, funds and cash, sorted by day, account, asset."""
    parts = []
    for d in days:
        for asset, (fills, pos, px) in enumerate(((stock_fills, stock_pos, close), (fund_fills, fund_pos, nav))):
            p, q, cst = holdings_at(fills, pos, int(d))
            inst = pos.instrument[p]
            parts.append(
                (np.full(len(p), d), pos.account[p], np.full(len(p), asset), inst, q, cst, np.round(q * px[inst, d], 2))
            )
        a, bal = cash_at(cash_book, n_accounts, cal.days[d].astype("datetime64[s]") + 86400)
        parts.append(
            (np.full(len(a), d), a, np.full(len(a), 2), np.full(len(a), -1), bal, np.full(len(a), np.nan), bal)
        )
    cols = [np.concatenate([p[i] for p in parts]) for i in range(7)]
    order = np.lexsort((cols[3], cols[2], cols[1], cols[0]))
    return Snapshot(*(c[order] for c in cols))
