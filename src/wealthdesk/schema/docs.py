"""Generate the data-model documentation from the schema, so the docs cannot drift.

``render_data_model_markdown()`` renders docs/data-model.md from ``TABLES``.
``wealthdesk docs`` writes it with the other generated documents (see
``wealthdesk.generated_docs``), and a test fails when the checked-in files differ.
"""

from __future__ import annotations

from collections.abc import Sequence

from wealthdesk.schema import TABLES, Table

GENERATED_NOTE = "<!-- Generated from src/wealthdesk/schema/ by `wealthdesk docs`; do not edit by hand. -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table_section(table: Table) -> list[str]:
    lines = [f"### `{table.name}`", "", table.description, ""]
    versions = "mutable: a newer row replaces the stored one" if table.mutable else "immutable: the first row is kept"
    facts = [f"- **Key**: ({', '.join(table.key)}) — {versions}"]
    facts += [f"- **Unique**: ({', '.join(columns)})" for columns in table.unique]
    facts += [f"- **References**: {fk.describe()}" for fk in table.foreign_keys]
    if table.freshness_column:
        facts.append(f"- **Freshness column**: `{table.freshness_column}`")
    if table.pii_columns:
        facts.append("- **Personal data**: " + ", ".join(f"`{c.name}` ({c.pii})" for c in table.pii_columns))
    lines += [*facts, "", "| column | type | rules | personal data | description |", "| --- | --- | --- | --- | --- |"]
    for column in table.columns:
        rules = "; ".join(column.rules())
        pii = column.pii.value if column.pii else ""
        lines.append(f"| `{column.name}` | {column.type.sql} | {_cell(rules)} | {pii} | {_cell(column.description)} |")
    lines.append("")
    return lines


def render_data_model_markdown(tables: Sequence[Table] = TABLES) -> str:
    """docs/data-model.md: every table, grouped, with key, references, freshness, PII and column rules."""
    lines = [
        "# Data model (数据标准)",
        "",
        GENERATED_NOTE,
        "",
        "The canonical tables wealthdesk stores, one data contract each. Ingest validates rows against these",
        "rules (and quarantines the rows that break them); `wealthdesk quality` checks the stored tables against",
        "the same rules (see [quality.md](quality.md)). Every stored table also has a `_batch_id` column linking",
        "each row to the ingest batch that loaded it (`_ingest_batches`); rejected rows go to `_quarantine`.",
        "",
        "## Load order",
        "",
        "Each table is loaded after the tables it references:",
        "",
        " → ".join(f"`{t.name}`" for t in tables),
        "",
    ]
    groups: dict[str, list[Table]] = {}
    for table in tables:
        groups.setdefault(table.group, []).append(table)
    for group, members in groups.items():
        lines += [f"## {group}", ""]
        for table in members:
            lines += table_section(table)
    return "\n".join(lines).rstrip("\n") + "\n"  # exactly one final newline, whoever writes the file
