"""The tag expression language: what it accepts, what it means, and everything it refuses.

Semantics are checked by compiling to Ibis and running on a real (in-memory)
DuckDB table of a few hand-written profiles.
"""

from __future__ import annotations

from datetime import date

import ibis
import pytest

from wealthdesk.profiles.columns import PROFILES
from wealthdesk.tags.expression import ExpressionError, parse_expression, to_ibis

COLUMNS = PROFILES.columns

ROWS = [
    # customer_id, aum, days_since_last_trade, holds_chinext, risk_level, last_trade_date, stock_value, fund_value
    ("A", 2_000_000.0, 45, True, "C4", date(2024, 1, 10), 1_500_000.0, 400_000.0),
    ("B", 50_000.0, None, False, None, None, 0.0, 10_000.0),
    ("C", 1_000_000.0, 3, True, "C2", date(2024, 2, 20), 10_000.0, 900_000.0),
    ("D", 0.0, 400, False, "C5", date(2022, 12, 1), 0.0, 0.0),
]


@pytest.fixture(scope="module")
def profiles() -> ibis.Table:
    names = ["customer_id", "aum", "days_since_last_trade", "holds_chinext", "risk_level", "last_trade_date"]
    names += ["stock_value", "fund_value"]
    schema = ibis.schema(
        {
            "customer_id": "string",
            "aum": "float64",
            "days_since_last_trade": "int32",
            "holds_chinext": "boolean",
            "risk_level": "string",
            "last_trade_date": "date",
            "stock_value": "float64",
            "fund_value": "float64",
        }
    )
    return ibis.memtable([dict(zip(names, row, strict=True)) for row in ROWS], schema=schema)


def matches(profiles: ibis.Table, text: str) -> list[str]:
    expression = parse_expression(text, COLUMNS)
    rows = profiles.filter(to_ibis(expression, profiles)).order_by("customer_id").customer_id
    return ibis.duckdb.connect().to_pyarrow(rows).to_pylist()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("aum >= 1_000_000", ["A", "C"]),
        ("days_since_last_trade > 30 and holds_chinext", ["A"]),
        ("days_since_last_trade > 30", ["A", "D"]),  # B never traded: unknown counts as false
        ("missing(last_trade_date) or days_since_last_trade > 30", ["A", "B", "D"]),
        ("present(risk_level) and not holds_chinext", ["D"]),
        ("risk_level in ['C4', 'C5']", ["A", "D"]),
        ("risk_level not in ['C4', 'C5']", ["C"]),  # B's unknown level is not 'not in' either
        ("stock_value + fund_value > 0.9 * aum", ["A", "C"]),
        ("-aum < -100000", ["A", "C"]),
        ("100_000 <= aum < 1_500_000", ["C"]),
        ("last_trade_date >= '2024-01-01'", ["A", "C"]),
        ("holds_chinext == true", ["A", "C"]),
        ("not (aum > 0)", ["D"]),
        ("  aum > 10  ", ["A", "B", "C"]),
        ("aum/2 > 400000", ["A", "C"]),
        ("0 < aum in [50_000, 2_000_000]", ["A", "B"]),  # a chain: 0 < aum and aum in [...]
        ("-aum in [-50_000, -1]", ["B"]),
        ("stock_value / fund_value > 1", ["A"]),  # D: 0/0 is unknown, not NaN (which compares as true)
        ("days_since_last_trade * 100_000 * 100_000 > 1", ["A", "C", "D"]),  # no 32-bit overflow
    ],
)
def test_meaning(profiles: ibis.Table, text: str, expected: list[str]) -> None:
    assert matches(profiles, text) == expected


def test_columns_read_are_reported() -> None:
    expression = parse_expression("days_since_last_trade > 30 and holds_chinext or aum > 1", COLUMNS)
    assert expression.columns == {"days_since_last_trade", "holds_chinext", "aum"}


def error(text: str) -> ExpressionError:
    with pytest.raises(ExpressionError) as caught:
        parse_expression(text, COLUMNS)
    return caught.value


