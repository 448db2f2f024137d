"""The fund retention report: how the fund holding balance (基金保有量) moved in a window and why.

For every holding (account × fund) the window is reduced to five numbers:
its value at the two closes, what was subscribed and redeemed in between,
and the first redemption day. Everything in the report is a sum or a
comparison over those rows, so the parts always add up:

    balance change = subscriptions − redemptions + market effect

where the market effect is what is left once the flows are taken out (the
funds' price moves). A holding counts as *redeemed* when anything of it was
redeemed in the window, and the trait comparison looks at the holdings that
existed when the window opened (a fund bought and sold inside the window
tells nothing about who left).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import ibis
import numpy as np
import pyarrow as pa

from wealthdesk.funds.holding_period import HoldingPeriods, holding_periods
from wealthdesk.funds.positions import fund_trades, positions_at, spell_starts
from wealthdesk.funds.summary import summarise
from wealthdesk.funds.traits import (
    CATEGORICAL_TRAITS,
    NUMERIC_TRAITS,
    CategoryComparison,
    TraitComparison,
    compare_categories,
    compare_numeric,
    fund_traits,
)
from wealthdesk.funds.window import DEFAULT_WINDOW, FundReportError, Window, check_window

TOP = 10
MIN_HOLDERS_FOR_SHARE = 20  # a fund needs this many holders at the start to rank by share redeemed


def holding_rows(backend: Any, window: Window) -> Any:
    """account_id, fund_code, start_value, end_value, subscribed, redeemed, first_redemption, opened."""
    start = positions_at(backend, window.start)
    end = positions_at(backend, window.end)
    t = fund_trades(backend)
    t = t.filter((t.day > window.start) & (t.day <= window.end))
    zero = ibis.literal(0.0)
    no_day = ibis.null("date")
    parts = [
        start.select("account_id", "fund_code", v0=start.market_value, v1=zero, sub=zero, red=zero, first=no_day),
        end.select("account_id", "fund_code", v0=zero, v1=end.market_value, sub=zero, red=zero, first=no_day),
        t.select(
            "account_id",
            "fund_code",
            v0=zero,
            v1=zero,
            sub=ibis.ifelse(t.buy, t.amount, 0.0),
            red=ibis.ifelse(t.buy, 0.0, t.amount),
            first=ibis.ifelse(t.buy, no_day, t.day),
        ),
    ]
    rows = parts[0].union(parts[1], distinct=False).union(parts[2], distinct=False)
    rows = rows.group_by(["account_id", "fund_code"]).aggregate(
        start_value=rows.v0.sum(),
        end_value=rows.v1.sum(),
        subscribed=rows.sub.sum(),
        redeemed=rows.red.sum(),
        first_redemption=rows.first.min(),
    )
    # the spell a holding is in: the latest start on or before its first redemption (or the window's end)
    spells = spell_starts(backend)
    reference = rows.first_redemption.fill_null(window.end)
    joined = rows.left_join(
        spells,
        [
            rows.account_id == spells.account_id,
            rows.fund_code == spells.fund_code,
            spells.started <= reference,
        ],
    )
    keys = ["account_id", "fund_code", "start_value", "end_value", "subscribed", "redeemed", "first_redemption"]
    return joined.group_by(keys).aggregate(opened=joined.started.max())


@dataclass(frozen=True)
class Flows:
    """Balance and flows of a group of holdings (a fund, a type, a company or everything)."""

    start_balance: float
    end_balance: float
    subscribed: float
    redeemed: float
    holders_at_start: int
    redeemers: int

    @property
    def change(self) -> float:
        return self.end_balance - self.start_balance

    @property
    def market_effect(self) -> float:
        return self.change - (self.subscribed - self.redeemed)

    @property
    def redeemed_share(self) -> float | None:
        """Redeemed amount over the balance at the start (can pass 1 when new money was also redeemed)."""
        return self.redeemed / self.start_balance if self.start_balance > 0 else None

    @property
    def redeemer_rate(self) -> float | None:
        return self.redeemers / self.holders_at_start if self.holders_at_start else None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(
            change=self.change,
            market_effect=self.market_effect,
            redeemed_share=self.redeemed_share,
            redeemer_rate=self.redeemer_rate,
        )
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in out.items()}


@dataclass(frozen=True)
class FundLine:
    """One fund's flows, with what it is."""

    fund_code: str
    fund_name: str
    fund_type: str
    company: str
    flows: Flows

    def to_dict(self) -> dict[str, Any]:
        return {
            "fund_code": self.fund_code,
            "fund_name": self.fund_name,
            "fund_type": self.fund_type,
            "company": self.company,
            **self.flows.to_dict(),
        }


@dataclass(frozen=True)
class FundRetentionReport:
    """Everything ``wealthdesk report funds`` shows."""

    window: Window
    total: Flows
    by_fund_type: dict[str, Flows]
    by_company: dict[str, Flows]
    by_fund: list[FundLine]  # every fund held or traded in the window, largest balance change (either way) first
    top_by_amount: list[FundLine]
    top_by_share: list[FundLine]
    numeric_traits: list[TraitComparison]
    categorical_traits: list[CategoryComparison]
    holding_periods: HoldingPeriods
    summary: list[str] = field(default_factory=list)
    min_holders_for_share: int = MIN_HOLDERS_FOR_SHARE

    def to_dict(self) -> dict[str, Any]:
        return {
            "window": {"from": self.window.start.isoformat(), "to": self.window.end.isoformat()},
            "summary": self.summary,
            "total": self.total.to_dict(),
            "by_fund_type": {k: v.to_dict() for k, v in self.by_fund_type.items()},
            "by_company": {k: v.to_dict() for k, v in self.by_company.items()},
            "by_fund": [line.to_dict() for line in self.by_fund],
            "top_redeemed_by_amount": [line.to_dict() for line in self.top_by_amount],
            "top_redeemed_by_share": [line.to_dict() for line in self.top_by_share],
            "top_by_share_min_holders": self.min_holders_for_share,
            "traits": {
                "numeric": [asdict(t) for t in self.numeric_traits],
                "categorical": [asdict(c) for c in self.categorical_traits],
            },
            "holding_periods": self.holding_periods.to_dict(),
        }


