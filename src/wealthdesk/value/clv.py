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
parameters (all are positive) with L-BFGS-B from SciPy, given the analytic
gradient (derived in :func:`bgnbd_objective` and :func:`gamma_gamma_objective`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, expit, gammaln, hyp2f1, psi

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

Objective = Callable[[np.ndarray], tuple[float, np.ndarray]]


# A fit whose shape parameter runs past this has gone to the edge of the parameter space, not to an
# estimate: r → ∞ (with α → ∞) says every client buys at the same rate, a → ∞ (with b) that every client
# drops out with the same probability, p or q → ∞ that every purchase or every client spends alike. Real
# books are heterogeneous (CDNOW: r 0.24, a 0.79, p 6.3, q 3.7; the demo brokerage: r ≈ 1, p ≈ 1–15); a
# history too short to show the heterogeneity drives them to 1e6–1e8 (the demo brokerage a few days
# after its data start). b is left out: when nobody drops out (a → 0, as the brokerage fits) b is not
# identified and runs to 1e4–1e5 harmlessly, since only a / (a + b) ≈ 0 matters then.
MAX_SHAPE = 1e4

# L-BFGS-B stops "abnormally" when its line search cannot lower the objective any more. With the
# tolerances above that is how most fits end at the optimum itself (the demo brokerage's full fit does),
# so such a stop counts as converged when the gradient is negligible against the log-likelihood.
_GRADIENT_AT_OPTIMUM = 1e-6


def _fit(objective: Objective, start: np.ndarray, names: tuple[str, ...]) -> tuple[np.ndarray, float]:
    """Minimise an objective (log-parameters ↦ (−LL, its gradient)) with L-BFGS-B from ``start``.

    The gradient is analytic (``jac=True``): SciPy's default finite differences cost one more
    likelihood evaluation per parameter at every step (five for BG/NBD where the analytic gradient
    reuses the one evaluation's terms). With them the 1M-client BG/NBD fit also stopped with a 4%
    short of lifetimes' optimum (0.02 log-likelihood units below it); with the exact gradient it
    reaches it.

    A fit that did not converge (iteration limit, a non-finite likelihood, a line-search stop with a
    gradient still far from 0) is a :class:`ValueModelError`, not parameters to predict with.
    """
    result = minimize(objective, np.log(start), jac=True, method="L-BFGS-B", options=_TOLERANCES)
    params = np.exp(result.x)
    finite = np.isfinite(result.fun) and np.all(np.isfinite(params))
    flat = finite and np.max(np.abs(result.jac)) <= _GRADIENT_AT_OPTIMUM * max(abs(result.fun), 1.0)
    if not (finite and (result.success or flat)):
        shown = ", ".join(f"{n} = {v:.4g}" for n, v in zip(names, params, strict=True))
        raise ValueModelError(f"the fit did not converge ({result.message}; {shown})")
    return params, -float(result.fun)


def _check_shapes(model: str, shapes: dict[str, float]) -> None:
    """Refuse a fit whose shape parameters ran to an extreme value (see MAX_SHAPE)."""
    extreme = [f"{name} = {value:.3g}" for name, value in shapes.items() if value > MAX_SHAPE]
    if extreme:
        raise ValueModelError(
            f"the {model} fit ran to an extreme value ({', '.join(extreme)} > {MAX_SHAPE:g}): "
            "the history is too short or too uniform to estimate the model"
        )


def _distinct(column: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A column's distinct values, each row's position among them, and the total weight of each value.

    The likelihoods' special functions mostly depend on one column (gammaln(r + x), ψ(b + x),
    log(α + T), …): computed once per distinct value they cost next to nothing, as a million clients
    have a few hundred distinct x and a few thousand distinct T (days in weeks) but hundreds of
    thousands of distinct (x, t_x, T) rows. A term of x alone summed over the rows is Σ over distinct
    x of its total weight times the term, with no per-row gather at all.
    """
    values, index = np.unique(column, return_inverse=True)
    index = index.reshape(-1)
    return values, index, np.bincount(index, weights=weight, minlength=len(values))


def bgnbd_objective(x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray, weight: np.ndarray | None = None) -> Objective:
    """The function the BG/NBD fit minimises: log(r, α, a, b) ↦ (−Σ weight · LL, its gradient).

    LL is :func:`bgnbd_log_likelihood`, FHL 2005 equation (6), written L = A1 + A2 + log(e^A3 + e^A4).
    With ψ = digamma (the derivative of gammaln) and ∂ ln B(u, w)/∂u = ψ(u) − ψ(u + w):

    - A1 = lnΓ(r + x) − lnΓ(r) + r·ln α:   ∂A1/∂r = ψ(r + x) − ψ(r) + ln α,   ∂A1/∂α = r/α;
    - A2 = ln B(a, b + x) − ln B(a, b):     ∂A2/∂a = ψ(a + b) − ψ(a + b + x),
      ∂A2/∂b = ψ(b + x) − ψ(a + b + x) − ψ(b) + ψ(a + b);
    - log(e^A3 + e^A4), taken stably as max + log1p(e^−|A3 − A4|), has the derivative s3·∂A3 + s4·∂A4
      with the softmax weights s3 = e^A3 / (e^A3 + e^A4) = 1/(1 + e^(A4 − A3)) and s4 = 1 − s3, formed
      from the same e^−|A3 − A4| ≤ 1 so nothing overflows. With A3 = −(r + x)·ln(α + T) and
      A4 = ln a − ln(b + x − 1) − (r + x)·ln(α + t_x) (x > 0 only; x = 0 has A4 = −∞, s4 = 0):
      ∂/∂r = −s3·ln(α + T) − s4·ln(α + t_x),   ∂/∂α = −(r + x)·(s3/(α + T) + s4/(α + t_x)),
      ∂/∂a = s4/a,   ∂/∂b = −s4/(b + x − 1).

    The optimiser moves the log-parameters, so each derivative is multiplied by its parameter
    (∂/∂ln θ = θ·∂/∂θ); for a this gives a·(ψ(a + b) − ψ(a + b + x)) + s4, which stays well scaled as
    a → 0 (the 1M brokerage fits a ≈ 0.0002).
    """
    x, t_x, big_t = (np.asarray(v, dtype=float) for v in (x, t_x, big_t))
    weight = np.ones_like(x) if weight is None else np.asarray(weight, dtype=float)
    xs, x_row, x_weight = _distinct(x, weight)
    t_xs, t_x_row, _ = _distinct(t_x, weight)
    big_ts, big_t_row, _ = _distinct(big_t, weight)
    clients = float(weight.sum())
    repeat = x > 0

    def negative(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        r, alpha, a, b = np.exp(log_params)
        # A1 + A2 and their derivatives, as far as they depend on x alone: summed over distinct x.
        parts = (
            np.array(
                [
                    gammaln(r + xs) + betaln(a, b + xs),  # A1, A2
                    psi(r + xs),  # ∂A1/∂r
                    psi(a + b + xs),  # −∂A2/∂a
                    psi(b + xs) - psi(a + b + xs),  # ∂A2/∂b
                ]
            )
            @ x_weight
        )
        log_alpha = np.log(alpha)
        total = parts[0] + clients * (r * log_alpha - gammaln(r) - betaln(a, b))

        # log(e^A3 + e^A4) row by row, its terms in t_x and T gathered from their distinct values.
        r_x = r + x
        log_t = np.log(alpha + big_ts)[big_t_row]  # ln(α + T)
        log_t_x = np.log(alpha + t_xs)[t_x_row]  # ln(α + t_x)
        # b + x − 1 is clamped as in bgnbd_log_likelihood: it only reaches 0 for x = 1 as b → 0.
        b_x_1 = np.maximum(b + xs - 1.0, 1e-300)
        a3 = -r_x * log_t
        with np.errstate(divide="ignore"):
            a4 = np.where(repeat, np.log(a) - np.log(b_x_1)[x_row] - r_x * log_t_x, -np.inf)
        a3_larger = a3 >= a4
        small = np.exp(-np.abs(a3 - a4))  # e^−|A3 − A4|: 0 where x = 0
        share_of_larger = 1.0 / (1.0 + small)
        s4 = np.where(a3_larger, small * share_of_larger, share_of_larger)
        s3 = 1.0 - s4
        total += weight @ (np.maximum(a3, a4) + np.log1p(small))

        ws3, ws4 = weight * s3, weight * s4
        d_r = parts[1] - clients * (psi(r) - log_alpha) - ws3 @ log_t - ws4 @ log_t_x
        d_alpha = clients * r / alpha - (ws3 * r_x) @ (1.0 / (alpha + big_ts))[big_t_row]
        d_alpha -= (ws4 * r_x) @ (1.0 / (alpha + t_xs))[t_x_row]
        d_a = clients * psi(a + b) - parts[2]  # then + s4/a: a·(s4/a) = s4 below
        d_b = parts[3] - clients * (psi(b) - psi(a + b)) - ws4 @ (1.0 / b_x_1)[x_row]
        gradient = np.array([r * d_r, alpha * d_alpha, a * d_a + ws4.sum(), b * d_b])
        return -float(total), -gradient

    return negative


def fit_bgnbd(x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray) -> BgNbd:
    """BG/NBD by maximum likelihood on clients' (x, t_x, T); a :class:`ValueModelError` when it cannot be fitted."""
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
    start = np.array([1.0, scale, 1.0, 1.0])
    (r, alpha, a, b), ll = _fit(bgnbd_objective(gx, gtx, gt, weight), start, ("r", "α", "a", "b"))
    _check_shapes("BG/NBD", {"r": r, "a": a})
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


def gamma_gamma_objective(x: np.ndarray, m_x: np.ndarray, weight: np.ndarray | None = None) -> Objective:
    """The function the Gamma-Gamma fit minimises: log(p, q, ν) ↦ (−Σ weight · LL, its gradient).

    LL is :func:`gamma_gamma_log_likelihood` (x > 0 and m_x > 0 only):
    lnΓ(px + q) − lnΓ(px) − lnΓ(q) + q·ln ν + (px − 1)·ln m_x + px·ln x − (px + q)·ln(x·m_x + ν). Its
    derivatives, with ψ = digamma:

    - ∂/∂p = x·(ψ(px + q) − ψ(px) + ln m_x + ln x − ln(x·m_x + ν));
    - ∂/∂q = ψ(px + q) − ψ(q) + ln ν − ln(x·m_x + ν);
    - ∂/∂ν = q/ν − (px + q)/(x·m_x + ν);

    each times its parameter for the log-parameters the optimiser moves. The special functions
    depend on x alone and are summed over distinct x (see :func:`_distinct`); ln m_x is a constant
    of the data, summed once; ln(x·m_x + ν) is the only logarithm left per row.
    """
    x, m_x = np.asarray(x, dtype=float), np.asarray(m_x, dtype=float)
    weight = np.ones_like(x) if weight is None else np.asarray(weight, dtype=float)
    xs, _, x_weight = _distinct(x, weight)
    clients = float(weight.sum())
    log_m = np.log(m_x)
    weight_x = weight * x
    sum_log_m, sum_x_log_m = weight @ log_m, weight_x @ log_m
    spend = x * m_x

    def negative(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        p, q, v = np.exp(log_params)
        px = p * xs
        parts = (
            np.array(
                [
                    gammaln(px + q) - gammaln(px) + px * np.log(xs),  # the LL terms in x alone
                    xs * (psi(px + q) - psi(px) + np.log(xs)),  # ∂/∂p, the same
                    psi(px + q),  # ∂/∂q, the same
                ]
            )
            @ x_weight
        )
        log_v = np.log(v)
        log_spend = np.log(spend + v)  # ln(x·m_x + ν)
        exponent = p * weight_x + q * weight  # weight · (px + q)
        total = parts[0] + clients * (q * log_v - gammaln(q)) + p * sum_x_log_m - sum_log_m - exponent @ log_spend
        d_p = parts[1] + sum_x_log_m - weight_x @ log_spend
        d_q = parts[2] - clients * (psi(q) - log_v) - weight @ log_spend
        d_v = clients * q / v - exponent @ (1.0 / (spend + v))
        return -float(total), -np.array([p * d_p, q * d_q, v * d_v])

    return negative


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
    start = np.array([1.0, 2.0, float(np.mean(m_x[keep]))])
    (p, q, v), ll = _fit(gamma_gamma_objective(gx, gm, weight), start, ("p", "q", "γ"))
    _check_shapes("Gamma-Gamma", {"p": p, "q": q})
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
