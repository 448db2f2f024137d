"""Contract checks as set-based SQL built from the schema.

:func:`stage` converts a source relation into a temp table of typed columns
plus ``_reason`` (every row-level failure of the row, joined by ``"; "``).
:func:`relational_reasons` adds the failures that need other rows: foreign
keys (against rows already committed to the store), natural keys repeated in
the file, and ``Table.unique`` constraints. Each reason names the column, the
value (never for personal-data columns) and the rule, so a person can fix the
source.

Value rules: dates ``YYYY-MM-DD`` or ``YYYYMMDD``; timestamps ISO
(``YYYY-MM-DD HH:MM:SS[.ffffff]``, space or ``T``) or ``YYYYMMDDHHMMSS``;
booleans true/false/1/0/Y/N/是/否 (any case); numbers as DuckDB reads
decimals; lists as JSON arrays (or Parquet lists); empty text is null.
"""

from __future__ import annotations

import duckdb

from wealthdesk.ingest.readers import Source
from wealthdesk.ingest.readers import quote_ident as qi
from wealthdesk.ingest.readers import quote_str as qs
from wealthdesk.schema import TABLES_BY_NAME, Check, Column, Pii, Table
from wealthdesk.schema import ColumnType as T

VALUE_LIMIT = 60  # characters of a bad value echoed in a reason

_TYPE_NAMES = {
    T.STRING: "text",
    T.INT: "an integer",
    T.BIGINT: "an integer",
    T.DOUBLE: "a number",
    T.MONEY: "an amount (decimal, 2 places)",
    T.PRICE: "a price (decimal, 4 places)",
    T.DATE: "a date (YYYY-MM-DD or YYYYMMDD)",
    T.TIMESTAMP: "a timestamp (YYYY-MM-DD HH:MM:SS or YYYYMMDDHHMMSS)",
    T.BOOL: "a boolean (true/false, 1/0, Y/N, 是/否)",
    T.STRING_LIST: "a list (a JSON array of strings)",
}
_TRUE = ("true", "1", "y", "是")
_FALSE = ("false", "0", "n", "否")
_ISO_TIMESTAMP = r"\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?"
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(qs(v) for v in values) + ")"


def _convert_text(raw: str, column: Column) -> str:
    """SQL converting VARCHAR ``raw`` (already NULL for empty) to the column's type, NULL when unreadable."""
    t = column.type
    if t is T.STRING:
        return raw
    if t is T.DATE:
        return (
            f"CASE WHEN regexp_full_match({raw}, '\\d{{8}}') THEN try_strptime({raw}, '%Y%m%d')::DATE "
            f"WHEN regexp_full_match({raw}, '\\d{{4}}-\\d{{1,2}}-\\d{{1,2}}') THEN TRY_CAST({raw} AS DATE) END"
        )
    if t is T.TIMESTAMP:
        return (
            f"CASE WHEN regexp_full_match({raw}, '\\d{{14}}') THEN try_strptime({raw}, '%Y%m%d%H%M%S') "
            f"WHEN regexp_full_match({raw}, {qs(_ISO_TIMESTAMP)}) "
            f"THEN TRY_CAST({raw} AS TIMESTAMP) END"
        )
    if t is T.BOOL:
        low = f"lower(trim({raw}))"
        return f"CASE WHEN {low} IN {_in(_TRUE)} THEN true WHEN {low} IN {_in(_FALSE)} THEN false END"
    if t is T.STRING_LIST:
        return (
            f"CASE WHEN json_valid({raw}) AND json_type({raw}) = 'ARRAY' "
            f"THEN TRY_CAST(from_json({raw}, '[\"VARCHAR\"]') AS VARCHAR[]) END"
        )
    if t is T.DOUBLE:
        return f"(CASE WHEN isfinite(TRY_CAST(trim({raw}) AS DOUBLE)) THEN TRY_CAST(trim({raw}) AS DOUBLE) END)"
    return f"TRY_CAST(trim({raw}) AS {t.sql})"


def _convert(raw: str, source_type: str, column: Column) -> str:
    if source_type == "VARCHAR":
        return _convert_text(raw, column)
    if column.type is T.STRING:
        return f"CAST({raw} AS VARCHAR)"
    return f"TRY_CAST({raw} AS {column.type.sql})"


def _shown(raw: str, column: Column) -> str:
    """SQL text quoting a bad value for a reason; personal data is never shown."""
    if column.pii is not None:
        return "'the value'"
    return f"'''' || left(CAST({raw} AS VARCHAR), {VALUE_LIMIT}) || ''''"


