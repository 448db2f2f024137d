"""Per-client CLV over a horizon: transaction CLV, recurring revenue weighted by P(alive), thin histories."""

from __future__ import annotations

import numpy as np
import pytest

from wealthdesk.value.clv import BgNbd, GammaGamma, lifetime_value
from wealthdesk.value.lifetime import WEEKS_PER_MONTH, Horizon, ValueModels, client_lifetime_values

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