@pytest.mark.parametrize(
    ("text", "column", "problem"),
    [
        ("aum >= ", 7, "the expression ends too early"),
        ("aum > (1", 7, "'(' was never closed"),
        ("aum >== 5", 7, "invalid syntax"),
        ("aum > 5 and", 12, "ends too early"),
        ("aumm > 5", 1, "unknown column 'aumm'; did you mean aum"),
        ("aum", 1, "expected a condition (true/false) here, got number"),
        ("aum > 'rich'", 7, "cannot compare number with text"),
        ("holds_chinext > false", 1, "conditions can only be compared with == or !="),
        ("risk_level == 'C7'", 15, "risk_level is one of C1, C2, C3, C4, C5; 'C7' never matches"),
        ("last_trade_date > '2024-13-01'", 19, "'2024-13-01' is not a date"),
        ("aum > 5 and risk_level", 13, "expected a condition (true/false) here, got text"),
        ("risk_level in []", 15, "'in' needs a non-empty list"),
        ("risk_level in ['C4', other]", 22, "a list after 'in' may hold only numbers or 'text'"),
        ("['C4'] == risk_level", 1, "a list is allowed only after 'in'"),
        ("aum in [1, 2] < 3", 8, "nothing may follow the list of 'in'"),
        ("aum is None", 1, "'is' is not allowed; use missing(column)"),
        ("aum ** 2 > 1", 1, "only + - * / are allowed"),
        ("aum // 2 > 1", 1, "only + - * / are allowed"),
        ("~holds_chinext", 1, "'~' is not allowed"),
        ("", 1, "the expression is empty"),
        ("aum > 1\naum < 5", 8, "an expression is one line"),
        ("missing(aum, holds_chinext)", 1, "missing() takes exactly one column name"),
        ("present('aum')", 1, "present() takes exactly one column name"),
        ("aum > None", 7, "NoneType values are not allowed"),
        ("aum > b'1'", 7, "bytes values are not allowed"),
        ("aum > 1j", 7, "complex values are not allowed"),
        ("aum ≥ 1000", 5, "invalid character"),
        ("customer_id == '中文中文中文' and foo > 1", 29, "unknown column 'foo'"),  # characters, not UTF-8 bytes
        ("aum > 99999999999999999999", 7, "numbers must lie between"),
        ("aum > 1e999", 7, "numbers must lie between"),
        ("last_trade_date > '20240101'", 19, "is not a date; write 'YYYY-MM-DD'"),
        ("last_trade_date > '2024-W01-1'", 19, "is not a date"),
        ("not " * 60 + "holds_chinext", 1, "nested more than 40 levels"),
        ("-" * 60 + "aum > 1", 1, "nested more than 40 levels"),
    ],
)
def test_errors_name_the_position_and_problem(text: str, column: int, problem: str) -> None:
    caught = error(text)
    assert caught.column == column, str(caught)
    assert problem in caught.problem, str(caught)
    assert "^" in str(caught)


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('echo pwned')",
        "open('/etc/passwd').read() != ''",
        "exec('import os')",
        "eval('1') == 1",
        "aum.__class__.__mro__ == 1",
        "().__class__.__bases__[0].__subclasses__() == 1",
        "[c for c in aum] == 1",
        "(lambda: 1)() == 1",
        "aum if holds_chinext else 0",
        "(x := 1) == 1",
        "f'{aum}' == 'x'",
        "_secret > 0",
        "aum > 0; DROP TABLE customers",
        "aum > 0 -- and 1",
        "aum > 0' OR '1'='1",
        "risk_level == 'x'' OR 1=1 --'",
        "{'a': 1} == aum",
        "*aum",
        "yield aum",
        "aum > 0 and (" * 5 + "1",
        "(" * 900 + "aum > 1" + ")" * 900,
        "aum > 1 and " * 300 + "aum > 1",
        "a" * 5000,
        "aum > 1\x00",
    ],
)
def test_hostile_input_is_refused_without_running_anything(text: str) -> None:
    caught = error(text)
    assert caught.column >= 1
    assert caught.problem


def test_text_values_travel_as_literals_not_sql(profiles: ibis.Table) -> None:
    """Quotes inside a value are data: the query still runs and simply matches nothing."""
    expression = parse_expression("customer_id == 'A'' OR ''1''=''1'", COLUMNS)
    rows = profiles.filter(to_ibis(expression, profiles)).customer_id
    assert ibis.duckdb.connect().to_pyarrow(rows).to_pylist() == []
