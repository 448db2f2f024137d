"""Quality rules (数据质量) derived from the schema, evaluated in set-based SQL, with a report.

``run_quality(con)`` checks every table of the store: row count, null rates
of required columns, allowed values, minimums and patterns, uniqueness of the
natural key and of declared unique sets, referential integrity of every
foreign key (conditional ones too), and freshness. The report also
summarises what ingest quarantined. ``render_quality_report`` prints it.
"""

from wealthdesk.governance.quality.freshness import DEFAULT_POLICY, FreshnessPolicy
from wealthdesk.governance.quality.render import render_quality_markdown, render_quality_report
from wealthdesk.governance.quality.report import QualityReport, QuarantineSummary, RuleResult, Severity, TableResult
from wealthdesk.governance.quality.rules import RuleKind, RuleSpec, plan_rules
from wealthdesk.governance.quality.run import run_quality

__all__ = [
    "DEFAULT_POLICY",
    "FreshnessPolicy",
    "QualityReport",
    "QuarantineSummary",
    "RuleKind",
    "RuleResult",
    "RuleSpec",
    "Severity",
    "TableResult",
    "plan_rules",
    "render_quality_markdown",
    "render_quality_report",
    "run_quality",
]
