"""The batch pipeline: profiles → stage history → rule tags → chat tags → segment members, back to the store.

``run_pipeline(con, ...)`` builds each stage as an Ibis expression and has an
engine (:mod:`wealthdesk.pipeline.engines`) materialise it: the DuckDB store
itself by default, or Spark, whose outputs are copied back into the store at
the end. The stages are the same code on both. Each output table is replaced
as a whole, so a run that fails half-way leaves the previous run's table.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from wealthdesk.errors import WealthdeskError
from wealthdesk.pipeline.engines import DuckDBEngine, Engine
from wealthdesk.profiles.build import ProfileRules, build_profiles, latest_snapshot
from wealthdesk.profiles.columns import PROFILES
from wealthdesk.profiles.history import HISTORY_SCHEMA, HISTORY_TABLE, next_history
from wealthdesk.progress import NULL_REPORTER, Reporter
from wealthdesk.segments.definitions import Segment, get_segment, list_segments, tag_names
from wealthdesk.segments.membership import MEMBERS_TABLE, all_segment_members
from wealthdesk.tags.assign import TAGS_TABLE, assign_rule_tags
from wealthdesk.tags.chat_tags import EVIDENCE_TABLE, ChatTagReport
from wealthdesk.tags.chat_tags import TAGS_TABLE as KEYWORD_TAGS_TABLE
from wealthdesk.tags.dictionary import KeywordDictionary, load_keyword_dictionary
from wealthdesk.tags.rules import TagBook, load_tag_rules

PROFILES_TABLE = PROFILES.name


class PipelineError(WealthdeskError):
    """The pipeline cannot run on this store."""


@dataclass
class RunReport:
    """What a pipeline run wrote."""

    as_of: date
    tag_version: str
    engine: str = "duckdb"
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    chat: ChatTagReport | None = None


def default_as_of(backend: Any) -> date:
    """The latest holdings snapshot in the store: the natural as-of date of a run."""
    snapshot = latest_snapshot(backend, date.max)
    if snapshot is None:
        raise PipelineError("the store has no holdings snapshot; ingest data first or pass --as-of")
    return snapshot


class _Stages:
    """Materialises stages on the engine and notes rows and seconds of each."""

    def __init__(self, engine: Engine, report: RunReport, reporter: Reporter) -> None:
        self.engine, self.report, self.reporter = engine, report, reporter
        self.started = time.perf_counter()

    def done(self, *names: str) -> None:
        for name in names:
            table = self.engine.backend.table(name)
            self.report.rows[name] = self.engine.backend.to_pyarrow(table.count()).as_py()
            self.report.seconds[name] = round(time.perf_counter() - self.started, 3)
        self.started = time.perf_counter()
        self.reporter.advance("pipeline")

    def write(self, name: str, expr: Any) -> Any:
        table = self.engine.materialise(name, expr)
        self.done(name)
        return table


def run_pipeline(
    con: duckdb.DuckDBPyConnection,
    as_of: date | None = None,
    tags_path: Path | None = None,
    rules: ProfileRules | None = None,
    reporter: Reporter = NULL_REPORTER,
    keywords_path: Path | None = None,
    full: bool = False,
    engine: Engine | None = None,
) -> RunReport:
    """Rebuild profiles, extend the stage history, reassign rule tags, tag chat messages, list segment members.

    On DuckDB (the default engine), chat keyword tags are incremental (only
    messages loaded since the last run) unless ``full`` is set or the keyword
    dictionary's version changed; Spark re-tags every message.
    """
    # check the tag file, the dictionary and every saved segment before anything is rewritten
    book = load_tag_rules(tags_path)
    dictionary = load_keyword_dictionary(keywords_path)
    tags = tag_names(book, dictionary)
    segments = [get_segment(con, name, tags) for name, *_ in list_segments(con)]
    engine = engine or DuckDBEngine(con)
    try:
        report = _run_stages(engine, as_of, rules, book, dictionary, segments, full, reporter)
    finally:
        engine.close()
    return report


def _run_stages(
    engine: Engine,
    as_of: date | None,
    rules: ProfileRules | None,
    book: TagBook,
    dictionary: KeywordDictionary,
    segments: list[Segment],
    full: bool,
    reporter: Reporter,
) -> RunReport:
    backend = engine.backend
    as_of = as_of or (rules.as_of if rules else None) or default_as_of(backend)
    rules = ProfileRules(as_of=as_of) if rules is None else replace(rules, as_of=as_of)
    report = RunReport(as_of=as_of, tag_version=book.version, engine=engine.name)
    reporter.start("pipeline", 6)
    stages = _Stages(engine, report, reporter)
    profiles = stages.write(PROFILES_TABLE, build_profiles(backend, rules))
    stages.write(HISTORY_TABLE, next_history(engine.previous(HISTORY_TABLE, HISTORY_SCHEMA), profiles, as_of))
    stages.write(TAGS_TABLE, assign_rule_tags(profiles, book, as_of))
    report.chat = engine.chat_tags(dictionary, full)
    stages.done(EVIDENCE_TABLE, KEYWORD_TAGS_TABLE)
    members = all_segment_members(backend, segments, as_of)
    if members is not None:
        stages.write(MEMBERS_TABLE, members)
    else:
        stages.done()
    engine.finish()
    reporter.advance("pipeline")
    return report
