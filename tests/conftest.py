"""Shared fixtures: a small generated brokerage, ingested once per test session.

Tests that only read use ``demo``; tests that change a store build their own
with ``wealthdesk.testing`` in their own tmp_path.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from wealthdesk.testing import DemoStore, StaffWorld, demo_store, staff_world


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoStore:
    """A 1,500-customer generated brokerage ingested into a store (read-only use)."""
    folder: Path = tmp_path_factory.mktemp("demo")
    return demo_store(folder)


@pytest.fixture(scope="session")
def staff(demo: DemoStore, tmp_path_factory: pytest.TempPathFactory) -> StaffWorld:
    """The demo store after ``wealthdesk run``, with a user and token per role. Tests that write use ``copy_to``."""
    return staff_world(demo, tmp_path_factory.mktemp("staff"))
