"""The canonical data model: one definition of every stored table.

``TABLES`` lists the tables in load order (every table after the tables it
references), which is the order ingest loads them in.
"""

from __future__ import annotations

from graphlib import TopologicalSorter

from wealthdesk.schema import activity, clients, market, marketing, reference, wecom
from wealthdesk.schema.model import Check, Column, ColumnType, ForeignKey, Pii, Table

_ALL = (*reference.TABLES, *clients.TABLES, *market.TABLES, *activity.TABLES, *wecom.TABLES, *marketing.TABLES)


def _load_order(tables: tuple[Table, ...]) -> tuple[Table, ...]:
    by_name = {t.name: t for t in tables}
    graph = {t.name: {fk.table for fk in t.foreign_keys if fk.table != t.name} for t in tables}
    return tuple(by_name[name] for name in TopologicalSorter(graph).static_order())


TABLES: tuple[Table, ...] = _load_order(_ALL)
TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}


def table(name: str) -> Table:
    """Return the table called ``name`` or raise a KeyError that lists the known ones."""
    try:
        return TABLES_BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown table {name!r}; known tables: {', '.join(sorted(TABLES_BY_NAME))}") from None


__all__ = ["TABLES", "TABLES_BY_NAME", "Check", "Column", "ColumnType", "ForeignKey", "Pii", "Table", "table"]
