"""Open the DuckDB store and create its tables from the canonical schema.

Tables are created with their declared column types and no PRIMARY KEY
constraint: natural keys are enforced by ingest (an anti-join per load),
which is far faster on bulk loads than DuckDB's ART indexes and lets a
violation become a quarantined row rather than an aborted load. The quality
report checks key uniqueness independently. The server's point lookups get
plain (non-unique) ART indexes instead, :data:`SERVING_INDEXES`, made when
the server opens the store; loads into those tables then keep them up to date.
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

# The point lookups the API makes on every request for a client's 360 view, as (table, column). A DuckDB table
# scan reads every row group unless the data happens to be sorted by the key; an ART index turns
# ``WHERE customer_id = ?`` into an index scan (1M-client store: ~1 ms instead of 10–280 ms per lookup). These are
# plain indexes, not PRIMARY KEY constraints, so ingest keeps quarantining duplicate keys instead of aborting.
SERVING_INDEXES: tuple[tuple[str, str], ...] = (
    ("customers", "customer_id"),
    ("profiles", "customer_id"),
    ("customer_tags", "customer_id"),
    ("keyword_tags", "customer_id"),
    ("keyword_tag_evidence", "customer_id"),
    ("wecom_messages", "msgid"),
    # the advisor sidebar: a client's accounts, then their holdings and trades (1M store: holdings 150 → 16 ms,
    # trades 1.7 s → 24 ms per client; creating these two takes ~100 s once and ~1 GB)
    ("accounts", "customer_id"),
    ("holdings", "account_id"),
    ("trades", "account_id"),
    # what a client has read, for their content recommendations on the sidebar (1M store: 26M events; one
    # client's 0.5 s → 4 ms; creating it takes ~30 s once and ~0.7 GB)
    ("app_events", "customer_id"),
)


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
    """Create every schema table and the bookkeeping tables if they do not exist, and add to a table made by an
    earlier version the optional columns the schema has gained since (e.g. wecom_messages.pre_msgid)."""
    for table in TABLES:
        con.execute(table_ddl(table))
        found = con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = ?", [table.name])
        have = {name for (name,) in found.fetchall()}
        for column in table.columns:
            if column.name not in have:
                con.execute(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {column.type.sql}')
    for name, body in META_TABLES.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({body})")


def ensure_serving_indexes(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Create the :data:`SERVING_INDEXES` missing on tables that exist; returns the names of those created.

    Run when the server opens the store: ``wealthdesk run`` replaces the derived tables (profiles, tags), and
    a replaced table has lost its indexes. Creating them all on the 1M-client store takes ~40 s (the 6.3M tag
    rows and 3M messages most of it) and adds ~0.6 GB to the file; an index that exists costs nothing here.
    """
    tables = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()}
    existing = {i for (i,) in con.execute("SELECT index_name FROM duckdb_indexes()").fetchall()}
    created = []
    for table, column in SERVING_INDEXES:
        name = f"wd_serve_{table}_{column}"
        if table in tables and name not in existing:
            con.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}")')
            created.append(name)
    return created


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
