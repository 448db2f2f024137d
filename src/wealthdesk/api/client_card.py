"""One client's sidebar card and tags over HTTP, for systems that show them their own way."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from wealthdesk.api.client_access import serve_client
from wealthdesk.api.deps import CurrentUser, Cursor
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