def fund_retention_report(
    backend: Any,
    window: Window = DEFAULT_WINDOW,
    funds: tuple[str, ...] = (),
    min_holders_for_share: int = MIN_HOLDERS_FOR_SHARE,
) -> FundRetentionReport:
    """Build the report for ``window``, optionally for some funds only (unknown codes are an error)."""
    check_window(backend, window)
    traits = backend.to_pyarrow(fund_traits(backend, window))
    if funds:
        known = set(traits["fund_code"].to_pylist())
        unknown = sorted(set(funds) - known)
        if unknown:
            raise FundReportError(
                f"unknown fund code(s): {', '.join(unknown)} (the funds table has {len(known)} funds)"
            )
    rows = backend.to_pyarrow(holding_rows(backend, window))
    if funds:
        rows = rows.filter(pa.compute.is_in(rows["fund_code"], pa.array(list(funds))))
    if rows.num_rows == 0 or not np.any(rows["start_value"].to_numpy() > 0):
        raise FundReportError(
            f"no fund was held at the close of {window.start}"
            + (f" among {', '.join(funds)}" if funds else "")
            + ": nothing to report; choose a window when clients held funds"
        )
    return _report(window, rows, traits, min_holders_for_share)


def _report(window: Window, rows: pa.Table, traits: pa.Table, min_holders: int) -> FundRetentionReport:
    index = {code: i for i, code in enumerate(traits["fund_code"].to_pylist())}
    f = np.array([index[c] for c in rows["fund_code"].to_pylist()], dtype=np.int64)
    col = {
        name: rows[name].to_numpy(zero_copy_only=False).astype(float)
        for name in ("start_value", "end_value", "subscribed", "redeemed")
    }
    trait = {name: traits[name].to_numpy(zero_copy_only=False) for name in traits.column_names}
    fund_type, company = trait["fund_type"].astype(str)[f], trait["company"].astype(str)[f]
    held = col["start_value"] > 0
    redeemed = col["redeemed"] > 0

    def flows_by(group: np.ndarray, groups: int) -> list[Flows]:
        """Flows of every group at once (one pass over the holdings, not one per group)."""

        def summed(values: np.ndarray) -> np.ndarray:
            return np.bincount(group, weights=values, minlength=groups)

        sums = {name: summed(values) for name, values in col.items()}
        holders, redeemers = summed(held.astype(float)), summed((held & redeemed).astype(float))
        return [
            Flows(
                start_balance=round(float(sums["start_value"][g]), 2),
                end_balance=round(float(sums["end_value"][g]), 2),
                subscribed=round(float(sums["subscribed"][g]), 2),
                redeemed=round(float(sums["redeemed"][g]), 2),
                holders_at_start=int(holders[g]),
                redeemers=int(redeemers[g]),
            )
            for g in range(groups)
        ]

    def grouped(labels: np.ndarray) -> dict[str, Flows]:
        names, group = np.unique(labels, return_inverse=True)
        return dict(zip(names.tolist(), flows_by(group, len(names)), strict=True))

    per_fund = flows_by(f, len(index))
    lines = [
        FundLine(
            str(trait["fund_code"][i]),
            str(trait["fund_name"][i]),
            str(trait["fund_type"][i]),
            str(trait["company"][i]),
            per_fund[i],
        )
        for i in sorted(set(f.tolist()))
    ]
    by_amount = sorted((x for x in lines if x.flows.redeemed > 0), key=lambda x: -x.flows.redeemed)[:TOP]
    by_share = sorted(
        (x for x in lines if x.flows.redeemed > 0 and x.flows.holders_at_start >= min_holders),
        key=lambda x: -(x.flows.redeemed_share or 0.0),
    )[:TOP]
    on_held = redeemed[held]
    numeric = [compare_numeric(name, trait[name].astype(float)[f][held], on_held) for name in NUMERIC_TRAITS]
    categorical = [compare_categories(name, trait[name].astype(str)[f][held], on_held) for name in CATEGORICAL_TRAITS]
    opened = rows["opened"].to_numpy(zero_copy_only=False).astype("datetime64[D]")
    first = rows["first_redemption"].to_numpy(zero_copy_only=False).astype("datetime64[D]")
    until = np.where(redeemed, first, np.datetime64(window.end, "D"))
    days = (until - opened).astype("timedelta64[D]").astype(float)
    days[np.isnat(opened)] = np.nan
    # holding periods of the holdings at the start: those redeemed in the window against those that stayed
    periods = holding_periods(days[held], redeemed[held], fund_type[held])
    total = flows_by(np.zeros(len(f), dtype=np.int64), 1)[0]
    by_type = grouped(fund_type)
    by_change = sorted(lines, key=lambda x: -abs(x.flows.change))
    report = FundRetentionReport(
        window,
        total,
        by_type,
        grouped(company),
        by_change,
        by_amount,
        by_share,
        numeric,
        categorical,
        periods,
        min_holders_for_share=min_holders,
    )
    return FundRetentionReport(**{**report.__dict__, "summary": summarise(report)})
