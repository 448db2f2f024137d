"""Readers: one source file → a DuckDB relation with a ``_line`` column.

Every reader returns a :class:`Source`: the SQL name of a relation with a
``_line`` column and the file's columns, the SQL expression and type of each
schema column in it, and the lines that could not even be parsed (malformed
CSV lines, JSONL lines that are not JSON objects), which are quarantined with
their physical line number.

``_line`` is the physical line number for CSV (header = line 1) and JSONL
(first record = line 1), and the 1-based row number for Parquet.
Values are not converted here: CSV and JSONL columns stay text and
:mod:`wealthdesk.ingest.validate` converts and checks them in DuckDB.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from wealthdesk.errors import IngestError
from wealthdesk.ingest.encoding import decode
from wealthdesk.schema import ColumnType, Table

RAW_LIMIT = 1000  # characters of an unparsable line kept in the quarantine


@dataclass
class Failure:
    """A line that could not be parsed into a row."""

    line: int | None
    reason: str
    raw: str | None


@dataclass
class Source:
    """A source file as a DuckDB relation, ready for validation."""

    relation: str
    columns: dict[str, tuple[str, str]]  # schema column -> (SQL expression over relation, its DuckDB type)
    encoding: str | None = None
    failures: list[Failure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def match_columns(
    path: Path, table: Table, available: list[str], notes: list[str], refuse_missing: bool = True
) -> dict[str, str]:
    """Map schema column → source column name (by name or alias, case-insensitive).

    A required column no source column maps to refuses the whole file, unless
    ``refuse_missing`` is off (records sent one by one: each then lacks a value).
    """
    by_lower = {name.strip().lower(): name for name in available}
    mapping: dict[str, str] = {}
    for column in table.columns:
        for candidate in (column.name, *column.aliases):
            if candidate.lower() in by_lower:
                mapping[column.name] = by_lower[candidate.lower()]
                break
    missing = [c for c in table.required_columns if c not in mapping]
    if missing and refuse_missing:
        raise IngestError(
            f"{path}: missing required column(s) {', '.join(missing)} for table {table.name}; "
            f"the file has {', '.join(available) or 'no columns'}. Nothing was loaded from this file."
        )
    used = set(mapping.values())
    extra = [name for name in available if name not in used]
    if extra:
        notes.append(f"ignored column(s) not in the {table.name} schema: {', '.join(extra)}")
    return mapping


def _withhold(table: Table, text: str | None) -> str | None:
    """Raw text of an unparsable line, unless the table holds personal data."""
    if text is None:
        return None
    if table.pii_columns:
        return None
    return text[:RAW_LIMIT]


# ---------------------------------------------------------------- CSV


def _record_lines(data: bytes, honour_quotes: bool) -> np.ndarray:
    """Physical line number (1-based) of every non-empty CSV record, in file order."""
    buf = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(buf == 10)
    breaks = newlines
    if honour_quotes:
        quotes = np.flatnonzero(buf == 34)
        if quotes.size:
            breaks = newlines[np.searchsorted(quotes, newlines) % 2 == 0]
    starts = np.concatenate(([0], breaks + 1))
    starts = starts[starts < len(buf)]
    first = buf[starts]
    second = buf[np.minimum(starts + 1, len(buf) - 1)]
    empty = (first == 10) | ((first == 13) & (second == 10))
    starts = starts[~empty]
    return np.searchsorted(newlines, starts) + 1


def _read_csv_table(data: bytes, header: list[str], threads: bool) -> tuple[pa.Table, list]:
    invalid: list = []

    def handler(row: pacsv.InvalidRow) -> str:
        invalid.append(row)
        return "skip"

    table = pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(use_threads=threads, block_size=1 << 24),
        parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=handler),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in header},
            strings_can_be_null=True,
            null_values=[""],
            quoted_strings_can_be_null=True,
        ),
    )
    return table, invalid


def read_csv(con: duckdb.DuckDBPyConnection, path: Path, table: Table, encoding: str | None, name: str) -> Source:
    decoded = decode(path, path.read_bytes(), encoding)
    data = decoded.data
    head = data[: 1 << 16].decode("utf-8", errors="ignore")
    try:
        header = next(csv.reader(io.StringIO(head)))
    except StopIteration:
        header = []
    except csv.Error as exc:
        raise IngestError(f"{path}: cannot read the CSV header ({exc})") from None
    if len(set(header)) != len(header):
        raise IngestError(f"{path}: the CSV header repeats a column name; each column must appear once")
    notes: list[str] = []
    mapping = match_columns(path, table, header, notes)
    try:
        arrow, invalid = _read_csv_table(data, header, threads=True)
        if invalid and any(row.number is None for row in invalid):
            arrow, invalid = _read_csv_table(data, header, threads=False)
    except (pa.ArrowInvalid, ValueError) as exc:
        raise IngestError(f"{path}: not a readable CSV file ({exc}); nothing was loaded from it") from None
    records = _record_lines(data, honour_quotes=True)
    failures = [
        Failure(
            int(records[row.number - 1]) if row.number and row.number <= len(records) else row.number,
            f"malformed CSV line: expected {row.expected_columns} fields, found {row.actual_columns}",
            _withhold(table, row.text),
        )
        for row in invalid
    ]
    drop = [0] + [row.number - 1 for row in invalid if row.number]
    lines = np.delete(records, [i for i in drop if i < len(records)])
    if len(lines) != arrow.num_rows:
        records = _record_lines(data, honour_quotes=False)
        lines = np.delete(records, [i for i in drop if i < len(records)])
    if len(lines) != arrow.num_rows:
        notes.append("line numbers are row numbers + 1: the file's quoting could not be mapped to physical lines")
        lines = np.arange(2, arrow.num_rows + 2)
    arrow = arrow.append_column("_line", pa.array(lines, pa.int64()))
    con.register(name, arrow)
    columns = {col: (quote_ident(src), "VARCHAR") for col, src in mapping.items()}
    return Source(name, columns, decoded.encoding, failures, notes)


# ---------------------------------------------------------------- JSONL


def read_jsonl(con: duckdb.DuckDBPyConnection, path: Path, table: Table, encoding: str | None, name: str) -> Source:
    decoded = decode(path, path.read_bytes(), encoding)
    text = pa.array([decoded.data], pa.large_binary()).cast(pa.large_string())
    lines = pc.list_flatten(pc.split_pattern(text, "\n"))
    lines = pc.utf8_rtrim(lines, characters="\r")
    return json_lines_source(con, lines, path, table, name, decoded.encoding)


def json_lines_source(
    con: duckdb.DuckDBPyConnection,
    lines: pa.Array,
    path: Path,
    table: Table,
    name: str,
    encoding: str | None = None,
    records: bool = False,
) -> Source:
    """One JSON object per element of ``lines`` (line numbers from 1) as a Source named ``name``.

    Serves JSONL files and (``records=True``) records handed over by the
    Python API or HTTP intake, where a required field absent from every
    record is a missing value of each (quarantined), not a malformed file.
    ``path`` names the origin in error messages.
    """
    numbers = pa.array(np.arange(1, len(lines) + 1), pa.int64())
    keep = pc.not_equal(pc.utf8_trim_whitespace(lines), "")
    raw = pa.table({"_line": numbers, "_text": lines}).filter(keep)
    con.register(name + "_text", raw)
    con.execute(
        f"""CREATE TEMP TABLE {name} AS
        SELECT _line, _text, CASE WHEN json_valid(_text) THEN json_type(_text) END AS _kind
        FROM {name}_text"""
    )
    con.unregister(name + "_text")
    bad = con.execute(f"SELECT _line, _kind, _text FROM {name} WHERE _kind IS DISTINCT FROM 'OBJECT' ORDER BY _line")
    failures = [
        Failure(
            line,
            "not valid JSON" if kind is None else f"a JSON {kind.lower()}, not an object",
            _withhold(table, text),
        )
        for line, kind, text in bad.fetchall()
    ]
    con.execute(f"DELETE FROM {name} WHERE _kind IS DISTINCT FROM 'OBJECT'")
    keys = [
        row[0]
        for row in con.execute(
            f"SELECT k FROM (SELECT DISTINCT unnest(json_keys(_text::JSON)) AS k FROM {name}) ORDER BY k"
        ).fetchall()
    ]
    notes: list[str] = []
    mapping = match_columns(path, table, keys, notes, refuse_missing=not records)
    # records: a required field no record has is a missing value of each (files were refused above)
    columns: dict[str, tuple[str, str]] = {c: ("NULL", "VARCHAR") for c in table.required_columns} if records else {}
    for col, key in mapping.items():
        json_path = quote_str('$."' + key.replace('"', '\\"') + '"')
        if table.column(col).type is ColumnType.STRING_LIST:
            expr = f"NULLIF(json_extract(_text::JSON, {json_path})::VARCHAR, 'null')"
        else:
            expr = f"json_extract_string(_text::JSON, {json_path})"
        columns[col] = (expr, "VARCHAR")
    return Source(name, columns, encoding, failures, notes)


# ---------------------------------------------------------------- Parquet


def parquet_error(path: Path, exc: Exception) -> IngestError:
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return IngestError(f"{path}: not a readable Parquet file: {reason}. Nothing was loaded from this file.")


def read_parquet(con: duckdb.DuckDBPyConnection, path: Path, table: Table, encoding: str | None, name: str) -> Source:
    scan = f"read_parquet({quote_str(str(path))}, file_row_number = true)"
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()
    except duckdb.Error as exc:
        raise parquet_error(path, exc) from None
    types = {row[0]: row[1] for row in described if row[0] != "file_row_number"}
    notes: list[str] = []
    mapping = match_columns(path, table, list(types), notes)
    con.execute(
        f"CREATE TEMP VIEW {name} AS SELECT file_row_number + 1 AS _line, * EXCLUDE (file_row_number) FROM {scan}"
    )
    columns = {col: (quote_ident(src), types[src]) for col, src in mapping.items()}
    return Source(name, columns, None, [], notes)


READERS = {"csv": read_csv, "jsonl": read_jsonl, "parquet": read_parquet}
