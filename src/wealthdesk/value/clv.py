"""Customer lifetime value: BG/NBD purchase frequency and Gamma-Gamma spend, fitted by maximum likelihood.

Each client is summarised as (x, t_x, T, m_x): x repeat purchases, the time
of the last one t_x and the time since the first T (both measured from the
first purchase, in any one unit — weeks in the CDNOW literature), and the
mean value of the repeat purchases m_x.

- **BG/NBD** (Fader, Hardie & Lee 2005, "Counting your customers the easy
  way", Marketing Science 24(2)): while alive a client buys at rate λ ~
  Gamma(r, α); after each purchase they drop out with probability p ~
  Beta(a, b). The log-likelihood is their equation (6).
- **Gamma-Gamma** (Fader, Hardie & Lee 2005, "RFM and CLV", JMR 42(4); and
  Fader & Hardie, "The Gamma-Gamma model of monetary value", 2013): the
  value of a purchase is Gamma(p, ν), with ν ~ Gamma(q, γ) across clients.

Clients with the same (x, t_x, T) contribute the same likelihood, so each
distinct triple is evaluated once, weighted by its count: a million clients
with day-resolution times fit in seconds.

Both fits minimise the negative log-likelihood over the log of the
parameters (all are positive) with L-BFGS-B from SciPy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, expit, gammaln, hyp2f1

from wealthdesk.errors import WealthdeskError


class ValueModelError(WealthdeskError):
    """The data cannot support the model (too few clients, no repeat purchases, bad values)."""


@dataclass(frozen=True)
class BgNbd:
    """Fitted BG/NBD parameters, with the log-likelihood and the number of clients it was fitted on."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    clients: int

    def expected_purchases(
        self, t: np.ndarray | float, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray
    ) -> np.ndarray:
        """Expected purchases in the next ``t`` time units of clients (x, t_x, T): FHL 2005, equation (10)."""
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        x, t_x, big_t = (np.asarray(v, dtype=float) for v in (x, t_x, big_t))
        t = np.asarray(t, dtype=float)
        z = t / (alpha + big_t + t)
        still = 1.0 - ((alpha + big_t) / (alpha + big_t + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1.0, z)
        numerator = (a + b + x - 1.0) / (a - 1.0) * still
        dropped = np.where(
            x > 0, a / np.maximum(b + x - 1.0, 1e-12) * ((alpha + big_t) / (alpha + t_x)) ** (r + x), 0.0
        )
        return numerator / (1.0 + dropped)

    def probability_alive(self, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray) -> np.ndarray:
        """P(a client with history (x, t_x, T) is still alive at T).

        FHL 2005, equation (13) and its appendix; Fader & Hardie, "Computing
        P(alive) using the BG/NBD model" (2008):
        1 / (1 + [x > 0] · a / (b + x − 1) · ((α + T) / (α + t_x))^(r + x)). A client
        with no repeat purchase is alive with probability 1: in BG/NBD a client
        can only drop out right after a purchase, and the first one is not
        modelled.
        """
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        x, t_x, big_t = (np.asarray(v, dtype=float) for v in (x, t_x, big_t))
        with np.errstate(divide="ignore", over="ignore"):
            log_odds = (
                np.log(a) - np.log(np.maximum(b + x - 1.0, 1e-300)) + (r + x) * np.log((alpha + big_t) / (alpha + t_x))
            )
        return np.where(x > 0, expit(-log_odds), 1.0)


@dataclass(frozen=True)
class GammaGamma:
    """Fitted Gamma-Gamma spend parameters."""

    p: float
    q: float
    v: float
    log_likelihood: float
    clients: int

    def expected_value(self, x: np.ndarray, m_x: np.ndarray) -> np.ndarray:
        """Expected value of a client's future purchase given x repeat purchases of mean value m_x.

        A weighted average of the population mean p·v/(q − 1) and the
        client's own mean, weighted by how much the client's history says.
        """
        p, q, v = self.p, self.q, self.v
        x, m_x = np.asarray(x, dtype=float), np.asarray(m_x, dtype=float)
        weight = p * x / (p * x + q - 1.0)
        return (1.0 - weight) * (v * p / (q - 1.0)) + weight * m_x


def _grouped(*columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of the columns and how often each occurs."""
    stacked = np.stack([np.asarray(c, dtype=float) for c in columns], axis=1)
    rows, counts = np.unique(stacked, axis=0, return_counts=True)
    return rows, counts.astype(float)


def _check(name: str, values: np.ndarray) -> None:
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueModelError(f"{name} must be finite and not negative")


def bgnbd_log_likelihood(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray) -> np.ndarray:
    """Each client's log-likelihood under BG/NBD with params (r, α, a, b): FHL 2005, equation (6)."""
    r, alpha, a, b = params
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x) - betaln(a, b)
    a3 = -(r + x) * np.log(alpha + big_t)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(
            x > 0, np.log(a) - np.log(np.maximum(b + x - 1.0, 1e-300)) - (r + x) * np.log(alpha + t_x), -np.inf
        )
    return a1 + a2 + np.logaddexp(a3, a4)


# Tolerances far below SciPy's defaults: a million clients' log-likelihood is ~1e7 in size and nearly flat
# where few drop out (a → 0), so the default relative tolerance stops about one log-likelihood unit short,
# with a and b 10–20% from the optimum.
_TOLERANCES = {"ftol": 1e-13, "gtol": 1e-9}


def _fit(negative_ll, start: np.ndarray) -> tuple[np.ndarray, float]:
    result = minimize(lambda logs: negative_ll(np.exp(logs)), np.log(start), method="L-BFGS-B", options=_TOLERANCES)
    if not np.isfinite(result.fun):
        raise ValueModelError(f"the fit did not converge: {result.message}")
    return np.exp(result.x), -float(result.fun)


def fit_bgnbd(x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray) -> BgNbd:
    """BG/NBD by maximum likelihood on clients' (x, t_x, T)."""
    x, t_x, big_t = (np.asarray(v, dtype=float) for v in (x, t_x, big_t))
    for name, values in (("x", x), ("t_x", t_x), ("T", big_t)):
        _check(name, values)
    if len(x) < 2:
        raise ValueModelError("BG/NBD needs at least two clients")
    if np.any(t_x > big_t) or np.any((x == 0) & (t_x != 0)):
        raise ValueModelError("each client needs t_x ≤ T, and t_x = 0 when there was no repeat purchase")
    if not np.any(x > 0):
        raise ValueModelError("no client made a repeat purchase: the purchase rate cannot be estimated")
    rows, weight = _grouped(x, t_x, big_t)
    gx, gtx, gt = rows.T
    scale = float(np.mean(big_t)) or 1.0  # start α near the time scale of the data

    def negative(params: np.ndarray) -> float:
        return -float(np.dot(weight, bgnbd_log_likelihood(params, gx, gtx, gt)))

    (r, alpha, a, b), ll = _fit(negative, np.array([1.0, scale, 1.0, 1.0]))
    return BgNbd(r=float(r), alpha=float(alpha), a=float(a), b=float(b), log_likelihood=ll, clients=len(x))


def gamma_gamma_log_likelihood(params: np.ndarray, x: np.ndarray, m_x: np.ndarray) -> np.ndarray:
    """Each client's log-likelihood of mean spend m_x over x purchases under Gamma-Gamma (p, q, ν)."""
    p, q, v = params
    px = p * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(v)
        + (px - 1.0) * np.log(m_x)
        + px * np.log(x)
        - (px + q) * np.log(x * m_x + v)
    )


