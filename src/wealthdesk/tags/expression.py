"""The tag expression language: small, typed, and unable to run anything.

Rule tags and segments are written by business users as boolean expressions
over profile columns, e.g. ``aum >= 1_000_000`` or
``days_since_last_trade > 30 and holds_chinext``. The text is parsed with
Python's own parser (``ast.parse``, never ``eval``), and every node is
checked against a short allow-list; anything else — calls other than the
few listed functions, attribute access, subscripts, comprehensions, names
that are not columns — is rejected with the column it starts at and the
problem. The checked tree is then compiled to an Ibis expression, so the
same tag runs on DuckDB and on Spark, and values always travel as literals.

Grammar (informally)::

    expr    := expr "or" expr | expr "and" expr | "not" expr | compare
    compare := sum (("==" | "!=" | "<" | "<=" | ">" | ">=") sum)+
             | sum ["not"] "in" "[" literal ("," literal)* "]"
             | sum
    sum     := sum ("+" | "-" | "*" | "/") sum | "-" sum | "(" expr ")" | atom
    atom    := column | number | 'text' | true | false | missing(column) | present(column)
             | tagged('tag')   (segments only: the client has that rule or chat tag)

Types: numbers, text, dates (compared with ``'YYYY-MM-DD'`` text) and
booleans. A comparison with an unknown (null) value is unknown, and a tag
holds only where its expression is true: ``days_since_last_trade > 30`` is
false for a client who never traded; write
``missing(last_trade_date) or days_since_last_trade > 30`` to include them.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import reduce
from typing import Any

from wealthdesk.errors import WealthdeskError
from wealthdesk.schema.model import Column, ColumnType

MAX_LENGTH = 2_000  # characters; a tag is a line, not a program
MAX_NODES = 400  # parsed nodes; deep or huge expressions are refused before they cost anything
MAX_DEPTH = 40  # nesting levels (not not not …); compiling deeper trees would exhaust the stack
MAX_NUMBER = 1e15  # beyond every amount a brokerage holds, and exact as a float


class ExpressionError(WealthdeskError):
    """An expression that cannot be accepted; says where (1-based column) and why."""

    def __init__(self, text: str, column: int, problem: str) -> None:
        self.text, self.column, self.problem = text, column, problem
        pointer = " " * (max(column, 1) - 1) + "^"
        shown = text if len(text) <= 200 else text[:200] + "…"
        super().__init__(f"column {column}: {problem}\n  {shown}\n  {pointer}")


class Kind(StrEnum):
    """Value types of the language."""

    NUMBER = "number"
    TEXT = "text"
    DATE = "date"
    BOOL = "boolean"


_KIND_OF_TYPE = {
    ColumnType.INT: Kind.NUMBER,
    ColumnType.BIGINT: Kind.NUMBER,
    ColumnType.DOUBLE: Kind.NUMBER,
    ColumnType.MONEY: Kind.NUMBER,
    ColumnType.PRICE: Kind.NUMBER,
    ColumnType.STRING: Kind.TEXT,
    ColumnType.DATE: Kind.DATE,
    ColumnType.TIMESTAMP: Kind.DATE,
    ColumnType.BOOL: Kind.BOOL,
}


# ------------------------------------------------------------------ checked tree


@dataclass(frozen=True)
class Ref:
    column: str
    kind: Kind


@dataclass(frozen=True)
class Literal:
    value: Any
    kind: Kind


@dataclass(frozen=True)
class Arith:
    op: str  # + - * /
    left: Node
    right: Node
    kind: Kind = Kind.NUMBER


@dataclass(frozen=True)
class Negate:
    operand: Node
    kind: Kind = Kind.NUMBER


@dataclass(frozen=True)
class Compare:
    op: str  # == != < <= > >=
    left: Node
    right: Node
    kind: Kind = Kind.BOOL


@dataclass(frozen=True)
class Member:
    operand: Node
    values: tuple[Any, ...]
    negated: bool
    kind: Kind = Kind.BOOL


@dataclass(frozen=True)
class Logic:
    op: str  # and | or
    operands: tuple[Node, ...]
    kind: Kind = Kind.BOOL


@dataclass(frozen=True)
class Not:
    operand: Node
    kind: Kind = Kind.BOOL


@dataclass(frozen=True)
class Presence:
    column: str
    present: bool
    kind: Kind = Kind.BOOL


@dataclass(frozen=True)
class Tagged:
    tag: str
    kind: Kind = Kind.BOOL


Node = Ref | Literal | Arith | Negate | Compare | Member | Logic | Not | Presence | Tagged


def tag_column(tag: str) -> str:
    """Name of the boolean column that carries ``tagged('tag')`` in the table an expression runs on."""
    return f"tagged__{tag}"


@dataclass(frozen=True)
class Expression:
    """A parsed, checked boolean expression, the columns it reads and the tags it tests."""

    text: str
    tree: Node
    columns: frozenset[str]
    tags: frozenset[str] = frozenset()


# ------------------------------------------------------------------ parsing and checking

_COMPARE = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_ARITH = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_BOOL_NAMES = {"true": True, "false": False, "True": True, "False": False}
_FUNCTIONS = {"missing": False, "present": True}
_NODE_NAMES = {
    ast.Call: "a function call",
    ast.Attribute: "attribute access ('.')",
    ast.Subscript: "indexing ('[…]')",
    ast.Lambda: "lambda",
    ast.IfExp: "'… if … else …'",
    ast.NamedExpr: "':='",
    ast.JoinedStr: "f-strings",
    ast.ListComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.Dict: "dictionaries",
    ast.Starred: "'*'",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}


def _allowed_columns(columns: Mapping[str, Column] | tuple[Column, ...]) -> dict[str, Column]:
    if isinstance(columns, Mapping):
        return dict(columns)
    return {c.name: c for c in columns}


class _Checker:
    def __init__(
        self, text: str, parsed: str, lead: int, columns: dict[str, Column], tags: frozenset[str] | None
    ) -> None:
        self.text = text
        self.parsed, self.lead = parsed.encode("utf-8"), lead
        self.columns = columns
        self.tags = tags
        self.used: set[str] = set()
        self.used_tags: set[str] = set()

    def fail(self, node: ast.AST, problem: str) -> ExpressionError:
        """An error at ``node``; ast offsets count UTF-8 bytes, the message counts characters."""
        before = self.parsed[: getattr(node, "col_offset", 0)].decode("utf-8", errors="ignore")
        return ExpressionError(self.text, self.lead + len(before) + 1, problem)

    def column(self, node: ast.Name) -> Ref:
        name = node.id
        column = self.columns.get(name)
        if column is None:
            close = sorted(c for c in self.columns if name.lower() in c or c in name.lower())[:3]
            hint = f"; did you mean {', '.join(close)}?" if close else "; the columns are listed in docs/profiles.md"
            raise self.fail(node, f"unknown column {name!r}{hint}")
        kind = _KIND_OF_TYPE.get(column.type)
        if kind is None:
            raise self.fail(node, f"column {name!r} holds {column.type.name.lower()} values, which tags cannot use")
        self.used.add(name)
        return Ref(name, kind)

    def literal(self, node: ast.Constant) -> Literal:
        value = node.value
        if isinstance(value, bool):
            return Literal(value, Kind.BOOL)
        if isinstance(value, int | float):
            if not math.isfinite(value) or abs(value) > MAX_NUMBER:
                raise self.fail(node, f"numbers must lie between -{MAX_NUMBER:.0e} and {MAX_NUMBER:.0e}")
            return Literal(value, Kind.NUMBER)
        if isinstance(value, str):
            return Literal(value, Kind.TEXT)
        raise self.fail(node, f"{type(value).__name__} values are not allowed; use numbers, 'text', true or false")

    def value(self, node: ast.AST) -> Node:
        if isinstance(node, ast.Name):
            if node.id in _BOOL_NAMES:
                return Literal(_BOOL_NAMES[node.id], Kind.BOOL)
            if node.id.startswith("_"):
                raise self.fail(node, f"names starting with '_' are not allowed: {node.id!r}")
            return self.column(node)
        if isinstance(node, ast.Constant):
            return self.literal(node)
        if isinstance(node, ast.BoolOp):
            op = "and" if isinstance(node.op, ast.And) else "or"
            return Logic(op, tuple(self.boolean(v) for v in node.values))
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return Not(self.boolean(node.operand))
            if isinstance(node.op, ast.USub | ast.UAdd):
                operand = self.number(node.operand)
                return Negate(operand) if isinstance(node.op, ast.USub) else operand
            raise self.fail(node, "'~' is not allowed")
        if isinstance(node, ast.BinOp):
            symbol = _ARITH.get(type(node.op))
            if symbol is None:
                raise self.fail(node, "only + - * / are allowed between numbers")
            return Arith(symbol, self.number(node.left), self.number(node.right))
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            raise self.fail(node, "a list is allowed only after 'in' or 'not in'")
        raise self.fail(node, f"{_NODE_NAMES.get(type(node), type(node).__name__)} is not allowed")

    def number(self, node: ast.AST) -> Node:
        checked = self.value(node)
        if checked.kind is not Kind.NUMBER:
            raise self.fail(node, f"expected a number here, got {checked.kind.value}")
        return checked

    def boolean(self, node: ast.AST) -> Node:
        checked = self.value(node)
        if checked.kind is not Kind.BOOL:
            raise self.fail(node, f"expected a condition (true/false) here, got {checked.kind.value}")
        return checked

    def call(self, node: ast.Call) -> Presence | Tagged:
        if isinstance(node.func, ast.Name) and node.func.id == "tagged" and self.tags is not None:
            return self.tagged(node)
        if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS:
            also = ", tagged('tag')" if self.tags is not None else ""
            raise self.fail(
                node, f"a function call is not allowed; the only functions are missing(column), present(column){also}"
            )
        if node.keywords or len(node.args) != 1 or not isinstance(node.args[0], ast.Name):
            raise self.fail(node, f"{node.func.id}() takes exactly one column name")
        ref = self.column(node.args[0])
        return Presence(ref.column, _FUNCTIONS[node.func.id])

    def tagged(self, node: ast.Call) -> Tagged:
        args = node.args
        if (
            node.keywords
            or len(args) != 1
            or not isinstance(args[0], ast.Constant)
            or not isinstance(args[0].value, str)
        ):
            raise self.fail(node, "tagged() takes exactly one tag name in quotes, e.g. tagged('kw_chinext')")
        name = args[0].value
        if name not in (self.tags or ()):
            close = sorted(t for t in (self.tags or ()) if name.lower() in t or t in name.lower())[:3]
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise self.fail(args[0], f"unknown tag {name!r}{hint}")
        self.used_tags.add(name)
        return Tagged(name)

    def compare(self, node: ast.Compare) -> Node:
        parts: list[Node] = []
        left_node, left = node.left, self.value(node.left)
        for index, (op, right_node) in enumerate(zip(node.ops, node.comparators, strict=True)):
            if isinstance(op, ast.In | ast.NotIn):
                if index != len(node.ops) - 1:
                    raise self.fail(right_node, "nothing may follow the list of 'in'; join conditions with 'and'")
                parts.append(self.member(left_node, left, right_node, isinstance(op, ast.NotIn)))
                continue
            symbol = _COMPARE.get(type(op))
            if symbol is None:
                raise self.fail(node, "'is' is not allowed; use missing(column) or present(column)")
            right = self.value(right_node)
            left_c, right_c = self.coerce(left_node, left, right_node, right)
            if left_c.kind is Kind.BOOL and symbol not in ("==", "!="):
                raise self.fail(node, "conditions can only be compared with == or !=")
            parts.append(Compare(symbol, left_c, right_c))
            left_node, left = right_node, right
        return parts[0] if len(parts) == 1 else Logic("and", tuple(parts))

    def coerce(self, left_node: ast.AST, left: Node, right_node: ast.AST, right: Node) -> tuple[Node, Node]:
        """Make both sides the same kind (a text literal next to a date becomes a date), or fail."""
        if left.kind is Kind.DATE and right.kind is Kind.TEXT:
            return left, self.as_date(right_node, right)
        if right.kind is Kind.DATE and left.kind is Kind.TEXT:
            return self.as_date(left_node, left), right
        if left.kind is not right.kind:
            raise self.fail(right_node, f"cannot compare {left.kind.value} with {right.kind.value}")
        self.check_allowed(left, right, right_node)
        self.check_allowed(right, left, left_node)
        return left, right

    def as_date(self, node: ast.AST, value: Node) -> Literal:
        if not isinstance(value, Literal):
            raise self.fail(node, "a date can only be compared with a date column or a 'YYYY-MM-DD' text")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.value):
            raise self.fail(node, f"{value.value!r} is not a date; write 'YYYY-MM-DD'")
        try:
            return Literal(date.fromisoformat(value.value), Kind.DATE)
        except ValueError:
            raise self.fail(node, f"{value.value!r} is not a date; write 'YYYY-MM-DD'") from None

    def check_allowed(self, ref: Node, value: Node, node: ast.AST) -> None:
        if isinstance(ref, Ref) and isinstance(value, Literal):
            allowed = self.columns[ref.column].allowed
            if allowed and value.value not in allowed:
                raise self.fail(node, f"{ref.column} is one of {', '.join(allowed)}; {value.value!r} never matches")

    def member(self, left_node: ast.AST, left: Node, node: ast.AST, negated: bool) -> Member:
        if not isinstance(node, ast.List | ast.Tuple | ast.Set) or not node.elts:
            raise self.fail(node, "'in' needs a non-empty list of values, e.g. risk_level in ['C4', 'C5']")
        values: list[Any] = []
        for element in node.elts:
            negative = isinstance(element, ast.UnaryOp) and isinstance(element.op, ast.USub)
            constant = element.operand if negative else element  # type: ignore[attr-defined]
            if not isinstance(constant, ast.Constant) or (negative and not isinstance(constant.value, int | float)):
                raise self.fail(element, "a list after 'in' may hold only numbers or 'text'")
            item = self.literal(constant)
            if negative:
                item = Literal(-item.value, Kind.NUMBER)
            _, item = self.coerce(left_node, left, element, item)
            values.append(item.value)
        return Member(left, tuple(values), negated)


def _syntax_error(text: str, stripped: str, lead: int, exc: SyntaxError) -> ExpressionError:
    """Python's syntax error, pointed at the user's text (offset 0 means 'at the end')."""
    message = (exc.msg or "invalid syntax").split(" (")[0]
    if not exc.offset or exc.offset > len(stripped):
        return ExpressionError(text, lead + len(stripped) + 1, f"{message}: the expression ends too early")
    column = exc.offset + lead
    return ExpressionError(text, column, f"{message} at {text[column - 1]!r}")


def _depth(tree: ast.AST) -> int:
    """Nesting depth of a parsed tree, without recursion."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in ast.iter_child_nodes(node))
    return deepest


