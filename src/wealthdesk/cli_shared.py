"""What every command module of the CLI shares: the consoles, the common options and the small parsers."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from wealthdesk.config import Settings, load_settings

console = Console()
err_console = Console(stderr=True)

StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help="DuckDB store file. Default: $WEALTHDESK_STORE, else ./wealthdesk.duckdb.",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of tables.")]


def store_settings(store: Path | None) -> Settings:
    """Settings for the store named on the command line (or by the environment)."""
    return load_settings(store=store)


def parse_date(value: str | None, option: str) -> date | None:
    """YYYY-MM-DD or YYYYMMDD; a clear error naming the option otherwise."""
    if value is None:
        return None
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise typer.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD or YYYYMMDD", param_hint=option)


def print_json(payload: object) -> None:
    """JSON with Chinese kept readable and dates as ISO strings."""
    console.print_json(json.dumps(payload, ensure_ascii=False, default=str))
