"""Serving one client's data: the scope check, the role's masking and the audit row, in that order, in one place.

Every endpoint and page that shows one client goes through ``serve_client``:
a client outside the user's scope answers 404 exactly like an unknown one,
and the audit row is written before the response leaves.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

import duckdb
from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool

from wealthdesk.access.audit import PersonalDataRead, record_reads
from wealthdesk.access.scope import client_filter, may_see, sees_full_name
from wealthdesk.access.users import User
from wealthdesk.api.deps import audit_writer, view_cache
from wealthdesk.api.view_cache import ClientViewCache, EncodedView
from wealthdesk.governance.masking import mask_name
from wealthdesk.profiles.view import ClientNotFound, ClientOutOfScope, client_record
from wealthdesk.schema import TABLES_BY_NAME

PII_FIELDS = tuple(c.name for c in TABLES_BY_NAME["customers"].pii_columns)
NOT_FOUND = "no client {customer_id!r} among the clients you may see"


def request_source(request: Request) -> str | None:
    """Where a read came from, for the audit log."""
    return request.client.host if request.client else None


def masked_fields(user: User, fields: tuple[str, ...] = PII_FIELDS) -> tuple[str, ...]:
    """The personal-data fields ``user`` sees masked: all of them, but the name for those serving the client."""
    return tuple(f for f in fields if not (sees_full_name(user) and f == "name"))


class ClientBuilder(Protocol):
    """What ``serve_client`` serves: built from the store for one client, raising ClientOutOfScope outside
    ``scope`` (``profiles.view.client_view`` does that check in its first query)."""

    def __call__(
        self, con: duckdb.DuckDBPyConnection, customer_id: str, reveal_name: bool, *, scope: tuple[str, list[Any]]
    ) -> Any: ...


async def serve_client(
    request: Request,
    cursor: duckdb.DuckDBPyConnection,
    user: User,
    customer_id: str,
    action: str,
    build: ClientBuilder,
    fields: tuple[str, ...] = PII_FIELDS,
) -> Any:
    """``build(cursor, customer_id, reveal_name, scope=…)`` for a client in scope, audited as ``action``; else 404.

    ``async`` with one thread-pool hop for the store reads, and the audit row group-committed
    (:class:`~wealthdesk.access.audit.AuditWriter`) before the response is sent: every client an advisor opens
    comes through here, and a ``def`` endpoint cost several thread hops and a commit of its own.
    """
    with _found_or_404(customer_id):
        result = await run_in_threadpool(build, cursor, customer_id, sees_full_name(user), scope=client_filter(user))
    await _audit_read(request, user, customer_id, action, fields)
    return result


async def serve_client_view(request: Request, user: User, customer_id: str) -> Response:
    """The 360 view of a client in scope, from the server's resident views (:mod:`wealthdesk.api.view_cache`),
    audited as ``view``; else 404. The same answer as ``serve_client`` with ``client_view`` gives, already
    encoded: no store read and no thread-pool hop once the client's view is loaded.

    A client the user may not see is looked up in the store like one that is not in memory, and refused by the
    same statement that refuses an unknown client: answered from memory, the refusal would be faster than for a
    client that does not exist, and its time would tell an advisor which client numbers are real."""
    cache = view_cache(request.app)
    view = cache.get(customer_id)
    if view is None or not may_see(user, view.advisor_id, view.branch_id):
        view = await run_in_threadpool(_build_view, request.app, cache, user, customer_id)
    await _audit_read(request, user, customer_id, "view", PII_FIELDS)
    return Response(cache.body(view, sees_full_name(user)), media_type="application/json")


def _build_view(app: FastAPI, cache: ClientViewCache, user: User, customer_id: str) -> EncodedView:
    """A client's view built from the store and kept; 404 for a client the user may not see or without a view."""
    generation = cache.generation
    cursor = app.state.con.cursor()
    try:
        with _found_or_404(customer_id):
            record = client_record(cursor, customer_id, lambda advisor, branch: may_see(user, advisor, branch))
    finally:
        cursor.close()
    view = cache.encode(record)
    cache.keep(customer_id, view, generation)
    return view


@contextmanager
def _found_or_404(customer_id: str) -> Iterator[None]:
    """A client out of scope (or unknown) answers NOT_FOUND; one in scope without a view says why."""
    try:
        yield
    except ClientOutOfScope:
        raise HTTPException(404, NOT_FOUND.format(customer_id=customer_id)) from None
    except ClientNotFound as exc:
        raise HTTPException(404, str(exc)) from None


async def _audit_read(request: Request, user: User, customer_id: str, action: str, fields: tuple[str, ...]) -> None:
    """The audit row of one client's read, committed before the response leaves."""
    read = PersonalDataRead(customer_id, fields, masked_fields(user, fields))
    await audit_writer(request.app).record(user, [read], action, request_source(request))


def _like_literal(text: str) -> str:
    """``text`` matched literally by LIKE … ESCAPE '\\' (a typed % or _ is not a wildcard)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def find_clients(
    request: Request, cursor: duckdb.DuckDBPyConnection, user: User, q: str, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """Clients in scope whose number starts with ``q`` or, for those who see names whole, whose name contains it;
    one page of them and how many there are. The names shown are audited as reads.

    Someone who sees names masked searches by client number only: matching their guesses against the whole
    name would let them confirm a name character by character."""
    scope, params = client_filter(user)
    text = _like_literal(q)
    full = sees_full_name(user)
    if full:
        where = f"{scope} AND (c.customer_id LIKE ? || '%' ESCAPE '\\' OR c.name LIKE '%' || ? || '%' ESCAPE '\\')"
        params = [*params, text, text]
    else:
        where = f"{scope} AND c.customer_id LIKE ? || '%' ESCAPE '\\'"
        params = [*params, text]
    total = cursor.execute(f"SELECT count(*) FROM customers c WHERE {where}", params).fetchone()[0]
    rows = cursor.execute(
        f"""SELECT c.customer_id, c.name, c.city, c.branch_id, c.advisor_id FROM customers c WHERE {where}
            ORDER BY c.customer_id LIMIT ? OFFSET ?""",
        [*params, limit, offset],
    ).fetchall()
    items = [
        {"customer_id": cid, "name": name if full else mask_name(name), "city": city, "branch_id": b, "advisor_id": a}
        for cid, name, city, b, a in rows
    ]
    reads = [PersonalDataRead(i["customer_id"], ("name",), masked_fields(user, ("name",))) for i in items]
    record_reads(cursor, user, reads, "search", request_source(request))
    return items, total
