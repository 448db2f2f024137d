"""The result objects of a quality run.

They are plain dataclasses with a ``to_dict`` so the CLI can print them as
rich tables or as JSON for machines, and tests can assert on them directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How much a failing rule matters.

    Only a failing ``error`` rule makes the report fail (and the CLI exit
    non-zero); ``warning`` rules are shown but do not fail the run.
    """

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class RuleResult:
    """The outcome of one rule on one table.

    ``rule`` names the kind of rule and its target, e.g. ``not_null(account_id)``
    or ``foreign_key(account_id → accounts)``; ``violations`` counts the rows
    (or key groups) breaking it, so a reader can judge the size of a problem.
    """

    table: str
    rule: str
    passed: bool
    detail: str
    severity: Severity = Severity.ERROR
    violations: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "rule": self.rule,
            "passed": self.passed,
            "severity": self.severity.value,
            "violations": self.violations,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class QuarantineSummary:
    """Rows ingest set aside for one table, with the most frequent reasons (information only)."""

    table: str
    rows: int
    top_reasons: tuple[tuple[str, int], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "rows": self.rows,
            "top_reasons": [{"reason": reason, "rows": rows} for reason, rows in self.top_reasons],
        }


@dataclass(frozen=True)
class TableResult:
    """Profile of one table: size, null rates of required columns, latest date, and its rules."""

    table: str
    row_count: int
    null_rates: dict[str, float]
    latest: date | None
    rules: tuple[RuleResult, ...]
    quarantined: int = 0

    @property
    def passed(self) -> bool:
        return all(r.passed or r.severity is not Severity.ERROR for r in self.rules)

    @property
    def failed_rules(self) -> tuple[RuleResult, ...]:
        return tuple(r for r in self.rules if not r.passed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "passed": self.passed,
            "row_count": self.row_count,
            "null_rates": self.null_rates,
            "latest": self.latest.isoformat() if self.latest else None,
            "quarantined": self.quarantined,
            "rules": [r.to_dict() for r in self.rules],
        }


@dataclass(frozen=True)
class QualityReport:
    """Everything one quality run found.

    ``reference_date`` is the date freshness was measured against and
    ``reference_source`` says where it came from (the given ``as_of``, the
    newest activity in the store, or today for an empty store).
    """

    reference_date: date
    reference_source: str
    tables: tuple[TableResult, ...]
    quarantine: tuple[QuarantineSummary, ...] = field(default=())

    @property
    def rules(self) -> tuple[RuleResult, ...]:
        return tuple(rule for table in self.tables for rule in table.rules)

    @property
    def failed_rules(self) -> tuple[RuleResult, ...]:
        return tuple(r for r in self.rules if not r.passed)

    @property
    def passed(self) -> bool:
        return all(table.passed for table in self.tables)

    def table(self, name: str) -> TableResult:
        for result in self.tables:
            if result.table == name:
                return result
        raise KeyError(f"no quality result for table {name!r}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "reference_date": self.reference_date.isoformat(),
            "reference_source": self.reference_source,
            "summary": {
                "tables": len(self.tables),
                "rules": len(self.rules),
                "failed": len([r for r in self.failed_rules if r.severity is Severity.ERROR]),
                "warnings": len([r for r in self.failed_rules if r.severity is Severity.WARNING]),
            },
            "tables": [t.to_dict() for t in self.tables],
            "rules": [r.to_dict() for r in self.rules],
            "quarantine": [q.to_dict() for q in self.quarantine],
        }
