"""Request dependencies: the store cursor and the authenticated user.

Programs send the token as ``Authorization: Bearer``. A browser (the advisor
sidebar, the dashboards) signs in once at ``/login`` and then carries it in
an HttpOnly, SameSite=Strict cookie; the cookie is honoured for reads only
(GET/HEAD), so a page on another site can never make the browser write.

The dependencies are ``async``: FastAPI runs a plain ``def`` dependency in
its thread pool, and each such hop (a thread wake-up and two GIL hand-overs)
cost more than the work here — the cursor is opened without blocking, and
the user usually comes from the server's :class:`TokenCache`; only a token
not seen before is looked up in the store, in the thread pool.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

import duckdb
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from wealthdesk.access.audit import AuditWriter
from wealthdesk.access.users import Role, TokenCache, User
from wealthdesk.api.view_cache import ClientViewCache

bearer = HTTPBearer(auto_error=False, description="An API token from `wealthdesk user token USER_ID`.")
SESSION_COOKIE = "wd_session"
SAFE_METHODS = frozenset({"GET", "HEAD"})


async def store_cursor(request: Request) -> AsyncIterator[duckdb.DuckDBPyConnection]:
    """A cursor on the server's one store connection (DuckDB cursors are safe to use one per thread)."""
    cursor = request.app.state.con.cursor()
    try:
        yield cursor
    finally:
        cursor.close()


Cursor = Annotated[duckdb.DuckDBPyConnection, Depends(store_cursor)]


def request_token(request: Request, credentials: HTTPAuthorizationCredentials | None) -> str | None:
    """The bearer token, or for a read the session cookie set by ``/login``."""
    if credentials is not None:
        return credentials.credentials
    if request.method in SAFE_METHODS:
        return request.cookies.get(SESSION_COOKIE)
    return None


_server_parts = threading.Lock()


def server_part(app: FastAPI, name: str, make: Callable[[], Any]) -> Any:
    """``app.state.<name>``, made on first use (the app's lifespan opens the store they work on)."""
    part = getattr(app.state, name, None)
    if part is None:
        with _server_parts:
            part = getattr(app.state, name, None)
            if part is None:
                part = make()
                setattr(app.state, name, part)
    return part


def token_cache(app: FastAPI) -> TokenCache:
    """The server's token → user cache."""
    return server_part(app, "token_cache", TokenCache)


def audit_writer(app: FastAPI) -> AuditWriter:
    """The server's audit log writer (group commit to a journal, drained into the store; made by the lifespan)."""
    writer: AuditWriter = app.state.audit_writer
    return writer


def view_cache(app: FastAPI) -> ClientViewCache:
    """The server's resident client views (made and loaded by the app's lifespan)."""
    cache: ClientViewCache = app.state.view_cache
    return cache


def _authenticate(app: FastAPI, token: str) -> User | None:
    cursor = app.state.con.cursor()
    try:
        return token_cache(app).authenticate(cursor, token)
    finally:
        cursor.close()


async def current_user(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> User:
    return await _user_of(request, request_token(request, credentials))


async def request_user(request: Request) -> User:
    """What the CurrentUser dependency gives, for an endpoint that takes no dependencies: the 360 view, the
    hottest endpoint, where FastAPI's solving of the dependencies cost more than the rest of the request.
    Such an endpoint declares the bearer scheme itself (:data:`BEARER_SECURITY`)."""
    return await _user_of(request, request_token(request, await bearer(request)))


BEARER_SECURITY = {"security": [{"HTTPBearer": []}]}  # openapi_extra of an endpoint that calls request_user


async def _user_of(request: Request, token: str | None) -> User:
    if token is None:
        raise HTTPException(401, "no API token: send 'Authorization: Bearer <token>' (or sign in at /login)")
    user = token_cache(request.app).get(token)
    if user is None:
        user = await run_in_threadpool(_authenticate, request.app, token)
    if user is None:
        raise HTTPException(401, "the API token is unknown or revoked")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require(*roles: Role) -> Callable[[User], Awaitable[User]]:
    """A dependency that lets only ``roles`` through (403 for the others)."""

    async def check(user: CurrentUser) -> User:
        if user.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise HTTPException(403, f"role {user.role.value} may not do this (allowed: {allowed})")
        return user

    return check
