"""The audit log: every read of a client's personal data — who, when, which client, which fields, from where.

A row is appended for every client whose personal data a response carries,
before the response is sent, so every read someone saw is a read compliance
can find. Only compliance and admin may read the log.

:func:`record_reads` writes (and commits) to ``wd_audit`` at once. A server
answering many reads a second uses an :class:`AuditWriter` instead, because
a DuckDB transaction costs 1–2 ms of CPU however few rows it holds — at a
thousand reads a second the audit log alone would take a core. The writer
appends the rows of concurrent requests to a journal file next to the store,
one ``fsync`` per group, and only then lets those requests send their
responses (the same guarantee: a read answered is a read on disk); a drain
thread moves the journal into ``wd_audit`` in bulk every second, and before
the log is read, so compliance sees every row. A journal left by a server
that stopped without draining is drained when the next one starts, and each
journal file is drained once: its name is recorded in ``wd_audit_journals``
in the transaction that copies its rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import os
import threading
import time
import uuid
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import duckdb

from wealthdesk.access.users import User
from wealthdesk.errors import WealthdeskError

log = logging.getLogger(__name__)

# the log's columns and their types; every one but ``source`` is required
_COLUMNS = {
    "read_at": "TIMESTAMP",
    "user_id": "VARCHAR",
    "role": "VARCHAR",
    "customer_id": "VARCHAR",
    "fields": "VARCHAR[]",
    "masked": "VARCHAR[]",
    "action": "VARCHAR",
    "source": "VARCHAR",
}
_REQUIRED = [name for name in _COLUMNS if name != "source"]
AUDIT_DDL = "CREATE TABLE IF NOT EXISTS wd_audit ({})".format(
    ", ".join(f"{name} {kind}{' NOT NULL' if name in _REQUIRED else ''}" for name, kind in _COLUMNS.items())
)
JOURNALS_DDL = """CREATE TABLE IF NOT EXISTS wd_audit_journals (
    journal VARCHAR PRIMARY KEY, rows BIGINT NOT NULL, drained_at TIMESTAMP NOT NULL)"""
# A journal into the log, read by DuckDB (no Python, no GIL held): a line cut short by a failed write (its
# request was answered with an error) reads as nulls and is left out.
_DRAIN_SQL = """INSERT INTO wd_audit SELECT {names} FROM read_json($path, format = 'newline_delimited',
    ignore_errors = true, columns = {{{columns}}}) WHERE {required}""".format(
    names=", ".join(_COLUMNS),
    columns=", ".join(f"{name}: '{kind}'" for name, kind in _COLUMNS.items()),
    required=" AND ".join(f"{name} IS NOT NULL" for name in _REQUIRED),
)


def ensure_audit_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(AUDIT_DDL)
    con.execute(JOURNALS_DDL)


def journal_folder(store: Path) -> Path:
    """Where a server on ``store`` keeps its audit journal: beside the store file, as DuckDB keeps its WAL."""
    return store.with_name(store.name + ".audit")


@dataclass(frozen=True)
class PersonalDataRead:
    """One client's personal data as served: which fields, and which of them were masked."""

    customer_id: str
    fields: tuple[str, ...]
    masked: tuple[str, ...]


def _audit_rows(user: User, reads: list[PersonalDataRead], action: str, source: str | None) -> list[list[Any]]:
    now = datetime.now()
    return [
        [now, user.user_id, user.role.value, r.customer_id, list(r.fields), list(r.masked), action, source]
        for r in reads
    ]


def record_reads(
    con: duckdb.DuckDBPyConnection, user: User, reads: list[PersonalDataRead], action: str, source: str | None
) -> None:
    """Append one audit row per client read, all in one transaction."""
    if reads:
        _insert(con, _audit_rows(user, reads, action, source))


_ROWS_PER_INSERT = 500  # rows per INSERT statement of record_reads


def _insert(con: duckdb.DuckDBPyConnection, rows: list[list[Any]]) -> None:
    """All ``rows`` in one transaction, on a cursor of its own."""
    with _transaction(con) as cursor:
        for start in range(0, len(rows), _ROWS_PER_INSERT):
            chunk = rows[start : start + _ROWS_PER_INSERT]
            values = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?)"] * len(chunk))
            cursor.execute(f"INSERT INTO wd_audit VALUES {values}", [v for row in chunk for v in row])


