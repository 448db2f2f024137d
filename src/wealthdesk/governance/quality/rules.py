"""The quality rules, derived from the schema, and the set-based SQL that checks them.

Nothing here names a table: every rule comes from a schema declaration —
the natural key and ``unique`` sets, every foreign key (including the
conditional ones with ``when``), required columns, allowed values, minimums,
patterns and the freshness column. A table added to the schema therefore
gets its rules for free, and ``docs/quality.md`` lists them from the same
plan.

Cost is what shapes the SQL: all per-column checks of a table are
aggregates of *one* scan (the table profile); each key or unique set is one
hash aggregate; each foreign key is one anti-join. On a store with 20M
trades that is a handful of scans of the trades table.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from wealthdesk.governance.quality.freshness import latest_date_sql
from wealthdesk.schema import Column, ColumnType, ForeignKey, Table

SAMPLE_SIZE = 3  # offending values quoted in a rule's detail


class RuleKind(StrEnum):
    NOT_EMPTY = "not_empty"
    NOT_NULL = "not_null"
    ALLOWED = "allowed_values"
    MINIMUM = "minimum"
    PATTERN = "pattern"
    KEY = "unique_key"
    UNIQUE = "unique"
    FOREIGN_KEY = "foreign_key"
    FRESHNESS = "freshness"


RULE_DESCRIPTIONS: dict[RuleKind, str] = {
    RuleKind.NOT_EMPTY: "the table has at least one row",
    RuleKind.NOT_NULL: "a required column has no NULL (or blank text) value; the null rate is reported",
    RuleKind.ALLOWED: "a column with an enumeration holds only the allowed values",
    RuleKind.MINIMUM: "a numeric column with a minimum holds no smaller value",
    RuleKind.PATTERN: "a text column with a pattern holds only matching values",
    RuleKind.KEY: "no two rows share the natural key (rows with a NULL key part are left to not_null)",
    RuleKind.UNIQUE: "no two rows share the values of a declared unique column set (NULLs ignored)",
    RuleKind.FOREIGN_KEY: (
        "every non-NULL reference finds its row in the referenced table; a conditional foreign key "
        "(`when`) is checked only on the rows matching its condition"
    ),
    RuleKind.FRESHNESS: (
        "the newest value of the freshness column is at most the group's maximum age older than the "
        "reference date; an empty table fails"
    ),
}


@dataclass(frozen=True)
class RuleSpec:
    """One planned rule: what it checks on which table, before it is evaluated."""

    table: str
    kind: RuleKind
    columns: tuple[str, ...] = ()
    foreign_key: ForeignKey | None = None
    argument: str | None = None  # allowed values, minimum or pattern, as text for the name and docs

    @property
    def name(self) -> str:
        if self.kind is RuleKind.FOREIGN_KEY and self.foreign_key is not None:
            fk = self.foreign_key
            target = f"{', '.join(fk.columns)} → {fk.table}({', '.join(fk.ref_columns)})"
            return f"foreign_key({target} when {fk.when})" if fk.when else f"foreign_key({target})"
        if self.columns:
            return f"{self.kind.value}({', '.join(self.columns)})"
        return self.kind.value

    def describe(self) -> str:
        """One line for docs/quality.md saying exactly what this rule requires."""
        if self.kind is RuleKind.ALLOWED or self.kind is RuleKind.MINIMUM or self.kind is RuleKind.PATTERN:
            return f"{self.columns[0]}: {self.argument}"
        if self.kind is RuleKind.FOREIGN_KEY and self.foreign_key is not None:
            return self.foreign_key.describe()
        if self.kind is RuleKind.FRESHNESS:
            return f"newest {self.columns[0]}"
        return ", ".join(self.columns) if self.columns else RULE_DESCRIPTIONS[self.kind]


def plan_rules(table: Table) -> list[RuleSpec]:
    """Every rule the schema declares for ``table``, in report order."""
    rules = [RuleSpec(table.name, RuleKind.NOT_EMPTY)]
    rules += [RuleSpec(table.name, RuleKind.NOT_NULL, (name,)) for name in table.required_columns]
    for column in table.columns:
        if column.allowed:
            rules.append(
                RuleSpec(table.name, RuleKind.ALLOWED, (column.name,), argument="one of " + ", ".join(column.allowed))
            )
        if column.minimum is not None:
            rules.append(RuleSpec(table.name, RuleKind.MINIMUM, (column.name,), argument=f">= {column.minimum:g}"))
        if column.pattern:
            rules.append(RuleSpec(table.name, RuleKind.PATTERN, (column.name,), argument=f"matches `{column.pattern}`"))
    rules.append(RuleSpec(table.name, RuleKind.KEY, table.key))
    rules += [RuleSpec(table.name, RuleKind.UNIQUE, columns) for columns in table.unique]
    rules += [RuleSpec(table.name, RuleKind.FOREIGN_KEY, fk.columns, foreign_key=fk) for fk in table.foreign_keys]
    if table.freshness_column:
        rules.append(RuleSpec(table.name, RuleKind.FRESHNESS, (table.freshness_column,)))
    return rules


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _missing(column: Column) -> str:
    name = quote(column.name)
    if column.type is ColumnType.STRING:
        # Blank means empty or whitespace only; the range test keeps trim() off almost every value.
        return f"({name} IS NULL OR ({name} < '!' AND trim({name}) = ''))"
    return f"{name} IS NULL"


def violation_condition(column: Column, kind: RuleKind) -> str:
    """SQL condition true on the rows of ``column`` that break a per-column rule of ``kind``."""
    name = quote(column.name)
    if kind is RuleKind.NOT_NULL:
        return _missing(column)
    if kind is RuleKind.ALLOWED:
        return f"{name} NOT IN ({', '.join(literal(v) for v in column.allowed or ())})"
    if kind is RuleKind.MINIMUM:
        return f"{name} < {column.minimum!r}"
    if kind is RuleKind.PATTERN:
        return f"NOT regexp_full_match({name}, {literal(column.pattern or '')})"
    raise ValueError(f"{kind} is not a per-column rule")


def profile_sql(table: Table) -> tuple[str, list[str]]:
    """One scan of ``table`` computing every per-column measure; returns the SQL and its output names.

    Output names are ``rows``, ``latest``, ``<kind>:<column>`` for each
    per-column rule (the number of violating rows) and ``repeated:<columns>``
    for the key and each unique set (see ``repeated_keys_sql``).
    """
    parts = ["count(*)"]
    names = ["rows"]
    latest = latest_date_sql(table)
    parts.append(latest if latest else "CAST(NULL AS DATE)")
    names.append("latest")
    for spec in plan_rules(table):
        if spec.kind not in (RuleKind.NOT_NULL, RuleKind.ALLOWED, RuleKind.MINIMUM, RuleKind.PATTERN):
            continue
        column = table.column(spec.columns[0])
        condition = violation_condition(column, spec.kind)
        parts.append(f"count(*) FILTER (WHERE {condition})")
        names.append(f"{spec.kind.value}:{column.name}")
    for columns in (table.key, *table.unique):
        parts.append(repeated_keys_sql(columns))
        names.append(f"repeated:{','.join(columns)}")
    return f"SELECT {', '.join(parts)} FROM {quote(table.name)}", names


def sample_sql(table: Table, spec: RuleSpec) -> str:
    """Up to SAMPLE_SIZE distinct offending values of a per-column rule, for the rule's detail."""
    column = table.column(spec.columns[0])
    name = quote(column.name)
    condition = violation_condition(column, spec.kind)
    return f"SELECT DISTINCT CAST({name} AS VARCHAR) FROM {quote(table.name)} WHERE {condition} LIMIT {SAMPLE_SIZE}"


