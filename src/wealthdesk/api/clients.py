"""Client search and the 360 view: scoped to the user's clients, masked by role, every read audited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from wealthdesk.api.client_access import find_clients, serve_client_view
from wealthdesk.api.deps import BEARER_SECURITY, CurrentUser, Cursor, request_user

router = APIRouter(prefix="/api/v1/clients", tags=["clients"])


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
    items, total = find_clients(request, cursor, user, q, limit, offset)
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.get(
    "/{customer_id}", summary="A client's 360 view", response_model=dict[str, Any], openapi_extra=BEARER_SECURITY
)
async def get_client(request: Request, customer_id: str) -> Response:
    """Profile, identity (masked by role), tags and chat interests with their evidence."""
    return await serve_client_view(request, await request_user(request), customer_id)
