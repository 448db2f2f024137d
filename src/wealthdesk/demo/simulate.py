"""Client behaviour end to end: positions → trades → cash → holdings snapshots.

Kept apart from the orchestration so the book-keeping (what was bought, at
what price and fee, what that does to cash) reads in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wealthdesk.demo import ledger, positions, trading
from wealthdesk.demo.calendar import Calendar
from wealthdesk.demo.clients import Accounts, Customers
from wealthdesk.demo.funds import Funds, TopHoldings
from wealthdesk.demo.market import Market
from wealthdesk.demo.universe import Securities

_RISK_MULT = np.array([1.6, 2.0, 1.6, 1.0, 0.7, 0.5])  # index: never assessed, C1 … C5


@dataclass(frozen=True)
class Book:
    """Everything the trades, cash_flows and holdings tables are built from."""

    # trades, sorted by time
    t_account: np.ndarray
    t_time: np.ndarray
    t_kind: np.ndarray  # 0 stock_buy, 1 stock_sell, 2 fund_subscribe, 3 fund_redeem
    t_instrument: np.ndarray  # stock or fund index
    t_qty: np.ndarray
    t_price: np.ndarray
    t_amount: np.ndarray
    t_fee: np.ndarray
    t_channel: np.ndarray
    cash: ledger.Cash
    snapshot: ledger.Snapshot
    fund_pos: positions.Positions
    fund_fills: trading.Fills
    fund_opened_on: np.ndarray
    client_mult: np.ndarray  # per fund position


def run(
    cal: Calendar,
    secs: Securities,
    funds: Funds,
    top: TopHoldings,
    mkt: Market,
    cust: Customers,
    acc: Accounts,
    rng: np.random.Generator,
) -> Book:
    """Simulate trading and book-keeping for every account."""
    sp = positions.stock_positions(cal, secs, cust, acc, mkt.close[:, 0], rng)
    fp = positions.fund_positions(cal, funds, cust, acc, mkt.nav[:, 0], rng)
    c_s = acc.customer[sp.account]
    s_ev = trading.stock_events(cal, sp, cust.activity[c_s], cust.aum[c_s] * 0.12, rng)
    s_px = mkt.close[sp.instrument[s_ev.position], s_ev.day]
    s_px = np.round(
        np.clip(
            s_px * (1 + rng.normal(0, 0.004, size=len(s_px))),
            mkt.low[sp.instrument[s_ev.position], s_ev.day],
            mkt.high[sp.instrument[s_ev.position], s_ev.day],
        ),
        2,
    )
    s_fill = trading.fill(s_ev, sp, s_px, lots=True)
    c_f = acc.customer[fp.account]
    tenure_free = _RISK_MULT[cust.risk[c_f]] * np.where(cust.aum[c_f] < 50_000, 1.2, 1.0)
    f_ev, opened_on = trading.fund_events(
        cal, fp, mkt.fund_stress, top.crowded_exposure, tenure_free, np.maximum(cust.aum[c_f] * 0.08, 1000), rng
    )
    f_px = mkt.nav[fp.instrument[f_ev.position], f_ev.day]
    f_fill = trading.fill(f_ev, fp, f_px, lots=False)

    s_fee = ledger.stock_fees(s_fill)
    f_fee = ledger.fund_fees(f_fill, fp, funds.subscription_fee, funds.redemption_fee, opened_on)
    account = np.concatenate([sp.account[s_fill.position], fp.account[f_fill.position]])
    time = np.concatenate([s_fill.time, f_fill.time])
    kind = np.concatenate([s_fill.side, 2 + f_fill.side])
    inst = np.concatenate([sp.instrument[s_fill.position], fp.instrument[f_fill.position]])
    qty = np.concatenate([s_fill.quantity, f_fill.quantity])
    price = np.concatenate([s_fill.price, f_fill.price])
    amount = np.concatenate([s_fill.amount, f_fill.amount])
    fee = np.concatenate([s_fee, f_fee])
    buy = (kind % 2) == 0
    delta = np.where(buy, -(amount + fee), amount - fee)
    has_adv = cust.advisor[acc.customer[account]] >= 0
    channel = rng.choice(5, size=len(account), p=[0.66, 0.13, 0.04, 0.03, 0.14])
    channel = np.where(~has_adv & (channel == 4), 0, channel)
    book_cash = ledger.cash(cal, acc, cust.aum[acc.customer], account, time, delta, rng)
    snap_days = np.r_[0, cal.snapshots]
    snap = ledger.snapshots(cal, snap_days, s_fill, sp, mkt.close, f_fill, fp, mkt.nav, book_cash, acc.n)
    order = np.lexsort((account, time))
    _set_status(cal, acc, account, rng)
    return Book(
        account[order],
        time[order],
        kind[order],
        inst[order],
        qty[order],
        price[order],
        amount[order],
        fee[order],
        channel[order],
        book_cash,
        snap,
        fp,
        f_fill,
        opened_on,
        tenure_free,
    )


def _set_status(cal: Calendar, acc: Accounts, trade_account: np.ndarray, rng: np.random.Generator) -> None:
    """Dormant when nothing was traded in the window; a few frozen accounts."""
    traded = np.bincount(trade_account, minlength=acc.n) > 0
    status = np.where(traded, "normal", "dormant").astype(object)
    status[rng.random(acc.n) < 0.002] = "frozen"
    acc.status = status
