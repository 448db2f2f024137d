"""Evaluate the planned rules against a store and assemble the report.

Per table: one profile scan (row count, latest date, per-column violation
counts), then one query per key/unique set and per foreign key. Samples of
offending values are fetched only for rules that fail, so a clean store pays
for the checks and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import duckdb

from wealthdesk.errors import QualityError
from wealthdesk.governance.masking import mask_personal_numbers
from wealthdesk.governance.quality.freshness import DEFAULT_POLICY, FreshnessPolicy, reference_date
from wealthdesk.governance.quality.report import QualityReport, QuarantineSummary, RuleResult, TableResult
from wealthdesk.governance.quality.rules import (
    RuleKind,
    RuleSpec,
    duplicates_sql,
    orphans_sql,
    plan_rules,
    profile_sql,
    sample_sql,
)
from wealthdesk.schema import TABLES, Table

TOP_REASONS = 3
_PER_COLUMN = (RuleKind.NOT_NULL, RuleKind.ALLOWED, RuleKind.MINIMUM, RuleKind.PATTERN)


def run_quality(
    con: duckdb.DuckDBPyConnection,
    as_of: date | None = None,
    *,
    policy: FreshnessPolicy = DEFAULT_POLICY,
    tables: Sequence[Table] = TABLES,
) -> QualityReport:
    """Check every schema table of the store behind ``con`` and return the report.

    ``as_of`` is the date freshness is measured against; without it, the
    newest client activity in the store (see ``freshness``). Raises
    QualityError when the store lacks schema tables (not a wealthdesk store).
    """
    _require_tables(con, tables)
    profiles = {t.name: _profile(con, t) for t in tables}
    reference, source = reference_date(
        as_of, {name: p["latest"] for name, p in profiles.items()}, {t.name: t.group for t in tables}
    )
    quarantine = _quarantine(con)
    quarantined = {q.table: q.rows for q in quarantine}
    results = []
    for table in tables:
        profile = profiles[table.name]
        rules = tuple(_evaluate(con, table, spec, profile, reference, policy) for spec in plan_rules(table))
        rows = profile["rows"]
        null_rates = {
            column: (profile[f"not_null:{column}"] / rows if rows else 0.0) for column in table.required_columns
        }
        results.append(
            TableResult(table.name, rows, null_rates, profile["latest"], rules, quarantined.get(table.name, 0))
        )
    return QualityReport(reference, source, tuple(results), quarantine)


def _require_tables(con: duckdb.DuckDBPyConnection, tables: Sequence[Table]) -> None:
    present = {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    missing = [t.name for t in tables if t.name not in present]
    if missing:
        raise QualityError(
            f"the store lacks the tables {', '.join(missing)}: it is not a wealthdesk store, or predates this "
            "schema; create it with `wealthdesk ingest DIR --store PATH` (or wealthdesk.store.create_tables)"
        )


def _profile(con: duckdb.DuckDBPyConnection, table: Table) -> dict[str, Any]:
    sql, names = profile_sql(table)
    try:
        row = con.execute(sql).fetchone()
    except duckdb.Error as exc:
        raise QualityError(f"cannot profile table {table.name}: {exc}") from exc
    assert row is not None  # an aggregate without GROUP BY always returns one row
    return dict(zip(names, row, strict=True))


def _evaluate(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    spec: RuleSpec,
    profile: dict[str, Any],
    reference: date,
    policy: FreshnessPolicy,
) -> RuleResult:
    rows: int = profile["rows"]
    if spec.kind is RuleKind.NOT_EMPTY:
        if rows:
            return RuleResult(table.name, spec.name, True, f"{rows:,} rows")
        return RuleResult(table.name, spec.name, False, "table is empty: nothing has been loaded into it", violations=1)
    if spec.kind in _PER_COLUMN:
        return _per_column(con, table, spec, profile[f"{spec.kind.value}:{spec.columns[0]}"], rows)
    if spec.kind in (RuleKind.KEY, RuleKind.UNIQUE):
        if not profile[f"repeated:{','.join(spec.columns)}"]:
            return RuleResult(table.name, spec.name, True, f"({', '.join(spec.columns)}) unique")
        groups, dup_rows, sample = con.execute(duplicates_sql(table, spec.columns)).fetchone() or (0, 0, [])
        if not groups:
            return RuleResult(table.name, spec.name, True, f"({', '.join(spec.columns)}) unique")
        return RuleResult(
            table.name,
            spec.name,
            False,
            f"{groups:,} values of ({', '.join(spec.columns)}) occur more than once, in {int(dup_rows):,} rows; "
            f"e.g. {'; '.join(sample or [])}",
            violations=int(dup_rows),
        )
    if spec.kind is RuleKind.FOREIGN_KEY:
        assert spec.foreign_key is not None
        orphans, sample = con.execute(orphans_sql(table, spec.foreign_key)).fetchone() or (0, [])
        if not orphans:
            return RuleResult(table.name, spec.name, True, "every reference resolves")
        return RuleResult(
            table.name,
            spec.name,
            False,
            f"{orphans:,} rows reference a missing {spec.foreign_key.table} row; e.g. {'; '.join(sample or [])}",
            violations=orphans,
        )
    if spec.kind is RuleKind.FRESHNESS:
        return _freshness(table, spec, profile["latest"], reference, policy)
    raise AssertionError(f"unhandled rule kind {spec.kind}")


def _per_column(con: duckdb.DuckDBPyConnection, table: Table, spec: RuleSpec, violations: int, rows: int) -> RuleResult:
    share = f"{violations:,} of {rows:,} rows ({violations / rows:.2%})" if rows else "0 rows"
    if not violations:
        return RuleResult(table.name, spec.name, True, f"no violation in {share.split(' of ')[-1]}")
    if spec.kind is RuleKind.NOT_NULL:
        return RuleResult(table.name, spec.name, False, f"{share} are NULL or blank", violations=violations)
    sample = [row[0] for row in con.execute(sample_sql(table, spec)).fetchall()]
    return RuleResult(
        table.name,
        spec.name,
        False,
        f"{share} break '{spec.describe()}'; e.g. {', '.join(repr(v) for v in sample)}",
        violations=violations,
    )


def _freshness(
    table: Table, spec: RuleSpec, latest: date | None, reference: date, policy: FreshnessPolicy
) -> RuleResult:
    max_age = policy.max_age_days(table)
    if latest is None:
        return RuleResult(
            table.name, spec.name, False, f"table is empty: no {spec.columns[0]} to date it by", violations=1
        )
    age = (reference - latest).days
    if age <= max_age:
        when = "newer than" if age < 0 else f"{age} days before"
        return RuleResult(
            table.name, spec.name, True, f"newest {latest.isoformat()}, {when} {reference.isoformat()} (max {max_age})"
        )
    return RuleResult(
        table.name,
        spec.name,
        False,
        f"stale: newest {spec.columns[0]} is {latest.isoformat()}, {age} days before {reference.isoformat()}; "
        f"the {table.group!r} group allows {max_age} days",
        violations=1,
    )


def _quarantine(con: duckdb.DuckDBPyConnection) -> tuple[QuarantineSummary, ...]:
    """Rows quarantined per table with the most frequent reasons (information, not a rule)."""
    try:
        rows = con.execute(
            """
            WITH r AS (SELECT table_name, reason, count(*) AS n FROM _quarantine GROUP BY table_name, reason)
            SELECT table_name, sum(n) AS total,
                   list({'reason': reason, 'n': n} ORDER BY n DESC, reason)[1:$top] AS top
            FROM r GROUP BY table_name ORDER BY total DESC, table_name
            """,
            {"top": TOP_REASONS},
        ).fetchall()
    except duckdb.CatalogException:
        return ()
    # a reason quotes the bad value, which may be a phone or ID number put into another column: masked here,
    # the one place reports read reasons from
    return tuple(
        QuarantineSummary(
            table, int(total), tuple((mask_personal_numbers(item["reason"]), int(item["n"])) for item in top)
        )
        for table, total, top in rows
    )