def parse_expression(
    text: str, columns: Mapping[str, Column] | tuple[Column, ...], tags: Iterable[str] | None = None
) -> Expression:
    """Parse and check a boolean expression over ``columns``; raise :class:`ExpressionError` if it is not one.

    With ``tags`` (the known tag names), ``tagged('name')`` tests whether a
    client has that tag; segments use it, rule tags do not.
    """
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError(str(text or ""), 1, "the expression is empty")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(text, MAX_LENGTH + 1, f"the expression is longer than {MAX_LENGTH} characters")
    if "\n" in text.strip() or "\r" in text:
        raise ExpressionError(text, text.find("\n") + 1, "an expression is one line")
    if "\x00" in text:
        raise ExpressionError(text, text.find("\x00") + 1, "the expression contains a NUL character")
    stripped = text.strip()
    lead = len(text) - len(text.lstrip())
    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError as exc:
        raise _syntax_error(text, stripped, lead, exc) from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError(text, 1, "the expression is nested too deeply") from None
    nodes = sum(1 for _ in ast.walk(tree))
    if nodes > MAX_NODES:
        raise ExpressionError(text, 1, f"the expression has {nodes} parts; at most {MAX_NODES} are allowed")
    if _depth(tree) > MAX_DEPTH:
        raise ExpressionError(text, 1, f"the expression is nested more than {MAX_DEPTH} levels deep")
    checker = _Checker(text, stripped, lead, _allowed_columns(columns), None if tags is None else frozenset(tags))
    checked = checker.boolean(tree.body)
    return Expression(text=text, tree=checked, columns=frozenset(checker.used), tags=frozenset(checker.used_tags))


