"""Near real time: a chat message or app event fed in updates that client's chat tags and activity at once.

:class:`LiveUpdater` is opened once on the store and fed records as they
arrive (the Python API; the HTTP intake calls the same thing). A feed:

1. loads the records through the ingest contract (:func:`~wealthdesk.ingest.load.ingest_records`):
   bad records are quarantined with their reasons, a record already stored is
   counted unchanged and changes nothing else;
2. for chat messages, tags the messages clients wrote with the keyword
   matcher and refreshes those clients' rows of ``keyword_tags``;
3. adds the new activity to those clients' profile rows: ``last_*_date``
   moves forward, the 7/30/90-day counts grow and ``days_since_last_*``
   follows. The new rows are summed with the batch pipeline's own fact
   functions (:mod:`wealthdesk.profiles.facts`) over just the new ingest
   batch, with windows ending on the later of the profile's as-of date and
   the newest event's day; an event after the as-of date is 0 days old.

Steps 2 and 3 run in one transaction after the records are loaded. If they
fail, the records stay loaded and the next ``wealthdesk run`` brings tags and
profiles up to date (tagging a message again replaces its evidence, so
nothing counts twice). The lifecycle stage and everything else in the profile
change only with the next run, which also recomputes the activity as of its
own date.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

import duckdb
import ibis
import pyarrow as pa

from wealthdesk.errors import WealthdeskError
from wealthdesk.governance.masking import mask_personal_numbers
from wealthdesk.ingest.load import ingest_records
from wealthdesk.ingest.report import FileResult
from wealthdesk.pipeline.run import PROFILES_TABLE
from wealthdesk.profiles import facts
from wealthdesk.profiles.build import conform
from wealthdesk.profiles.columns import PROFILES
from wealthdesk.store.duckdb_store import LINEAGE_COLUMN
from wealthdesk.tags.chat_tags import (
    EVIDENCE_TABLE,
    TAGS_TABLE,
    ChatTagReport,
    client_messages,
    drop_recalled_evidence,
    ensure_tables,
    forget_state,
    keyword_tags,
    messages_query,
    sql,
    tag_messages,
)
from wealthdesk.tags.dictionary import KeywordDictionary, load_keyword_dictionary
from wealthdesk.tags.matcher import KeywordMatcher

LIVE_TABLES = ("wecom_messages", "app_events")
_CUSTOMERS = "_wd_live_customers"  # temp table: the clients the current feed concerns


class LiveError(WealthdeskError):
    """The records cannot be fed live."""


@dataclass
class LiveReport:
    """What one feed did: the intake's counts, why records were quarantined, the clients updated, the mentions."""

    intake: FileResult
    quarantined: list[str] = field(default_factory=list)  # "record N: reason", one per quarantined record
    customers: list[str] = field(default_factory=list)
    mentions: int = 0
    profiles_updated: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        intake = self.intake.to_dict()
        return {
            "table": intake["table"],
            "batch_id": intake["batch_id"],
            **{k: intake[k] for k in ("rows_read", "rows_loaded", "rows_unchanged", "rows_quarantined", "error")},
            "quarantined": self.quarantined,
            "customers": self.customers,
            "mentions": self.mentions,
            "profiles_updated": self.profiles_updated,
            "seconds": round(self.seconds, 4),
        }


def render_live_report(report: LiveReport) -> str:
    """One feed in a line or a few: counts (or the error), the clients updated, the time, why records were refused."""
    intake = report.intake
    text = intake.error or (
        f"loaded {intake.rows_loaded}, unchanged {intake.rows_unchanged}, quarantined {intake.rows_quarantined}"
    )
    if report.customers:
        text += f"; client {', '.join(report.customers)}: {report.mentions} mention(s)"
    text += f" ({report.seconds * 1000:,.0f} ms)"
    return text + "".join(f"\n  {reason}" for reason in report.quarantined)


