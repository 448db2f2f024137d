"""Where the pipeline's expressions run: the embedded DuckDB store, or Apache Spark beside it.

The pipeline (:mod:`wealthdesk.pipeline.run`) builds every stage as an Ibis
expression and hands it to an engine, which materialises it under a table
name and gives back the stored table for the next stage. The engines differ
only in where tables live and in how the per-row Python stage (chat keyword
matching) runs:

- :class:`DuckDBEngine` — tables of the store; chat tags tagged in-process,
  batch by batch, incrementally (only messages loaded since the last run).
- :class:`SparkEngine` — the sources published to a Parquet lake and read by
  a SparkSession; every stage writes Parquet there; the matcher runs as a
  ``mapInArrow`` stage over all client messages (a full re-tag each run).
  :meth:`SparkEngine.finish` copies the outputs back into the store in one
  transaction, in the types the DuckDB engine writes, so everything that
  reads the store (CLI, API, later incremental runs) works the same after
  either engine.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Protocol

import duckdb
import ibis

from wealthdesk.errors import WealthdeskError
from wealthdesk.ingest.readers import quote_ident as qi
from wealthdesk.ingest.readers import quote_str as qs
from wealthdesk.store.duckdb_store import columns_ddl
from wealthdesk.store.spark import local_spark, map_in_arrow, publish_to_spark
from wealthdesk.tags.chat_tags import (
    EVIDENCE_SCHEMA,
    EVIDENCE_TABLE,
    TAGS_TABLE,
    ChatTagReport,
    EvidenceMapper,
    client_messages,
    ensure_tables,
    keyword_tags,
    newest_message_batch,
    record_state,
    run_chat_tags,
)
from wealthdesk.tags.dictionary import KeywordDictionary

# the store tables the pipeline reads (published to the lake for Spark)
PIPELINE_SOURCES = (
    "customers",
    "accounts",
    "holdings",
    "securities",
    "funds",
    "fund_top_holdings",
    "trades",
    "cash_flows",
    "app_events",
    "wecom_messages",
    "wecom_contacts",
)


class EngineError(WealthdeskError):
    """The engine cannot run here (e.g. Spark is not installed)."""


class Engine(Protocol):
    """What the pipeline needs of an engine."""

    name: str
    backend: Any

    def previous(self, name: str, schema: ibis.Schema) -> Any:
        """The stored table ``name`` from the last run (empty with ``schema`` on the first)."""

    def materialise(self, name: str, expr: Any) -> Any:
        """Compute ``expr`` and store it as ``name`` (replacing it); returns the stored table."""

    def chat_tags(self, dictionary: KeywordDictionary, full: bool) -> ChatTagReport:
        """Keyword evidence and chat tags for the client messages."""

    def finish(self) -> None:
        """Make the run's outputs visible in the store."""

    def close(self) -> None:
        """Remove what the engine made for the run (called whether the run succeeded or not)."""


