"""File formats as a brokerage would export them.

* CSV: header on line 1, one record per line, values quoted only when they
  contain a comma or quote; booleans 1/0; optionally GB18030 with dates as
  YYYYMMDD and timestamps as YYYYMMDDHHMMSS (as core-system exports are).
* Parquet: typed columns, lists as lists, big tables in ``<table>/part-NNNN.parquet``.
* JSONL (UTF-8): one JSON object per line, lists as JSON arrays, built with
  Arrow kernels so millions of lines take seconds.

Each writer writes one file; :func:`split` cuts a big table into the slices
written as part files, so bad rows can be planted, and located by (file,
line), part by part.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

PART_ROWS = 4_000_000


def to_text(table: pa.Table, compact_dates: bool) -> pa.Table:
    """Every column as strings (nulls kept): the representation CSV rows are planted and written in."""
    cols = []
    for name in table.column_names:
        col = table[name].combine_chunks() if table.num_rows else pa.array([], table.schema.field(name).type)
        t = col.type
        if pa.types.is_date(t):
            col = pc.strftime(col.cast(pa.timestamp("s")), format="%Y%m%d" if compact_dates else "%Y-%m-%d")
        elif pa.types.is_timestamp(t):
            col = pc.strftime(
                col.cast(pa.timestamp("s")), format="%Y%m%d%H%M%S" if compact_dates else "%Y-%m-%d %H:%M:%S"
            )
        elif pa.types.is_boolean(t):
            col = pc.if_else(col, "1", "0")
        elif not pa.types.is_string(t):
            col = col.cast(pa.string())
        cols.append(col)
    return pa.table(cols, names=table.column_names)


def _contiguous_bytes(lines: pa.Array) -> bytes:
    lines = lines.combine_chunks() if isinstance(lines, pa.ChunkedArray) else lines
    if len(lines) == 0:
        return b""
    if not pa.types.is_large_string(lines.type):
        lines = lines.cast(pa.large_string())
    offsets = lines.buffers()[1]
    off = np.frombuffer(offsets, dtype=np.int64)[lines.offset : lines.offset + len(lines) + 1]
    return lines.buffers()[2].to_pybytes()[off[0] : off[-1]]


def write_csv(text: pa.Table, path: Path, encoding: str) -> None:
    """Write an all-string table as CSV in ``encoding`` (utf-8 or gb18030)."""
    fields = []
    for name in text.column_names:
        col = text[name].combine_chunks().fill_null("")
        needs = pc.match_substring_regex(col, '[,"\\n]')
        quoted = pc.binary_join_element_wise('"', pc.replace_substring(col, '"', '""'), '"', "")
        fields.append(pc.if_else(needs, quoted, col))
    header = ",".join(text.column_names) + "\n"
    body = b""
    if text.num_rows:
        lines = pc.binary_join_element_wise(*fields, ",") if len(fields) > 1 else fields[0]
        body = _contiguous_bytes(pc.binary_join_element_wise(lines, "\n", ""))
    data = header.encode("utf-8") + body
    if encoding != "utf-8":
        data = data.decode("utf-8").encode(encoding)
    path.write_bytes(data)


def split(table: pa.Table, part_rows: int = PART_ROWS) -> list[pa.Table]:
    """The slices of ``table`` written as ``part-NNNN`` files of a partitioned table (at least one)."""
    n_parts = max(1, -(-table.num_rows // part_rows))
    return [table.slice(i * part_rows, part_rows) for i in range(n_parts)]


def part_path(folder: Path, index: int, ext: str) -> Path:
    """``folder/part-NNNN.ext``, creating the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"part-{index:04d}.{ext}"


def write_parquet(table: pa.Table, path: Path) -> None:
    """Write one Parquet file (snappy, 1M-row row groups)."""
    pq.write_table(table, path, compression="snappy", row_group_size=1_000_000)


def _json_fragment(col: pa.Array) -> pa.Array:
    t = col.type
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        esc = pc.replace_substring(pc.replace_substring(pc.list_flatten(col), "\\", "\\\\"), '"', '\\"')
        quoted = pc.binary_join_element_wise('"', esc, '"', "")
        rebuilt = pa.ListArray.from_arrays(col.offsets, quoted)
        inner = pc.binary_join(rebuilt, ",")
        frag = pc.binary_join_element_wise("[", pc.fill_null(inner, ""), "]", "")
        return pc.if_else(pc.is_null(col), "null", frag)
    if pa.types.is_string(t):
        esc = pc.replace_substring(pc.replace_substring(col, "\\", "\\\\"), '"', '\\"')
        frag = pc.binary_join_element_wise('"', esc, '"', "")
    elif pa.types.is_date(t) or pa.types.is_timestamp(t):
        fmt = "%Y-%m-%d" if pa.types.is_date(t) else "%Y-%m-%d %H:%M:%S"
        frag = pc.binary_join_element_wise('"', pc.strftime(col.cast(pa.timestamp("s")), format=fmt), '"', "")
    elif pa.types.is_boolean(t):
        frag = pc.if_else(col, "true", "false")
    else:
        frag = col.cast(pa.string())
    return pc.fill_null(frag, "null")


def write_jsonl(table: pa.Table, path: Path, rename: dict[str, str] | None = None) -> None:
    """Write JSON Lines (UTF-8, non-ASCII kept as is); ``rename`` maps column names to JSON keys."""
    rename = rename or {}
    pieces: list[pa.Array | str] = []
    for i, name in enumerate(table.column_names):
        key = rename.get(name, name)
        pieces.append(("{" if i == 0 else ",") + f'"{key}":')
        pieces.append(_json_fragment(table[name].combine_chunks()) if table.num_rows else pa.array([], pa.string()))
    pieces.append("}\n")
    data = b""
    if table.num_rows:
        data = _contiguous_bytes(pc.binary_join_element_wise(*pieces, ""))
    path.write_bytes(data)
