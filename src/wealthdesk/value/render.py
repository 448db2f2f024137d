"""Terminal rendering of the customer-value report (rich), and its per-client CSV."""

from __future__ import annotations

import io
from typing import Any

import pyarrow.csv as pacsv
from rich.console import Console
from rich.table import Table

from wealthdesk.value.report import MEASURES, ValueReport

_TITLES = {"channel": "acquisition channel", "advisor": "advisor", "segment": "segment"}


def _money(value: Any) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _group_table(report: ValueReport) -> Table:
    """Means per client and the efficiency total; the JSON output carries every sum and mean."""
    title = _TITLES[str(report.by)]
    table = Table(
        title=f"Efficiency = CLV − (CAC + CMC) by {title}, CNY",
        caption="CLV, CAC, CMC, efficiency: means per client; last column: sum over the clients",
    )
    table.add_column(str(report.by), no_wrap=True)
    table.add_column("clients", justify="right")
    for measure in MEASURES:
        table.add_column(measure if measure == "efficiency" else measure.upper(), justify="right")
    table.add_column("sum", justify="right", no_wrap=True)
    rows = [*report.groups, {"group": "total", **report.total}]
    for i, row in enumerate(rows):
        cells = [str(row.get("group")), f"{row.get('clients', 0):,}"]
        cells += [_money(row.get(f"{m}_mean")) for m in MEASURES] + [_money(row.get("efficiency_sum"))]
        table.add_row(*cells, end_section=i == len(rows) - 2)
    return table


def _campaign_table(report: ValueReport) -> Table:
    """Campaigns started by the as-of date; those still running then have partial acquisitions."""
    as_of = report.values.as_of
    table = Table(
        title=f"CAC per campaign started by {as_of} (cost ÷ clients crediting it registered by then)",
        caption=f"running: the campaign had not ended on {as_of}; acquisitions so far only: CAC provisional",
    )
    columns = (("campaign", "left"), ("channel", "left"), ("status", "left"), ("cost", "right"), ("acquired", "right"))
    for name, justify in columns:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    table.add_column("CAC", justify="right")
    for c in report.campaigns:
        status = "running" if c["running"] else "ended"
        table.add_row(c["campaign_id"], c["channel"], status, _money(c["cost"]), f"{c['acquired']:,}", _money(c["cac"]))
    return table


def render_value_report(report: ValueReport, console: Console, campaigns: bool = False) -> None:
    """Print the header (as-of, horizon, models), the grouped table, and optionally the campaigns' CAC."""
    v = report.values
    b, g = v.models.bgnbd, v.models.spend
    console.print(
        f"Customer value as of {v.as_of}: horizon {v.rules.horizon.months} months, "
        f"discount {v.rules.horizon.discount_rate:.1%}/year" + (f", channel {report.channel}" if report.channel else "")
    )
    console.print(
        f"BG/NBD r={b.r:.3f} α={b.alpha:.2f} a={b.a:.3f} b={b.b:.3f} on {b.clients:,} clients; "
        f"Gamma-Gamma p={g.p:.2f} q={g.q:.2f} γ={g.v:.2f} on {g.clients:,} repeat buyers"
    )
    console.print(_group_table(report))
    if campaigns and report.campaigns:
        console.print(_campaign_table(report))
    for note in report.notes:
        console.print(f"note: {note}")
    if report.saved_table:
        console.print(f"saved {v.table.num_rows:,} clients to table {report.saved_table}")


def clients_csv(report: ValueReport) -> str:
    """The per-client rows of the report as CSV text (UTF-8, header first)."""
    buffer = io.BytesIO()
    pacsv.write_csv(report.clients, buffer)
    return buffer.getvalue().decode("utf-8")
