"""Planted bad rows: a small, known fraction of extra rows with exactly one defect each.

Bad rows are *extra* rows copied from a good row, given a fresh key nothing
references (so no good row fails because of them), and then broken in exactly
one way.  The exception is ``duplicate_key``: an exact copy of an earlier row,
placed later in the same file (bad rows are planted file by file, so the copy
never lands in another part file, where it would be an unchanged re-delivery
rather than a defect).  The caller records each planted row's final position
so ``_truth/bad_rows.csv`` can name its file and line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from wealthdesk.demo.people import id_check_char

Row = dict[str, Any]
Mutation = Callable[[Row, int], Row]

RATE = 0.001  # share of extra bad rows per planted table


@dataclass(frozen=True)
class Defect:
    kind: str
    mutate: Mutation  # applied to a copy of a good row with a fresh key; unused for duplicate_key


def set_(column: str, value: Any) -> Mutation:
    def mutate(row: Row, j: int) -> Row:
        return {**row, column: value}

    return mutate


def wrong_check_digit(column: str) -> Mutation:
    def mutate(row: Row, j: int) -> Row:
        body = row[column][:17]
        right = id_check_char(body)
        wrong = next(c for c in "0123456789" if c != right and c != row[column][17:])
        return {**row, column: body + wrong}

    return mutate


def negate(column: str) -> Mutation:
    def mutate(row: Row, j: int) -> Row:
        value = row[column]
        number = float(value) if value not in (None, "") else 0.0
        bad = -abs(number) if number else -1.5
        return {**row, column: str(bad) if isinstance(value, str) else bad}

    return mutate


def short_phone(column: str) -> Mutation:
    def mutate(row: Row, j: int) -> Row:
        return {**row, column: row[column][:10]}

    return mutate


@dataclass(frozen=True)
class Planted:
    table: pa.Table  # good and bad rows interleaved
    positions: np.ndarray  # 0-based row position of each bad row in ``table``
    kinds: list[str]


def plant(
    table: pa.Table,
    defects: list[Defect],
    fresh_key: Callable[[Row, int], Row],
    rng: np.random.Generator,
    duplicate: bool = True,
    first: int = 0,
) -> Planted:
    """Interleave ``max(#kinds, RATE × rows)`` bad rows, kinds taken in turn, into ``table``.

    ``first`` numbers the fresh keys, so bad rows planted in several part files
    of one table never share a key.
    """
    good = table.num_rows
    kinds = [d.kind for d in defects] + (["duplicate_key"] if duplicate else [])
    count = max(len(kinds), round(good * RATE))
    chosen = [kinds[j % len(kinds)] for j in range(count)]
    base = rng.integers(0, max(good // 2, 1), size=count)  # copies come from the first half, so a duplicate fits later
    by_kind = {d.kind: d for d in defects}
    rows: list[Row] = []
    for j, (kind, b) in enumerate(zip(chosen, base, strict=True)):
        row = table.slice(int(b), 1).to_pylist()[0]
        rows.append(row if kind == "duplicate_key" else by_kind[kind].mutate(fresh_key(row, first + j), first + j))
    bad = pa.Table.from_pylist(rows, schema=table.schema)
    # slot g = "insert before good row g"; a duplicate goes after its original
    lo = np.where(np.array(chosen) == "duplicate_key", base + 1, 0)
    slot = lo + (rng.random(count) * (good + 1 - lo)).astype(np.int64)
    keys = np.concatenate([2 * np.arange(good) + 1, 2 * slot])
    order = np.argsort(keys, kind="stable")
    merged = pa.concat_tables([table, bad]).take(pa.array(order))
    position = np.empty(good + count, dtype=np.int64)
    position[order] = np.arange(good + count)
    return Planted(merged, position[good:], chosen)