# ------------------------------------------------------------------ compiling to Ibis

_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def to_ibis(expression: Expression, table: Any) -> Any:
    """The expression as an Ibis boolean column over ``table``; unknown (null) counts as false."""
    import ibis

    def build(node: Node) -> Any:
        match node:
            case Ref(column=column, kind=kind):
                # numbers compute as doubles: an INTEGER column times a big literal must not overflow
                return table[column].cast("float64") if kind is Kind.NUMBER else table[column]
            case Literal(value=value):
                return ibis.literal(value)
            case Arith(op="/", left=left, right=right):
                # x / 0 is unknown (as on Spark), not DuckDB's NaN or infinity, which compare as true
                divisor = build(right)
                return ibis.ifelse(divisor == 0, ibis.null("float64"), build(left) / divisor)
            case Arith(op=op, left=left, right=right) | Compare(op=op, left=left, right=right):
                return _OPERATORS[op](build(left), build(right))
            case Negate(operand=operand):
                return -build(operand)
            case Member(operand=operand, values=values, negated=negated):
                test = build(operand).isin(list(values))
                return ~test if negated else test
            case Logic(op=op, operands=operands):
                combine = operator.and_ if op == "and" else operator.or_
                return reduce(combine, (build(o) for o in operands))
            case Not(operand=operand):
                return ~build(operand)
            case Presence(column=column, present=present):
                return table[column].notnull() if present else table[column].isnull()
            case Tagged(tag=tag):
                return table[tag_column(tag)]
        raise TypeError(f"unknown node {node!r}")  # pragma: no cover - the checker builds only the nodes above

    return build(expression.tree).fill_null(False)
