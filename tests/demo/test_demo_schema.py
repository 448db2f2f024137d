"""Good rows pass every schema rule; every planted bad row breaks exactly the rule its truth names."""

from __future__ import annotations

import json

import duckdb
import pyarrow.parquet as pq
import pytest
from demo_files import table_files
from demo_rules import duplicate_sql, fk_predicates, predicates

from wealthdesk.demo import GenerationSummary
from wealthdesk.demo.output import OUTPUTS
from wealthdesk.schema import ColumnType, table


def _flagged(con: duckdb.DuckDBPyConnection, name: str, view: str) -> dict[str, set[tuple[str, int]]]:
    t = table(name)
    found: dict[str, set[tuple[str, int]]] = {}
    for kind, _column, pred in predicates(t, OUTPUTS[name].fmt == "csv"):
        rows = con.execute(f"SELECT _file, _line FROM {view} r WHERE {pred}").fetchall()
        found.setdefault(kind, set()).update(rows)
    for _desc, pred in fk_predicates(t):
        rows = con.execute(f"SELECT _file, _line FROM {view} r WHERE {pred}").fetchall()
        found.setdefault("unknown_fk", set()).update(rows)
    found["duplicate_key"] = set(con.execute(duplicate_sql(t, view)).fetchall())
    return found


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_good_rows_pass_every_rule(con: duckdb.DuckDBPyConnection, name: str) -> None:
    found = _flagged(con, name, f"good_{name}")
    assert {k: sorted(v)[:5] for k, v in found.items() if v} == {}


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_planted_rows_break_exactly_their_rule(con: duckdb.DuckDBPyConnection, name: str) -> None:
    found = _flagged(con, name, f"raw_{name}")
    sql = 'SELECT file, CAST(line AS BIGINT), defect FROM bad_rows WHERE "table" = ?'
    planted = con.execute(sql, [name]).fetchall()
    for file, line, defect in planted:
        kinds = {k for k, rows in found.items() if (file, line) in rows}
        assert kinds == {defect}, (name, file, line, defect, kinds)
    flagged = set().union(*found.values())
    assert flagged == {(f, ln) for f, ln, _ in planted}


def test_columns_match_schema_in_every_file(generated: GenerationSummary) -> None:
    for name, spec in OUTPUTS.items():
        expected = list(table(name).column_names)
        for path in table_files(generated.out, name):
            if spec.fmt == "csv":
                header = path.read_bytes().split(b"\n", 1)[0].decode(spec.encoding).split(",")
                assert header == expected, name
            elif spec.fmt == "parquet":
                assert pq.read_schema(path).names == expected, name
            else:
                first = path.read_text(encoding="utf-8").split("\n", 1)[0]
                keys = list(json.loads(first))
                assert keys == [("from" if c == "sender" and name == "wecom_messages" else c) for c in expected]


def test_parquet_types_are_castable(generated: GenerationSummary) -> None:
    con = duckdb.connect()
    for name, spec in OUTPUTS.items():
        if spec.fmt != "parquet":
            continue
        t = table(name)
        files = ", ".join(f"'{p}'" for p in table_files(generated.out, name))
        casts = ", ".join(f'CAST("{c.name}" AS {c.type.sql})' for c in t.columns if c.type != ColumnType.STRING_LIST)
        con.execute(f"SELECT {casts} FROM read_parquet([{files}])").fetchall()


def test_summary_counts_match_truth(generated: GenerationSummary, con: duckdb.DuckDBPyConnection) -> None:
    per_table = dict(con.execute('SELECT "table", count(*) FROM bad_rows GROUP BY 1').fetchall())
    assert per_table == generated.bad_rows
    for name in OUTPUTS:
        assert con.execute(f"SELECT count(*) FROM raw_{name}").fetchone()[0] == generated.rows[name]
    planted_tables = {
        "customers",
        "accounts",
        "funds",
        "trades",
        "holdings",
        "cash_flows",
        "app_events",
        "wecom_messages",
    }
    assert planted_tables <= set(generated.bad_rows)
    for name in planted_tables:
        assert generated.bad_rows[name] <= max(8, generated.rows[name] * 0.002)