def id_checksum_ok(value: str) -> str:
    """SQL: GB 11643-1999 check digit (ISO 7064 MOD 11-2) of an 18-character ID number is right."""
    total = " + ".join(f"CAST(substr({value}, {i + 1}, 1) AS INTEGER) * {w}" for i, w in enumerate(_ID_WEIGHTS))
    return f"substr('10X98765432', (({total}) % 11) + 1, 1) = upper(substr({value}, 18, 1))"


def _reasons(raw: str, typed: str, column: Column) -> list[str]:
    """SQL expressions, each a reason text or NULL, for one column of one row."""
    name = column.name
    out: list[str] = []
    if column.required:
        out.append(f"CASE WHEN {raw} IS NULL THEN {qs(name + ': required value is missing')} END")
    out.append(
        f"CASE WHEN {raw} IS NOT NULL AND {typed} IS NULL THEN "
        f"{qs(name + ': cannot read ')} || {_shown(raw, column)} || {qs(' as ' + _TYPE_NAMES[column.type])} END"
    )
    if column.allowed:
        out.append(
            f"CASE WHEN {typed} NOT IN {_in(column.allowed)} THEN {qs(name + ': ')} || {_shown(typed, column)} "
            f"|| {qs(' is not one of ' + ', '.join(column.allowed))} END"
        )
    if column.pattern:
        if column.pii is not None:
            text = qs(f"{name} does not match {column.pattern}")
        else:
            text = f"{qs(name + ': ')} || {_shown(typed, column)} || {qs(' does not match ' + column.pattern)}"
        out.append(f"CASE WHEN NOT regexp_full_match({typed}, {qs(column.pattern)}) THEN {text} END")
    if column.check is Check.CN_ID_CHECKSUM:
        shape = f"regexp_full_match({typed}, '\\d{{17}}[\\dXx]')"
        out.append(
            f"CASE WHEN {shape} AND NOT ({id_checksum_ok(typed)}) "
            f"THEN {qs(name + ': check digit is wrong (GB 11643 ISO 7064 MOD 11-2)')} END"
        )
    if column.minimum is not None:
        out.append(
            f"CASE WHEN {typed} < {column.minimum!r} THEN {qs(name + ': ')} || {_shown(typed, column)} "
            f"|| {qs(f' is below the minimum {column.minimum:g}')} END"
        )
    return out


def stage(con: duckdb.DuckDBPyConnection, source: Source, table: Table, name: str) -> None:
    """Create temp table ``name``: ``_line``, the typed schema columns and ``_reason``."""
    inner: list[str] = ["_line"]
    middle: list[str] = ["_line"]
    outer: list[str] = ["_line"]
    reasons: list[str] = []
    for i, column in enumerate(table.columns):
        if column.name not in source.columns:
            outer.append(f"CAST(NULL AS {column.type.sql}) AS {qi(column.name)}")
            continue
        expr, source_type = source.columns[column.name]
        raw = f"_r{i}"
        if source_type == "VARCHAR":
            expr = f"NULLIF({expr}, '')"
        inner.append(f"{expr} AS {raw}")
        middle.append(raw)
        middle.append(f"{_convert(raw, source_type, column)} AS _t{i}")
        outer.append(f"_t{i} AS {qi(column.name)}")
        reasons.extend(_reasons(raw, f"_t{i}", column))
    reason = f"NULLIF(concat_ws('; ', {', '.join(reasons)}), '')" if reasons else "NULL"
    con.execute(
        f"""CREATE TEMP TABLE {name} AS
        SELECT {", ".join(outer)}, {reason} AS _reason
        FROM (SELECT {", ".join(middle)} FROM (SELECT {", ".join(inner)} FROM {source.relation}))"""
    )


def _key_text(columns: tuple[str, ...], alias: str) -> str:
    parts = [f"{qs(c + '=')} || CAST({alias}.{qi(c)} AS VARCHAR)" for c in columns]
    return " || ', ' || ".join(parts)


def _on(left: str, right: str, columns: tuple[str, ...], ref_columns: tuple[str, ...] | None = None) -> str:
    refs = ref_columns or columns
    return " AND ".join(f"{left}.{qi(a)} = {right}.{qi(b)}" for a, b in zip(columns, refs, strict=True))


