"""Load files into the store: one transaction per file.

For each file: read it into a relation, stage and validate it, then in the
same transaction insert the new rows, replace changed rows of mutable tables,
write its quarantine rows (replacing those of an earlier load of the same
file) and its ``_ingest_batches`` row, and commit. Any error rolls the whole
file back, is reported on the file's result, and the next file still loads.

Natural keys are enforced set-based: rows whose key is already stored are
skipped (immutable tables: ``rows_unchanged``) or, for mutable tables,
replaced when any column differs (``rows_updated``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from wealthdesk.errors import IngestError
from wealthdesk.ingest.discover import SourceFile, discover
from wealthdesk.ingest.readers import READERS, Source, json_lines_source, parquet_error
from wealthdesk.ingest.readers import quote_ident as qi
from wealthdesk.ingest.readers import quote_str as qs
from wealthdesk.ingest.report import FileResult, LoadReport
from wealthdesk.ingest.validate import mask_sql, relational_reasons, stage
from wealthdesk.progress import NULL_REPORTER, Reporter
from wealthdesk.schema import TABLES_BY_NAME, Table
from wealthdesk.store.duckdb_store import LINEAGE_COLUMN, create_tables

_SRC, _STAGE, _BAD, _LINES, _MATCH, _SKIP = "_wd_src", "_wd_stage", "_wd_bad", "_wd_badlines", "_wd_match", "_wd_skip"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def _cleanup(con: duckdb.DuckDBPyConnection) -> None:
    """Drop this module's temp objects and registered Arrow tables."""
    for name in (_SRC, _SRC + "_text", "_wd_failures"):
        with contextlib.suppress(duckdb.Error, KeyError):
            con.unregister(name)
    names = (_SRC, _STAGE, _BAD, _LINES, _MATCH, _SKIP)
    placeholders = ", ".join("?" for _ in names)
    for kind, table in (("VIEW", "duckdb_views()"), ("TABLE", "duckdb_tables()")):
        column = "view_name" if kind == "VIEW" else "table_name"
        found = con.execute(
            f"SELECT {column} FROM {table} WHERE temporary AND {column} IN ({placeholders})", list(names)
        ).fetchall()
        for (name,) in found:
            con.execute(f"DROP {kind} IF EXISTS temp.{name}")


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> int:
    row = con.execute(sql, params or []).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _raw_json_sql(source: Source, table: Table) -> str:
    parts = []
    for column in table.columns:
        if column.name not in source.columns:
            continue
        expr = source.columns[column.name][0]
        value = mask_sql(expr, column) if column.pii is not None else expr
        parts.append(f"{qs(column.name)}, {value}")
    return f"json_object({', '.join(parts)})::VARCHAR" if parts else "NULL"


def _key_range(con: duckdb.DuckDBPyConnection, table: Table, rows: str) -> str | None:
    """SQL filter limiting stored rows to the key range of ``rows``, or None when it has none.

    The range is written as literals so DuckDB prunes row groups by their
    zone maps: checking a 1M-row part against 20M stored trades then scans
    only the row groups that can hold its keys.
    """
    first = table.key[0]
    sql_type = table.column(first).type.sql
    low, high = con.execute(f"SELECT min({qi(first)})::VARCHAR, max({qi(first)})::VARCHAR FROM {rows}").fetchone()
    if low is None:
        return None
    return f"t.{qi(first)} BETWEEN CAST({qs(low)} AS {sql_type}) AND CAST({qs(high)} AS {sql_type})"