def _not_null(columns: tuple[str, ...]) -> str:
    return " AND ".join(f"{quote(c)} IS NOT NULL" for c in columns)


def repeated_keys_sql(columns: tuple[str, ...]) -> str:
    """Aggregate for the profile scan: rows with a complete key minus distinct hashes of the key.

    Zero proves the key unique (equal values hash equally); a positive count
    may be a hash collision, so only then does the exact ``duplicates_sql``
    run. Hashing keeps the common, clean case to one pass over the table.
    """
    complete = _not_null(columns)
    cols = ", ".join(quote(c) for c in columns)
    return f"count(*) FILTER (WHERE {complete}) - count(DISTINCT CASE WHEN {complete} THEN hash({cols}) END)"


def duplicates_sql(table: Table, columns: tuple[str, ...]) -> str:
    """Duplicate groups of ``columns``: how many key values repeat, how many rows they cover, a sample."""
    cols = ", ".join(quote(c) for c in columns)
    shown = " || ', ' || ".join(f"CAST({quote(c)} AS VARCHAR)" for c in columns)
    return (
        f"WITH d AS (SELECT {cols}, count(*) AS n FROM {quote(table.name)} "
        f"WHERE {_not_null(columns)} GROUP BY {cols} HAVING count(*) > 1) "
        f"SELECT (SELECT count(*) FROM d), (SELECT coalesce(sum(n), 0) FROM d), "
        f"(SELECT list(shown ORDER BY shown) FROM (SELECT {shown} AS shown FROM d ORDER BY shown LIMIT {SAMPLE_SIZE}))"
    )


def orphans_sql(table: Table, fk: ForeignKey) -> str:
    """Rows of ``table`` whose reference finds no row in the referenced table, plus a sample of the values.

    The ``when`` condition is applied inside a subquery over the child table
    alone, so its unqualified column names cannot clash with the parent's.
    """
    child_cols = ", ".join(quote(c) for c in fk.columns)
    conditions = [f"{quote(c)} IS NOT NULL" for c in fk.columns]
    if fk.when:
        conditions.append(f"({fk.when})")
    join = " AND ".join(f"c.{quote(c)} = p.{quote(r)}" for c, r in zip(fk.columns, fk.ref_columns, strict=True))
    shown = " || ', ' || ".join(f"CAST(c.{quote(c)} AS VARCHAR)" for c in fk.columns)
    return (
        f"WITH o AS (SELECT {shown} AS shown FROM "
        f"(SELECT {child_cols} FROM {quote(table.name)} WHERE {' AND '.join(conditions)}) c "
        f"ANTI JOIN {quote(fk.table)} p ON {join}) "
        f"SELECT (SELECT count(*) FROM o), "
        f"(SELECT list(shown ORDER BY shown) FROM (SELECT DISTINCT shown FROM o ORDER BY shown LIMIT {SAMPLE_SIZE}))"
    )