@contextlib.contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Any:
    """A cursor of its own in a transaction, committed at the end of the block or rolled back on any error."""
    cursor = con.cursor()
    try:
        cursor.begin()
        try:
            yield cursor
            cursor.commit()
        except BaseException:
            with contextlib.suppress(duckdb.Error):  # a failed commit has rolled back already
                cursor.rollback()
            raise
    finally:
        cursor.close()


def _settle(done: Future[None], error: Exception | None) -> None:
    """Resolve a waiter's future unless its request was cancelled meanwhile (settling that one would raise)."""
    if not done.set_running_or_notify_cancel():
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)


# who waits for a group: a thread (a concurrent Future) or a request on an event loop (the loop and its future)
_Waiter = Future[None] | tuple[asyncio.AbstractEventLoop, "asyncio.Future[None]"]


def _release(waiters: list[_Waiter], error: Exception | None) -> None:
    """Settle a group's waiters: threads at once, and each event loop's requests in one callback on that loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
    for waiter in waiters:
        if isinstance(waiter, Future):
            _settle(waiter, error)
        else:
            by_loop.setdefault(waiter[0], []).append(waiter[1])
    for loop, futures in by_loop.items():
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is waiting any more
            loop.call_soon_threadsafe(_resolve, futures, error)


def _resolve(futures: list[asyncio.Future[None]], error: Exception | None) -> None:
    for done in futures:
        if done.done():  # cancelled with its request
            continue
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)


def _journal_line(row: list[Any]) -> bytes:
    read_at, *rest = row
    return (
        json.dumps(dict(zip(_COLUMNS, [read_at.isoformat(), *rest], strict=True)), ensure_ascii=False).encode() + b"\n"
    )


class AuditJournalError(WealthdeskError):
    """The audit journal cannot be written: the server must not answer reads it cannot audit."""


class AuditWriter:
    """Group commit of audit rows to a journal; :meth:`record` returns once the rows are on disk, as record_reads
    does once they are committed. See the module docstring.

    One writer thread takes every row waiting, appends them to the journal with one ``fsync`` and releases the
    requests that waited for them; rows that arrive meanwhile form the next group, so no request waits for a
    timer. A failed write fails every request of its group (they answer an error, never the data), and the
    writer goes on with the next. A drain thread moves closed journals into ``wd_audit`` every
    ``drain_seconds``; :meth:`drain` does it at once. One writer per journal folder: the folder is locked for the
    writer's life, and checked writable before the first read is served.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, folder: Path, drain_seconds: float = 1.0) -> None:
        self._con = con
        self._folder = folder
        self._lock_file = _lock_folder(folder)
        self._drain_seconds = drain_seconds
        self._pending: list[tuple[list[list[Any]], _Waiter]] = []
        self._wake = threading.Condition()
        self._file_lock = threading.Lock()  # the open journal: appended to by the writer, closed by a drain
        self._journal: IO[bytes] | None = None
        self._drain_lock = threading.Lock()
        self._stopping = threading.Event()
        self._writer = threading.Thread(target=self._write_groups, name="wd-audit-writer", daemon=True)
        self._drainer = threading.Thread(target=self._drain_every, name="wd-audit-drain", daemon=True)
        self._writer.start()
        self._drainer.start()

    def submit(self, user: User, reads: list[PersonalDataRead], action: str, source: str | None) -> Future[None]:
        """Queue the rows; the future is done once they are on disk (or failed to be). For callers in threads."""
        done: Future[None] = Future()
        if reads:
            self._queue(_audit_rows(user, reads, action, source), done)
        else:
            done.set_result(None)
        return done

    async def record(self, user: User, reads: list[PersonalDataRead], action: str, source: str | None) -> None:
        """Append one audit row per client read; returns once they are on disk. For requests on an event loop:
        the writer wakes each loop once per group rather than once per request."""
        if not reads:
            return
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._queue(_audit_rows(user, reads, action, source), (loop, done))
        await done  # a cancelled request cancels only its own future; its rows are written all the same

    def _queue(self, rows: list[list[Any]], waiter: _Waiter) -> None:
        with self._wake:
            if self._stopping.is_set() or not self._writer.is_alive():
                raise AuditJournalError("the audit writer has stopped: no read can be audited")
            self._pending.append((rows, waiter))
            self._wake.notify()

    def drain(self) -> int:
        """Move every row written so far into ``wd_audit`` (journals left by an earlier server too); the rows
        moved. Each journal is moved on its own; if one cannot be, the others still are, it stays to be moved
        next time, and the first error is raised at the end."""
        with self._drain_lock:
            with self._file_lock:  # the journal being written is closed; the next group starts another one
                if self._journal is not None:
                    self._journal.close()
                    self._journal = None
                closed = sorted(self._folder.glob("*.jsonl"))
            moved, failure = 0, None
            for path in closed:
                try:
                    moved += self._drain_journal(path)
                except Exception as exc:
                    log.exception("the audit journal %s could not be moved into wd_audit; it is kept", path)
                    failure = failure or exc
            if failure is not None:
                raise failure
            return moved

    def close(self) -> None:
        """Write what is waiting, stop both threads, drain the journal into ``wd_audit`` and unlock the folder."""
        with self._wake:
            self._stopping.set()
            self._wake.notify()
        self._writer.join()
        self._drainer.join()
        try:
            self.drain()
        finally:
            self._lock_file.close()  # releases the lock

    def _write_groups(self) -> None:
        while True:
            with self._wake:
                while not self._pending and not self._stopping.is_set():
                    self._wake.wait()
                if not self._pending:
                    return
                group, self._pending = self._pending, []
            waiters = [waiter for _, waiter in group]
            try:
                self._append(b"".join(_journal_line(row) for batch, _ in group for row in batch))
            except Exception as exc:  # every request of the group fails rather than answer unaudited
                log.exception("the audit journal in %s could not be written", self._folder)
                _release(waiters, exc)
            else:
                _release(waiters, None)

    def _append(self, lines: bytes) -> None:
        with self._file_lock:
            if self._journal is None:
                # named by time, process and a random part: sorted, in the order they were written; never reused
                path = self._folder / f"{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}.jsonl"
                self._journal = path.open("ab")
                _sync_folder(self._folder)  # the new file's name is on disk too, not just its contents
            try:
                self._journal.write(lines)
                self._journal.flush()
                os.fsync(self._journal.fileno())
            except BaseException:  # the next group starts a fresh journal; a torn last line is left out on drain
                with contextlib.suppress(OSError):
                    self._journal.close()
                self._journal = None
                raise

    def _drain_every(self) -> None:
        while not self._stopping.wait(self._drain_seconds):
            with contextlib.suppress(Exception):  # logged by drain; the journal stays for the next round
                self.drain()

    def _drain_journal(self, path: Path) -> int:
        """One closed journal into ``wd_audit`` with its name in ``wd_audit_journals``, in one transaction."""
        lines = path.read_bytes().count(b"\n")
        with _transaction(self._con) as cursor:
            found = cursor.execute("SELECT count(*) FROM wd_audit_journals WHERE journal = ?", [path.name])
            if found.fetchall()[0][0]:  # drained before, and the server stopped before the file was removed
                moved = 0
            else:
                moved = cursor.execute(_DRAIN_SQL, {"path": str(path)}).fetchall()[0][0]
                cursor.execute("INSERT INTO wd_audit_journals VALUES (?, ?, now())", [path.name, moved])
                if moved < lines:  # a whole line that did not read as a row: not a torn end
                    log.error(
                        "audit journal %s: %d of its %d lines were not rows of the log", path, lines - moved, lines
                    )
        path.unlink()
        return moved


