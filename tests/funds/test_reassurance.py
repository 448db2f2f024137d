"""The reassurance list on the demo brokerage: validated against the planted redemptions, explained, exported."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import duckdb
import ibis
import numpy as np
import pytest
from typer.testing import CliRunner

from wealthdesk.cli import app
from wealthdesk.funds.reassurance import reassurance_list, write_csv
from wealthdesk.funds.risk_features import CLIENT_FEATURES, FEATURES, MARKET_FEATURES, holding_features
from wealthdesk.funds.risk_model import RiskModel, feature_matrix, train_risk_model, training_anchors
from wealthdesk.funds.validation import VALIDATION_DAY, validate_against_truth
from wealthdesk.funds.window import FundReportError
from wealthdesk.testing import DemoStore


@pytest.fixture(scope="module")
def backend(demo: DemoStore) -> Iterator[object]:
    con = duckdb.connect(str(demo.settings.store), read_only=True)
    yield ibis.duckdb.from_connection(con)
    con.close()


@pytest.fixture(scope="module")
def model(backend: object) -> RiskModel:
    return train_risk_model(backend, VALIDATION_DAY)


def test_training_labels_end_before_the_scoring_day() -> None:
    anchors = training_anchors(date(2021, 2, 22), date(2019, 12, 31), horizon_days=14, lookback_days=365, step_days=14)
    assert anchors[0] == date(2021, 2, 8)
    assert all(day + timedelta(days=14) <= date(2021, 2, 22) for day in anchors)
    assert min(anchors) >= date(2020, 2, 23)
    assert training_anchors(date(2020, 1, 5), date(2019, 12, 31), 14, 365, 14) == []


def test_the_model_finds_the_planted_redeemers_far_better_than_chance(
    demo: DemoStore, backend: object, model: RiskModel
) -> None:
    result = validate_against_truth(backend, demo.generation.out / "_truth", model=model)
    ours, rule, chance = result.rankings
    assert result.redeemed > 50
    assert ours.auc > 0.6 and ours.auc > chance.auc + 0.1
    assert ours.top_decile_lift > 1.3
    # the simple rule is reported next to it, not assumed beaten: on 1,500 clients it ranks better (docs/funds.md)
    assert {r.name for r in result.rankings} >= {rule.name, chance.name}


def test_the_risk_is_the_two_regressions_and_its_terms_add_up(backend: object, model: RiskModel) -> None:
    """The per-feature terms (the reasons) sum, with the intercept, to the log-odds the two regressions give."""
    features = backend.to_pyarrow(holding_features(backend, VALIDATION_DAY))
    x = feature_matrix(features)
    client = [list(FEATURES).index(n) for n in CLIENT_FEATURES]
    market = [list(FEATURES).index(n) for n in MARKET_FEATURES]
    client_score = model.client_scaler.transform(x[:, client]) @ model.client_regression.coef_[0]
    stacked = model.market_scaler.transform(np.column_stack([client_score, x[:, market]]))
    direct = model.market_regression.predict_proba(stacked)[:, 1]
    assert model.probability(features) == pytest.approx(direct, abs=1e-12)
    terms, _ = model.terms(features)
    _, intercept = model.weights()
    assert 1 / (1 + np.exp(-(terms.sum(axis=1) + intercept))) == pytest.approx(direct, abs=1e-12)


def test_a_small_book_is_told_its_market_weights_are_uncertain(model: RiskModel) -> None:
    assert model.recent_redemptions < 200
    assert model.caution is not None and "largest fall" in model.caution


def test_the_list_is_ranked_explained_masked_and_grouped(backend: object, model: RiskModel) -> None:
    listing = reassurance_list(backend, VALIDATION_DAY, top=40, model=model)
    risks = [h.risk for h in listing.holdings]
    assert len(risks) == 40 and risks == sorted(risks, reverse=True)
    assert listing.holdings_scored > 1000
    features = {
        (r["account_id"], r["fund_code"]): r
        for r in backend.to_pyarrow(holding_features(backend, VALIDATION_DAY)).to_pylist()
    }
    by_customer_fund = {(r["customer_id"], r["fund_code"]): r for r in features.values()}
    for h in listing.holdings:
        assert 1 <= len(h.reasons) <= 3
        assert h.client_name is not None and re.fullmatch(r".\*+", h.client_name)
        row = dict(by_customer_fund[(h.customer_id, h.fund_code)])
        row["fall_below_high"] = -row["fall_from_high"]
        # every reason is one of the feature phrases filled with this holding's own values
        own = {
            phrase.format(**{k: "—" if v is None else v for k, v in row.items()})
            for pair in FEATURES.values()
            for phrase in pair
        }
        assert set(h.reasons) <= own, (h.reasons, own)
    grouped = listing.by_advisor()
    assert sum(len(v) for v in grouped.values()) == 40
    assert all(h.advisor_id == advisor for advisor, hs in grouped.items() for h in hs)


def test_one_advisors_list_and_its_export(backend: object, model: RiskModel, tmp_path: Path) -> None:
    everyone = reassurance_list(backend, VALIDATION_DAY, top=None, model=model)
    advisor = next(h.advisor_id for h in everyone.holdings if h.advisor_id != "(no advisor)")
    mine = reassurance_list(backend, VALIDATION_DAY, top=None, advisor=advisor, model=model)
    assert {h.advisor_id for h in mine.holdings} == {advisor}
    assert len(mine.holdings) == len(everyone.by_advisor()[advisor])
    out = tmp_path / "reassure.csv"
    write_csv(mine, out)
    with out.open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert [r["customer_id"] for r in rows] == [h.customer_id for h in mine.holdings]
    assert all(r["reasons"] for r in rows)


def test_what_was_known_on_the_day_is_all_the_features_use(backend: object) -> None:
    """A risk level assessed later reads as not assessed; a holding from before the data is never a recent buy."""
    day = date(2020, 3, 31)
    rows = backend.to_pyarrow(holding_features(backend, day)).to_pylist()
    customers = backend.table("customers")
    assessed = {
        r["customer_id"]: r["risk_assessed_date"]
        for r in backend.to_pyarrow(customers.select("customer_id", "risk_assessed_date")).to_pylist()
    }
    later = [r for r in rows if assessed[r["customer_id"]] is not None and assessed[r["customer_id"]] > day]
    assert later and all(r["client_risk_level"] is None and r["unassessed_client"] == 1.0 for r in later)
    opening = backend.to_pyarrow(
        backend.table("holdings").filter(lambda h: h.snapshot_date == date(2019, 12, 31)).select("account_id")
    )
    from_before = {a for a in opening["account_id"].to_pylist()}
    assert any(r["account_id"] in from_before and r["tenure_under_6m"] == 0.0 for r in rows)


def test_bad_requests_say_what_is_wrong(backend: object, model: RiskModel) -> None:
    with pytest.raises(FundReportError, match="unknown advisor 'E999999'"):
        reassurance_list(backend, VALIDATION_DAY, advisor="E999999", model=model)
    with pytest.raises(FundReportError, match="no history to learn redemptions from before 2020-01-06"):
        train_risk_model(backend, date(2020, 1, 6))
    with pytest.raises(FundReportError, match="2023-03-01 is outside the data"):
        reassurance_list(backend, date(2023, 3, 1), model=model)


def test_cli_json_and_errors(demo: DemoStore) -> None:
    runner = CliRunner()
    store = ["--store", str(demo.settings.store)]
    result = runner.invoke(app, ["report", "reassurance", *store, "--as-of", "2021-02-22", "--top", "5", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert sum(len(v) for v in payload["by_advisor"].values()) == 5
    assert set(payload["model"]["coefficients"]) >= {"fall_from_high", "crowded_exposure", "tenure_under_6m"}
    unknown = runner.invoke(app, ["report", "reassurance", *store, "--advisor", "nobody"])
    assert isinstance(unknown.exception, FundReportError) and "unknown advisor 'nobody'" in str(unknown.exception)
