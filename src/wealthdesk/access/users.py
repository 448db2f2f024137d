"""Users, their roles and their API tokens, kept in the store beside the data they guard.

A token is shown once, when it is issued, and only its SHA-256 is stored:
a copy of the store (a backup, a laptop) then holds nothing that opens the
API. Tokens are 256 random bits, so a fast hash is enough; a slow password
hash would only slow every request down without making guessing harder.

``wd_users`` and ``wd_tokens`` are written by this module's functions only,
and each of them calls :func:`_changed` after its write. That is what lets
the server keep a :class:`TokenCache` (see there for why it is sound).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import duckdb

from wealthdesk.errors import WealthdeskError

TOKEN_PREFIX = "wd_"


class Role(StrEnum):
    """The roles the brokerage's staff work in."""

    advisor = "advisor"  # 投顾 / 客户经理: their own clients
    branch_manager = "branch_manager"  # 营业部负责人: the clients of their branch
    operations = "operations"  # 运营: every client, personal data masked
    analyst = "analyst"  # 分析师: every client, personal data masked
    compliance = "compliance"  # 合规: every client masked, and the audit log
    admin = "admin"  # 管理员: users and tokens, every client masked


class AccessError(WealthdeskError):
    """A user or token request that cannot be carried out (unknown user, missing advisor or branch, …)."""


@dataclass(frozen=True)
class User:
    """A member of staff as the API sees them."""

    user_id: str
    role: Role
    display_name: str | None = None
    advisor_id: str | None = None
    branch_id: str | None = None


ACCESS_DDL = (
    """CREATE TABLE IF NOT EXISTS wd_users (
        user_id VARCHAR PRIMARY KEY, display_name VARCHAR, role VARCHAR NOT NULL,
        advisor_id VARCHAR, branch_id VARCHAR, created_at TIMESTAMP NOT NULL, disabled BOOLEAN NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS wd_tokens (
        token_hash VARCHAR PRIMARY KEY, user_id VARCHAR NOT NULL, label VARCHAR,
        created_at TIMESTAMP NOT NULL, revoked_at TIMESTAMP)""",
)


_writes = 0  # how many times this process has written wd_users / wd_tokens
_writes_lock = threading.Lock()


def _changed() -> None:
    """Note a write to wd_users or wd_tokens: every TokenCache forgets what it knew."""
    global _writes
    with _writes_lock:
        _writes += 1


def ensure_access_tables(con: duckdb.DuckDBPyConnection) -> None:
    for ddl in ACCESS_DDL:
        con.execute(ddl)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_user(
    con: duckdb.DuckDBPyConnection,
    user_id: str,
    role: Role,
    display_name: str | None = None,
    advisor_id: str | None = None,
    branch_id: str | None = None,
) -> User:
    """Create a user; an advisor must name an advisor_id and a branch manager a branch_id that exist."""
    ensure_access_tables(con)
    if role is Role.advisor:
        if not advisor_id or not con.execute("SELECT 1 FROM advisors WHERE advisor_id = ?", [advisor_id]).fetchone():
            raise AccessError(f"an advisor user needs --advisor-id of an existing advisor (got {advisor_id!r})")
        branch_id = con.execute("SELECT branch_id FROM advisors WHERE advisor_id = ?", [advisor_id]).fetchone()[0]
    if role is Role.branch_manager and (
        not branch_id or not con.execute("SELECT 1 FROM branches WHERE branch_id = ?", [branch_id]).fetchone()
    ):
        raise AccessError(f"a branch manager needs --branch-id of an existing branch (got {branch_id!r})")
    if con.execute("SELECT 1 FROM wd_users WHERE user_id = ?", [user_id]).fetchone():
        raise AccessError(f"user {user_id!r} exists already")
    con.execute(
        "INSERT INTO wd_users VALUES (?, ?, ?, ?, ?, ?, false)",
        [user_id, display_name, role.value, advisor_id, branch_id, datetime.now()],
    )
    _changed()
    return User(user_id, role, display_name, advisor_id, branch_id)


def list_users(con: duckdb.DuckDBPyConnection) -> list[User]:
    ensure_access_tables(con)
    rows = con.execute(
        "SELECT user_id, role, display_name, advisor_id, branch_id FROM wd_users WHERE NOT disabled ORDER BY user_id"
    ).fetchall()
    return [User(u, Role(r), n, a, b) for u, r, n, a, b in rows]


