"""The load report: what happened to every file, with counts that reconcile."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table as RichTable

COUNTS = ("rows_read", "rows_loaded", "rows_updated", "rows_unchanged", "rows_quarantined")


@dataclass
class FileResult:
    """What loading one file did. ``error`` is set when nothing of it was loaded."""

    file: Path
    table: str
    encoding: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    rows_quarantined: int = 0
    error: str | None = None
    seconds: float = 0.0
    batch_id: int | None = None
    notes: list[str] = field(default_factory=list)

    def reset_counts(self) -> None:
        for name in COUNTS:
            setattr(self, name, 0)
        self.batch_id = None

    def reconciles(self) -> bool:
        return self.rows_read == self.rows_loaded + self.rows_updated + self.rows_unchanged + self.rows_quarantined

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["file"] = str(self.file)
        return data


@dataclass
class TableTotals:
    """Counts of all files of one table."""

    table: str
    files: int = 0
    errors: int = 0
    rows_read: int = 0
    rows_loaded: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    rows_quarantined: int = 0


@dataclass
class LoadReport:
    """Result of :func:`wealthdesk.ingest.ingest_path`."""

    files: list[FileResult] = field(default_factory=list)
    ignored: list[Path] = field(default_factory=list)

    @property
    def tables(self) -> dict[str, TableTotals]:
        totals: dict[str, TableTotals] = {}
        for result in self.files:
            total = totals.setdefault(result.table, TableTotals(result.table))
            total.files += 1
            total.errors += result.error is not None
            for name in COUNTS:
                setattr(total, name, getattr(total, name) + getattr(result, name))
        return totals

    @property
    def ok(self) -> bool:
        return all(result.error is None for result in self.files)

    def reconciles(self) -> bool:
        return all(result.reconciles() for result in self.files)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "reconciles": self.reconciles(),
            "tables": {name: asdict(total) for name, total in self.tables.items()},
            "files": [result.to_dict() for result in self.files],
            "ignored": [str(path) for path in self.ignored],
        }


def render_load_report(report: LoadReport, console: Console) -> None:
    """Print the per-table counts, then file errors, notes and ignored files."""
    grid = RichTable(title="Ingest", show_lines=False)
    grid.add_column("table")
    grid.add_column("files", justify="right")
    for name in ("read", "loaded", "updated", "unchanged", "quarantined"):
        grid.add_column(name, justify="right")
    grid.add_column("errors", justify="right")
    for total in report.tables.values():
        grid.add_row(
            total.table,
            str(total.files),
            f"{total.rows_read:,}",
            f"{total.rows_loaded:,}",
            f"{total.rows_updated:,}",
            f"{total.rows_unchanged:,}",
            f"[yellow]{total.rows_quarantined:,}[/]" if total.rows_quarantined else "0",
            f"[red]{total.errors}[/]" if total.errors else "0",
        )
    console.print(grid)
    for result in report.files:
        if result.error:
            console.print(f"[red]error[/] {result.error}", markup=True, highlight=False)
        for note in result.notes:
            console.print(f"[dim]note[/] {result.file}: {note}", highlight=False)
    for path in report.ignored:
        console.print(f"[dim]ignored (names no table)[/] {path}", highlight=False)
    status = "[green]reconciles[/]" if report.reconciles() else "[red]does NOT reconcile[/]"
    console.print(f"rows read = loaded + updated + unchanged + quarantined: {status}")
    if report.files and any(r.rows_quarantined for r in report.files):
        console.print("quarantined rows and their reasons are in the _quarantine table", style="dim")
