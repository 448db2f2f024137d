"""Human output of the metric catalogue: a terminal table, and docs/metrics.md."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table as RichTable

from wealthdesk.governance.metrics.catalogue import METRICS, Metric
from wealthdesk.governance.metrics.compute import MetricValue


def format_value(value: float | int | None, unit: str) -> str:
    """A metric value as people read it: money with separators, ratios as percentages, counts as integers."""
    if value is None:
        return "—"
    if unit == "ratio":
        return f"{value:.2%}"
    if unit == "CNY":
        return f"¥{value:,.2f}"
    return f"{int(value):,}"


def render_metrics(
    values: Sequence[MetricValue], console: Console, *, title: str | None = None, formulas: bool = False
) -> None:
    """Print metric values with their unit and basis; the formulas too when asked (they are in docs/metrics.md)."""
    table = RichTable(title=title or "Operating metrics (指标体系)", caption="formulas: docs/metrics.md")
    table.add_column("metric")
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("unit")
    table.add_column("basis / note", overflow="fold")
    if formulas:
        table.add_column("formula", overflow="fold", style="dim")
    for item in values:
        row = [item.label, format_value(item.value, item.unit), item.unit, item.note or ""]
        table.add_row(*row, *([item.formula] if formulas else []))
    console.print(table)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_metrics_markdown(metrics: Sequence[Metric] = METRICS) -> str:
    """docs/metrics.md, generated from the catalogue objects themselves."""
    lines = [
        "# Metric catalogue (指标体系)",
        "",
        "<!-- Generated from src/wealthdesk/governance/metrics/catalogue.py by `wealthdesk docs`; do not edit. -->",
        "",
        "Each operating metric has exactly one definition, below; `wealthdesk metrics --as-of DATE` computes",
        "them from the same objects. Conventions:",
        "",
        "- **as_of** is the reporting date, inclusive: a timestamp counts when it falls on or before that day.",
        "- **the window** is the `window_days` days (default 30) ending at as_of, both ends included.",
        "- **balances** come from the latest holdings snapshot on or before as_of, assumed complete",
        "  (every account with a position has a row on each snapshot date).",
        "- an as_of before the first data in the store is an error, not a row of zeros; a value that cannot be",
        "  computed (no snapshot yet, a ratio over zero customers) is shown as — with the reason.",
        "",
        "| metric | label | unit | formula |",
        "| --- | --- | --- | --- |",
    ]
    for metric in metrics:
        lines.append(f"| `{metric.name}` | {metric.label} | {metric.unit} | {_cell(metric.formula)} |")
    lines.append("")
    for metric in metrics:
        lines += [f"## {metric.label_zh} — {metric.label_en} (`{metric.name}`)", "", f"Unit: {metric.unit}.", ""]
        lines += [f"Formula: {metric.formula}.", ""]
        if metric.sql:
            lines += ["```sql", metric.sql, "```", ""]
        else:
            assert metric.ratio_of is not None
            lines += [f"Ratio of `{metric.ratio_of[0]}` to `{metric.ratio_of[1]}`; — when the denominator is 0.", ""]
    return "\n".join(lines).rstrip("\n") + "\n"  # exactly one final newline, whoever writes the file
