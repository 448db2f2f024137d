"""One client's sidebar card and tags over HTTP, for systems that show them their own way."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request

from wealthdesk.api.client_access import serve_client
from wealthdesk.api.deps import CurrentUser, Cursor
from wealthdesk.content.matching import client_recommendations
from wealthdesk.profiles.sidebar import sidebar_card
from wealthdesk.profiles.view import client_view

router = APIRouter(prefix="/api/v1/clients", tags=["clients"])


@router.get("/{customer_id}/card", summary="A client's sidebar card: 360 view, holdings with P&L, trades, alerts")
async def get_card(request: Request, cursor: Cursor, user: CurrentUser, customer_id: str) -> dict[str, Any]:
    """What the advisor sidebar page shows, as JSON: profile, masked identity, tags with evidence, holdings on the
    latest snapshot with profit and loss, recent trades, risk alerts and suggested topics."""
    return await serve_client(request, cursor, user, customer_id, "card", sidebar_card)


@router.get("/{customer_id}/tags", summary="A client's tags, and chat interests with their evidence")
async def get_tags(request: Request, cursor: Cursor, user: CurrentUser, customer_id: str) -> dict[str, Any]:
    """Rule tags (with category and version) and chat keyword tags with their latest masked evidence snippets."""

    def tags(c: Any, i: str, full: bool, *, scope: tuple[str, list[Any]]) -> dict[str, Any]:
        view = client_view(c, i, reveal_name=full, scope=scope)
        return {"customer_id": i, "tags": view["tags"], "chat_tags": view["chat_tags"]}

    # chat snippets are client data (masked free text), so reading them is audited too
    return await serve_client(request, cursor, user, customer_id, "tags", tags, fields=("chat_evidence",))


@router.get(
    "/{customer_id}/recommendations", summary="Suitable contents for a client, ranked, each with the reasons for it"
)
async def get_recommendations(
    request: Request,
    cursor: Cursor,
    user: CurrentUser,
    customer_id: str,
    top: int = Query(5, ge=1, le=50, description="How many contents."),
) -> dict[str, Any]:
    """The contents most worth sending this client today: matched on their chat interests (with how recently they
    spoke of them), their holdings, their lifecycle stage and what they have not read yet. The suitability rule
    decides every content (C1–C5 against R1–R5, expired or missing assessments, professional investors); how many
    it held back is counted."""

    def recommend(c: Any, i: str, full: bool, *, scope: tuple[str, list[Any]]) -> dict[str, Any]:
        client_view(c, i, reveal_name=full, scope=scope)  # the scope check: 404 as for an unknown client
        return {"customer_id": i, **client_recommendations(c, i, top)}

    return await serve_client(request, cursor, user, customer_id, "recommendations", recommend, fields=())
