"""What makes the 360 endpoint fast must not make it wrong: the token cache, the group-committed audit log and
the view's separate message fetch."""

from __future__ import annotations

import asyncio
import threading

import duckdb
import pytest

from wealthdesk.access import users
from wealthdesk.access.audit import AuditWriter, PersonalDataRead, ensure_audit_table
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


def test_every_read_is_written_before_its_request_is_answered(con: duckdb.DuckDBPyConnection) -> None:
    user = users.add_user(con, "audit_analyst", Role.analyst)
    writer = AuditWriter(con)
    before = con.execute("SELECT count(*) FROM wd_audit").fetchone()[0]
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
    assert con.execute("SELECT count(*) FROM wd_audit").fetchone()[0] == before + 200
    asyncio.run(writer.record(user, READ, "view", "t"))
    assert con.execute("SELECT count(*) FROM wd_audit").fetchone()[0] == before + 201


def test_a_failed_audit_write_fails_the_read(con: duckdb.DuckDBPyConnection) -> None:
    user = users.add_user(con, "audit_fail", Role.analyst)
    con.execute("ALTER TABLE wd_audit RENAME TO wd_audit_elsewhere")
    try:
        with pytest.raises(duckdb.CatalogException):
            AuditWriter(con).submit(user, READ, "view", "t").result(timeout=30)
    finally:
        con.execute("ALTER TABLE wd_audit_elsewhere RENAME TO wd_audit")


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


def test_a_cancelled_request_does_not_stop_the_audit_log(con: duckdb.DuckDBPyConnection) -> None:
    user = users.add_user(con, "audit_cancel", Role.analyst)
    writer = AuditWriter(con)
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
