"""The reassurance (安抚) list: current fund holders ranked by redemption risk, each with its reasons, per advisor.

The risk is the probability from :mod:`wealthdesk.funds.risk_model`,
trained on the brokerage's own history up to the as-of day. The reasons are
the holding's largest positive log-odds terms, worded with its own values
("fund 12.3% below its two-month high; bought 45 days ago"), so the advisor
knows what to talk about. Clients' names are masked (张*): the list is
exported and passed around, and an advisor needs the client number, not the
name, to open the client in the sidebar.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from rich.console import Console
from rich.table import Table

from wealthdesk.funds.risk_features import FEATURES, holding_features
from wealthdesk.funds.risk_model import RiskModel, train_risk_model
from wealthdesk.funds.window import FundReportError, check_day
from wealthdesk.governance.masking import mask_name

REASONS_PER_HOLDING = 3
MIN_TERM = 0.05  # log-odds terms smaller than this are not worth saying
NO_ADVISOR = "(no advisor)"
NOTHING_STANDS_OUT = "no risk factor above the average"  # low on the list: said, not left blank


@dataclass(frozen=True)
class AtRiskHolding:
    """One line of the list."""

    rank: int
    advisor_id: str
    customer_id: str
    client_name: str | None  # masked
    fund_code: str
    fund_name: str
    market_value: float
    risk: float
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "reasons": list(self.reasons)}


@dataclass(frozen=True)
class ReassuranceList:
    """The ranked holdings, the model they came from, and the list grouped per advisor."""

    as_of: date
    holdings: list[AtRiskHolding]
    model: RiskModel
    holdings_scored: int

    def by_advisor(self) -> dict[str, list[AtRiskHolding]]:
        groups: dict[str, list[AtRiskHolding]] = {}
        for h in self.holdings:
            groups.setdefault(h.advisor_id, []).append(h)
        return groups

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "holdings_scored": self.holdings_scored,
            "model": {
                "kind": "client regression (whole year) feeding a market regression (recent closes weigh most)",
                "horizon_days": self.model.horizon_days,
                "training_rows": self.model.training_rows,
                "training_redemption_rate": round(self.model.positive_rate, 4),
                "trained_on_closes": [d.isoformat() for d in self.model.anchors],
                "coefficients": self.model.coefficients(),
                "recent_redemptions": self.model.recent_redemptions,
                "caution": self.model.caution,
            },
            "by_advisor": {a: [h.to_dict() for h in hs] for a, hs in self.by_advisor().items()},
        }


def reasons(features: pa.Table, model: RiskModel, limit: int = REASONS_PER_HOLDING) -> list[tuple[str, ...]]:
    """Per holding, its largest positive log-odds terms, worded with its own values and on the side it lies."""
    names = list(FEATURES)
    terms, z = model.terms(features)
    rows = features.to_pylist()
    out = []
    for row, term, side in zip(rows, terms, z, strict=True):
        order = [j for j in np.argsort(-term) if term[j] >= MIN_TERM][:limit]
        values = _printable(row)
        worded = tuple(FEATURES[names[j]][0 if side[j] > 0 else 1].format(**values) for j in order)
        out.append(worded or (NOTHING_STANDS_OUT,))
    return out


def _printable(row: dict[str, Any]) -> dict[str, Any]:
    values = {k: ("—" if v is None else v) for k, v in row.items()}
    values["fall_below_high"] = -row["fall_from_high"]
    return values


def reassurance_list(
    backend: Any,
    as_of: date,
    top: int | None = 200,
    advisor: str | None = None,
    model: RiskModel | None = None,
    within: frozenset[str] | None = None,
) -> ReassuranceList:
    """Holdings at the close of ``as_of`` ranked by redemption risk (the ``top`` riskiest, optionally one advisor's,
    or only those of the clients ``within``: a user's scope)."""
    if advisor is not None:
        known = backend.to_pyarrow(backend.table("advisors").advisor_id).to_pylist()
        if advisor not in known:
            raise FundReportError(f"unknown advisor {advisor!r}: no such advisor_id in the advisors table")
    check_day(backend, as_of)
    model = model or train_risk_model(backend, as_of)
    features = backend.to_pyarrow(holding_features(backend, as_of))
    if advisor is not None:
        features = features.filter(pa.compute.equal(features["advisor_id"], advisor))
    if within is not None:
        features = features.filter(pa.compute.is_in(features["customer_id"], pa.array(sorted(within), pa.string())))
    if features.num_rows == 0:
        raise FundReportError(
            f"no fund holdings at the close of {as_of}" + (f" for advisor {advisor}" if advisor else "")
        )
    risk = model.probability(features)
    order = np.argsort(-risk, kind="stable")[: top or None]
    chosen = features.take(pa.array(order))
    worded = reasons(chosen, model)
    names = _client_names(backend, chosen["customer_id"].to_pylist())
    holdings = [
        AtRiskHolding(
            rank=i + 1,
            advisor_id=row["advisor_id"] or NO_ADVISOR,
            customer_id=row["customer_id"],
            client_name=mask_name(names.get(row["customer_id"])),
            fund_code=row["fund_code"],
            fund_name=row["fund_name"],
            market_value=round(float(row["market_value"]), 2),
            risk=round(float(risk[j]), 4),
            reasons=worded[i],
        )
        for i, (j, row) in enumerate(zip(order, chosen.to_pylist(), strict=True))
    ]
    return ReassuranceList(as_of, holdings, model, features.num_rows)


def _client_names(backend: Any, customer_ids: list[str]) -> dict[str, str]:
    c = backend.table("customers")
    rows = backend.to_pyarrow(c.filter(c.customer_id.isin(customer_ids)).select("customer_id", "name")).to_pylist()
    return {r["customer_id"]: r["name"] for r in rows}


def write_csv(listing: ReassuranceList, path: Path) -> None:
    """The list as CSV (UTF-8 with BOM, so Excel on a Chinese Windows opens it right), one row per holding."""
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            [
                "advisor_id",
                "rank",
                "customer_id",
                "client_name",
                "fund_code",
                "fund_name",
                "market_value",
                "risk",
                "reasons",
            ]
        )
        for advisor_id, holdings in listing.by_advisor().items():
            for h in holdings:
                writer.writerow(
                    [
                        advisor_id,
                        h.rank,
                        h.customer_id,
                        h.client_name,
                        h.fund_code,
                        h.fund_name,
                        h.market_value,
                        h.risk,
                        "; ".join(h.reasons),
                    ]
                )


def render_reassurance(listing: ReassuranceList, console: Console) -> None:
    """One table per advisor, riskiest first, then what the model was trained on."""
    console.print(
        f"[bold]Reassurance list at the close of {listing.as_of}[/]: the {len(listing.holdings)} riskiest of "
        f"{listing.holdings_scored:,} fund holdings"
    )
    for advisor_id, holdings in listing.by_advisor().items():
        table = Table("rank", "client", "name", "fund", "value", "risk", "why", title=f"advisor {advisor_id}")
        for h in holdings:
            table.add_row(
                str(h.rank),
                h.customer_id,
                h.client_name or "",
                f"{h.fund_name} ({h.fund_code})",
                f"¥{h.market_value:,.0f}",
                f"{h.risk:.1%}",
                "; ".join(h.reasons),
            )
        console.print(table)
    m = listing.model
    console.print(
        f"risk = probability of a redemption within {m.horizon_days} days, from two logistic regressions trained on "
        f"{m.training_rows:,} past holdings at {len(m.anchors)} closes (redemption rate {m.positive_rate:.1%})"
    )
    if m.caution:
        console.print(f"[yellow]caution:[/] {m.caution}")