def _repeated(stage_name: str, columns: tuple[str, ...]) -> str:
    """SQL: (columns, first_line) of values repeated among the stage's rows that pass the row checks.

    Grouping by a 64-bit hash of the columns first is much cheaper than
    grouping by the text values; only the (few) rows whose hash repeats are
    then grouped exactly, so a hash collision cannot report a false duplicate.
    """
    cols = ", ".join(qi(c) for c in columns)
    passes = "_reason IS NULL"
    return f"""
        SELECT {cols}, min(_line) AS first_line FROM {stage_name}
        WHERE {passes} AND hash({cols}) IN (
            SELECT hash({cols}) FROM {stage_name} WHERE {passes} GROUP BY 1 HAVING count(*) > 1)
        GROUP BY {cols} HAVING count(*) > 1"""


def relational_reasons(con: duckdb.DuckDBPyConnection, table: Table, stage_name: str, out: str) -> None:
    """Fill temp table ``out`` (line, ord, reason) with every failure of every row of the stage.

    Duplicate checks consider only the rows that pass the row checks, so a
    broken row never hides a good row with the same key.
    """
    con.execute(f"CREATE TEMP TABLE {out} (line BIGINT, ord INTEGER, reason VARCHAR)")
    con.execute(f"INSERT INTO {out} SELECT _line, 0, _reason FROM {stage_name} WHERE _reason IS NOT NULL")
    for i, fk in enumerate(table.foreign_keys, start=1):
        target = TABLES_BY_NAME[fk.table]
        present = " AND ".join(f"s.{qi(c)} IS NOT NULL" for c in fk.columns)
        when = f" AND ({fk.when})" if fk.when else ""
        shown = _key_text(fk.columns, "s")
        rule = f" not found in {fk.table}({', '.join(fk.ref_columns)})"
        if fk.when:
            rule += f", required when {fk.when}"
        con.execute(
            f"""INSERT INTO {out}
            SELECT s._line, {i}, {shown} || {qs(rule + "; load " + fk.table + " first or fix the value")}
            FROM {stage_name} s
            WHERE {present}{when}
              AND NOT EXISTS (SELECT 1 FROM {qi(target.name)} r WHERE {_on("s", "r", fk.columns, fk.ref_columns)})"""
        )
    # natural key repeated in the file
    con.execute(
        f"""INSERT INTO {out}
        WITH k AS ({_repeated(stage_name, table.key)})
        SELECT s._line, 100, 'duplicate key (' || {_key_text(table.key, "s")} || ') first seen at line '
               || k.first_line
        FROM {stage_name} s JOIN k ON {_on("s", "k", table.key)}
        WHERE s._reason IS NULL AND s._line > k.first_line"""
    )
    for j, unique in enumerate(table.unique, start=101):
        present = " AND ".join(f"s.{qi(c)} IS NOT NULL" for c in unique)
        con.execute(
            f"""INSERT INTO {out}
            WITH u AS ({_repeated(stage_name, unique)})
            SELECT s._line, {j}, {_key_text(unique, "s")} || ' must be unique but was first seen at line '
                   || u.first_line
            FROM {stage_name} s JOIN u ON {_on("s", "u", unique)}
            WHERE s._reason IS NULL AND s._line > u.first_line"""
        )
        other_key = " OR ".join(f"t.{qi(c)} IS DISTINCT FROM s.{qi(c)}" for c in table.key)
        moved = " OR ".join(f"s2.{qi(c)} IS DISTINCT FROM t.{qi(c)}" for c in unique)
        con.execute(
            f"""INSERT INTO {out}
            SELECT s._line, {j}, {_key_text(unique, "s")} || ' must be unique but already belongs to '
                   || {_key_text(table.key, "t")} || ' in the store'
            FROM {stage_name} s JOIN {qi(table.name)} t ON {_on("s", "t", unique)}
            WHERE {present} AND ({other_key})
              AND NOT EXISTS (SELECT 1 FROM {stage_name} s2
                              WHERE {_on("s2", "t", table.key)} AND s2._reason IS NULL AND ({moved}))"""
        )


def mask_sql(raw: str, column: Column) -> str:
    """SQL masking a personal-data value for the quarantine's ``raw`` JSON."""
    text = f"CAST({raw} AS VARCHAR)"
    if column.pii is Pii.NAME:
        return f"CASE WHEN {raw} IS NOT NULL THEN left({text}, 1) || repeat('*', greatest(length({text}) - 1, 1)) END"
    keep = 3 if column.pii is Pii.PHONE else 6
    return (
        f"CASE WHEN length({text}) >= {keep + 8} THEN left({text}, {keep}) || repeat('*', length({text}) - {keep + 4})"
        f" || right({text}, 4) WHEN {raw} IS NOT NULL THEN repeat('*', length({text})) END"
    )