def _write_rows(con: duckdb.DuckDBPyConnection, table: Table, batch_id: int) -> tuple[int, int, int]:
    """Insert/replace the stage's rows that are not quarantined; return (loaded, updated, unchanged).

    Rows whose key is stored already are found with one join on the key
    (limited to the key range); the rows to skip (quarantined, or stored and
    unchanged) are few, so the insert is the stage anti-joined with them.
    """
    target = qi(table.name)
    cols = ", ".join(qi(c) for c in table.column_names)
    key_range = _key_range(con, table, _STAGE)
    if key_range is None:
        return 0, 0, 0
    key_on = " AND ".join(f"g.{qi(c)} = t.{qi(c)}" for c in table.key) + f" AND {key_range}"
    if table.mutable:
        differs = " OR ".join(f"g.{qi(c)} IS DISTINCT FROM t.{qi(c)}" for c in table.column_names)
    else:
        differs = "false"
    con.execute(
        f"""CREATE TEMP TABLE {_MATCH} AS SELECT g._line, ({differs}) AS changed
        FROM {_STAGE} g JOIN {target} t ON {key_on}
        WHERE g._line NOT IN (SELECT line FROM {_LINES})"""
    )
    updated = _scalar(con, f"SELECT count(*) FROM {_MATCH} WHERE changed")
    unchanged = _scalar(con, f"SELECT count(*) FROM {_MATCH} WHERE NOT changed")
    if updated:
        con.execute(
            f"""DELETE FROM {target} t WHERE {key_range} AND EXISTS (
                SELECT 1 FROM {_STAGE} g JOIN {_MATCH} m ON m._line = g._line WHERE m.changed AND {key_on})"""
        )
    con.execute(
        f"CREATE TEMP TABLE {_SKIP} AS SELECT line FROM {_LINES} UNION ALL SELECT _line FROM {_MATCH} WHERE NOT changed"
    )
    skip = _scalar(con, f"SELECT count(*) FROM {_SKIP}")
    rows = f"{_STAGE} g ANTI JOIN {_SKIP} k ON k.line = g._line" if skip else f"{_STAGE} g"
    inserted = _scalar(con, f"INSERT INTO {target} ({cols}, {LINEAGE_COLUMN}) SELECT {cols}, {batch_id} FROM {rows}")
    return inserted - updated, updated, unchanged


def _read_file(con: duckdb.DuckDBPyConnection, source_file: SourceFile, encoding: str | None) -> Source:
    try:
        source = READERS[source_file.format](con, source_file.path, source_file.table, encoding, _SRC)
        stage(con, source, source_file.table, _STAGE)
    except duckdb.Error as exc:
        if source_file.format == "parquet":
            raise parquet_error(source_file.path, exc) from None
        raise
    return source


def _load(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    read: Callable[[], Source],
    source_name: str,
    sha: str,
    result: FileResult,
) -> None:
    """Read (``read`` stages the rows as ``_STAGE``), validate and write one source in one transaction."""
    started = datetime.now()
    con.execute("BEGIN TRANSACTION")
    try:
        source = read()
        result.encoding = source.encoding
        result.notes.extend(source.notes)
        batch_id = _scalar(con, "SELECT coalesce(max(batch_id), 0) + 1 FROM _ingest_batches")
        relational_reasons(con, table, _STAGE, _BAD)
        con.execute(
            f"CREATE TEMP TABLE {_LINES} AS SELECT line, string_agg(reason, '; ' ORDER BY ord) AS reason "
            f"FROM {_BAD} GROUP BY line"
        )
        bad = _scalar(con, f"SELECT count(*) FROM {_LINES}")
        staged = _scalar(con, f"SELECT count(*) FROM {_STAGE}")
        loaded, updated, unchanged = _write_rows(con, table, batch_id)
        con.execute("DELETE FROM _quarantine WHERE table_name = ? AND source_file = ?", [table.name, source_name])
        meta = f"{batch_id}, {qs(table.name)}, {qs(source_name)}, {qs(sha)}"
        if bad:
            con.execute(
                f"""INSERT INTO _quarantine
                SELECT {meta}, b.line, b.reason, src.raw FROM {_LINES} b
                LEFT JOIN (SELECT _line, {_raw_json_sql(source, table)} AS raw FROM {source.relation}
                           WHERE _line IN (SELECT line FROM {_LINES})) src ON src._line = b.line"""
            )
        if source.failures:
            failures = pa.table(
                {
                    "line": pa.array([f.line for f in source.failures], pa.int64()),
                    "reason": pa.array([f.reason for f in source.failures], pa.string()),
                    "raw": pa.array([f.raw for f in source.failures], pa.string()),
                }
            )
            con.register("_wd_failures", failures)
            con.execute(f"INSERT INTO _quarantine SELECT {meta}, line, reason, raw FROM _wd_failures")
            con.unregister("_wd_failures")
        quarantined = bad + len(source.failures)
        result.rows_read = staged + len(source.failures)
        result.rows_loaded, result.rows_updated, result.rows_unchanged = loaded, updated, unchanged
        result.rows_quarantined = quarantined
        result.batch_id = batch_id
        con.execute(
            "INSERT INTO _ingest_batches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP)",
            [
                batch_id,
                table.name,
                source_name,
                sha,
                result.encoding,
                result.rows_read,
                loaded,
                updated,
                unchanged,
                quarantined,
                started,
            ],
        )
        _cleanup(con)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        _cleanup(con)
        raise


