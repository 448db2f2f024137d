"""Human output of the quality layer: the report in a terminal, and docs/quality.md.

The Markdown is generated from the same rule plan the checks run, so the
document lists exactly the rules that are enforced.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table as RichTable

from wealthdesk.governance.quality.freshness import DEFAULT_POLICY, REFERENCE_GROUPS, FreshnessPolicy
from wealthdesk.governance.quality.report import QualityReport, Severity
from wealthdesk.governance.quality.rules import RULE_DESCRIPTIONS, RuleKind, plan_rules
from wealthdesk.schema import TABLES, Table


def markdown_cell(text: str) -> str:
    """Escape a value for a Markdown table cell (a bare ``|`` would split the cell)."""
    return text.replace("|", "\\|").replace("\n", " ")


def render_quality_report(report: QualityReport, console: Console, *, verbose: bool = False) -> None:
    """Print a per-table summary, the failing rules (all rules when ``verbose``) and the quarantine summary."""
    console.print(
        f"[bold]Data quality (治数)[/bold] — freshness measured against {report.reference_date.isoformat()} "
        f"({report.reference_source})"
    )
    summary = RichTable(title="Tables", show_lines=False)
    for header, justify in (
        ("table", "left"),
        ("rows", "right"),
        ("max null rate", "right"),
        ("latest", "left"),
        ("quarantined", "right"),
        ("rules", "right"),
        ("status", "left"),
    ):
        summary.add_column(header, justify=justify)  # type: ignore[arg-type]
    for table in report.tables:
        failed = len(table.failed_rules)
        worst_null = max(table.null_rates.values(), default=0.0)
        status = "[green]ok[/green]" if table.passed else f"[red]{failed} failed[/red]"
        summary.add_row(
            table.table,
            f"{table.row_count:,}",
            f"{worst_null:.2%}",
            table.latest.isoformat() if table.latest else "—",
            f"{table.quarantined:,}" if table.quarantined else "",
            f"{len(table.rules) - failed}/{len(table.rules)}",
            status,
        )
    console.print(summary)

    shown = report.rules if verbose else report.failed_rules
    if shown:
        rules = RichTable(title="Rules" if verbose else "Failed rules")
        for header in ("table", "rule", "severity", "result", "detail"):
            rules.add_column(header, overflow="fold")
        for rule in shown:
            result = "[green]pass[/green]" if rule.passed else "[red]FAIL[/red]"
            rules.add_row(rule.table, rule.rule, rule.severity.value, result, rule.detail)
        console.print(rules)

    if report.quarantine:
        quarantine = RichTable(title="Quarantined by ingest (information)")
        for header in ("table", "rows", "top reasons"):
            quarantine.add_column(header, overflow="fold")
        for item in report.quarantine:
            reasons = "; ".join(f"{reason} ({rows:,})" for reason, rows in item.top_reasons)
            quarantine.add_row(item.table, f"{item.rows:,}", reasons)
        console.print(quarantine)

    errors = [r for r in report.failed_rules if r.severity is Severity.ERROR]
    if report.passed:
        console.print(f"[green bold]PASSED[/green bold]: {len(report.rules)} rules on {len(report.tables)} tables")
    else:
        console.print(f"[red bold]FAILED[/red bold]: {len(errors)} of {len(report.rules)} rules failed")


def render_quality_markdown(tables: Sequence[Table] = TABLES, policy: FreshnessPolicy = DEFAULT_POLICY) -> str:
    """docs/quality.md: what each kind of rule checks, the freshness policy, and every table's rules."""
    lines = [
        "# Data quality rules (数据质量规则)",
        "",
        "<!-- Generated from the schema and the rule plan by `wealthdesk docs`; do not edit by hand. -->",
        "",
        "`wealthdesk quality` checks every table of the store with the rules below and exits non-zero when one",
        "fails (`--json` prints the report for machines). Every rule is derived from the schema",
        "(`src/wealthdesk/schema/`): a table added there gets its rules without code changing.",
        "Rows that ingest quarantined are summarised per table, with the most frequent reasons, as information.",
        "",
        "## Kinds of rule",
        "",
        "| rule | checks |",
        "| --- | --- |",
    ]
    lines += [f"| `{kind.value}` | {RULE_DESCRIPTIONS[kind]} |" for kind in RuleKind]
    lines += [
        "",
        "## Freshness",
        "",
        "Freshness compares the newest value of a table's freshness column with a reference date: the `as_of`",
        "given to the command, or else the newest client activity in the store (the latest date over the",
        f"tables of {', '.join(repr(g) for g in REFERENCE_GROUPS)}).",
        "A historical extract such as the demo (ending 2022-06-30) is thus judged by whether its tables end",
        "together, not by the wall clock; a store with no activity at all is measured against today.",
        "Timestamps count by their date; epoch-millisecond columns (WeCom `msgtime`) by their Beijing date.",
        "",
        "| table group | maximum age (days) |",
        "| --- | --- |",
    ]
    groups = sorted({t.group for t in tables})
    lines += [f"| {g} | {policy.group_max_age_days.get(g, policy.default_max_age_days)} |" for g in groups]
    overrides = [name for name in policy.table_max_age_days if any(t.name == name for t in tables)]
    if overrides:
        lines += [
            "",
            "Per-table overrides: " + ", ".join(f"`{n}` {policy.table_max_age_days[n]}" for n in overrides) + ".",
        ]
    lines += ["", "## Rules per table", ""]
    for table in tables:
        lines += [f"### {table.name}", "", "| rule | on |", "| --- | --- |"]
        for spec in plan_rules(table):
            on = spec.describe()
            if spec.kind is RuleKind.FRESHNESS:
                on += f", at most {policy.max_age_days(table)} days old"
            lines.append(f"| `{spec.kind.value}` | {markdown_cell(on)} |")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"  # exactly one final newline, whoever writes the file
