"""Request dependencies: the store cursor and the authenticated user.

Programs send the token as ``Authorization: Bearer``. A browser (the advisor
sidebar, the dashboards) signs in once at ``/login`` and then carries it in
an HttpOnly, SameSite=Strict cookie; the cookie is honoured for reads only
(GET/HEAD), so a page on another site can never make the browser write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

import duckdb
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from wealthdesk.access.users import Role, User, authenticate

bearer = HTTPBearer(auto_error=False, description="An API token from `wealthdesk user token USER_ID`.")
SESSION_COOKIE = "wd_session"
SAFE_METHODS = frozenset({"GET", "HEAD"})


def store_cursor(request: Request) -> Iterator[duckdb.DuckDBPyConnection]:
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


def current_user(
    request: Request, cursor: Cursor, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> User:
    token = request_token(request, credentials)
    if token is None:
        raise HTTPException(401, "no API token: send 'Authorization: Bearer <token>' (or sign in at /login)")
    user = authenticate(cursor, token)
    if user is None:
        raise HTTPException(401, "the API token is unknown or revoked")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require(*roles: Role) -> Callable[[User], User]:
    """A dependency that lets only ``roles`` through (403 for the others)."""

    def check(user: CurrentUser) -> User:
        if user.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise HTTPException(403, f"role {user.role.value} may not do this (allowed: {allowed})")
        return user

    return check