def fit_gamma_gamma(x: np.ndarray, m_x: np.ndarray) -> GammaGamma:
    """Gamma-Gamma by maximum likelihood on clients with at least one repeat purchase of positive mean value."""
    x, m_x = np.asarray(x, dtype=float), np.asarray(m_x, dtype=float)
    _check("x", x)
    _check("m_x", m_x)
    keep = (x > 0) & (m_x > 0)
    if keep.sum() < 2:
        raise ValueModelError("Gamma-Gamma needs at least two clients with a repeat purchase of positive value")
    rows, weight = _grouped(x[keep], m_x[keep])
    gx, gm = rows.T

    def negative(params: np.ndarray) -> float:
        return -float(np.dot(weight, gamma_gamma_log_likelihood(params, gx, gm)))

    (p, q, v), ll = _fit(negative, np.array([1.0, 2.0, float(np.mean(m_x[keep]))]))
    if q <= 1.0:
        raise ValueModelError(f"fitted q = {q:.3f} ≤ 1: the mean spend is undefined; the data do not fit the model")
    return GammaGamma(p=float(p), q=float(q), v=float(v), log_likelihood=ll, clients=int(keep.sum()))


def lifetime_value(
    bgnbd: BgNbd,
    spend: GammaGamma,
    x: np.ndarray,
    t_x: np.ndarray,
    big_t: np.ndarray,
    m_x: np.ndarray,
    periods: int,
    period_length: float,
    discount_rate: float,
) -> np.ndarray:
    """Discounted expected value of each client's purchases over ``periods`` periods of ``period_length`` units.

    Σ over periods i = 1 … n of (E[purchases by i] − E[purchases by i − 1]) ·
    E[value of a purchase] / (1 + discount_rate)^i: each period's expected
    purchases, valued and discounted at the period's end.
    """
    if periods < 1 or period_length <= 0 or discount_rate < 0:
        raise ValueModelError("the horizon needs ≥ 1 period of positive length and a discount rate ≥ 0")
    value = spend.expected_value(x, m_x)
    total = np.zeros(len(np.asarray(x)))
    previous = np.zeros_like(total)
    for i in range(1, periods + 1):
        by_now = bgnbd.expected_purchases(i * period_length, x, t_x, big_t)
        total += (by_now - previous) * value / (1.0 + discount_rate) ** i
        previous = by_now
    return total
