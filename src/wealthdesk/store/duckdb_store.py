"""Open the DuckDB store and create its tables from the canonical schema.

Tables are created with their declared column types and no PRIMARY KEY
constraint: natural keys are enforced by ingest (an anti-join per load),
which is far faster on bulk loads than DuckDB's ART indexes and lets a
violation become a quarantined row rather than an aborted load. The quality
report checks key uniqueness independently.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import ibis
from ibis.backends.sql.datatypes import DuckDBType

from wealthdesk.config import Settings
from wealthdesk.errors import StoreError
from wealthdesk.schema import TABLES, Table

# Bookkeeping tables owned by ingest; created here so every store has them.
META_TABLES: dict[str, str] = {
    "_ingest_batches": """
        batch_id BIGINT NOT NULL,
        table_name VARCHAR NOT NULL,
        source_file VARCHAR NOT NULL,
        file_sha256 VARCHAR NOT NULL,
        encoding VARCHAR,
        rows_read BIGINT NOT NULL,
        rows_loaded BIGINT NOT NULL,
        rows_updated BIGINT NOT NULL,
        rows_unchanged BIGINT NOT NULL,
        rows_quarantined BIGINT NOT NULL,
        started_at TIMESTAMP NOT NULL,
        finished_at TIMESTAMP NOT NULL
    """,
    "_quarantine": """
        batch_id BIGINT NOT NULL,
        table_name VARCHAR NOT NULL,
        source_file VARCHAR NOT NULL,
        file_sha256 VARCHAR NOT NULL,
        line BIGINT,
        reason VARCHAR NOT NULL,
        raw VARCHAR
    """,
}

LINEAGE_COLUMN = "_batch_id"


def columns_ddl(schema: ibis.Schema) -> str:
    """The column list of a CREATE TABLE for an Ibis schema (non-nullable types become NOT NULL)."""
    return ", ".join(
        f'"{name}" {DuckDBType.to_string(dtype)}{"" if dtype.nullable else " NOT NULL"}'
        for name, dtype in schema.items()
    )


def table_ddl(table: Table) -> str:
    """CREATE TABLE statement for a schema table, plus the lineage column."""
    columns = [f'"{c.name}" {c.type.sql}' for c in table.columns]
    columns.append(f"{LINEAGE_COLUMN} BIGINT")
    return f'CREATE TABLE IF NOT EXISTS "{table.name}" ({", ".join(columns)})'


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create every schema table and the bookkeeping tables if they do not exist."""
    for table in TABLES:
        con.execute(table_ddl(table))
    for name, body in META_TABLES.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({body})")


def connect(settings: Settings, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the store named by the settings, creating it (and its tables) if needed."""
    path = Path(settings.store)
    if read_only and not path.exists():
        raise StoreError(f"no store at {path}: run `wealthdesk ingest DIR --store {path}` first")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    config: dict[str, str | int] = {}
    if settings.threads:
        config["threads"] = settings.threads
    if settings.memory_limit:
        config["memory_limit"] = settings.memory_limit
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=config)
    except duckdb.IOException as exc:
        raise StoreError(f"cannot open store {path}: {exc}") from exc
    if not read_only:
        create_tables(con)
    return con


@contextmanager
def open_store(settings: Settings, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Context manager around :func:`connect` that always closes the connection."""
    con = connect(settings, read_only=read_only)
    try:
        yield con
    finally:
        con.close()
