"""Contact events (``change_external_contact``): the advisor ↔ client relationship and its history.

WeCom tells us when an advisor adds a client as an external contact (with
the ``State`` of the channel QR code, 渠道活码, that brought them), edits
them, deletes them (``Source`` says whether a transfer did), when the client
deletes the advisor, and when a transfer of the client to another advisor
fails (``FailReason``). Every such event is appended to
``wecom_contact_events``, once: a retried callback adds nothing, and neither
does the same event sent again in a callback of its own (WeCom documents no
event id; FromUserName is ``sys``, so an event is known by its CreateTime,
ChangeType, UserID and ExternalUserID). The current state of each relationship is kept
in ``wecom_contacts``, the table ingest loads and the profiles read:

- an add (``add_external_contact``, ``add_half_external_contact``) starts the
  relationship, or starts it again after a deletion, with its ``State``; a
  contact another advisor already matched to a client is matched to the same
  client (the external_userid is the client's across the corporation);
- a deletion from either side (``del_external_contact``, ``del_follow_user``)
  ends it at the event's time;
- edits and failed transfers change no relationship and are history only.

Events can arrive out of order (WeCom retries): a change older than what the
row already says does not undo it, and a deletion that arrives before the
add it follows still ends that relationship. A relationship loaded by ingest
has no add event; when a new add replaces its row, its first add is put in
the history (``loaded:…``), so the channel code that first brought the client
is not lost.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import duckdb

from wealthdesk.schema.wecom import BEIJING_OFFSET_HOURS
from wealthdesk.wecom.events import CallbackFormatError

EVENTS_TABLE = "wecom_contact_events"
EVENTS_DDL = f"""CREATE TABLE IF NOT EXISTS {EVENTS_TABLE} (
    callback_digest VARCHAR PRIMARY KEY,  -- the callback it came in (wd_wecom_callbacks.digest), or loaded:… (below)
    event_time TIMESTAMP NOT NULL,        -- CreateTime
    change_type VARCHAR NOT NULL,
    advisor_userid VARCHAR NOT NULL,      -- UserID: for transfer_fail, the advisor who was to take the client over
    external_userid VARCHAR NOT NULL,
    state VARCHAR,                        -- adds: the channel code (渠道活码)
    source VARCHAR,                       -- del_external_contact: DELETE_BY_TRANSFER when a transfer removed it
    fail_reason VARCHAR)                  -- transfer_fail: customer_refused or customer_limit_exceed"""
ADDS = ("add_external_contact", "add_half_external_contact")
# the client another advisor's contact with the same external_userid was matched to (the smallest, if several)
_SAME_CLIENT = "SELECT min(customer_id) FROM wecom_contacts WHERE external_userid = ? AND customer_id IS NOT NULL"
DELETES = ("del_external_contact", "del_follow_user")


def ensure_contact_events_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(EVENTS_DDL)


def apply_contact_event(con: duckdb.DuckDBPyConnection, fields: dict[str, str], callback_digest: str) -> str:
    """Record one ``change_external_contact`` event and apply it to ``wecom_contacts``; returns the change type.
    Runs in the caller's transaction."""
    change = fields.get("ChangeType", "")
    missing = [name for name in ("ChangeType", "UserID", "ExternalUserID", "CreateTime") if not fields.get(name)]
    if missing:
        raise CallbackFormatError(f"change_external_contact without {', '.join(missing)}")
    if not re.fullmatch(r"[0-9]{1,12}", fields["CreateTime"]):
        raise CallbackFormatError(f"CreateTime {fields['CreateTime']!r} is not a number of seconds")
    # the store keeps China time without a zone (schema.wecom), as ingest does for the chat archive's msgtime
    when = datetime.fromtimestamp(int(fields["CreateTime"]), UTC).replace(tzinfo=None) + timedelta(
        hours=BEIJING_OFFSET_HOURS
    )
    advisor, external = fields["UserID"], fields["ExternalUserID"]
    state = fields.get("State") or None
    if con.execute(
        f"""SELECT 1 FROM {EVENTS_TABLE}
            WHERE event_time = ? AND change_type = ? AND advisor_userid = ? AND external_userid = ?""",
        [when, change, advisor, external],
    ).fetchone():
        return change  # the same event sent again in a new callback (encrypted anew): already in the history
    con.execute(
        f"INSERT INTO {EVENTS_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [
            callback_digest,
            when,
            change,
            advisor,
            external,
            state,
            fields.get("Source") or None,
            fields.get("FailReason") or None,
        ],
    )
    if change in ADDS:
        _added(con, advisor, external, when, state)
    elif change in DELETES:
        con.execute(
            """UPDATE wecom_contacts SET deleted_at = ?
               WHERE advisor_userid = ? AND external_userid = ? AND deleted_at IS NULL AND added_at <= ?""",
            [when, advisor, external, when],
        )
    return change