def spark_engine(con: duckdb.DuckDBPyConnection, master: str, lake: Path) -> SparkEngine:
    """A :class:`SparkEngine` on a SparkSession at ``master`` (``local[N]``, or a cluster's URL)."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise EngineError("Spark is not installed: pip install 'wealthdesk[spark]' (and Java 17)") from None
    try:
        spark = local_spark(master)
    except Exception as exc:  # py4j/JVM start-up errors have no common base class
        raise EngineError(f"cannot start Spark at {master}: {exc}") from exc
    return SparkEngine(con, spark, lake)


def _table_or_empty(backend: Any, name: str, schema: ibis.Schema) -> Any:
    """The stored table ``name``, created empty with ``schema`` on the first run."""
    try:
        return backend.table(name)
    except ibis.common.exceptions.TableNotFound:
        return backend.create_table(name, schema=schema)


class DuckDBEngine:
    """The embedded store: each stage is a table of the DuckDB file."""

    name = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.backend = ibis.duckdb.from_connection(con)

    def previous(self, name: str, schema: ibis.Schema) -> Any:
        return _table_or_empty(self.backend, name, schema)

    def materialise(self, name: str, expr: Any) -> Any:
        self.backend.create_table(name, expr, overwrite=True)
        return self.backend.table(name)

    def chat_tags(self, dictionary: KeywordDictionary, full: bool) -> ChatTagReport:
        return run_chat_tags(self.con, dictionary, full=full)

    def finish(self) -> None:
        return None

    def close(self) -> None:
        return None


class SparkEngine:
    """Spark over a Parquet lake in ``lake`` (sources in ``lake/in``, outputs in ``lake/out``).

    ``spark`` is a live SparkSession (``wealthdesk.store.spark.local_spark()``
    for one machine). The lake folder is the engine's own: it is emptied
    first, readable by its owner only (it holds a copy of the store's data,
    personal data included), and removed when the run ends, whether it
    succeeded or not.
    """

    name = "spark"

    def __init__(self, con: duckdb.DuckDBPyConnection, spark: Any, lake: Path) -> None:
        self.con = con
        self.spark = spark
        self.lake = Path(lake)
        shutil.rmtree(self.lake, ignore_errors=True)
        self.lake.mkdir(mode=0o700, parents=True)
        publish_to_spark(con, spark, self.lake / "in", PIPELINE_SOURCES)
        self.backend = ibis.pyspark.connect(spark)
        self._outputs: dict[str, ibis.Schema] = {}
        self._keyword_state: tuple[str, int] | None = None

    def previous(self, name: str, schema: ibis.Schema) -> Any:
        _table_or_empty(ibis.duckdb.from_connection(self.con), name, schema)
        publish_to_spark(self.con, self.spark, self.lake / "in", [name])
        return self.backend.table(name)

    def _path(self, name: str) -> Path:
        return self.lake / "out" / name

    def materialise(self, name: str, expr: Any) -> Any:
        path = self._path(name)
        self.backend.to_parquet(expr, str(path), mode="overwrite")
        self.spark.read.parquet(str(path)).createOrReplaceTempView(name)
        self._outputs[name] = expr.schema()
        return self.backend.table(name)

    def chat_tags(self, dictionary: KeywordDictionary, full: bool) -> ChatTagReport:
        messages = client_messages(self.backend)
        mapped = map_in_arrow(self.backend, messages, EvidenceMapper(dictionary), EVIDENCE_SCHEMA)
        evidence = self.materialise(EVIDENCE_TABLE, mapped)
        self._outputs[EVIDENCE_TABLE] = EVIDENCE_SCHEMA  # Spark's view forgets which columns are never null
        self.materialise(TAGS_TABLE, keyword_tags(evidence, dictionary))
        counts = evidence.aggregate(mentions=evidence.count(), negated=evidence.negated.sum())
        found = self.backend.to_pyarrow(counts).to_pylist()[0]
        newest = newest_message_batch(self.con)
        self._keyword_state = (dictionary.version, newest)
        return ChatTagReport(
            messages=self.backend.to_pyarrow(messages.count()).as_py(),
            mentions=found["mentions"],
            negated=found["negated"] or 0,
            full=True,
            last_batch_id=newest,
        )

    def finish(self) -> None:
        """Replace the store's output tables with the lake's, all in one transaction."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            if self._keyword_state is not None:
                ensure_tables(self.con)
            for name, schema in self._outputs.items():
                self.con.execute(f"CREATE OR REPLACE TABLE {qi(name)} ({columns_ddl(schema)})")
                parts = sorted(self._path(name).glob("*.parquet"))
                if parts:
                    files = "[" + ", ".join(qs(str(p)) for p in parts) + "]"
                    self.con.execute(f"INSERT INTO {qi(name)} BY NAME SELECT * FROM read_parquet({files})")
            if self._keyword_state is not None:
                record_state(self.con, *self._keyword_state)
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise

    def close(self) -> None:
        shutil.rmtree(self.lake, ignore_errors=True)  # a copy of the store's data: not left lying about
