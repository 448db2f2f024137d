"""Fixtures for the governance tests: small real DuckDB stores built by hand in a temp folder.

``fresh_store``: every schema table created, no rows.
``small_store``: the hand-made brokerage of governance_rows.py, in which every
quality rule passes; tests hand-compute expected metric values from its rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from governance_rows import populate

from wealthdesk.store import create_tables


@pytest.fixture
def fresh_store(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A store file with every table created and no rows."""
    con = duckdb.connect(str(tmp_path / "fresh.duckdb"))
    create_tables(con)
    yield con
    con.close()


@pytest.fixture
def small_store(fresh_store: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """The hand-made brokerage above, in which every quality rule passes."""
    populate(fresh_store)
    return fresh_store
