"""The shape of a dashboard card, and the number formats the cards use.

Every dashboard is a list of :class:`Panel` objects: a title, at most one
chart (a plotly figure serialised server-side) and the table of the numbers
behind it, so the page reads the same with JavaScript off. Cells are
formatted here, in Python, so the templates stay dumb and the tests can look
for exactly the strings a person sees.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from wealthdesk.funds.summary import money, percent

__all__ = ["Panel", "Table", "count", "money", "percent", "wan", "yuan"]


@dataclass(frozen=True)
class Table:
    """Rows of already-formatted cells; ``numeric`` names the columns to right-align."""

    columns: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]
    numeric: frozenset[int] = frozenset()
    empty: str = "—"  # shown instead of the table when there are no rows

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"a row of {len(row)} cells in a table of {len(self.columns)} columns: {row!r}")


@dataclass(frozen=True)
class Panel:
    """One card of a dashboard. ``key`` is the English identifier (the HTML id); ``title`` may be Chinese."""

    key: str
    title: str
    figure: str | None = None  # plotly figure JSON (see :func:`wealthdesk.web.charts.figure_json`)
    table: Table | None = None
    notes: Sequence[str] = field(default_factory=tuple)
    wide: bool = False  # spans the whole row of the dashboard grid


def yuan(amount: float | None) -> str:
    """An exact amount in CNY (¥10,688,616.26): the figure an analyst reconciles against the books."""
    if amount is None:
        return "—"
    return f"{'−' if amount < 0 else ''}¥{abs(amount):,.2f}"


def wan(amount: float | None, digits: int = 1) -> str:
    """CNY in 万元 (units of 10,000), the unit Chinese finance staff read balances in: 57,269.5."""
    if amount is None:
        return "—"
    return f"{amount / 1e4:,.{digits}f}".replace("-", "−")


def count(value: float | None) -> str:
    """A whole number with separators (1,500)."""
    return "—" if value is None else f"{int(value):,}"
