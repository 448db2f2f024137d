"""Shared fixtures: a small generated brokerage, ingested once per test session.

Tests that only read use ``demo``; tests that change a store build their own
with ``wealthdesk.testing`` in their own tmp_path.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from wealthdesk.testing import DemoStore, demo_store


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoStore:
    """A 1,500-customer generated brokerage ingested into a store (read-only use)."""
    folder: Path = tmp_path_factory.mktemp("demo")
    return demo_store(folder)
