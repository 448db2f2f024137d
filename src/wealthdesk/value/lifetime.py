"""Each client's lifetime value over a horizon: predicted trade revenue plus recurring revenue, discounted.

CLV = transaction CLV + recurring CLV, both in CNY at the as-of date.

- **Transaction CLV**: BG/NBD (how many more revenue days) × Gamma-Gamma
  (what a day is worth), fitted by maximum likelihood on every client with a
  revenue day, valued month by month over the horizon and discounted at the
  monthly equivalent of the annual rate (:func:`~wealthdesk.value.clv.lifetime_value`).
- **Recurring CLV**: the client's monthly recurring revenue at the as-of date
  (trailing commission and Level-2; ``revenue.py``) for each month of the
  horizon, discounted the same way and weighted by the client's P(alive)
  at the as-of date. The balance is held flat: no growth or outflow is
  forecast, and P(alive) is not decayed over the horizon (BG/NBD only lets a
  client drop out after a purchase, so a further decay would need the
  purchase path); both are stated simplifications.

Defaults for thin histories, never a crash:

- one revenue day: x = 0 (no repeat purchase), which the models take as is;
  P(alive) = 1 and the spend is the population mean.
- no revenue day at all: transaction CLV 0 and P(alive) = 1 (a client who
  never traded has no purchase history that could say they left; if they
  hold funds or Level-2 now, that revenue is real at the as-of date).

A *book* with too thin a history is refused rather than valued: the models
need to see clients buy again and fall silent before they can tell a slow
buyer from a lost one. Before fitting, the longest history (T of the earliest
buyer) must span ``MIN_HISTORY_WEEKS`` and ``MIN_REPEAT_BUYERS`` clients must
have a repeat revenue day; after it, every CLV must be a finite number. Each
failure is a :class:`~wealthdesk.value.clv.ValueModelError`, which the report
turns into a one-line error asking for a later as-of date.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wealthdesk.value.clv import BgNbd, GammaGamma, ValueModelError, fit_bgnbd, fit_gamma_gamma, lifetime_value

WEEKS_PER_MONTH = 365.25 / 7 / 12  # the summary's times are in weeks

# About three months: a client trading monthly has shown two or three repeat days, and a silence of a few
# weeks can be told from the gaps between trades. On the demo brokerage a month of history fits a
# degenerate model (a ≈ 2.5e6) and two months the same parameters as the full 2.5 years, so 12 weeks
# leaves a margin; the BG/NBD literature calibrates on 39 weeks or more (CDNOW).
MIN_HISTORY_WEEKS = 12.0
# Seven parameters (BG/NBD four, Gamma-Gamma three) fitted on repeat buyers: 100 is some fifteen per
# parameter; Gamma-Gamma sees nothing else.
MIN_REPEAT_BUYERS = 100


@dataclass(frozen=True)
class Horizon:
    """How far ahead value is counted (months) and the annual rate future CNY are discounted at."""

    months: int = 36
    discount_rate: float = 0.08

    def __post_init__(self) -> None:
        if self.months < 1:
            raise ValueError("the horizon needs at least one month")
        if not 0.0 <= self.discount_rate < 1.0:
            raise ValueError("the annual discount rate must be in [0, 1), e.g. 0.08 for 8%")

    @property
    def monthly_rate(self) -> float:
        """The monthly rate that compounds to the annual one."""
        return (1.0 + self.discount_rate) ** (1.0 / 12.0) - 1.0

    @property
    def annuity(self) -> float:
        """Present value of 1 CNY at the end of each month of the horizon: Σ 1 / (1 + m)^i, i = 1 … months."""
        months = np.arange(1, self.months + 1)
        return float(np.sum((1.0 + self.monthly_rate) ** -months))


@dataclass(frozen=True)
class ValueModels:
    """The fitted purchase-frequency and spend models."""

    bgnbd: BgNbd
    spend: GammaGamma


def check_history(x: np.ndarray, big_t: np.ndarray) -> None:
    """Refuse a book whose history is too short to fit (see MIN_HISTORY_WEEKS and MIN_REPEAT_BUYERS)."""
    longest = float(np.max(big_t)) if len(big_t) else 0.0
    repeat = int(np.sum(x > 0))
    if longest < MIN_HISTORY_WEEKS or repeat < MIN_REPEAT_BUYERS:
        raise ValueModelError(
            f"the history is too short to fit: {longest:.1f} weeks since the first revenue day and {repeat} "
            f"repeat buyers; the models need at least {MIN_HISTORY_WEEKS:g} weeks and {MIN_REPEAT_BUYERS} repeat buyers"
        )


def fit_value_models(x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray, m_x: np.ndarray) -> ValueModels:
    """BG/NBD and Gamma-Gamma on the clients that have a revenue day (NaN rows = no revenue day are left out)."""
    x, t_x, big_t, m_x = (np.asarray(v, dtype=float) for v in (x, t_x, big_t, m_x))
    has = ~np.isnan(x)
    check_history(x[has], big_t[has])
    return ValueModels(
        bgnbd=fit_bgnbd(x[has], t_x[has], big_t[has]),
        spend=fit_gamma_gamma(x[has], m_x[has]),
    )


def client_lifetime_values(
    models: ValueModels,
    horizon: Horizon,
    x: np.ndarray,
    t_x: np.ndarray,
    big_t: np.ndarray,
    m_x: np.ndarray,
    recurring_monthly: np.ndarray,
) -> dict[str, np.ndarray]:
    """Per client: p_alive, expected_purchases, transaction_clv, recurring_clv and clv over the horizon.

    Rows with NaN x have no revenue day (see the module docstring). A non-finite value for any client
    is a :class:`ValueModelError`: a NaN would sum to a NaN total and be saved for the dashboards.
    """
    x, t_x, big_t, m_x = (np.asarray(v, dtype=float) for v in (x, t_x, big_t, m_x))
    has = ~np.isnan(x)
    p_alive = np.ones(len(x))
    purchases = np.zeros(len(x))
    transaction = np.zeros(len(x))
    # Overflows and 0/0 are not warned about here: they are caught below as non-finite values, an error.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if has.any():
            hx, htx, ht, hm = x[has], t_x[has], big_t[has], m_x[has]
            p_alive[has] = models.bgnbd.probability_alive(hx, htx, ht)
            purchases[has] = models.bgnbd.expected_purchases(horizon.months * WEEKS_PER_MONTH, hx, htx, ht)
            transaction[has] = lifetime_value(
                models.bgnbd,
                models.spend,
                hx,
                htx,
                ht,
                hm,
                periods=horizon.months,
                period_length=WEEKS_PER_MONTH,
                discount_rate=horizon.monthly_rate,
            )
        recurring = np.nan_to_num(np.asarray(recurring_monthly, dtype=float)) * p_alive * horizon.annuity
    bad = int(np.sum(~np.isfinite(transaction + recurring + purchases)))
    if bad:
        raise ValueModelError(f"the fitted models give {bad} clients no finite CLV: the fit is not usable")
    return {
        "p_alive": p_alive,
        "expected_purchases": purchases,
        "transaction_clv": transaction,
        "recurring_clv": recurring,
        "clv": transaction + recurring,
    }
