"""The building blocks of the canonical data model.

Every table wealthdesk stores is described once with these classes; ingest,
validation, the quality report, the generated docs and the tests all read the
same description, so a column cannot mean one thing in one place and another
elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ColumnType(StrEnum):
    """Logical column types and the DuckDB type each is stored as."""

    STRING = "VARCHAR"
    INT = "INTEGER"
    BIGINT = "BIGINT"
    DOUBLE = "DOUBLE"
    MONEY = "DECIMAL(18,2)"
    PRICE = "DECIMAL(18,4)"
    DATE = "DATE"
    TIMESTAMP = "TIMESTAMP"
    BOOL = "BOOLEAN"
    STRING_LIST = "VARCHAR[]"

    @property
    def sql(self) -> str:
        return self.value


class Pii(StrEnum):
    """Kinds of personal data; each kind has its own masking rule."""

    NAME = "name"
    PHONE = "phone"
    ID_NUMBER = "id_number"


class Check(StrEnum):
    """Named checks that need more than a type, an enum or a pattern."""

    CN_ID_CHECKSUM = "cn_id_checksum"  # GB 11643-1999 18-digit ID, ISO 7064 MOD 11-2


@dataclass(frozen=True)
class Column:
    """One typed column of a table, with the rules a value must satisfy."""

    name: str
    type: ColumnType
    description: str
    required: bool = False
    pii: Pii | None = None
    allowed: tuple[str, ...] | None = None
    pattern: str | None = None
    check: Check | None = None
    minimum: float | None = None
    aliases: tuple[str, ...] = ()

    def rules(self) -> list[str]:
        """Human-readable list of the rules on this column (for docs and errors)."""
        rules: list[str] = []
        if self.required:
            rules.append("required")
        if self.allowed:
            rules.append("one of " + ", ".join(self.allowed))
        if self.pattern:
            rules.append(f"matches `{self.pattern}`")
        if self.check:
            rules.append(self.check.value)
        if self.minimum is not None:
            rules.append(f">= {self.minimum:g}")
        if self.aliases:
            rules.append("also read as " + ", ".join(f"`{a}`" for a in self.aliases))
        return rules


@dataclass(frozen=True)
class ForeignKey:
    """A reference from this table's columns to another table's key.

    ``when`` restricts the reference to rows matching a SQL condition over this
    table's typed columns (e.g. a trade's instrument is a security only for
    stock trades and a fund only for fund trades).
    """

    columns: tuple[str, ...]
    table: str
    ref_columns: tuple[str, ...]
    when: str | None = None

    def describe(self) -> str:
        text = f"({', '.join(self.columns)}) → {self.table}({', '.join(self.ref_columns)})"
        return f"{text} when {self.when}" if self.when else text


@dataclass(frozen=True)
class Table:
    """A table of the canonical model.

    ``key`` is the natural key: re-ingesting a row with a key already stored
    never creates a second row. ``mutable`` tables (dimensions such as
    customers) take the newer version of a row with the same key; immutable
    tables (facts such as trades) keep the first one.
    """

    name: str
    description: str
    group: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    mutable: bool = False
    freshness_column: str | None = None
    unique: tuple[tuple[str, ...], ...] = field(default=())

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"table {self.name} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def pii_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.pii is not None)
