"""Helpers that build small real stores for tests (ours and those of projects building on wealthdesk).

Each helper says what state you get: ``fresh_store`` is an empty store with
every table created; ``demo_brokerage`` writes a small generated brokerage;
``demo_store`` is that brokerage ingested.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from wealthdesk.config import Settings, load_settings
from wealthdesk.demo import GenerationSummary, generate_brokerage
from wealthdesk.ingest import LoadReport, ingest_path
from wealthdesk.store import open_store

SMALL_CUSTOMERS = 1_500
SMALL_SEED = 11


def fresh_store(folder: Path) -> Settings:
    """An empty store in ``folder`` with every table created; returns its settings."""
    settings = load_settings(store=folder / "fresh.duckdb")
    with open_store(settings):
        pass
    return settings


def demo_brokerage(folder: Path, customers: int = SMALL_CUSTOMERS, seed: int = SMALL_SEED) -> GenerationSummary:
    """Generated export files (and their _truth/) in ``folder``."""
    return generate_brokerage(folder, customers=customers, seed=seed)


@dataclass(frozen=True)
class DemoStore:
    """A generated brokerage and the store it was ingested into."""

    settings: Settings
    generation: GenerationSummary
    load: LoadReport


def demo_store(folder: Path, customers: int = SMALL_CUSTOMERS, seed: int = SMALL_SEED) -> DemoStore:
    """A small generated brokerage in ``folder/files`` ingested into ``folder/demo.duckdb``."""
    generation = demo_brokerage(folder / "files", customers=customers, seed=seed)
    settings = load_settings(store=folder / "demo.duckdb")
    with open_store(settings) as con:
        load = ingest_path(con, generation.out)
    return DemoStore(settings=settings, generation=generation, load=load)