def _lock_folder(folder: Path) -> IO[bytes]:
    """Create the journal folder, make sure it can be written, and lock it for this writer (the lock lasts as long
    as the returned file is open); AuditJournalError if it cannot be written or another writer holds it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".probe-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        with probe.open("wb") as file:
            file.write(b"probe")
            file.flush()
            os.fsync(file.fileno())
        probe.unlink()
        _sync_folder(folder.parent)
        lock = (folder / ".lock").open("ab")
    except OSError as exc:
        raise AuditJournalError(f"the audit journal folder {folder} cannot be written: {exc}") from exc
    try:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.close()
        raise AuditJournalError(f"another server is writing the audit journal in {folder}") from None
    return lock


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def audit_entries(
    con: duckdb.DuckDBPyConnection,
    customer_id: str | None = None,
    user_id: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """Newest first, optionally for one client or one user; with the total count for paging."""
    where, params = ["true"], []
    if customer_id:
        where.append("customer_id = ?")
        params.append(customer_id)
    if user_id:
        where.append("user_id = ?")
        params.append(user_id)
    condition = " AND ".join(where)
    total = con.execute(f"SELECT count(*) FROM wd_audit WHERE {condition}", params).fetchone()[0]
    cursor = con.execute(
        f"SELECT * FROM wd_audit WHERE {condition} ORDER BY read_at DESC, customer_id LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()], total
