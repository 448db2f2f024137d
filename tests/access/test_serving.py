"""What makes the 360 endpoint fast must not make it wrong: the token cache, the group-committed audit log and
the view's separate message fetch."""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from wealthdesk.access import users
from wealthdesk.access.audit import AuditJournalError, AuditWriter, PersonalDataRead, _journal_line, ensure_audit_table
from wealthdesk.access.users import Role, TokenCache
from wealthdesk.profiles.view import client_view
from wealthdesk.testing import StaffWorld

READ = [PersonalDataRead("310000000001", ("name",), ("name",))]


@pytest.fixture
def con(staff: StaffWorld, tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    mine = staff.copy_to(tmp_path_factory.mktemp("serving"))
    connection = duckdb.connect(str(mine.store))
    ensure_audit_table(connection)
    yield connection
    connection.close()


def test_the_token_cache_never_serves_a_revoked_token(con: duckdb.DuckDBPyConnection) -> None:
    user = users.add_user(con, "cache_analyst", Role.analyst)
    token = users.issue_token(con, "cache_analyst")
    cache = TokenCache()
    assert cache.get(token) is None  # nothing cached before the store was asked
    assert cache.authenticate(con, token) == user and cache.get(token) == user
    con.execute("UPDATE wd_tokens SET revoked_at = now() WHERE token_hash = ?", [users.token_hash(token)])
    users._changed()  # what every writer of wd_tokens in users.py does
    assert cache.get(token) is None and cache.authenticate(con, token) is None
    other = users.issue_token(con, "cache_analyst")
    assert cache.authenticate(con, other) == user
    users.issue_token(con, "cache_analyst")  # any write through users.py empties the cache
    assert cache.get(other) is None


@pytest.fixture
def writer(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> Iterator[AuditWriter]:
    audit = AuditWriter(con, tmp_path / "journal", drain_seconds=3600)  # drained by the tests themselves
    yield audit
    audit.close()


def _count(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT count(*) FROM wd_audit").fetchone()[0]


def _journal_lines(folder: Path) -> int:
    return sum(len(p.read_bytes().splitlines()) for p in folder.glob("*.jsonl"))


def test_every_read_is_on_disk_before_its_request_is_answered(
    con: duckdb.DuckDBPyConnection, writer: AuditWriter, tmp_path: Path
) -> None:
    user = users.add_user(con, "audit_analyst", Role.analyst)
    before = _count(con)
    futures = []
    threads = [
        threading.Thread(target=lambda: futures.append(writer.submit(user, READ, "view", "t"))) for _ in range(200)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for future in futures:
        future.result(timeout=30)  # each answer waits for its row
    assert _journal_lines(tmp_path / "journal") == 200  # written (and fsynced) before any answer went out
    asyncio.run(writer.record(user, READ, "view", "t"))
    assert writer.drain() == 201
    assert _count(con) == before + 201 and _journal_lines(tmp_path / "journal") == 0
    row = con.execute(
        "SELECT user_id, role, customer_id, fields, masked, action, source FROM wd_audit "
        "WHERE user_id = 'audit_analyst' LIMIT 1"
    ).fetchone()
    assert row == ("audit_analyst", "analyst", "310000000001", ["name"], ["name"], "view", "t")


def test_a_journal_folder_that_cannot_be_written_stops_the_server_starting(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the journal folder should be")
    with pytest.raises(AuditJournalError, match="cannot be written"):
        AuditWriter(con, blocked)


def test_a_failed_audit_write_fails_the_read_and_the_next_read_is_written(
    con: duckdb.DuckDBPyConnection, writer: AuditWriter, tmp_path: Path
) -> None:
    user = users.add_user(con, "audit_fail", Role.analyst)
    with pytest.raises(UnicodeEncodeError):  # a row that cannot be written: its read is refused
        writer.submit(user, READ, "view", "\ud800").result(timeout=30)
    shutil.rmtree(tmp_path / "journal")  # the folder gone: the next journal cannot be created
    with pytest.raises(OSError):
        writer.submit(user, READ, "view", "t").result(timeout=30)
    (tmp_path / "journal").mkdir()
    writer.submit(user, READ, "view", "t").result(timeout=30)  # the writer lives on
    assert writer.drain() == 1


def test_one_journal_folder_has_one_writer(con: duckdb.DuckDBPyConnection, writer: AuditWriter, tmp_path: Path) -> None:
    with pytest.raises(AuditJournalError, match="another server"):
        AuditWriter(con, tmp_path / "journal")


def test_a_journal_that_cannot_be_drained_is_kept_and_drained_once_later(
    con: duckdb.DuckDBPyConnection, writer: AuditWriter, tmp_path: Path
) -> None:
    user = users.add_user(con, "audit_later", Role.analyst)
    before = _count(con)
    writer.submit(user, READ * 3, "view", "t").result(timeout=30)
    con.execute("ALTER TABLE wd_audit RENAME TO wd_audit_elsewhere")
    try:
        with pytest.raises(duckdb.CatalogException):
            writer.drain()
    finally:
        con.execute("ALTER TABLE wd_audit_elsewhere RENAME TO wd_audit")
    assert _journal_lines(tmp_path / "journal") == 3  # nothing lost
    journal = next((tmp_path / "journal").glob("*.jsonl"))
    kept = journal.read_bytes()
    assert writer.drain() == 3 and _count(con) == before + 3
    journal.write_bytes(kept)  # as if the server had stopped between the commit and removing the file
    assert writer.drain() == 0 and _count(con) == before + 3
    assert not journal.exists()


def test_a_journal_left_by_a_stopped_server_is_drained_by_the_next(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    before = _count(con)
    folder = tmp_path / "left"
    folder.mkdir()
    rows = [
        [datetime(2022, 7, 1, 9, 30, i), "u_left", "analyst", f"31000000000{i}", ["name"], ["name"], "view", None]
        for i in range(3)
    ]
    lines = [_journal_line(row) for row in rows]
    # the server stopped in the middle of writing its third row: that request was never answered
    (folder / "00000000000000000001-1-deadbeef.jsonl").write_bytes(lines[0] + lines[1] + lines[2][:40])
    second = AuditWriter(con, folder, drain_seconds=3600)
    try:
        assert second.drain() == 2
    finally:
        second.close()
    found = con.execute("SELECT customer_id, source FROM wd_audit WHERE user_id = 'u_left' ORDER BY 1").fetchall()
    assert found == [("310000000000", None), ("310000000001", None)] and _count(con) == before + 2


def test_evidence_whose_message_is_gone_gives_way_to_the_next_mention(con: duckdb.DuckDBPyConnection) -> None:
    client, tag = con.execute(
        """SELECT customer_id, tag FROM keyword_tag_evidence WHERE NOT negated
           GROUP BY ALL HAVING count(*) >= 4 ORDER BY 1, 2 LIMIT 1"""
    ).fetchone()
    mentions = con.execute(
        """SELECT msgid FROM keyword_tag_evidence WHERE customer_id = ? AND tag = ? AND NOT negated
           ORDER BY msgtime DESC, msgid""",
        [client, tag],
    ).fetchall()
    con.execute("DELETE FROM wecom_messages WHERE msgid = ?", [mentions[0][0]])
    shown = next(t for t in client_view(con, client)["chat_tags"] if t["tag"] == tag)["evidence"]
    assert [e["msgid"] for e in shown] == [m for (m,) in mentions[1:4]]


def test_a_cancelled_request_does_not_stop_the_audit_log(con: duckdb.DuckDBPyConnection, writer: AuditWriter) -> None:
    user = users.add_user(con, "audit_cancel", Role.analyst)
    cancelled = writer.submit(user, READ, "view", "t")
    cancelled.cancel()  # what asyncio does to the future of a request cancelled while it waits
    writer.submit(user, READ, "view", "t").result(timeout=30)  # the writer is alive and the next read is written

    async def cancelled_while_waiting() -> None:
        task = asyncio.ensure_future(writer.record(user, READ, "view", "t"))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.wait_for(writer.record(user, READ, "view", "t"), timeout=30)

    asyncio.run(cancelled_while_waiting())
