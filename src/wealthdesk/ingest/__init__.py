"""Validated ingest: table files → contract checks → store tables + quarantine.

``ingest_path(con, path)`` loads a folder of ``<table>.csv|.parquet|.jsonl``
files (or ``<table>/part-*.ext`` folders, or one file) in schema load order,
one transaction per file, and returns a :class:`LoadReport` whose counts
reconcile: read = loaded + updated + unchanged + quarantined for every file.
"""

from wealthdesk.ingest.discover import SourceFile, discover
from wealthdesk.ingest.load import ingest_file, ingest_path
from wealthdesk.ingest.report import FileResult, LoadReport, TableTotals, render_load_report

__all__ = [
    "FileResult",
    "LoadReport",
    "SourceFile",
    "TableTotals",
    "discover",
    "ingest_file",
    "ingest_path",
    "render_load_report",
]
