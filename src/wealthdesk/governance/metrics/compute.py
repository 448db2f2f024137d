"""Compute the catalogue's metrics for one reporting date.

Bad input fails loudly: a reporting date before any data in the store, an
empty store or a non-positive window raise QualityError with what to do,
rather than returning a column of zeros. A metric that cannot be computed
for a valid date (no holdings snapshot yet, a ratio over zero customers)
gets ``value=None`` and a note saying why.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import duckdb

from wealthdesk.errors import QualityError
from wealthdesk.governance.metrics.catalogue import METRICS, Metric

_PARAMETER = re.compile(r"\$(\w+)")

# Dated columns of the tables metrics read: the store's data span is the span of these.
_DATED = (
    ("accounts", "opened_date"),
    ("holdings", "snapshot_date"),
    ("cash_flows", "flow_time"),
    ("trades", "trade_time"),
    ("app_events", "event_time"),
)


@dataclass(frozen=True)
class MetricValue:
    """The value of one metric on one date; ``note`` says why ``value`` is None, or what it is based on."""

    name: str
    label: str
    value: float | int | None
    unit: str
    formula: str
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "value": self.value,
            "unit": self.unit,
            "formula": self.formula,
            "note": self.note,
        }


def data_span(con: duckdb.DuckDBPyConnection) -> tuple[date, date] | None:
    """First and last date of the data metrics read, or None when the store holds none."""
    parts = " UNION ALL ".join(
        f'SELECT CAST(min("{column}") AS DATE) AS lo, CAST(max("{column}") AS DATE) AS hi FROM "{table}"'
        for table, column in _DATED
    )
    try:
        row = con.execute(f"SELECT min(lo), max(hi) FROM ({parts})").fetchone()
    except duckdb.CatalogException as exc:
        raise QualityError(f"the store lacks a table metrics need ({exc}); create it with `wealthdesk ingest`") from exc
    if row is None or row[0] is None:
        return None
    return row[0], row[1]


def compute_metrics(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    window_days: int = 30,
    metrics: Sequence[Metric] = METRICS,
) -> list[MetricValue]:
    """Compute ``metrics`` on ``as_of``; window metrics cover the ``window_days`` days ending at ``as_of``."""
    if window_days < 1:
        raise QualityError(f"window_days must be at least 1, got {window_days}")
    span = data_span(con)
    if span is None:
        raise QualityError(
            "the store holds no accounts, holdings, cash flows, trades or app events: "
            "load data first (`wealthdesk demo` or `wealthdesk ingest DIR`)"
        )
    first, last = span
    if as_of < first:
        raise QualityError(
            f"as_of {as_of.isoformat()} is before the first data in the store ({first.isoformat()}); "
            f"choose a date from {first.isoformat()} to {last.isoformat()}"
        )
    snapshot = con.execute("SELECT max(snapshot_date) FROM holdings WHERE snapshot_date <= ?", [as_of]).fetchone()
    snapshot_date: date | None = snapshot[0] if snapshot else None
    parameters: dict[str, date | None] = {
        "as_of": as_of,
        "as_of_end": as_of + timedelta(days=1),
        "window_start": as_of - timedelta(days=window_days - 1),
        "snapshot_date": snapshot_date,
    }

    raw: dict[str, float | int | None] = {}
    notes: dict[str, str | None] = {}
    for metric in metrics:
        if metric.sql is None:
            continue
        if metric.uses_snapshot and snapshot_date is None:
            raw[metric.name] = None
            notes[metric.name] = f"no holdings snapshot on or before {as_of.isoformat()}"
            continue
        raw[metric.name] = _scalar(con, metric, parameters)
        notes[metric.name] = _basis(metric, parameters, window_days)
    for metric in metrics:
        if metric.ratio_of is not None:
            raw[metric.name], notes[metric.name] = _ratio(metric, raw, notes)
    return [MetricValue(m.name, m.label, raw[m.name], m.unit, m.formula, notes[m.name]) for m in metrics]


def _scalar(con: duckdb.DuckDBPyConnection, metric: Metric, parameters: dict[str, date | None]) -> float | int | None:
    assert metric.sql is not None
    used = {name: parameters[name] for name in set(_PARAMETER.findall(metric.sql))}
    try:
        row = con.execute(metric.sql, used).fetchone()
    except duckdb.Error as exc:
        raise QualityError(f"metric {metric.name} cannot be computed: {exc}") from exc
    value = row[0] if row else None
    if isinstance(value, Decimal):
        return float(value)
    return value


def _basis(metric: Metric, parameters: dict[str, date | None], window_days: int) -> str | None:
    if metric.uses_snapshot and parameters["snapshot_date"] is not None:
        return f"holdings snapshot {parameters['snapshot_date'].isoformat()}"  # type: ignore[union-attr]
    if metric.uses_window:
        start = parameters["window_start"]
        assert start is not None
        return f"{window_days} days {start.isoformat()} … {parameters['as_of'].isoformat()}"  # type: ignore[union-attr]
    return None


def _ratio(
    metric: Metric, raw: dict[str, float | int | None], notes: dict[str, str | None]
) -> tuple[float | None, str | None]:
    assert metric.ratio_of is not None
    numerator_name, denominator_name = metric.ratio_of
    if numerator_name not in raw or denominator_name not in raw:
        raise QualityError(f"metric {metric.name} needs {numerator_name} and {denominator_name} computed too")
    numerator, denominator = raw[numerator_name], raw[denominator_name]
    if numerator is None or denominator is None:
        return None, notes.get(numerator_name) or notes.get(denominator_name)
    if denominator == 0:
        return None, f"{denominator_name} is 0"
    return numerator / denominator, f"{numerator:,} / {denominator:,}"
