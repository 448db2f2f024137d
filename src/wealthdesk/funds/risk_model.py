"""The redemption-risk model: two logistic regressions trained on the brokerage's own past, explained per holding.

Training rows are the holdings at a series of past closes (every ``step``
days over the year before the scoring day), each labelled by whether it was
redeemed within the following ``horizon`` days; every label is complete
before the scoring day, so nothing from the future leaks in.

Two kinds of risk behave differently, so they are learned apart:

- **Who the client is and how they hold** (recent buyer, cautious client,
  small account, recent redemptions) changes slowly: the first regression
  learns it from the whole year, every close weighing the same.
- **What the market does to the fund** (fall from its high, crowded
  exposure) matters far more in a fall than in calm months: the second
  regression takes the first one's score as one input next to the fund's
  market features and is fitted with recent closes weighing most
  (half-life 7 days), so the list drawn up in a fall weighs the fall as the
  fall's own first days did.

Logistic regressions are chosen over a stronger learner because their
reasons are exact: the log-odds is an intercept plus one term per feature
(the client features' terms scaled by the weight the second regression gives
the first one's score), so a holding's largest positive terms *are* why it
ranks high, and an advisor can be told so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import ibis
import numpy as np
import pyarrow as pa
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from wealthdesk.funds.positions import spell_starts
from wealthdesk.funds.risk_features import CLIENT_FEATURES, FEATURES, MARKET_FEATURES, holding_features, redeemed_within
from wealthdesk.funds.window import FundReportError, check_day

HORIZON_DAYS = 14
LOOKBACK_DAYS = 365
STEP_DAYS = 14
HALF_LIFE_DAYS = 7  # in the market regression a close's rows weigh half as much for every 7 days of age
RECENT_DAYS = 28  # "recent" closes: the ones the market regression mostly learns from
MIN_RECENT_REDEMPTIONS = 200  # fewer than this in the recent closes: the market weights are uncertain
MAX_TRAINING_ROWS = 400_000  # sampled evenly over the closes beyond this: the fit does not improve, the time does

_CLIENT = [list(FEATURES).index(name) for name in CLIENT_FEATURES]
_MARKET = [list(FEATURES).index(name) for name in MARKET_FEATURES]


@dataclass(frozen=True)
class RiskModel:
    """The two fitted regressions, with what they were fitted on, so a report can say so."""

    client_scaler: StandardScaler
    client_regression: LogisticRegression
    market_scaler: StandardScaler
    market_regression: LogisticRegression
    anchors: tuple[date, ...]
    horizon_days: int
    training_rows: int
    positive_rate: float
    recent_redemptions: int

    @property
    def caution(self) -> str | None:
        """A warning to print with the list when the recent past holds too few redemptions to weigh the market."""
        if self.recent_redemptions >= MIN_RECENT_REDEMPTIONS:
            return None
        return (
            f"only {self.recent_redemptions} redemptions in the {RECENT_DAYS} days of training closes before the "
            "scoring day: the weight of the funds' falls is uncertain; on a book this small, ordering by the "
            "largest fall from the high may rank as well (see docs/funds.md)"
        )

    def standardised(self, features: pa.Table) -> np.ndarray:
        """Per holding and feature (in :data:`FEATURES` order): training standard deviations above the mean."""
        x = feature_matrix(features)
        z = np.empty_like(x)
        z[:, _CLIENT] = self.client_scaler.transform(x[:, _CLIENT])
        # the market scaler's first column is the client score; the rest are the market features
        z[:, _MARKET] = (x[:, _MARKET] - self.market_scaler.mean_[1:]) / self.market_scaler.scale_[1:]
        return z

    def weights(self) -> tuple[np.ndarray, float]:
        """Per feature the log-odds per standard deviation, and the intercept, of the two regressions combined."""
        client_score_weight = self.market_regression.coef_[0][0] / self.market_scaler.scale_[0]
        w = np.empty(len(FEATURES))
        w[_CLIENT] = client_score_weight * self.client_regression.coef_[0]
        w[_MARKET] = self.market_regression.coef_[0][1:]
        intercept = self.market_regression.intercept_[0] - client_score_weight * self.market_scaler.mean_[0]
        return w, float(intercept)

    def terms(self, features: pa.Table) -> tuple[np.ndarray, np.ndarray]:
        """(log-odds terms, standardised values) per holding and feature; the log-odds is intercept + Σ terms."""
        z = self.standardised(features)
        w, _ = self.weights()
        return z * w, z

    def probability(self, features: pa.Table) -> np.ndarray:
        """Probability of a redemption within the horizon, per holding."""
        terms, _ = self.terms(features)
        _, intercept = self.weights()
        return 1.0 / (1.0 + np.exp(-(terms.sum(axis=1) + intercept)))

    def coefficients(self) -> dict[str, float]:
        """Log-odds per standard deviation of each feature, both regressions combined."""
        w, _ = self.weights()
        return {name: round(float(c), 4) for name, c in zip(FEATURES, w, strict=True)}


def feature_matrix(features: pa.Table) -> np.ndarray:
    """The model's input columns, in :data:`FEATURES` order."""
    return np.column_stack([features[name].to_numpy(zero_copy_only=False).astype(float) for name in FEATURES])


