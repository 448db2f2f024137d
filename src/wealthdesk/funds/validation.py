"""How good the reassurance list is, measured against what the generated brokerage planted.

The generator records, for every fund holding, whether it was redeemed in
the sell-off (``_truth/redemption_hazard.parquet``). The list is scored as
of a day early in the fall, on the holdings still held then and not yet
redeemed in the sell-off, and compared with two baselines an analyst could
use without a model: random order, and the simple rule "the funds that fell
most first". AUC says how well the whole ranking separates redeemers; the
top-decile lift says how many more redeemers the first tenth of the list
holds than a random tenth would — the part advisors actually call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from sklearn.metrics import roc_auc_score

from wealthdesk.demo.calendar import SELLOFF_START
from wealthdesk.funds.positions import fund_trades
from wealthdesk.funds.risk_features import holding_features
from wealthdesk.funds.risk_model import RiskModel, train_risk_model

VALIDATION_DAY = date(2021, 2, 22)  # the third trading day of the fall: when a desk would draw up the list


@dataclass(frozen=True)
class Ranking:
    """AUC and top-decile lift of one way of ordering the holdings."""

    name: str
    auc: float
    top_decile_lift: float


@dataclass(frozen=True)
class Validation:
    """The model and the baselines on the same holdings and outcomes."""

    as_of: date
    holdings: int
    redeemed: int
    rankings: list[Ranking]
    model: RiskModel

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "holdings": self.holdings,
            "redeemed": self.redeemed,
            "rankings": [r.__dict__ for r in self.rankings],
            "training_rows": self.model.training_rows,
        }


def top_decile_lift(scores: np.ndarray, outcome: np.ndarray) -> float:
    """Redemption rate among the 10% highest scores over the overall rate (ties broken by position)."""
    k = max(len(scores) // 10, 1)
    top = np.argsort(-scores, kind="stable")[:k]
    return float(outcome[top].mean() / outcome.mean())


def rank(name: str, scores: np.ndarray, outcome: np.ndarray) -> Ranking:
    return Ranking(name, round(float(roc_auc_score(outcome, scores)), 4), round(top_decile_lift(scores, outcome), 3))


def validate_against_truth(
    backend: Any, truth_dir: Path, as_of: date = VALIDATION_DAY, seed: int = 0, model: RiskModel | None = None
) -> Validation:
    """Score the holdings at ``as_of`` and compare with the planted sell-off redemptions."""
    model = model or train_risk_model(backend, as_of)
    features = backend.to_pyarrow(holding_features(backend, as_of))
    scored = pa.table(
        {
            "account_id": features["account_id"],
            "fund_code": features["fund_code"],
            "model": model.probability(features),
            "fall": features["fall_from_high"],
        }
    )
    truth = pq.read_table(
        truth_dir / "redemption_hazard.parquet", columns=["account_id", "fund_code", "redeemed_in_selloff"]
    )
    t = fund_trades(backend)
    already = backend.to_pyarrow(
        t.filter(~t.buy & (t.day >= SELLOFF_START) & (t.day <= as_of)).select("account_id", "fund_code").distinct()
    )
    with duckdb.connect() as con:
        con.register("scored", scored)
        con.register("truth", truth)
        con.register("already", already)
        rows = con.sql(
            """SELECT s.model, s.fall, t.redeemed_in_selloff FROM scored s
               JOIN truth t USING (account_id, fund_code)
               ANTI JOIN already USING (account_id, fund_code)
               ORDER BY account_id, fund_code"""
        ).to_arrow_table()
    outcome = rows["redeemed_in_selloff"].to_numpy(zero_copy_only=False).astype(bool)
    scores = rows["model"].to_numpy()
    rankings = [
        rank("reassurance model", scores, outcome),
        rank("simple rule: largest fall from high first", -rows["fall"].to_numpy(), outcome),
        rank("random order", np.random.default_rng(seed).random(len(outcome)), outcome),
    ]
    return Validation(as_of, len(outcome), int(outcome.sum()), rankings, model)
