"""The date window a fund-retention analysis looks at, checked against the data before anything runs.

A window runs from the close of ``start`` to the close of ``end``: holdings
are valued at both closes and the redemptions in between are the ones the
report explains. The default is the crowded-stock (抱团股) sell-off of the
generated brokerage: from the last close before the 2021 Spring Festival
(the market's peak) to the end of March, which covers the fall to the
2021-03-09 trough and the redemption wave that followed it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from wealthdesk.errors import WealthdeskError


class FundReportError(WealthdeskError):
    """A fund-retention question the data cannot answer as asked (bad window, unknown fund, no holdings)."""


@dataclass(frozen=True)
class Window:
    """From the close of ``start`` to the close of ``end``."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days


DEFAULT_WINDOW = Window(date(2021, 2, 10), date(2021, 3, 31))


def data_range(backend: Any) -> tuple[date, date]:
    """(first holdings snapshot, last fund NAV date): positions need a snapshot before, values a NAV."""
    h = backend.table("holdings")
    navs = backend.table("fund_navs")
    first = backend.to_pyarrow(h.snapshot_date.min()).as_py()
    last = backend.to_pyarrow(navs.nav_date.max()).as_py()
    if first is None or last is None:
        raise FundReportError("the store has no holdings snapshots or no fund NAVs: ingest the brokerage's data first")
    return first, last


def check_window(backend: Any, window: Window) -> Window:
    """The window if the data covers it; otherwise a :class:`FundReportError` that says what to change."""
    if window.end <= window.start:
        raise FundReportError(
            f"the window {window.start} → {window.end} is empty: --to must be after --from "
            "(holdings are compared at the close of both days)"
        )
    first, last = data_range(backend)
    if window.start < first or window.end > last:
        raise FundReportError(
            f"the window {window.start} → {window.end} is outside the data: holdings start on {first} "
            f"and fund NAVs end on {last}; choose dates in between"
        )
    navs = backend.table("fund_navs")
    valued = navs.filter((navs.nav_date > window.start) & (navs.nav_date <= window.end)).count()
    if backend.to_pyarrow(valued).as_py() == 0:
        raise FundReportError(
            f"no trading day after {window.start} up to {window.end} (no fund was valued in between): "
            "there is nothing to compare; widen the window"
        )
    return window


def check_day(backend: Any, day: date) -> date:
    """``day`` if holdings and NAVs cover it; otherwise a :class:`FundReportError` naming the data's range."""
    first, last = data_range(backend)
    if not first <= day <= last:
        raise FundReportError(
            f"{day} is outside the data: holdings start on {first} and fund NAVs end on {last}; choose a day in between"
        )
    return day