class _LiveRows:
    """A backend whose live tables hold only the rows of the current feed (other tables whole).

    Each live table has a temp table ``_wd_live_<table>`` on the updater's
    connection, refilled on every feed, so the batch pipeline's fact
    functions sum just the new rows, and the SQL compiled from them stays
    the same from feed to feed (compiling Ibis costs more than running it).
    WeCom contacts are those of the new messages' senders only.
    """

    def __init__(self, backend: Any) -> None:
        self.backend = backend

    def table(self, name: str) -> Any:
        if name in LIVE_TABLES:
            return self.backend.table(f"_wd_live_{name}")
        table = self.backend.table(name)
        if name == "wecom_contacts":  # only the senders': the store's contacts are many, and are made distinct
            senders = self.table("wecom_messages").sender
            table = table.filter(table.external_userid.isin(senders))
        return table


def merge_activity(profiles: Any, new: Any, period: facts.Period) -> Any:
    """Profile rows of the clients in ``new`` (per-client facts of new rows) with that activity added."""
    fresh = new.rename({f"new_{c}": c for c in new.columns if c != "customer_id"})
    p = profiles.join(fresh, "customer_id")
    changes: dict[str, Any] = {}
    for column in new.columns:
        if column == "customer_id":
            continue
        old, added = p[column], p[f"new_{column}"]
        if column.startswith("last_"):
            latest = ibis.coalesce(ibis.greatest(old, added), old, added)
            changes[column] = latest
            days = ibis.greatest(period.days_before(latest), 0)
            changes[column.replace("last_", "days_since_last_").removesuffix("_date")] = days
        else:
            changes[column] = old + added.fill_null(0)
    return conform(p.mutate(**changes), PROFILES)


