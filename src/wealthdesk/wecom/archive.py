"""The chat archive (会话内容存档): decrypted archive records in, by ``seq``, into the keyword-tag path.

WeCom hands the archive out in pages of ``seq`` (GetChatData from a seq,
up to 1,000 records); each record, once decrypted, is a JSON object in the
official shape: ``msgid``, ``action`` (send, recall, switch), ``from``,
``tolist``, ``roomid``, ``msgtime`` (ms), ``msgtype`` and the payload under
the msgtype's key (``text.content``, ``revoke.pre_msgid``, …); a ``switch``
record has ``time`` and ``user`` instead. We take each record with the seq it
was fetched at (``{"seq": N, ...the record...}``).

- **Into the tag path.** Each batch goes through the live updater
  (:class:`~wealthdesk.pipeline.live.LiveUpdater`): loaded under the ingest
  contract (a bad record is quarantined with its reason), the clients'
  messages tagged and their tags and activity updated at once.
- **Recalls.** A recall names the recalled message in ``revoke.pre_msgid``;
  that message's mentions stop counting (its evidence is deleted and the
  client's tags counted again), here and in every later ``wealthdesk run``.
- **Resuming.** The last seq ingested is remembered in
  ``wd_wecom_archive``, moved only once its batch is committed; records at
  or below it are skipped, so a restart resumes where the last run stopped.
  A batch committed just before a crash (before its seq was remembered) is
  sent again and loads nothing twice: a message is keyed by its msgid. The
  seq also moves past quarantined records: they are kept in the quarantine
  with their reasons, not fetched again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from wealthdesk.errors import WealthdeskError
from wealthdesk.pipeline.live import LiveUpdater

CURSOR_TABLE = "wd_wecom_archive"
CURSOR_DDL = f"""CREATE TABLE IF NOT EXISTS {CURSOR_TABLE} (
    archive VARCHAR PRIMARY KEY, last_seq BIGINT NOT NULL, updated_at TIMESTAMP NOT NULL)"""
ARCHIVE = "chat"  # one archive per corporation
BATCH = 1_000  # GetChatData's largest page


class ArchiveError(WealthdeskError):
    """An archive batch could not be loaded; the remembered seq stays before it. ``loaded``: what the batches
    before it did (they are committed), or None if nothing was loaded."""

    def __init__(self, message: str, loaded: ArchiveReport | None = None) -> None:
        super().__init__(message)
        self.loaded = loaded


@dataclass
class ArchiveReport:
    """One archive run: records read, skipped (at or below the remembered seq), loaded, unchanged, quarantined."""

    read: int = 0
    skipped: int = 0
    loaded: int = 0
    unchanged: int = 0
    quarantined: int = 0
    batches: int = 0
    last_seq: int = 0
    customers: set[str] = field(default_factory=set)
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {**{k: v for k, v in vars(self).items() if k != "customers"}, "customers": len(self.customers)}


def ensure_cursor_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(CURSOR_DDL)


def last_seq(con: duckdb.DuckDBPyConnection) -> int:
    """The seq up to which the archive is ingested (0 before the first record)."""
    ensure_cursor_table(con)
    found = con.execute(f"SELECT last_seq FROM {CURSOR_TABLE} WHERE archive = ?", [ARCHIVE]).fetchall()
    return int(found[0][0]) if found else 0


def archive_row(record: Mapping[str, Any]) -> dict[str, Any]:
    """An archive record (official shape, with its ``seq``) as a row of ``wecom_messages``; what is missing or
    wrong is left for the ingest contract to quarantine with its reason."""
    action = record.get("action")
    msgtype = record.get("msgtype") or ("switch" if action == "switch" else None)
    payload = record.get(msgtype) if isinstance(msgtype, str) else None
    payload = payload if isinstance(payload, Mapping) else {}
    return {
        "msgid": record.get("msgid"),
        "seq": record.get("seq"),
        "action": action,
        "from": record.get("from", record.get("user")),  # a switch record names the user who switched devices
        "tolist": record.get("tolist", [] if action == "switch" else None),
        "roomid": record.get("roomid") or "",
        "msgtime": record.get("msgtime", record.get("time")),
        "msgtype": msgtype,
        "content": payload.get("content") if msgtype == "text" else None,
        "pre_msgid": payload.get("pre_msgid") if msgtype == "revoke" else None,
    }


def ingest_archive(updater: LiveUpdater, records: Iterable[Mapping[str, Any]], batch: int = BATCH) -> ArchiveReport:
    """Load archive records after the remembered seq, ``batch`` at a time in seq order; see the module docstring.
    Raises ArchiveError if a batch cannot be loaded (the seq remembered stays before that batch)."""
    con = updater.con
    report = ArchiveReport(last_seq=last_seq(con))
    pending: list[Mapping[str, Any]] = []
    for record in records:
        report.read += 1
        seq = record.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise ArchiveError(f"record {report.read} has no seq (a non-negative integer): {seq!r}")
        if seq <= report.last_seq:
            report.skipped += 1
            continue
        pending.append(record)
    pending.sort(key=lambda r: r["seq"])
    for start in range(0, len(pending), batch):
        _load(updater, pending[start : start + batch], report)
    return report


def _load(updater: LiveUpdater, records: list[Mapping[str, Any]], report: ArchiveReport) -> None:
    fed = updater.feed("wecom_messages", [archive_row(r) for r in records])
    if fed.intake.error:
        failed = f"archive batch from seq {records[0]['seq']} not loaded: {fed.intake.error}"
        raise ArchiveError(failed, report if report.batches else None)
    newest = max(int(r["seq"]) for r in records)
    updater.con.execute(
        f"""INSERT INTO {CURSOR_TABLE} VALUES (?, ?, ?)
            ON CONFLICT (archive) DO UPDATE SET last_seq = excluded.last_seq, updated_at = excluded.updated_at""",
        [ARCHIVE, newest, datetime.now()],
    )
    report.batches += 1
    report.last_seq = newest
    report.loaded += fed.intake.rows_loaded
    report.unchanged += fed.intake.rows_unchanged
    report.quarantined += fed.intake.rows_quarantined
    report.reasons += fed.quarantined
    report.customers.update(fed.customers)
