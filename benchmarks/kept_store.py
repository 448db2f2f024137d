"""The generated brokerage store the pipeline benchmarks share (built once, then kept in the work folder)."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from rich.console import Console

from wealthdesk.config import load_settings
from wealthdesk.demo import generate_brokerage
from wealthdesk.ingest import ingest_path
from wealthdesk.store import open_store


def store_arguments(description: str | None) -> argparse.ArgumentParser:
    """An argument parser with the options every store benchmark takes: --customers, --seed, --workdir."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=Path("benchmarks/out"))
    return parser


def kept_store(workdir: Path, customers: int, seed: int, console: Console, keep_truth: bool = False) -> Path:
    """``workdir/chat-store-<customers>.duckdb``: generated and ingested when missing, else reused.

    With ``keep_truth`` the generator's ``_truth/`` folder is kept beside it as
    ``truth-<customers>/`` (see :func:`kept_truth`) for benchmarks that validate against it.
    """
    store = workdir / f"chat-store-{customers}.duckdb"
    if not store.exists() or (keep_truth and not kept_truth(store).exists()):
        remove_store(store)
        workdir.mkdir(parents=True, exist_ok=True)
        data = workdir / f"chat-brokerage-{customers}"
        console.rule(f"Generating and ingesting {customers:,} customers")
        generate_brokerage(data, customers=customers, seed=seed)
        with open_store(load_settings(store=store)) as con:
            ingest_path(con, data)
        shutil.rmtree(kept_truth(store), ignore_errors=True)
        shutil.move(data / "_truth", kept_truth(store))
        shutil.rmtree(data, ignore_errors=True)
    return store


def kept_truth(store: Path) -> Path:
    """The generator's ``_truth/`` folder of a kept store."""
    return store.with_name(store.stem.replace("chat-store-", "truth-"))


def working_copy(kept: Path, name: str) -> Path:
    """A copy of the kept store to change freely (the kept one stays as generated)."""
    copy = kept.with_name(name)
    shutil.copy(kept, copy)
    return copy


def remove_store(path: Path) -> None:
    for file in (path, path.with_name(path.name + ".wal")):
        file.unlink(missing_ok=True)
