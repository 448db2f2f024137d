"""Apache Spark as the pipeline's engine for deployments beyond one machine.

The pipeline is written once in Ibis; on Spark it reads the same tables from
Parquet (the form a data lake holds them in). ``publish_to_spark`` copies
store tables to Parquet and registers each as a Spark view of the same name,
which is how the parity tests feed both engines the same input; a real
deployment points Spark at its own Parquet or Hive tables instead.
"""

from __future__ import annotations

import itertools
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import ibis

from wealthdesk.store.duckdb_store import LINEAGE_COLUMN

_views = itertools.count(1)


def local_spark(master: str = "local[2]", app_name: str = "wealthdesk") -> Any:
    """A local SparkSession set up as measured on the reference machine (no UI, loopback, UTC)."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers import wealthdesk: the same interpreter
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.warehouse.dir", tempfile.mkdtemp(prefix="wealthdesk-spark-"))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )


def publish_to_spark(con: duckdb.DuckDBPyConnection, spark: Any, folder: Path, tables: Iterable[str]) -> None:
    """Write each store table to ``folder/<table>.parquet`` and register it as a Spark view of that name."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in tables:
        path = folder / f"{name}.parquet"
        columns = [row[0] for row in con.execute(f'DESCRIBE "{name}"').fetchall() if row[0] != LINEAGE_COLUMN]
        select = ", ".join(f'"{c}"' for c in columns)
        con.execute(f"COPY (SELECT {select} FROM \"{name}\") TO '{path}' (FORMAT parquet)")
        spark.read.parquet(str(path)).createOrReplaceTempView(name)


def map_in_arrow(backend: Any, expr: Any, function: Callable[[Iterator[Any]], Iterator[Any]], schema: Any) -> Any:
    """``expr`` (an Ibis table on the Spark backend) through ``function`` by ``mapInArrow``, as an Ibis table.

    ``function`` maps an iterator of Arrow record batches to one of batches
    with ``schema`` (an Ibis schema): the way per-row Python work (keyword
    matching) runs on Spark. The result is registered as a temp view.
    """
    from ibis.backends.pyspark.datatypes import PySparkSchema

    view = f"_wd_mapped_{next(_views)}"
    frame = backend.raw_sql(backend.compile(expr))  # a Spark DataFrame
    frame.mapInArrow(function, PySparkSchema.from_ibis(ibis.schema(schema))).createOrReplaceTempView(view)
    return backend.table(view)
