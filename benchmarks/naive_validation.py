"""The baseline the issue names: naive pandas validation, one row at a time.

This is how such checks are commonly first written: read the file with
pandas, loop over the rows, and check each value in Python against the
contract (type, required, allowed values, pattern, minimum, foreign keys
looked up in Python sets, duplicate keys). It applies the same schema rules
as the real ingest path, so the two can be compared on the same files.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from pathlib import Path

import pandas as pd

from wealthdesk.schema import Column, ColumnType, Table

_NUMERIC = {ColumnType.INT, ColumnType.BIGINT, ColumnType.DOUBLE, ColumnType.MONEY, ColumnType.PRICE}


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def _convert(column: Column, value: object) -> object:
    """Convert a value to the column's type or raise ValueError."""
    if column.type in _NUMERIC:
        return float(value)  # type: ignore[arg-type]
    if column.type is ColumnType.DATE and isinstance(value, str):
        fmt = "%Y%m%d" if len(value) == 8 else "%Y-%m-%d"
        return datetime.strptime(value, fmt).date()
    if column.type is ColumnType.TIMESTAMP and isinstance(value, str):
        return datetime.fromisoformat(value)
    return value


def validate_row(table: Table, row: dict[str, object], parents: dict[str, set[object]]) -> list[str]:
    """Every reason this row breaks the contract (empty when it is good)."""
    reasons: list[str] = []
    for column in table.columns:
        value = row.get(column.name)
        if _is_missing(value):
            if column.required:
                reasons.append(f"{column.name} is required")
            continue
        try:
            typed = _convert(column, value)
        except (TypeError, ValueError):
            reasons.append(f"{column.name} is not a {column.type.name.lower()}")
            continue
        if column.allowed and typed not in column.allowed:
            reasons.append(f"{column.name} not allowed")
        if column.pattern and not re.fullmatch(column.pattern, str(typed)):
            reasons.append(f"{column.name} does not match pattern")
        if column.minimum is not None and isinstance(typed, float) and typed < column.minimum:
            reasons.append(f"{column.name} below minimum")
    for fk in table.foreign_keys:
        if fk.when is not None:
            continue  # conditional keys need an expression evaluator; the naive path skips them
        key = tuple(row.get(c) for c in fk.columns)
        if any(_is_missing(v) for v in key):
            continue
        if key not in parents.get(f"{fk.table}.{','.join(fk.ref_columns)}", set()):
            reasons.append(f"{','.join(fk.columns)} unknown")
    return reasons


def read_naively(path: Path, limit: int | None) -> pd.DataFrame:
    """Read a table file the plain pandas way (CSV as text: UTF-8, else GB18030)."""
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
    elif path.suffix == ".jsonl":
        frame = pd.read_json(path, lines=True, dtype=False, nrows=limit)
    else:
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8", nrows=limit)
        except UnicodeDecodeError:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="gb18030", nrows=limit)
    return frame if limit is None else frame.head(limit)


def validate_file_naively(
    table: Table, path: Path, parents: dict[str, set[object]], limit: int | None = None
) -> tuple[int, int]:
    """Validate a table file row by row; returns (rows checked, rows bad)."""
    frame = read_naively(path, limit).rename(columns={a: c.name for c in table.columns for a in c.aliases})
    seen: set[tuple[object, ...]] = set()
    bad = 0
    for row in frame.to_dict(orient="records"):
        reasons = validate_row(table, row, parents)
        key = tuple(row.get(c) for c in table.key)
        if key in seen:
            reasons.append("duplicate key")
        seen.add(key)
        bad += bool(reasons)
    return len(frame), bad
