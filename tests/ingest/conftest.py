"""Fixtures for ingest tests: a fresh store and a store holding parent rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from ingest_files import write_parents

from wealthdesk.ingest import ingest_path
from wealthdesk.store import create_tables


@pytest.fixture
def store(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh, empty DuckDB store file with every table created."""
    con = duckdb.connect(str(tmp_path / "store.duckdb"))
    create_tables(con)
    yield con
    con.close()


@pytest.fixture
def parents_store(store: duckdb.DuckDBPyConnection, tmp_path: Path) -> duckdb.DuckDBPyConnection:
    """A store holding one branch, advisor, two stocks, a fund, a customer C1 and its account AC1."""
    report = ingest_path(store, write_parents(tmp_path / "parents"))
    assert report.ok and all(f.rows_quarantined == 0 for f in report.files), report.to_dict()
    return store
