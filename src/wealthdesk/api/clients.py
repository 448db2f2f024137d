"""Client search and the 360 view: scoped to the user's clients, masked by role, every read audited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request

from wealthdesk.access.audit import PersonalDataRead, record_reads
from wealthdesk.access.scope import client_filter, sees_full_name
from wealthdesk.api.deps import CurrentUser, Cursor
from wealthdesk.governance.masking import mask_name
from wealthdesk.profiles.view import ClientNotFound, client_view
from wealthdesk.schema import TABLES_BY_NAME

router = APIRouter(prefix="/api/v1/clients", tags=["clients"])
PII_FIELDS = tuple(c.name for c in TABLES_BY_NAME["customers"].pii_columns)
NOT_FOUND = "no client {customer_id!r} among the clients you may see"


def _source(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.get("", summary="Search clients by number or name")
def search_clients(
    request: Request,
    cursor: Cursor,
    user: CurrentUser,
    q: Annotated[str, Query(min_length=1, max_length=50, description="Client number prefix or part of the name.")],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """Clients whose number starts with ``q`` or whose name contains it, within the user's scope."""
    scope, params = client_filter(user)
    where = f"{scope} AND (c.customer_id LIKE ? || '%' OR c.name LIKE '%' || ? || '%')"
    total = cursor.execute(f"SELECT count(*) FROM customers c WHERE {where}", [*params, q, q]).fetchone()[0]
    rows = cursor.execute(
        f"""SELECT c.customer_id, c.name, c.city, c.branch_id, c.advisor_id FROM customers c WHERE {where}
            ORDER BY c.customer_id LIMIT ? OFFSET ?""",
        [*params, q, q, limit, offset],
    ).fetchall()
    full = sees_full_name(user)
    items = [
        {"customer_id": cid, "name": name if full else mask_name(name), "city": city, "branch_id": b, "advisor_id": a}
        for cid, name, city, b, a in rows
    ]
    masked = () if full else ("name",)
    record_reads(
        cursor, user, [PersonalDataRead(i["customer_id"], ("name",), masked) for i in items], "search", _source(request)
    )
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.get("/{customer_id}", summary="A client's 360 view")
def get_client(request: Request, cursor: Cursor, user: CurrentUser, customer_id: str) -> dict[str, Any]:
    """Profile, identity (masked by role), tags and chat interests with their evidence."""
    scope, params = client_filter(user)
    visible = cursor.execute(
        f"SELECT 1 FROM customers c WHERE c.customer_id = ? AND {scope}", [customer_id, *params]
    ).fetchone()
    if not visible:
        raise HTTPException(404, NOT_FOUND.format(customer_id=customer_id))
    full = sees_full_name(user)
    try:
        view = client_view(cursor, customer_id, reveal_name=full)
    except ClientNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    masked = tuple(f for f in PII_FIELDS if not (full and f == "name"))
    record_reads(cursor, user, [PersonalDataRead(customer_id, PII_FIELDS, masked)], "view", _source(request))
    return view
