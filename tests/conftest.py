"""Shared fixtures: a small generated brokerage, ingested once per test session.

Tests that only read use ``demo``; tests that change a store build their own
with ``wealthdesk.testing`` in their own tmp_path.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from wealthdesk.pipeline.run import run_pipeline
from wealthdesk.testing import DemoStore, StaffWorld, demo_store, staff_world

RUN_AS_OF = dt.date(2022, 6, 30)


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoStore:
    """A 1,500-customer generated brokerage ingested into a store (read-only use)."""
    folder: Path = tmp_path_factory.mktemp("demo")
    return demo_store(folder)


@pytest.fixture(scope="session")
def staff(demo: DemoStore, tmp_path_factory: pytest.TempPathFactory) -> StaffWorld:
    """The demo store after ``wealthdesk run``, with a user and token per role. Tests that write use ``copy_to``."""
    return staff_world(demo, tmp_path_factory.mktemp("staff"))


@pytest.fixture(scope="session")
def ran_store(demo: DemoStore, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store after one pipeline run as of RUN_AS_OF (copy it before writing: ``ran_con``)."""
    path = tmp_path_factory.mktemp("ran") / "ran.duckdb"
    shutil.copy(demo.settings.store, path)
    with duckdb.connect(str(path)) as con:
        run_pipeline(con, as_of=RUN_AS_OF)
    return path


@pytest.fixture
def ran_con(ran_store: Path, tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to this test's own copy of ``ran_store``."""
    path = tmp_path / "store.duckdb"
    shutil.copy(ran_store, path)
    with duckdb.connect(str(path)) as connection:
        yield connection
