"""The demo job: generate a brokerage, ingest it, govern it, and show the results.

This is what `make demo` runs, so it is the first thing a newcomer sees; it
ends by saying what to run next.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
from rich.console import Console
from rich.panel import Panel

from wealthdesk.config import Settings
from wealthdesk.demo import generate_brokerage
from wealthdesk.governance.metrics import compute_metrics, render_metrics
from wealthdesk.governance.quality import render_quality_report, run_quality
from wealthdesk.ingest import ingest_path, render_load_report
from wealthdesk.progress import RichReporter
from wealthdesk.store import open_store


def latest_snapshot_date(con: duckdb.DuckDBPyConnection) -> date | None:
    """Newest holdings snapshot in the store: the natural as-of date for metrics."""
    row = con.execute("SELECT max(snapshot_date) FROM holdings").fetchone()
    return row[0] if row else None


def run_demo(settings: Settings, out: Path, customers: int, seed: int, console: Console) -> bool:
    """Run the whole demo; returns whether the quality report passed."""
    if out.exists():
        shutil.rmtree(out)
    store = Path(settings.store)
    for stale in (store, store.with_name(store.name + ".wal")):
        stale.unlink(missing_ok=True)

    console.rule("[bold]1 · 有数 — generate a synthetic brokerage")
    with RichReporter(console) as reporter:
        summary = generate_brokerage(out, customers=customers, seed=seed, reporter=reporter)
    console.print(
        f"{sum(summary.rows.values()):,} rows in {len(summary.rows)} tables written to {out} "
        f"in {summary.seconds:.1f} s, {sum(summary.bad_rows.values()):,} of them deliberately bad."
    )

    console.rule("[bold]2 · 有数 — validated ingest into DuckDB")
    with open_store(settings) as con:
        with RichReporter(console) as reporter:
            load = ingest_path(con, out, reporter=reporter)
        render_load_report(load, console)

        console.rule("[bold]3 · 治数 — quality report")
        quality = run_quality(con)
        render_quality_report(quality, console)

        as_of = latest_snapshot_date(con)
        console.rule(f"[bold]4 · 治数 — operating metrics as of {as_of}")
        if as_of is not None:
            render_metrics(compute_metrics(con, as_of=as_of), console)

    console.print(
        Panel.fit(
            "\n".join(
                [
                    f"Store: {store}   Export files: {out}   Ground truth (never ingested): {out / '_truth'}",
                    "",
                    "Next:",
                    f"  .venv/bin/wealthdesk quality --store {store} --json     machine-readable quality report",
                    f"  .venv/bin/wealthdesk metrics --store {store} --as-of {as_of}",
                    f"  .venv/bin/wealthdesk ingest {out} --store {store}        re-ingest: adds nothing",
                    f"  .venv/bin/wealthdesk run --store {store}                 profiles, lifecycle stages, rule tags",
                    f"  .venv/bin/wealthdesk profile CUSTOMER_ID --store {store}  one client's 360 view (masked)",
                    "  .venv/bin/wealthdesk --help                              every command, with examples",
                    "  make test                                                the test suite",
                ]
            ),
            title="wealthdesk demo done",
        )
    )
    return quality.passed
