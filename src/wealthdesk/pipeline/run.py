"""The batch pipeline: profiles → stage history → rule tags → chat tags → segment members, back to the store.

``run_pipeline(con, ...)`` wraps the DuckDB store in an Ibis backend, builds
each stage as an Ibis expression (the same expressions run on Spark) and
materialises it as a table of the store. Each output table is replaced as a
whole, so a run that fails half-way leaves the previous run's table.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import ibis

from wealthdesk.errors import WealthdeskError
from wealthdesk.profiles.build import ProfileRules, build_profiles, latest_snapshot
from wealthdesk.profiles.history import HISTORY_SCHEMA, HISTORY_TABLE, next_history
from wealthdesk.progress import NULL_REPORTER, Reporter
from wealthdesk.segments.definitions import get_segment, list_segments, tag_names
from wealthdesk.segments.membership import MEMBERS_TABLE, all_segment_members
from wealthdesk.tags.assign import TAGS_TABLE, assign_rule_tags
from wealthdesk.tags.chat_tags import EVIDENCE_TABLE, ChatTagReport, run_chat_tags
from wealthdesk.tags.chat_tags import TAGS_TABLE as KEYWORD_TAGS_TABLE
from wealthdesk.tags.dictionary import load_keyword_dictionary
from wealthdesk.tags.rules import load_tag_rules

PROFILES_TABLE = "profiles"


class PipelineError(WealthdeskError):
    """The pipeline cannot run on this store."""


@dataclass
class RunReport:
    """What a pipeline run wrote."""

    as_of: date
    tag_version: str
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    chat: ChatTagReport | None = None


def default_as_of(backend: Any) -> date:
    """The latest holdings snapshot in the store: the natural as-of date of a run."""
    snapshot = latest_snapshot(backend, date.max)
    if snapshot is None:
        raise PipelineError("the store has no holdings snapshot; ingest data first or pass --as-of")
    return snapshot


def _table_or_empty(backend: Any, name: str, schema: Any) -> Any:
    """The stored table ``name``, created empty with ``schema`` on the first run."""
    try:
        return backend.table(name)
    except ibis.common.exceptions.TableNotFound:
        return backend.create_table(name, schema=schema)


def _materialise(backend: Any, name: str, expr: Any, report: RunReport, started: float) -> Any:
    backend.create_table(name, expr, overwrite=True)
    table = backend.table(name)
    report.rows[name] = backend.to_pyarrow(table.count()).as_py()
    report.seconds[name] = round(time.perf_counter() - started, 3)
    return table


def run_pipeline(
    con: duckdb.DuckDBPyConnection,
    as_of: date | None = None,
    tags_path: Path | None = None,
    rules: ProfileRules | None = None,
    reporter: Reporter = NULL_REPORTER,
    keywords_path: Path | None = None,
    full: bool = False,
) -> RunReport:
    """Rebuild profiles, extend the stage history, reassign rule tags and tag new chat messages.

    Chat keyword tags are incremental (only messages loaded since the last
    run) unless ``full`` is set or the keyword dictionary's version changed.
    """
    # check the tag file, the dictionary and every saved segment before anything is rewritten
    book = load_tag_rules(tags_path)
    dictionary = load_keyword_dictionary(keywords_path)
    tags = tag_names(book, dictionary)
    segments = [get_segment(con, name, tags) for name, *_ in list_segments(con)]
    backend = ibis.duckdb.from_connection(con)
    as_of = as_of or (rules.as_of if rules else None) or default_as_of(backend)
    rules = ProfileRules(as_of=as_of) if rules is None else replace(rules, as_of=as_of)
    report = RunReport(as_of=as_of, tag_version=book.version)
    reporter.start("pipeline", 5)

    started = time.perf_counter()
    profiles = _materialise(backend, PROFILES_TABLE, build_profiles(backend, rules), report, started)
    reporter.advance("pipeline")

    started = time.perf_counter()
    history = next_history(_table_or_empty(backend, HISTORY_TABLE, HISTORY_SCHEMA), profiles, as_of)
    _materialise(backend, HISTORY_TABLE, history, report, started)
    reporter.advance("pipeline")

    started = time.perf_counter()
    _materialise(backend, TAGS_TABLE, assign_rule_tags(profiles, book, as_of), report, started)
    reporter.advance("pipeline")

    started = time.perf_counter()
    report.chat = run_chat_tags(con, dictionary, full=full)
    for name in (EVIDENCE_TABLE, KEYWORD_TAGS_TABLE):
        report.rows[name] = con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]
        report.seconds[name] = round(time.perf_counter() - started, 3)
    reporter.advance("pipeline")

    started = time.perf_counter()
    members = all_segment_members(backend, segments, as_of)
    if members is not None:
        _materialise(backend, MEMBERS_TABLE, members, report, started)
    reporter.advance("pipeline")
    return report
