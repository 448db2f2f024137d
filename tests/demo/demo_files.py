"""Reading generated files back exactly as written, with their file and line numbers."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from wealthdesk.demo.output import JSON_KEYS, OUTPUTS


def table_files(out: Path, name: str) -> list[Path]:
    spec = OUTPUTS[name]
    ext = spec.fmt
    folder = out / name
    return sorted(folder.glob(f"part-*.{ext}")) if spec.partitioned else [out / f"{name}.{ext}"]


def read_raw(out: Path, name: str) -> pa.Table:
    """A table as written (CSV: all strings, empty = null), with ``_file`` and ``_line`` columns added."""
    spec = OUTPUTS[name]
    parts = []
    for path in table_files(out, name):
        if spec.fmt == "csv":
            text = path.read_bytes().decode(spec.encoding)
            header = next(csv.reader(io.StringIO(text)))
            t = pacsv.read_csv(
                io.BytesIO(text.encode("utf-8")),
                convert_options=pacsv.ConvertOptions(
                    column_types={h: pa.string() for h in header}, strings_can_be_null=True, null_values=[""]
                ),
            )
            first = 2
        elif spec.fmt == "parquet":
            t = pq.read_table(path)
            first = 1
        else:
            t = pajson.read_json(path) if path.stat().st_size else pa.table({})
            renames = {v: k for k, v in JSON_KEYS.get(name, {}).items()}
            t = t.rename_columns([renames.get(c, c) for c in t.column_names])
            first = 1
        rel = path.relative_to(out).as_posix()
        t = t.append_column("_file", pa.array([rel] * t.num_rows, pa.string()))
        t = t.append_column("_line", pa.array(range(first, first + t.num_rows), pa.int64()))
        parts.append(t)
    return pa.concat_tables(parts, promote_options="permissive")