def issue_token(con: duckdb.DuckDBPyConnection, user_id: str, label: str | None = None) -> str:
    """A new API token for ``user_id``; the only time it is ever shown."""
    ensure_access_tables(con)
    if not con.execute("SELECT 1 FROM wd_users WHERE user_id = ? AND NOT disabled", [user_id]).fetchone():
        raise AccessError(f"no user {user_id!r}: add it first with `wealthdesk user add`")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    con.execute("INSERT INTO wd_tokens VALUES (?, ?, ?, ?, NULL)", [token_hash(token), user_id, label, datetime.now()])
    _changed()
    return token


def revoke_tokens(con: duckdb.DuckDBPyConnection, user_id: str, disable: bool = False) -> int:
    """Revoke every live token of ``user_id`` (and with ``disable`` the user too); how many tokens were live."""
    ensure_access_tables(con)
    if not con.execute("SELECT 1 FROM wd_users WHERE user_id = ?", [user_id]).fetchone():
        raise AccessError(f"no user {user_id!r}")
    live = con.execute("SELECT count(*) FROM wd_tokens WHERE user_id = ? AND revoked_at IS NULL", [user_id]).fetchone()[
        0
    ]
    con.execute(
        "UPDATE wd_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL", [datetime.now(), user_id]
    )
    if disable:
        con.execute("UPDATE wd_users SET disabled = true WHERE user_id = ?", [user_id])
    _changed()
    return live


_USER_COLUMNS = "u.user_id, u.role, u.display_name, u.advisor_id, u.branch_id"  # what _user_of_row reads


def _user_of_row(row: tuple | None) -> User | None:
    return None if row is None else User(row[0], Role(row[1]), row[2], row[3], row[4])


def authenticate(con: duckdb.DuckDBPyConnection, token: str) -> User | None:
    """The user a live token belongs to, or None."""
    row = con.execute(
        f"""SELECT {_USER_COLUMNS}
           FROM wd_tokens t JOIN wd_users u USING (user_id)
           WHERE t.token_hash = ? AND t.revoked_at IS NULL AND NOT u.disabled""",
        [token_hash(token)],
    ).fetchone()
    return _user_of_row(row)


class TokenCache:
    """The users of the tokens seen lately, so a request needs no store query to find its user.

    Sound only because nothing can change a user or token behind the cache's back: while the server runs it
    is the one process that can write the store (DuckDB lets a single process open the file for writing), and
    inside the process wd_users and wd_tokens are written only through this module, whose writers call
    :func:`_changed`. An entry is used only while no such write has happened since it was read from the store,
    so a token revoked (or a user disabled) is refused from the next request on. Unknown tokens are not
    cached. A store shared by several processes (PostgreSQL) would need another invalidation.
    """

    def __init__(self) -> None:
        self._users: dict[str, User] = {}
        self._writes = _writes
        self._lock = threading.Lock()

    def get(self, token: str) -> User | None:
        """The cached user of ``token``, or None (not cached: ask :meth:`authenticate`)."""
        with self._lock:
            self._forget_if_written()
            return self._users.get(token_hash(token))

    def authenticate(self, con: duckdb.DuckDBPyConnection, token: str) -> User | None:
        """:func:`authenticate` against the store, remembering a live token's user."""
        before = _writes
        user = authenticate(con, token)
        if user is not None:
            with self._lock:
                self._forget_if_written()
                if self._writes == before:  # no write since the query began
                    self._users[token_hash(token)] = user
        return user

    def _forget_if_written(self) -> None:
        if self._writes != _writes:
            self._users.clear()
            self._writes = _writes


def advisor_user_of_wecom_member(con: duckdb.DuckDBPyConnection, wecom_userid: str) -> User | None:
    """The enabled advisor user of the advisor whose WeCom userid this is (the sidebar's sign-in), or None.

    Asked on every sidebar request rather than remembered, so disabling the user or moving the advisor's WeCom
    account ends their sidebar access at once. Several users of one advisor: the first by user_id. The server
    made the tables at start."""
    row = con.execute(
        f"""SELECT {_USER_COLUMNS}
           FROM wd_users u JOIN advisors a USING (advisor_id)
           WHERE a.wecom_userid = ? AND u.role = 'advisor' AND NOT u.disabled
           ORDER BY u.user_id LIMIT 1""",
        [wecom_userid],
    ).fetchone()
    return _user_of_row(row)
