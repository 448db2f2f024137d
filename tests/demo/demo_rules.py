"""SQL predicates, one per defect kind, derived from the schema objects (the rules ingest enforces)."""

from __future__ import annotations

from wealthdesk.schema import Check, ColumnType, Table

_ID_WEIGHTS = "[7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]"


def _q(name: str) -> str:
    return f'r."{name}"'


def predicates(table: Table, is_csv: bool) -> list[tuple[str, str, str]]:
    """(defect kind, column, SQL predicate that is TRUE when row ``r`` violates the rule)."""
    out: list[tuple[str, str, str]] = []
    for col in table.columns:
        v = _q(col.name)
        if is_csv:
            if col.type == ColumnType.DATE:
                out.append(
                    (
                        "bad_type",
                        col.name,
                        f"{v} IS NOT NULL AND TRY_STRPTIME({v}, '%Y%m%d') IS NULL AND TRY_CAST({v} AS DATE) IS NULL",
                    )
                )
            elif col.type == ColumnType.TIMESTAMP:
                out.append(
                    (
                        "bad_type",
                        col.name,
                        f"{v} IS NOT NULL AND TRY_STRPTIME({v}, '%Y%m%d%H%M%S') IS NULL "
                        f"AND TRY_CAST({v} AS TIMESTAMP) IS NULL",
                    )
                )
            elif col.type == ColumnType.BOOL:
                out.append(("bad_type", col.name, f"{v} IS NOT NULL AND {v} NOT IN ('0', '1', 'true', 'false')"))
            elif col.type not in (ColumnType.STRING, ColumnType.STRING_LIST):
                out.append(("bad_type", col.name, f"{v} IS NOT NULL AND TRY_CAST({v} AS {col.type.sql}) IS NULL"))
        if col.required:
            empty = f" OR CAST({v} AS VARCHAR) = ''" if col.type == ColumnType.STRING else ""
            out.append(("missing_required", col.name, f"{v} IS NULL{empty}"))
        if col.allowed:
            allowed = ", ".join(f"'{a}'" for a in col.allowed)
            out.append(("bad_enum", col.name, f"{v} IS NOT NULL AND {v} <> '' AND {v} NOT IN ({allowed})"))
        if col.pattern:
            out.append(
                (
                    "bad_pattern",
                    col.name,
                    f"{v} IS NOT NULL AND {v} <> '' AND NOT regexp_full_match({v}, '{col.pattern}')",
                )
            )
        if col.check == Check.CN_ID_CHECKSUM:
            total = (
                f"list_sum(list_transform(range(17), lambda i: CAST(substr({v}, i + 1, 1) AS INTEGER) "
                f"* {_ID_WEIGHTS}[i + 1]))"
            )
            out.append(
                (
                    "bad_checksum",
                    col.name,
                    f"regexp_full_match({v}, '^\\d{{17}}[\\dX]$') AND "
                    f"substr('10X98765432', CAST(({total}) % 11 AS BIGINT) + 1, 1) "
                    f"<> substr({v}, 18, 1)",
                )
            )
        if col.minimum is not None:
            out.append(("below_minimum", col.name, f"TRY_CAST({v} AS DOUBLE) < {col.minimum}"))
    return out


def fk_predicates(table: Table) -> list[tuple[str, str]]:
    """(description, predicate) per foreign key: TRUE when a non-null reference has no good parent row."""
    out = []
    for fk in table.foreign_keys:
        cond = " AND ".join(f'p."{pc}" = r."{c}"' for c, pc in zip(fk.columns, fk.ref_columns, strict=True))
        notnull = " AND ".join(f'r."{c}" IS NOT NULL AND CAST(r."{c}" AS VARCHAR) <> \'\'' for c in fk.columns)
        when = (
            f" AND ({fk.when.replace('trade_type', 'r.trade_type').replace('asset_type', 'r.asset_type')})"
            if fk.when
            else ""
        )
        out.append((fk.describe(), f"{notnull}{when} AND NOT EXISTS (SELECT 1 FROM good_{fk.table} p WHERE {cond})"))
    return out


def duplicate_sql(table: Table, view: str) -> str:
    """Rows whose key already occurred earlier in the same file."""
    key = ", ".join(f'"{k}"' for k in table.key)
    return (
        f"SELECT _file, _line FROM (SELECT _file, _line, row_number() OVER (PARTITION BY _file, {key} "
        f"ORDER BY _line) AS n FROM {view}) WHERE n > 1"
    )