class LiveUpdater:
    """Feeds records into the store and updates the affected clients' tags and activity; see the module docstring.

    Open one per process and keep it: it builds the keyword matcher and
    compiles its queries once.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, dictionary: KeywordDictionary | None = None) -> None:
        self.con = con
        self.dictionary = dictionary or load_keyword_dictionary()
        self.matcher = KeywordMatcher(self.dictionary)
        for table in LIVE_TABLES:
            con.execute(f"CREATE OR REPLACE TEMP TABLE _wd_live_{table} AS SELECT * FROM {table} LIMIT 0")
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_CUSTOMERS} (customer_id VARCHAR)")
        if not ensure_tables(con):  # evidence of an older layout was dropped: the next run must re-tag all
            forget_state(con)
        # DuckDB imports pandas on the first Arrow table registered (seconds here): now, not in the first feed
        con.register("_wd_warm_up", pa.table({"x": [1]}))
        con.unregister("_wd_warm_up")
        self.backend = ibis.duckdb.from_connection(con)
        self.new = _LiveRows(self.backend)
        messages = client_messages(self.new)
        self._messages = messages_query(messages)
        self._customers = {
            "wecom_messages": sql(messages.select("customer_id").distinct()),
            "app_events": sql(self.new.table("app_events").select("customer_id").distinct()),
        }
        day = {"wecom_messages": facts.message_day, "app_events": lambda t: t.event_time.date()}
        self._newest_day = {
            table: sql(self.new.table(table).select(day=day[table](self.new.table(table))).day.max())
            for table in LIVE_TABLES
        }
        self._merged: dict[tuple[str, date, date], str] = {}

    def _exists(self, name: str) -> bool:
        found = self.con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary", [name])
        return bool(found.fetchall()[0][0])

    def feed(self, table: str, records: Sequence[Mapping[str, Any] | str]) -> LiveReport:
        """Load ``records`` into ``table`` (wecom_messages or app_events) and update the clients they concern.

        A record is a mapping or its JSON text, as :func:`~wealthdesk.ingest.load.ingest_records` takes.
        """
        if table not in LIVE_TABLES:
            raise LiveError(f"live intake takes {' or '.join(LIVE_TABLES)}, not {table!r}")
        started = time.perf_counter()
        intake = ingest_records(self.con, table, records)
        report = LiveReport(intake=intake)
        if intake.rows_quarantined:
            found = self.con.execute(
                "SELECT line, reason FROM _quarantine WHERE batch_id = ? ORDER BY line", [intake.batch_id]
            ).fetchall()
            # reasons quote the bad value, which may be a phone or ID number typed into the wrong field
            report.quarantined = [mask_personal_numbers(f"record {line}: {reason}") for line, reason in found]
        if intake.error is None and intake.batch_id is not None and intake.rows_loaded + intake.rows_updated:
            self.con.execute("BEGIN TRANSACTION")
            try:
                self._update(table, intake.batch_id, report)
                self.con.execute("COMMIT")
            except BaseException:
                self.con.execute("ROLLBACK")
                raise
        report.seconds = time.perf_counter() - started
        return report

    def _update(self, table: str, batch_id: int, report: LiveReport) -> None:
        rows = f"_wd_live_{table}"
        self.con.execute(f"DELETE FROM {rows}")
        self.con.execute(f"INSERT INTO {rows} SELECT * FROM {table} WHERE {LINEAGE_COLUMN} = ?", [batch_id])
        self.con.execute(f"DELETE FROM {_CUSTOMERS}")
        self.con.execute(f"INSERT INTO {_CUSTOMERS} {self._customers[table]}")
        if table == "wecom_messages" and self._exists(EVIDENCE_TABLE):  # a recall takes back its message's mentions
            for customer in drop_recalled_evidence(self.con, rows):
                self.con.execute(f"INSERT INTO {_CUSTOMERS} VALUES (?)", [customer])
        found = self.con.execute(f"SELECT DISTINCT customer_id FROM {_CUSTOMERS} ORDER BY 1").fetchall()
        report.customers = [c for (c,) in found]
        if not report.customers:
            return
        if table == "wecom_messages":
            self._tag(report)
        if self._exists(PROFILES_TABLE):
            self._add_activity(table, report)

    def _tag(self, report: LiveReport) -> None:
        chat = ChatTagReport()
        tag_messages(self.con, self._messages, self.matcher, chat, stream=False)
        report.mentions = chat.mentions
        if not self._exists(TAGS_TABLE):  # no batch run yet: start the table from all evidence
            self.con.execute(f"CREATE TABLE {TAGS_TABLE} AS {sql(self._tags_of(everyone=True))}")
            return
        self.con.execute(f"DELETE FROM {TAGS_TABLE} WHERE customer_id IN (SELECT customer_id FROM {_CUSTOMERS})")
        self.con.execute(f"INSERT INTO {TAGS_TABLE} {self._refresh_tags}")

    @cached_property
    def _refresh_tags(self) -> str:
        return sql(self._tags_of(everyone=False))

    def _tags_of(self, everyone: bool) -> Any:
        evidence = self.backend.table(EVIDENCE_TABLE)
        if not everyone:
            evidence = evidence.filter(evidence.customer_id.isin(self.backend.table(_CUSTOMERS).customer_id))
        return keyword_tags(evidence, self.dictionary)

    def _add_activity(self, table: str, report: LiveReport) -> None:
        as_of = self.con.execute(f"SELECT max(as_of) FROM {PROFILES_TABLE}").fetchall()[0][0]
        if as_of is None:
            return
        newest = self.con.execute(self._newest_day[table]).fetchall()[0][0] or as_of
        key = (table, as_of, max(as_of, newest))
        if key not in self._merged:
            self._merged[key] = sql(self._merged_profiles(table, as_of, key[2]))
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE _wd_live_profiles AS {self._merged[key]}")
        self.con.execute(
            f"DELETE FROM {PROFILES_TABLE} WHERE customer_id IN (SELECT customer_id FROM _wd_live_profiles)"
        )
        inserted = self.con.execute(f"INSERT INTO {PROFILES_TABLE} SELECT * FROM _wd_live_profiles").fetchall()
        report.profiles_updated = inserted[0][0]
        self.con.execute("DROP TABLE _wd_live_profiles")

    def _merged_profiles(self, table: str, as_of: date, window_end: date) -> Any:
        """The affected clients' profile rows with the feed's activity added (see :func:`merge_activity`)."""
        period = facts.Period(window_end)
        summed = facts.chats(self.new, period) if table == "wecom_messages" else facts.app_activity(self.new, period)
        profiles = self.backend.table(PROFILES_TABLE)
        mine = profiles.filter(profiles.customer_id.isin(self.backend.table(_CUSTOMERS).customer_id))
        return merge_activity(mine, summed, facts.Period(as_of))
