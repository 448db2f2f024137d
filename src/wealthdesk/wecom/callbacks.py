"""WeCom callbacks as received: every accepted POST is stored raw before anything is done with it.

WeCom re-sends a callback it did not see answered within 5 s, byte for byte
the same request; an attacker who captured a request can send it again too,
or sign new content under a nonce seen before. So:

- a callback is identified by the digest of its signed parts (timestamp,
  nonce, signature and ciphertext): a request seen before is answered as
  received and stored or processed no second time;
- a nonce already used by a *different* request within the timestamp window
  is a replay and is refused (:class:`ReplayedNonce`);
- the raw envelope and its plaintext are committed before processing starts,
  with ``status`` ``received``; processing sets ``processed`` or ``failed``
  with the error, so nothing WeCom sent is lost; a callback whose
  processing failed or never ran is processed again when WeCom retries it,
  when the server starts (one stored just before it stopped, or one that
  failed under an older version), or by ``wealthdesk wecom reprocess``.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from wealthdesk.errors import WealthdeskError
from wealthdesk.wecom.contacts import apply_contact_event
from wealthdesk.wecom.events import callback_fields, callback_kind

log = logging.getLogger(__name__)

CALLBACKS_TABLE = "wd_wecom_callbacks"
CALLBACKS_DDL = f"""CREATE TABLE IF NOT EXISTS {CALLBACKS_TABLE} (
    digest VARCHAR PRIMARY KEY,      -- sha256 of timestamp, nonce, signature and ciphertext: one row per request
    received_at TIMESTAMP NOT NULL,
    timestamp VARCHAR NOT NULL,      -- as WeCom sent them (the signature covers these strings)
    nonce VARCHAR NOT NULL,
    msg_signature VARCHAR NOT NULL,
    body VARCHAR NOT NULL,           -- the encrypted envelope as received
    plaintext VARCHAR NOT NULL,      -- its decrypted XML
    kind VARCHAR,                    -- MsgType/Event/ChangeType, once processed
    status VARCHAR NOT NULL,         -- received, processed or failed
    error VARCHAR,
    processed_at TIMESTAMP)"""


class ReplayedNonce(WealthdeskError):
    """A nonce (with its timestamp) already used by a different callback: a replayed or forged request."""


@dataclass(frozen=True)
class ReceivedCallback:
    """One verified callback as stored: its identity and status (``received`` when new, or what a stored copy's
    processing came to: ``processed`` or ``failed``)."""

    digest: str
    status: str


def ensure_callbacks_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(CALLBACKS_DDL)


def callback_digest(timestamp: str, nonce: str, msg_signature: str, encrypted: str) -> str:
    """What identifies one request: the parts WeCom signs, and the signature over them."""
    return hashlib.sha256("\n".join((timestamp, nonce, msg_signature, encrypted)).encode()).hexdigest()


def store_callback(
    con: duckdb.DuckDBPyConnection,
    *,
    timestamp: str,
    nonce: str,
    msg_signature: str,
    encrypted: str,
    body: str,
    plaintext: str,
) -> ReceivedCallback:
    """Commit a verified callback raw (status ``received``) unless it is stored already; raises ReplayedNonce for a
    nonce a different request used. One transaction on a cursor of its own; callers serialise calls (the
    endpoint holds a lock), so two copies of one request cannot both be new."""
    digest = callback_digest(timestamp, nonce, msg_signature, encrypted)
    cursor = con.cursor()
    try:
        cursor.begin()
        try:
            seen = cursor.execute(
                f"SELECT digest, status FROM {CALLBACKS_TABLE} WHERE nonce = ? AND timestamp = ?", [nonce, timestamp]
            ).fetchall()
            if any(d != digest for d, _ in seen):
                refused = f"nonce {nonce!r} at timestamp {timestamp} was used by another callback: replay refused"
                raise ReplayedNonce(refused)
            if not seen:
                cursor.execute(
                    f"""INSERT INTO {CALLBACKS_TABLE}
                        (digest, received_at, timestamp, nonce, msg_signature, body, plaintext, status)
                        VALUES (?, ?, ?, ?, ?, ?, ?, 'received')""",
                    [digest, datetime.now(), timestamp, nonce, msg_signature, body, plaintext],
                )
            cursor.commit()
        except BaseException:
            with contextlib.suppress(duckdb.Error):  # a failed commit has ended the transaction already
                cursor.rollback()
            raise
    finally:
        cursor.close()
    return ReceivedCallback(digest, seen[0][1] if seen else "received")


def mark_processed(con: duckdb.DuckDBPyConnection, digest: str, kind: str | None, error: str | None = None) -> None:
    """Record how processing a stored callback ended: ``processed``, or ``failed`` with the error."""
    con.execute(
        f"UPDATE {CALLBACKS_TABLE} SET kind = ?, status = ?, error = ?, processed_at = ? WHERE digest = ?",
        [kind, "failed" if error else "processed", error, datetime.now(), digest],
    )


def stored_callbacks(con: duckdb.DuckDBPyConnection, status: str | None = None) -> list[dict[str, Any]]:
    """Stored callbacks, oldest first, optionally those with one status (``failed``: to process again)."""
    where, params = ("WHERE status = ?", [status]) if status else ("", [])
    cursor = con.execute(f"SELECT * FROM {CALLBACKS_TABLE} {where} ORDER BY received_at, digest", params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def process_callback(con: duckdb.DuckDBPyConnection, digest: str, plaintext: str) -> bool:
    """Process a stored callback in one transaction with its ``processed`` mark; a failure is rolled back and
    recorded on the callback's row instead (it stays, to be processed again). Whether it was processed."""
    cursor = con.cursor()
    try:
        try:
            cursor.begin()
            fields = callback_fields(plaintext)
            kind = callback_kind(fields)
            if kind.startswith("event/change_external_contact/"):
                apply_contact_event(cursor, fields, digest)
            mark_processed(cursor, digest, kind)
            cursor.commit()
            return True
        except Exception as exc:
            with contextlib.suppress(duckdb.Error):  # a failed commit has ended the transaction already
                cursor.rollback()
            log.exception("WeCom callback %s could not be processed; it is stored", digest)
            mark_processed(cursor, digest, None, f"{type(exc).__name__}: {exc}")
            return False
    finally:
        cursor.close()


def process_stored(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """Process again, oldest first, every stored callback not processed (``received``: stored just before a stop;
    ``failed``). Returns (processed now, still failing)."""
    done = failing = 0
    for status in ("received", "failed"):
        for row in stored_callbacks(con, status):
            if process_callback(con, row["digest"], row["plaintext"]):
                done += 1
            else:
                failing += 1
    return done, failing
