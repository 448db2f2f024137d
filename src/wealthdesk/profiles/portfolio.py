"""A client's holdings with their profit and loss, and their latest trades: what an advisor checks first.

Holdings come from the store's latest snapshot on or before the profiles' date
(monthly in most brokerages' exports), valued as the snapshot values them; the snapshot date is shown so
nobody mistakes it for today's value.

The client's accounts are looked up first and their rows fetched by
``account_id IN (…)`` as the scan's only filter: DuckDB then uses the serving
index (``store.SERVING_INDEXES``) instead of reading tens of millions of rows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

import duckdb

RECENT_TRADES = 10
TRADE_LABELS = {"stock_buy": "买入", "stock_sell": "卖出", "fund_subscribe": "申购", "fund_redeem": "赎回"}
ASSET_LABELS = {"stock": "股票", "fund": "基金", "cash": "现金"}


@dataclass(frozen=True)
class Holding:
    asset_type: str
    code: str
    name: str | None
    quantity: float
    cost: float
    value: float
    fund_type: str | None  # funds only
    risk_level: str | None  # funds only: R1 … R5
    board: str | None  # stocks only

    @property
    def pnl(self) -> float:
        """Market value minus cost; cash has none."""
        return 0.0 if self.asset_type == "cash" else self.value - self.cost

    @property
    def pnl_pct(self) -> float | None:
        """Return on cost; None for cash and for a position with no cost."""
        return None if self.asset_type == "cash" or self.cost <= 0 else self.pnl / self.cost

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "pnl": round(self.pnl, 2), "pnl_pct": self.pnl_pct}


@dataclass(frozen=True)
class Portfolio:
    as_of: date | None  # the snapshot's date; None when the store has no snapshot that early
    holdings: list[Holding]

    @property
    def value(self) -> float:
        return sum(h.value for h in self.holdings)

    @property
    def pnl(self) -> float:
        return sum(h.pnl for h in self.holdings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of,
            "value": round(self.value, 2),
            "pnl": round(self.pnl, 2),
            "holdings": [h.to_dict() for h in self.holdings],
        }


def accounts_of(con: duckdb.DuckDBPyConnection, customer_id: str) -> list[str]:
    rows = con.execute("SELECT account_id FROM accounts WHERE customer_id = ?", [customer_id]).fetchall()
    return [account for (account,) in rows]


def _placeholders(values: list[str]) -> str:
    return ", ".join("?" * len(values))


def snapshot_on(con: duckdb.DuckDBPyConnection, as_of: date) -> date | None:
    """The store's newest holdings snapshot on or before ``as_of``: the rule of ``profiles.build.latest_snapshot``,
    in plain SQL because this runs on every sidebar request (through Ibis it costs ~15 ms, here ~1 ms)."""
    return con.execute("SELECT max(snapshot_date) FROM holdings WHERE snapshot_date <= ?", [as_of]).fetchone()[0]


def portfolio(con: duckdb.DuckDBPyConnection, accounts: list[str], as_of: date) -> Portfolio:
    """The positions in a client's ``accounts`` (:func:`accounts_of`) on the store's latest snapshot on or before
    ``as_of`` (the profiles' date), largest first, cash last. A client with no rows on it holds nothing now,
    whatever an older snapshot said."""
    snapshot = snapshot_on(con, as_of)
    if snapshot is None or not accounts:
        return Portfolio(snapshot, [])
    rows = con.execute(
        f"""WITH mine AS MATERIALIZED (SELECT * FROM holdings WHERE account_id IN ({_placeholders(accounts)})),
           latest AS (
               SELECT snapshot_date, asset_type, instrument_code, sum(quantity) AS quantity,
                      sum(cost_amount)::DOUBLE AS cost, sum(market_value)::DOUBLE AS value
               FROM mine WHERE snapshot_date = ? GROUP BY ALL)
           SELECT l.snapshot_date, l.asset_type, l.instrument_code, coalesce(s.name, f.name), l.quantity, l.cost,
                  l.value, f.fund_type, f.risk_level, s.board
           FROM latest l
           LEFT JOIN securities s ON l.asset_type = 'stock' AND s.code = l.instrument_code
           LEFT JOIN funds f ON l.asset_type = 'fund' AND f.fund_code = l.instrument_code
           ORDER BY l.asset_type = 'cash', l.value DESC, l.instrument_code""",
        [*accounts, snapshot],
    ).fetchall()
    if not rows:
        return Portfolio(snapshot, [])
    holdings = [Holding(r[1], r[2], r[3], r[4] or 0.0, r[5] or 0.0, r[6] or 0.0, r[7], r[8], r[9]) for r in rows]
    return Portfolio(rows[0][0], holdings)


@dataclass(frozen=True)
class Trade:
    trade_time: datetime
    trade_type: str
    label: str
    code: str
    name: str | None
    quantity: float
    price: float
    amount: float
    fee: float


def recent_trades(con: duckdb.DuckDBPyConnection, accounts: list[str], limit: int = RECENT_TRADES) -> list[Trade]:
    """The latest trades across a client's ``accounts`` (:func:`accounts_of`), newest first."""
    if not accounts:
        return []
    rows = con.execute(
        f"""WITH mine AS MATERIALIZED (SELECT * FROM trades WHERE account_id IN ({_placeholders(accounts)}))
           SELECT t.trade_time, t.trade_type, t.instrument_code, coalesce(s.name, f.name),
                  t.quantity, t.price::DOUBLE, t.amount::DOUBLE, t.fee::DOUBLE
           FROM mine t
           LEFT JOIN securities s ON s.code = t.instrument_code
           LEFT JOIN funds f ON f.fund_code = t.instrument_code
           ORDER BY t.trade_time DESC, t.trade_id DESC LIMIT ?""",
        [*accounts, limit],
    ).fetchall()
    return [
        Trade(r[0], r[1], TRADE_LABELS.get(r[1], r[1]), r[2], r[3], r[4] or 0.0, r[5] or 0.0, r[6] or 0.0, r[7] or 0.0)
        for r in rows
    ]
