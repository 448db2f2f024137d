"""Per-client CLV over a horizon: transaction CLV, recurring revenue weighted by P(alive), thin histories."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import duckdb
import ibis
import numpy as np
import pytest

from wealthdesk.testing import DemoStore
from wealthdesk.value.clv import BgNbd, GammaGamma, ValueModelError, fit_bgnbd, lifetime_value
from wealthdesk.value.lifetime import (
    MIN_HISTORY_WEEKS,
    MIN_REPEAT_BUYERS,
    WEEKS_PER_MONTH,
    Horizon,
    ValueModels,
    client_lifetime_values,
    fit_value_models,
)
from wealthdesk.value.summary import clv_summary

MODELS = ValueModels(
    bgnbd=BgNbd(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=0.0, clients=0),  # FHL 2005 CDNOW
    spend=GammaGamma(p=6.25, q=3.74, v=15.44, log_likelihood=0.0, clients=0),  # Fader & Hardie 2013
)


def test_annuity_is_the_sum_of_monthly_discount_factors() -> None:
    horizon = Horizon(months=12, discount_rate=0.08)
    assert (1 + horizon.monthly_rate) ** 12 == pytest.approx(1.08)
    assert horizon.annuity == pytest.approx(sum(1.08 ** (-i / 12) for i in range(1, 13)))
    assert Horizon(months=36, discount_rate=0.0).annuity == pytest.approx(36.0)


@pytest.mark.parametrize("kwargs", [{"months": 0}, {"discount_rate": -0.01}, {"discount_rate": 1.5}])
def test_impossible_horizons_are_refused(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        Horizon(**kwargs)


def test_clv_is_transaction_value_plus_recurring_revenue_weighted_by_p_alive() -> None:
    horizon = Horizon(months=24, discount_rate=0.08)
    # a regular buyer, a long-silent buyer, a one-purchase client (x = 0), a client who never traded (NaN)
    x = np.array([10.0, 10.0, 0.0, np.nan])
    t_x = np.array([38.0, 5.0, 0.0, np.nan])
    big_t = np.array([39.0, 39.0, 20.0, np.nan])
    m_x = np.array([30.0, 30.0, 0.0, np.nan])
    recurring = np.array([5.0, 5.0, 5.0, 5.0])
    out = client_lifetime_values(MODELS, horizon, x, t_x, big_t, m_x, recurring)
    p_alive = MODELS.bgnbd.probability_alive(x[:3], t_x[:3], big_t[:3])
    np.testing.assert_allclose(out["p_alive"], [*p_alive, 1.0])
    assert out["p_alive"][0] > 0.9 > 0.2 > out["p_alive"][1]
    expected = lifetime_value(
        MODELS.bgnbd, MODELS.spend, x[:3], t_x[:3], big_t[:3], m_x[:3], 24, WEEKS_PER_MONTH, horizon.monthly_rate
    )
    np.testing.assert_allclose(out["transaction_clv"], [*expected, 0.0])  # never traded: no transaction value
    np.testing.assert_allclose(out["recurring_clv"], 5.0 * out["p_alive"] * horizon.annuity)
    np.testing.assert_allclose(out["clv"], out["transaction_clv"] + out["recurring_clv"])
    assert out["transaction_clv"][2] > 0  # one purchase: valued at the population's mean spend, not a crash
    np.testing.assert_allclose(
        out["expected_purchases"][:3], MODELS.bgnbd.expected_purchases(24 * WEEKS_PER_MONTH, x[:3], t_x[:3], big_t[:3])
    )


def test_a_longer_horizon_and_a_lower_rate_are_worth_more() -> None:
    x, t_x, big_t, m_x, rec = (np.array([v]) for v in (4.0, 30.0, 40.0, 20.0, 3.0))
    short = client_lifetime_values(MODELS, Horizon(12, 0.08), x, t_x, big_t, m_x, rec)["clv"][0]
    long = client_lifetime_values(MODELS, Horizon(36, 0.08), x, t_x, big_t, m_x, rec)["clv"][0]
    cheap = client_lifetime_values(MODELS, Horizon(36, 0.02), x, t_x, big_t, m_x, rec)["clv"][0]
    assert short < long < cheap


def demo_summary(demo: DemoStore, as_of: dt.date) -> tuple[np.ndarray, ...]:
    with duckdb.connect(str(demo.settings.store), read_only=True) as con:
        backend = ibis.duckdb.from_connection(con)
        table = backend.to_pyarrow(clv_summary(backend, as_of))
    return tuple(table.column(c).to_numpy().astype(float) for c in ("x", "t_x", "T", "m_x"))


@pytest.mark.parametrize("as_of", [dt.date(2020, 1, 3), dt.date(2020, 1, 31), dt.date(2020, 3, 20)])
def test_a_book_with_too_short_a_history_is_refused_before_fitting(demo: DemoStore, as_of: dt.date) -> None:
    """The demo's trades start 2019-12-31: before 12 weeks the models would fit noise (r ~ 1e8, a ~ 1e6)."""
    x, t_x, big_t, m_x = demo_summary(demo, as_of)
    assert big_t.max() < MIN_HISTORY_WEEKS
    with pytest.raises(ValueModelError, match=r"the history is too short to fit: \d+\.\d weeks .* 12 weeks"):
        fit_value_models(x, t_x, big_t, m_x)


def test_twelve_weeks_of_history_fit_the_same_model_as_the_whole_data(demo: DemoStore) -> None:
    early = fit_value_models(*demo_summary(demo, dt.date(2020, 3, 31)))
    full = fit_value_models(*demo_summary(demo, dt.date(2022, 6, 30)))
    assert early.bgnbd.clients > MIN_REPEAT_BUYERS
    assert early.bgnbd.r == pytest.approx(full.bgnbd.r, rel=0.25)
    assert early.bgnbd.a < 1e-3 and full.bgnbd.a < 1e-3  # nobody drops out in the generated data


def test_the_history_check_counts_repeat_buyers(demo: DemoStore) -> None:
    x, t_x, big_t, m_x = demo_summary(demo, dt.date(2022, 6, 30))
    few = np.where(np.arange(len(x)) < MIN_REPEAT_BUYERS - 1, x, 0.0)  # all but 99 made one purchase only
    with pytest.raises(ValueModelError, match=f"{MIN_REPEAT_BUYERS - 1} repeat buyers"):
        fit_value_models(few, np.where(few > 0, t_x, 0.0), big_t, np.where(few > 0, m_x, 0.0))


def test_a_degenerate_bgnbd_fit_is_refused(demo: DemoStore) -> None:
    """A month of the demo's trades drives a (the drop-out shape) to ~2.5e6: an error, not a CLV."""
    x, t_x, big_t, _ = demo_summary(demo, dt.date(2020, 1, 31))
    with pytest.raises(ValueModelError, match=r"BG/NBD fit ran to an extreme value \(a = "):
        fit_bgnbd(x, t_x, big_t)


def test_a_model_that_gives_no_finite_clv_is_an_error_not_a_nan() -> None:
    """At a = 1 the expected purchases are 0/0 (FHL 2005 eq. 10 divides by a − 1): NaN CLVs must not pass."""
    models = replace(MODELS, bgnbd=replace(MODELS.bgnbd, a=1.0))
    x, t_x, big_t, m_x, rec = (np.array([v, v]) for v in (4.0, 30.0, 40.0, 20.0, 3.0))
    with pytest.raises(ValueModelError, match="no finite CLV"):
        client_lifetime_values(models, Horizon(12, 0.08), x, t_x, big_t, m_x, rec)