def labelled_holdings(backend: Any, day: date, horizon_days: int, spells: Any = None) -> pa.Table:
    """Holding features at the close of ``day`` with ``redeemed``: a redemption within ``horizon_days`` after."""
    features = holding_features(backend, day, spells)
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
    check_day(backend, as_of)  # past the data every label would read "not redeemed"
    first = backend.to_pyarrow(backend.table("holdings").snapshot_date.min()).as_py()
    anchors = training_anchors(as_of, first, horizon_days, lookback_days, step_days)
    if not anchors:
        raise FundReportError(
            f"no history to learn redemptions from before {as_of}: the data begin on {first} and the model needs "
            f"at least {horizon_days} days of holdings and trades before the scoring day"
        )
    # spells are traced once for all closes; each close is reduced to its sample of rows at once, so memory
    # stays at one close's holdings however long the history
    spells = ibis.memtable(backend.to_pyarrow(spell_starts(backend)))
    rng = np.random.default_rng(seed)
    per_close = max(max_rows // len(anchors), 1)
    xs, ys, ages = [], [], []
    for day in anchors:
        table = labelled_holdings(backend, day, horizon_days, spells)
        if table.num_rows > per_close:
            table = table.take(pa.array(np.sort(rng.choice(table.num_rows, size=per_close, replace=False))))
        xs.append(feature_matrix(table))
        ys.append(table["redeemed"].to_numpy(zero_copy_only=False).astype(bool))
        ages.append(np.full(table.num_rows, (as_of - day).days, dtype=float))
    x, y, age = np.vstack(xs), np.concatenate(ys), np.concatenate(ages)
    if y.sum() < 10 or (~y).sum() < 10:
        raise FundReportError(
            f"too few redemptions to learn from before {as_of}: {int(y.sum())} redeemed of {len(y):,} past holdings"
        )
    client_scaler = StandardScaler().fit(x[:, _CLIENT])
    client_regression = LogisticRegression(max_iter=1000).fit(client_scaler.transform(x[:, _CLIENT]), y)
    client_score = client_scaler.transform(x[:, _CLIENT]) @ client_regression.coef_[0]
    market_x = np.column_stack([client_score, x[:, _MARKET]])
    market_scaler = StandardScaler().fit(market_x)
    market_regression = LogisticRegression(max_iter=1000).fit(
        market_scaler.transform(market_x), y, sample_weight=0.5 ** (age / half_life_days)
    )
    return RiskModel(
        client_scaler,
        client_regression,
        market_scaler,
        market_regression,
        tuple(anchors),
        horizon_days,
        len(y),
        float(y.mean()),
        int(y[age <= RECENT_DAYS].sum()),
    )
