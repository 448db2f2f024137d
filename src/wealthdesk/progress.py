"""Progress reporting that library code can emit without knowing about terminals.

Library functions take an optional ``Reporter``; the CLI passes one backed by
rich progress bars, tests pass nothing (``NULL_REPORTER``).
"""

from __future__ import annotations

from types import TracebackType
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn


class Reporter(Protocol):
    """Receives progress of long-running stages."""

    def start(self, task: str, total: int) -> None:
        """A stage called ``task`` begins with ``total`` units of work."""

    def advance(self, task: str, units: int = 1) -> None:
        """``units`` more units of ``task`` are done."""


class NullReporter:
    """Reporter that ignores everything."""

    def start(self, task: str, total: int) -> None:
        return None

    def advance(self, task: str, units: int = 1) -> None:
        return None


NULL_REPORTER: Reporter = NullReporter()


class RichReporter:
    """Reporter drawing one rich progress bar per stage; use as a context manager."""

    def __init__(self, console: Console | None = None) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> RichReporter:
        self._progress.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()

    def start(self, task: str, total: int) -> None:
        self._tasks[task] = self._progress.add_task(task, total=total)

    def advance(self, task: str, units: int = 1) -> None:
        if task not in self._tasks:
            self.start(task, total=0)
        self._progress.advance(self._tasks[task], units)