def _added(con: duckdb.DuckDBPyConnection, advisor: str, external: str, when: datetime, state: str | None) -> None:
    found = con.execute(
        "SELECT deleted_at, added_at, state FROM wecom_contacts WHERE advisor_userid = ? AND external_userid = ?",
        [advisor, external],
    ).fetchall()
    if found and (found[0][0] is None or when <= found[0][0]):  # already on, or an add older than its end
        return
    if found:  # added again after a deletion: a new period
        _keep_replaced_add(con, advisor, external, found[0][1], found[0][2])
        con.execute(
            f"""UPDATE wecom_contacts SET added_at = ?, deleted_at = NULL, state = coalesce(?, state),
                    customer_id = coalesce(customer_id, ({_SAME_CLIENT}))
                WHERE advisor_userid = ? AND external_userid = ?""",
            [when, state, external, advisor, external],
        )
    else:
        con.execute(
            f"""INSERT INTO wecom_contacts (advisor_userid, external_userid, customer_id, added_at, state)
                SELECT ?, ?, ({_SAME_CLIENT}), ?, ?""",
            [advisor, external, external, when, state],
        )
    # a deletion that arrived before this add, but happened after it, ends the period it started
    ended = con.execute(
        f"""SELECT min(event_time) FROM {EVENTS_TABLE} WHERE advisor_userid = ? AND external_userid = ?
            AND change_type IN ({", ".join("?" * len(DELETES))}) AND event_time > ?""",
        [advisor, external, *DELETES, when],
    ).fetchall()[0][0]
    if ended is not None:
        con.execute(
            "UPDATE wecom_contacts SET deleted_at = ? WHERE advisor_userid = ? AND external_userid = ?",
            [ended, advisor, external],
        )


def _keep_replaced_add(
    con: duckdb.DuckDBPyConnection, advisor: str, external: str, added_at: datetime, state: str | None
) -> None:
    """Before a new period replaces the relationship's row, keep its first add in the history if no callback put it
    there (the relationship came with ingest): its State may credit the campaign that brought the client (CAC)."""
    digest = "loaded:" + hashlib.sha256(f"{advisor}\n{external}\n{added_at.isoformat()}".encode()).hexdigest()
    con.execute(
        f"""INSERT INTO {EVENTS_TABLE}
                (callback_digest, event_time, change_type, advisor_userid, external_userid, state)
            SELECT ?, ?, 'add_external_contact', ?, ?, ?
            WHERE NOT EXISTS (SELECT 1 FROM {EVENTS_TABLE} WHERE advisor_userid = ? AND external_userid = ?
                              AND change_type IN ({", ".join("?" * len(ADDS))}) AND event_time = ?)
            ON CONFLICT DO NOTHING""",
        [digest, added_at, advisor, external, state, advisor, external, *ADDS, added_at],
    )


def followed_client(
    con: duckdb.DuckDBPyConnection, advisor_userid: str, external_userid: str
) -> tuple[bool, str | None]:
    """Whether the advisor follows the external contact now (a relationship not deleted), and the client it is
    matched to (None while unmatched). The sidebar's check: a page names a contact, this says if it may be shown."""
    row = con.execute(
        """SELECT customer_id FROM wecom_contacts
           WHERE advisor_userid = ? AND external_userid = ? AND deleted_at IS NULL""",
        [advisor_userid, external_userid],
    ).fetchone()
    return (False, None) if row is None else (True, row[0])
