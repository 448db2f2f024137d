"""Find the table files under a path and decide which table each one feeds.

Layout (the contract with the generator and with brokerages' exports)::

    DIR/<table>.csv | .parquet | .jsonl
    DIR/<table>/part-NNNN.<ext>        (any file name inside the table folder)

Names starting with ``_`` or ``.`` are skipped silently (``DIR/_truth/`` holds
the generator's ground truth). Anything else that names no schema table is
returned as *ignored* so the report can list it. Files come back in schema load
order (``TABLES``), parents before children, and by path within a table.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from wealthdesk.errors import IngestError
from wealthdesk.schema import TABLES, TABLES_BY_NAME, Table

FORMATS: dict[str, str] = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_ORDER = {t.name: i for i, t in enumerate(TABLES)}


@dataclass(frozen=True)
class SourceFile:
    """One file to load: where it is, which table it feeds and how it is written."""

    path: Path
    table: Table
    format: str


def _hidden(path: Path) -> bool:
    return path.name.startswith(("_", "."))


def _classify(path: Path, table_name: str) -> SourceFile | None:
    fmt = FORMATS.get(path.suffix.lower())
    table = TABLES_BY_NAME.get(table_name)
    if fmt is None or table is None:
        return None
    return SourceFile(path=path, table=table, format=fmt)


def discover(path: Path) -> tuple[list[SourceFile], list[Path]]:
    """Return the files to load (in load order) and the files that name no table."""
    path = Path(path)
    if not path.exists():
        raise IngestError(f"{path}: no such file or directory; give a folder of table files or one table file")
    found: list[SourceFile] = []
    ignored: list[Path] = []
    if path.is_file():
        source = _classify(path, path.stem) or _classify(path, path.parent.name)
        if source is None:
            raise IngestError(
                f"{path}: the file name names no table; name it <table>.csv|.parquet|.jsonl "
                f"(tables: {', '.join(t.name for t in TABLES)})"
            )
        return [source], []
    if path.name in TABLES_BY_NAME and not any((path / f"{t.name}").exists() for t in TABLES):
        entries = [path]  # a table folder of part files given directly
    else:
        entries = sorted(path.iterdir())
    for entry in entries:
        if _hidden(entry):
            continue
        if entry.is_dir():
            if entry.name not in TABLES_BY_NAME:
                ignored.append(entry)
                continue
            for part in sorted(entry.rglob("*")):
                if not part.is_file() or any(p.startswith(("_", ".")) for p in part.relative_to(entry).parts):
                    continue
                source = _classify(part, entry.name)
                if source is None:
                    ignored.append(part)
                else:
                    found.append(source)
        else:
            source = _classify(entry, entry.stem)
            if source is None:
                ignored.append(entry)
            else:
                found.append(source)
    found.sort(key=lambda s: (_ORDER[s.table.name], str(s.path)))
    return found, ignored