def _guarded(result: FileResult, load: Callable[[], None]) -> FileResult:
    """Run ``load``; an error is put on the result (nothing of the source is loaded then)."""
    began = time.perf_counter()
    try:
        load()
    except (IngestError, duckdb.Error, OSError) as exc:
        result.reset_counts()
        result.error = str(exc) if isinstance(exc, IngestError) else f"{result.file}: {type(exc).__name__}: {exc}"
    result.seconds = time.perf_counter() - began
    return result


def ingest_file(con: duckdb.DuckDBPyConnection, source_file: SourceFile, encoding: str | None = None) -> FileResult:
    """Load one file atomically; errors are caught and put on the result."""
    result = FileResult(file=source_file.path, table=source_file.table.name)

    def load() -> None:
        if source_file.path.stat().st_size == 0 and source_file.format != "parquet":
            result.notes.append("empty file (0 bytes): nothing to load")
            return
        path = source_file.path
        read = partial(_read_file, con, source_file, encoding)
        _load(con, source_file.table, read, str(path.resolve()), _sha256(path), result)

    return _guarded(result, load)


def ingest_records(
    con: duckdb.DuckDBPyConnection, table_name: str, records: Sequence[Mapping[str, Any] | str]
) -> FileResult:
    """Load records handed over by a program (the Python API, HTTP intake) under the same contract as files.

    Each record is one row in the shape of the table's JSONL files (the same
    column names and aliases, e.g. a WeCom archive message with ``from``),
    as a mapping or as its JSON text (text that is not a JSON object is
    quarantined like a bad line of a file); bad records are quarantined with
    their reasons, a record already stored is counted unchanged, and the
    result reconciles like a file's. The batch is named
    ``api:<table>:<digest of the records>``, so sending the same records
    again replaces, rather than repeats, their quarantine rows.
    """
    table = TABLES_BY_NAME.get(table_name)
    if table is None:
        raise IngestError(f"unknown table {table_name!r}; known: {', '.join(sorted(TABLES_BY_NAME))}")
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False, default=str) for r in records]
    sha = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    origin = Path(f"api:{table.name}:{sha[:16]}")
    result = FileResult(file=origin, table=table.name)

    def read() -> Source:
        source = json_lines_source(con, pa.array(lines, pa.string()), origin, table, _SRC, records=True)
        stage(con, source, table, _STAGE)
        return source

    if not lines:
        result.notes.append("no records: nothing to load")
        return result
    return _guarded(result, partial(_load, con, table, read, str(origin), sha, result))


def ingest_path(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    encoding: str | None = None,
    reporter: Reporter = NULL_REPORTER,
) -> LoadReport:
    """Load a folder of table files (or one file) into the store; see the module docstring."""
    create_tables(con)
    files, ignored = discover(Path(path))
    report = LoadReport(ignored=ignored)
    reporter.start("ingest", total=len(files))
    for source_file in files:
        report.files.append(ingest_file(con, source_file, encoding))
        reporter.advance("ingest")
    return report
