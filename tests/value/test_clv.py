"""CLV models against their published values on the real CDNOW data, and against lifetimes.

Sources:
- BG/NBD on the 2,357-customer CDNOW sample: Fader, Hardie & Lee (2005), "Counting your customers the easy
  way", Marketing Science 24(2), 275–284, section 5: r = 0.243, α = 4.414, a = 0.793, b = 2.426, LL = −9582.4.
- Gamma-Gamma on the 946 repeat buyers of the same sample: Fader & Hardie (2013), "The Gamma-Gamma model of
  monetary value", p. 4: p = 6.25, q = 3.74, γ = 15.44.
The data ship inside the lifetimes wheel (lifetimes/datasets/); it is read as files, not through lifetimes.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from wealthdesk.value.clv import (
    ValueModelError,
    bgnbd_log_likelihood,
    bgnbd_objective,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_log_likelihood,
    gamma_gamma_objective,
    lifetime_value,
)


def cdnow(name: str) -> np.ndarray:
    spec = importlib.util.find_spec("lifetimes")
    assert spec is not None and spec.submodule_search_locations, "the test extra installs lifetimes (CDNOW data)"
    folder = Path(next(iter(spec.submodule_search_locations))) / "datasets"
    return np.genfromtxt(folder / name, delimiter=",", names=True)


@pytest.fixture(scope="module")
def summary() -> np.ndarray:
    return cdnow("cdnow_customers_summary.csv")


@pytest.fixture(scope="module")
def bgnbd(summary):
    return fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])


def test_bgnbd_reproduces_the_published_cdnow_parameters(bgnbd, summary) -> None:
    assert len(summary) == 2357 and bgnbd.clients == 2357
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in published.items():
        assert getattr(bgnbd, name) == pytest.approx(value, rel=0.01), name
    assert bgnbd.log_likelihood == pytest.approx(-9582.4, abs=0.1)


def test_gamma_gamma_reproduces_the_published_cdnow_parameters() -> None:
    data = cdnow("cdnow_customers_summary_with_transactions.csv")
    spend = fit_gamma_gamma(data["x"], data["zbar"])
    assert spend.clients == 946
    assert (spend.p, spend.q, spend.v) == pytest.approx((6.25, 3.74, 15.44), rel=0.01)


def central_differences(function, point: np.ndarray, step: float = 1e-5) -> np.ndarray:
    """The gradient of ``function`` at ``point`` by central differences (error O(step²), not O(step))."""
    unit = np.eye(len(point))
    return np.array([(function(point + step * e) - function(point - step * e)) / (2 * step) for e in unit])


@pytest.mark.parametrize(
    "params",
    [
        (0.5, 2.0, 0.5, 3.0),
        (0.243, 4.414, 2e-4, 4.2),  # a near 0, as the 1M brokerage fits (a ≈ 0.0002)
        (0.97, 3.7, 2e-4, 0.3),  # and b < 1 with it, where b + x − 1 < 1 for x = 1
        (2.0, 20.0, 3.0, 1.0),
    ],
)
def test_bgnbd_analytic_gradient_matches_finite_differences(summary, params) -> None:
    """The fit's analytic gradient (FHL 2005 eq. 6 differentiated) against central differences of the likelihood.

    The reference differences the plain per-client bgnbd_log_likelihood, not the objective's own
    value, so a slip in the objective's grouping or its sums would show here too.
    """
    x, t_x, big_t = summary["frequency"], summary["recency"], summary["T"]
    objective = bgnbd_objective(x, t_x, big_t)
    logs = np.log(params)
    value, gradient = objective(logs)

    def negative_ll(at: np.ndarray) -> float:
        return -float(np.sum(bgnbd_log_likelihood(np.exp(at), x, t_x, big_t)))

    assert value == pytest.approx(negative_ll(logs), rel=1e-12)
    np.testing.assert_allclose(gradient, central_differences(negative_ll, logs), rtol=1e-5)


@pytest.mark.parametrize("params", [(6.25, 3.74, 15.44), (1.0, 2.0, 40.0), (0.3, 8.0, 2.0)])
def test_gamma_gamma_analytic_gradient_matches_finite_differences(params) -> None:
    data = cdnow("cdnow_customers_summary_with_transactions.csv")
    keep = data["x"] > 0
    x, m_x = data["x"][keep], data["zbar"][keep]
    objective = gamma_gamma_objective(x, m_x)
    logs = np.log(params)
    value, gradient = objective(logs)

    def negative_ll(at: np.ndarray) -> float:
        return -float(np.sum(gamma_gamma_log_likelihood(np.exp(at), x, m_x)))

    assert value == pytest.approx(negative_ll(logs), rel=1e-12)
    np.testing.assert_allclose(gradient, central_differences(negative_ll, logs), rtol=1e-5)


def test_expected_purchases_agree_with_lifetimes(bgnbd, summary) -> None:
    from lifetimes import BetaGeoFitter

    theirs = BetaGeoFitter()
    theirs.params_ = {"r": bgnbd.r, "alpha": bgnbd.alpha, "a": bgnbd.a, "b": bgnbd.b}
    x, t_x, big_t = summary["frequency"], summary["recency"], summary["T"]
    for t in (1.0, 39.0, 78.0):
        expected = theirs.conditional_expected_number_of_purchases_up_to_time(t, x, t_x, big_t)
        np.testing.assert_allclose(bgnbd.expected_purchases(t, x, t_x, big_t), np.asarray(expected), rtol=1e-8)


def test_probability_alive_agrees_with_lifetimes(bgnbd, summary) -> None:
    """P(alive) (FHL 2005 eq. 13; Fader & Hardie's 2008 note) against lifetimes' conditional_probability_alive."""
    from lifetimes import BetaGeoFitter

    theirs = BetaGeoFitter()
    theirs.params_ = {"r": bgnbd.r, "alpha": bgnbd.alpha, "a": bgnbd.a, "b": bgnbd.b}
    x, t_x, big_t = summary["frequency"], summary["recency"], summary["T"]
    ours = bgnbd.probability_alive(x, t_x, big_t)
    np.testing.assert_allclose(ours, np.asarray(theirs.conditional_probability_alive(x, t_x, big_t)), rtol=1e-10)
    assert np.all(ours[x == 0] == 1.0)  # no repeat purchase: no chance yet to drop out
    assert 0.0 < ours.min() < 0.1  # long-silent repeat buyers are very probably gone


def test_lifetime_value_is_each_periods_purchases_valued_and_discounted(bgnbd) -> None:
    data = cdnow("cdnow_customers_summary_with_transactions.csv")
    spend = fit_gamma_gamma(data["x"], data["zbar"])
    x, t_x, big_t, m_x = (
        np.array([0, 2, 5]),
        np.array([0.0, 20.0, 30.0]),
        np.array([39.0, 39.0, 39.0]),
        np.array([0.0, 30.0, 20.0]),
    )
    one = lifetime_value(bgnbd, spend, x, t_x, big_t, m_x, periods=1, period_length=4.0, discount_rate=0.0)
    np.testing.assert_allclose(one, bgnbd.expected_purchases(4.0, x, t_x, big_t) * spend.expected_value(x, m_x))
    year = lifetime_value(bgnbd, spend, x, t_x, big_t, m_x, periods=13, period_length=4.0, discount_rate=0.0)
    discounted = lifetime_value(bgnbd, spend, x, t_x, big_t, m_x, periods=13, period_length=4.0, discount_rate=0.01)
    assert np.all(year > one) and np.all(discounted < year)
    assert year[2] > year[1] > year[0] > 0  # more and more recent repeat purchases are worth more


@pytest.mark.parametrize(
    ("x", "t_x", "big_t", "problem"),
    [
        ([0, 0, 0], [0, 0, 0], [10, 20, 30], "no client made a repeat purchase"),
        ([1], [5], [10], "at least two clients"),
        ([1, 2], [12, 3], [10, 10], "t_x ≤ T"),
        ([1, -2], [3, 3], [10, 10], "x must be finite and not negative"),
    ],
)
def test_data_a_model_cannot_use_gets_a_clear_error(x, t_x, big_t, problem) -> None:
    with pytest.raises(ValueModelError, match=problem):
        fit_bgnbd(np.array(x), np.array(t_x), np.array(big_t))


def test_gamma_gamma_needs_repeat_buyers_with_a_positive_spend() -> None:
    with pytest.raises(ValueModelError, match="at least two clients with a repeat purchase"):
        fit_gamma_gamma(np.array([0, 1, 0]), np.array([0.0, 12.0, 0.0]))


def test_a_fit_that_runs_to_the_edge_of_the_parameter_space_is_refused() -> None:
    """Four clients cannot show how spend varies between clients: q runs to ~1e7 (every client alike).

    Such parameters predict with false confidence, so the fit is an error, not a result.
    """
    with pytest.raises(ValueModelError, match=r"Gamma-Gamma fit ran to an extreme value \(q = "):
        fit_gamma_gamma(np.array([1, 2, 5, 3]), np.array([10.0, 30.0, 20.0, 25.0]))
