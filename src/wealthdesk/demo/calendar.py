"""The demo's time axis: SSE trading days of the data window and the dates analyses key on.

Everything the generator simulates is indexed by *trading-day index* (0 … D-1) so
prices, NAVs, trades and holdings can live in dense numpy arrays; this module
turns indices back into dates and times.  The trading days ship as a file taken
from adata's SSE calendar (see ``data/README.md``), so weekends and Chinese
public holidays (Spring Festival, National Day week …) are absent as in reality.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources

import numpy as np

WINDOW_START = date(2020, 1, 2)
AS_OF = date(2022, 6, 30)
OPENING_SNAPSHOT = date(2019, 12, 31)  # last trading day before the window: opening positions

# The crowded-stock (抱团股) sell-off: peak on the last day before the 2021 Spring
# Festival holiday, crash from the first day after it to the trough on 2021-03-09.
PEAK = date(2021, 2, 10)
SELLOFF_START = date(2021, 2, 18)
SELLOFF_END = date(2021, 3, 9)

# Holdings snapshots: the sell-off window plus the last six month-ends.
FIRST_TRADE = 1

SNAPSHOT_DATES = (
    date(2021, 1, 29),
    date(2021, 2, 10),
    date(2021, 3, 10),
    date(2021, 3, 31),
    date(2022, 1, 28),
    date(2022, 2, 28),
    date(2022, 3, 31),
    date(2022, 4, 29),
    date(2022, 5, 31),
    date(2022, 6, 30),
)


@cache
def trading_days() -> np.ndarray:
    """SSE trading days from 2020-01-02 to 2022-06-30 as ``datetime64[D]``, preceded by 2019-12-31.

    Index 0 (2019-12-31) only carries prices and the opening holdings snapshot;
    clients trade from index 1 (:data:`FIRST_TRADE`).
    """
    text = (
        resources.files("wealthdesk.demo").joinpath("data").joinpath("sse_trading_days.csv").read_text(encoding="utf-8")
    )
    days = np.array([OPENING_SNAPSHOT.isoformat(), *text.split()[1:]], dtype="datetime64[D]")
    days.setflags(write=False)
    return days


@dataclass(frozen=True)
class Calendar:
    """Trading days and the positions of the key dates among them."""

    days: np.ndarray  # datetime64[D], ascending

    @classmethod
    def default(cls) -> Calendar:
        return cls(trading_days())

    @property
    def n(self) -> int:
        return len(self.days)

    def index(self, day: date | str) -> int:
        """Index of ``day`` if it is a trading day, else of the next trading day."""
        return int(np.searchsorted(self.days, np.datetime64(day, "D")))

    def index_of_dates(self, dates: np.ndarray) -> np.ndarray:
        """Vectorised :meth:`index` for ``datetime64[D]`` values (clipped to the window)."""
        return np.clip(np.searchsorted(self.days, dates.astype("datetime64[D]")), 0, self.n - 1)

    @property
    def peak(self) -> int:
        return self.index(PEAK)

    @property
    def selloff(self) -> tuple[int, int]:
        return self.index(SELLOFF_START), self.index(SELLOFF_END)

    @property
    def snapshots(self) -> np.ndarray:
        return np.array([self.index(d) for d in SNAPSHOT_DATES], dtype=np.int64)

    def trade_times(self, day_idx: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Timestamps (``datetime64[s]``) within continuous trading hours of the given days."""
        sec = rng.integers(0, 4 * 3600, size=len(day_idx))
        sec = np.where(sec < 2 * 3600, 9 * 3600 + 1800 + sec, 13 * 3600 + sec - 2 * 3600)
        return self.days[day_idx].astype("datetime64[s]") + sec.astype("timedelta64[s]")


def calendar_days() -> np.ndarray:
    """Every calendar day of the window (apps and chats do not stop at weekends)."""
    return np.arange(np.datetime64(WINDOW_START), np.datetime64(AS_OF) + 1, dtype="datetime64[D]")


def waking_seconds(n: int, rng: np.random.Generator) -> np.ndarray:
    """Seconds after midnight for human activity: mostly 8:00–23:00, peaking at lunch and evening."""
    hours = rng.choice(
        np.arange(24),
        size=n,
        p=_HOUR_WEIGHTS / _HOUR_WEIGHTS.sum(),
    )
    return hours * 3600 + rng.integers(0, 3600, size=n)


_HOUR_WEIGHTS = np.array(
    [0.3, 0.15, 0.1, 0.05, 0.05, 0.1, 0.4, 1.5, 3, 5, 5, 4.5, 4, 3.5, 4, 4, 3, 2.5, 3, 4, 4.5, 4, 3, 1.2],
    dtype=float,
)
