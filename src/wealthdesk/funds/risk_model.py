"""The redemption-risk model: a logistic regression trained on the brokerage's own past, explained per holding.

Training rows are the holdings at a series of past closes (every ``step``
days over the year before the scoring day), each labelled by whether it was
redeemed within the following ``horizon`` days; every label is complete
before the scoring day, so nothing from the future leaks in. A logistic
regression on standardised features is chosen over a stronger learner
because its reasons are exact: a holding's log-odds is the sum of
coefficient × standardised value over the features, so the largest
positive terms *are* why it ranks high, and an advisor can be told so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from wealthdesk.funds.risk_features import FEATURES, holding_features, redeemed_within
from wealthdesk.funds.window import FundReportError

HORIZON_DAYS = 14
LOOKBACK_DAYS = 365
STEP_DAYS = 14
HALF_LIFE_DAYS = 14  # a past close's rows weigh half as much for every 14 days of age: markets change regime
MAX_TRAINING_ROWS = 400_000  # a random sample beyond this: the fit does not improve, the time does


@dataclass(frozen=True)
class RiskModel:
    """A fitted model with what it was fitted on, so a report can say so."""

    scaler: StandardScaler
    regression: LogisticRegression
    anchors: tuple[date, ...]
    horizon_days: int
    training_rows: int
    positive_rate: float

    def standardised(self, features: pa.Table) -> np.ndarray:
        """Per holding and feature: how many training standard deviations above the training mean it lies."""
        return self.scaler.transform(feature_matrix(features))

    def probability(self, features: pa.Table) -> np.ndarray:
        """Probability of a redemption within the horizon, per holding.

        The log-odds is the intercept plus coefficient × standardised value
        summed over the features; those terms are the holding's reasons.
        """
        log_odds = self.standardised(features) @ self.regression.coef_[0] + self.regression.intercept_[0]
        return 1.0 / (1.0 + np.exp(-log_odds))

    def coefficients(self) -> dict[str, float]:
        return {name: round(float(c), 4) for name, c in zip(FEATURES, self.regression.coef_[0], strict=True)}


def feature_matrix(features: pa.Table) -> np.ndarray:
    """The model's input columns, in :data:`FEATURES` order."""
    return np.column_stack([features[name].to_numpy(zero_copy_only=False).astype(float) for name in FEATURES])


def labelled_holdings(backend: Any, day: date, horizon_days: int) -> pa.Table:
    """Holding features at the close of ``day`` with ``redeemed``: a redemption within ``horizon_days`` after."""
    features = holding_features(backend, day)
    redeemed = redeemed_within(backend, day, horizon_days).mutate(redeemed=True)
    rows = features.left_join(redeemed, ["account_id", "fund_code"]).drop("account_id_right", "fund_code_right")
    return backend.to_pyarrow(rows.mutate(redeemed=rows.redeemed.fill_null(False)))


def training_anchors(as_of: date, first_day: date, horizon_days: int, lookback_days: int, step_days: int) -> list[date]:
    """Past closes whose horizon ends on or before ``as_of``, newest first, none before the data's first day."""
    anchors = []
    day = as_of - timedelta(days=horizon_days)
    while day >= max(first_day, as_of - timedelta(days=lookback_days)):
        anchors.append(day)
        day -= timedelta(days=step_days)
    return anchors


def train_risk_model(
    backend: Any,
    as_of: date,
    horizon_days: int = HORIZON_DAYS,
    lookback_days: int = LOOKBACK_DAYS,
    step_days: int = STEP_DAYS,
    half_life_days: float = HALF_LIFE_DAYS,
    max_rows: int = MAX_TRAINING_ROWS,
    seed: int = 0,
) -> RiskModel:
    """Fit on the holdings of past closes; a clear error when the history holds too little to learn from."""
    first = backend.to_pyarrow(backend.table("holdings").snapshot_date.min()).as_py()
    if first is None:
        raise FundReportError("the store has no holdings snapshots: ingest the brokerage's data first")
    anchors = training_anchors(as_of, first, horizon_days, lookback_days, step_days)
    if not anchors:
        raise FundReportError(
            f"no history to learn redemptions from before {as_of}: the data begin on {first} and the model needs "
            f"at least {horizon_days} days of holdings and trades before the scoring day"
        )
    tables = [(day, labelled_holdings(backend, day, horizon_days)) for day in anchors]
    x = np.vstack([feature_matrix(t) for _, t in tables if t.num_rows])
    y = np.concatenate([t["redeemed"].to_numpy(zero_copy_only=False) for _, t in tables if t.num_rows]).astype(bool)
    age = np.concatenate([np.full(t.num_rows, (as_of - day).days, dtype=float) for day, t in tables if t.num_rows])
    weight = 0.5 ** (age / half_life_days)
    if len(y) > max_rows:
        keep = np.random.default_rng(seed).choice(len(y), size=max_rows, replace=False)
        x, y, weight = x[keep], y[keep], weight[keep]
    if y.sum() < 10 or (~y).sum() < 10:
        raise FundReportError(
            f"too few redemptions to learn from before {as_of}: {int(y.sum())} redeemed of {len(y):,} past holdings"
        )
    scaler = StandardScaler().fit(x)
    regression = LogisticRegression(max_iter=1000).fit(scaler.transform(x), y, sample_weight=weight)
    return RiskModel(scaler, regression, tuple(anchors), horizon_days, len(y), float(y.mean()))
