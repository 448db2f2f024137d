"""Terminal rendering of a client's 360 view and of a pipeline run (rich)."""

from __future__ import annotations

from typing import Any

from rich.columns import Columns
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

_SECTIONS = {
    "Client": ["customer_id", "branch_id", "advisor_id", "age", "lifecycle_stage", "days_since_registered"],
    "Risk & permissions": [
        "risk_level",
        "risk_assessed_date",
        "risk_assessment_valid",
        "investor_type",
        "chinext_enabled",
        "star_enabled",
        "level2_enabled",
    ],
    "Assets (RMB)": [
        "aum",
        "stock_value",
        "fund_value",
        "cash_value",
        "chinext_value",
        "star_value",
        "equity_fund_value",
        "money_fund_value",
        "realised_pnl",
        "unrealised_pnl",
        "net_inflow_30d",
    ],
    "Activity": [
        "last_trade_date",
        "trades_30d",
        "last_login_date",
        "logins_30d",
        "last_chat_date",
        "chats_30d",
        "has_wecom",
        "wecom_added_date",
    ],
}


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def render_client_view(view: dict[str, Any], console: Console) -> None:
    """Print identity (masked), profile sections and tags."""
    identity = view["identity"]
    profile = view["profile"]
    title = f"{identity['name']}  {identity.get('phone') or ''}  {identity.get('id_number') or ''}"
    panels = []
    for section, columns in _SECTIONS.items():
        grid = Table.grid(padding=(0, 2))
        for column in columns:
            grid.add_row(column, _fmt(profile[column]))
        panels.append(Panel(grid, title=section))
    console.print(Panel(Columns(panels), title=title.strip(), subtitle="personal data masked"))
    tags = Table("category", "tag", "label", "version", "as of", title="Tags")
    for tag in view["tags"]:
        tags.add_row(tag["category"], tag["tag"], tag["label"], tag["tag_version"], _fmt(tag["as_of"]))
    console.print(tags)
    chat = Table("tag", "label", "mentions", "first seen", "last seen", "latest evidence", title="Chat interests")
    for tag in view["chat_tags"]:
        evidence = "\n".join(f"{e['msgtime']:%Y-%m-%d %H:%M} {e['snippet']}" for e in tag["evidence"])
        chat.add_row(
            tag["tag"], tag["label"], str(tag["mentions"]), _fmt(tag["first_seen"]), _fmt(tag["last_seen"]), evidence
        )
    console.print(chat)


def render_run_report(report: Any, console: Console) -> None:
    """Rows and seconds per output table of a pipeline run."""
    table = Table(
        "table",
        "rows",
        "seconds",
        title=f"Pipeline as of {report.as_of} on {report.engine} (tags v{report.tag_version})",
    )
    for name, rows in report.rows.items():
        table.add_row(name, f"{rows:,}", f"{report.seconds[name]:.1f}")
    console.print(table)
    if report.chat is not None:
        chat = report.chat
        how = "all messages (full)" if chat.full else "messages loaded since the last run"
        console.print(
            f"chat keyword tags: {chat.messages:,} client messages read ({how}), "
            f"{chat.mentions:,} mentions, {chat.negated:,} of them negated"
        )
