"""The embedded DuckDB store: opening it and creating its tables from the schema."""

from wealthdesk.store.duckdb_store import META_TABLES, connect, create_tables, open_store

__all__ = ["META_TABLES", "connect", "create_tables", "open_store"]
