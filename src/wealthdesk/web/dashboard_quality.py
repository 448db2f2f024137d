"""The data quality dashboard (数据质量): :func:`wealthdesk.governance.quality.run_quality` as cards.

Three questions an analyst asks before trusting a figure: is every table
there and fresh (rows, latest date, null rates), did any rule fail (and how
many rows break it), and what did ingest set aside (quarantine, with the
most frequent reasons). Rule results are shown as counts per table so a
clean store still draws a meaningful chart.
"""

from __future__ import annotations

import plotly.graph_objects as go

from wealthdesk.governance.quality import QualityReport, Severity, TableResult
from wealthdesk.web.charts import DOWN, UP, WARN, bar, figure_json
from wealthdesk.web.panels import Panel, Table, count, percent


def quality_summary(report: QualityReport) -> str:
    """Tables and rules checked, what failed, and what ingest quarantined, in one sentence."""
    failed = [r for r in report.failed_rules if r.severity is Severity.ERROR]
    warnings = [r for r in report.failed_rules if r.severity is Severity.WARNING]
    outcome = (
        "every rule passed"
        if not report.failed_rules
        else f"{len(failed):,} failed and {len(warnings):,} gave a warning"
    )
    quarantined = sum(q.rows for q in report.quarantine)
    return (
        f"{len(report.tables):,} tables and {len(report.rules):,} rules checked: {outcome}; ingest quarantined "
        f"{count(quarantined)} rows in {len(report.quarantine):,} tables. Freshness is measured against "
        f"{report.reference_date}: {report.reference_source}."
    )


def _worst_null(table: TableResult) -> tuple[str, float | None]:
    if not table.null_rates:
        return "—", None
    column = max(table.null_rates, key=lambda c: table.null_rates[c])
    return column, table.null_rates[column]


def tables_panel(report: QualityReport) -> Panel:
    """Rows per table (log scale: a few branches next to millions of trades), coloured by pass/fail."""
    tables = sorted(report.tables, key=lambda t: t.row_count)
    colours = [UP if not t.passed else WARN if t.failed_rules else DOWN for t in tables]
    fig = go.Figure(
        bar(
            [t.table for t in tables],
            [max(t.row_count, 1) for t in tables],  # a log axis cannot show 0: an empty table draws as 1
            horizontal=True,
            color=colours,
            text=[count(t.row_count) for t in tables],
            hover="%{y}: %{text} rows",
        )
    )
    fig.update_xaxes(type="log", title_text="行数 rows (log scale)")
    fig.update_yaxes(automargin=True)
    rows = []
    for t in sorted(report.tables, key=lambda t: t.table):
        column, rate = _worst_null(t)
        rows.append(
            (
                t.table,
                "passed" if t.passed else "FAILED",
                count(t.row_count),
                t.latest.isoformat() if t.latest else "—",
                f"{percent(rate, 2)} ({column})" if rate is not None else "—",
                count(len(t.rules)),
                count(len(t.failed_rules)),
                count(t.quarantined),
            )
        )
    columns = ("表 table", "结果 result", "行数 rows", "最新 latest", "最高空值率 worst null rate", "规则 rules")
    return Panel(
        "tables",
        "各表行数与检查结果 · Tables: rows, freshness, null rates",
        figure_json(fig, height=520, legend=False),
        Table((*columns, "未通过 failed", "隔离 quarantined"), rows, frozenset({2, 3, 4, 5, 6, 7})),
        notes=("Null rates are over each table's required columns; the worst column is named.",),
    )


def rules_panel(report: QualityReport) -> Panel:
    """Rules per table: passed, warnings and failures stacked; then every rule that did not pass."""
    tables = sorted(report.tables, key=lambda t: t.table)
    fig = go.Figure()
    for name, colour, keep in (
        ("通过 passed", DOWN, lambda r: r.passed),
        ("警告 warning", WARN, lambda r: not r.passed and r.severity is Severity.WARNING),
        ("未通过 failed", UP, lambda r: not r.passed and r.severity is Severity.ERROR),
    ):
        fig.add_trace(
            bar(
                [t.table for t in tables],
                [sum(1 for r in t.rules if keep(r)) for t in tables],
                name=name,
                horizontal=True,
                color=colour,
                hover="%{y}: %{x}",
            )
        )
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title_text="规则数 rules")
    fig.update_yaxes(automargin=True, autorange="reversed")
    rows = [(r.table, r.rule, r.severity.value, count(r.violations), r.detail) for r in report.failed_rules]
    columns = ("表 table", "规则 rule", "级别 severity", "违规行 violations", "说明 detail")
    return Panel(
        "rules",
        "质量规则 · Quality rules per table, and the checks that failed",
        figure_json(fig, height=520),
        Table(columns, rows, frozenset({3}), empty="No check failed: every rule passed."),
    )


def quarantine_panel(report: QualityReport) -> Panel:
    """Rows ingest set aside per table, with the most frequent reasons."""
    quarantine = sorted(report.quarantine, key=lambda q: -q.rows)
    fig = go.Figure(
        bar(
            [q.table for q in quarantine],
            [q.rows for q in quarantine],
            color=WARN,
            text=[count(q.rows) for q in quarantine],
            hover="%{x}: %{y:,} rows",
        )
    )
    fig.update_yaxes(title_text="隔离行数 rows quarantined", rangemode="tozero")
    rows = [
        (q.table, count(q.rows) if i == 0 else "", reason, count(n))
        for q in quarantine
        for i, (reason, n) in enumerate(q.top_reasons or (("—", 0),))
    ]
    columns = ("表 table", "隔离 rows", "主要原因 top reasons", "行 rows")
    return Panel(
        "quarantine",
        "入库隔离 · What ingest quarantined",
        figure_json(fig, legend=False) if quarantine else None,
        Table(columns, rows, frozenset({1, 3}), empty="Ingest quarantined nothing."),
        wide=True,
    )


def quality_panels(report: QualityReport) -> list[Panel]:
    return [tables_panel(report), rules_panel(report), quarantine_panel(report)]
