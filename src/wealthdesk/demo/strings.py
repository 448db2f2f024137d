"""Vectorised string building for millions of rows.

Python string formatting per row would dominate generation time at a million
customers, so identifiers are built as fixed-width ASCII byte matrices in numpy
and text is assembled with Arrow compute kernels.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_POW10 = 10 ** np.arange(18, -1, -1, dtype=np.int64)


def digit_matrix(values: np.ndarray, width: int) -> np.ndarray:
    """``(n, width)`` uint8 matrix of the decimal digits of non-negative ints (zero-padded)."""
    values = np.asarray(values, dtype=np.int64)
    powers = _POW10[-width:]
    return ((values[:, None] // powers[None, :]) % 10).astype(np.uint8)


def ascii_rows(matrix: np.ndarray) -> pa.Array:
    """Arrow string array from an ``(n, w)`` uint8 matrix of ASCII codes (one string per row)."""
    matrix = np.ascontiguousarray(matrix, dtype=np.uint8)
    n, width = matrix.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(matrix.tobytes()))


def codes(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """``prefix`` followed by ``numbers`` zero-padded to ``width`` digits, e.g. T000001234."""
    digits = digit_matrix(numbers, width) + ord("0")
    head = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    matrix = np.concatenate([np.broadcast_to(head, (len(digits), len(head))), digits], axis=1) if len(head) else digits
    return ascii_rows(matrix)


def pick(choices: Sequence[str], index: np.ndarray) -> pa.Array:
    """Arrow array of ``choices[index]`` (a vectorised lookup in a small vocabulary)."""
    return pa.array(list(choices), type=pa.string()).take(pa.array(np.asarray(index, dtype=np.int64)))


def concat(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation of string arrays and literal strings."""
    return pc.binary_join_element_wise(*parts, "")


def dates(values: np.ndarray) -> pa.Array:
    """Arrow date32 array from ``datetime64`` values (NaT becomes null)."""
    values = np.asarray(values).astype("datetime64[D]")
    return pa.array(values, type=pa.date32(), from_pandas=True)


def timestamps(values: np.ndarray, unit: str = "s") -> pa.Array:
    """Arrow timestamp array from ``datetime64`` values (NaT becomes null)."""
    values = np.asarray(values).astype(f"datetime64[{unit}]")
    return pa.array(values, type=pa.timestamp(unit), from_pandas=True)
