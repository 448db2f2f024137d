"""The advisor sidebar: one client's page, opened inside WeCom while chatting (390 px wide, one request).

Everything is rendered on the server and the stylesheet is inlined, so the
page arrives in a single response and needs no internet, no script and no
other asset. It goes through the same scope check, masking and audit as the
API (``serve_client``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from wealthdesk.access.users import User
from wealthdesk.api.client_access import serve_client
from wealthdesk.api.deps import CurrentUser, Cursor
from wealthdesk.profiles.lifecycle import STAGE_LABELS_ZH
from wealthdesk.profiles.sidebar import sidebar_card
from wealthdesk.web.pages import STYLESHEET, render

router = APIRouter(include_in_schema=False)

RISK_LABELS = {"C1": "保守型", "C2": "谨慎型", "C3": "稳健型", "C4": "积极型", "C5": "激进型"}
GENDER_LABELS = {"M": "男", "F": "女"}
CONTENT_TYPE_LABELS = {
    "research_report": "研报",
    "advisor_view": "投顾观点",
    "event": "活动",
    "investor_education": "投教",
}


@router.get("/sidebar/{customer_id}", response_class=HTMLResponse)
async def sidebar_page(request: Request, cursor: Cursor, user: CurrentUser, customer_id: str) -> HTMLResponse:
    card = await serve_client(request, cursor, user, customer_id, "sidebar", sidebar_card)
    return render_card(request, card, user)


def render_card(request: Request, card: dict[str, Any], user: User) -> HTMLResponse:
    """The sidebar page of a card ``serve_client`` gave (here, and inside WeCom: ``web/wecom_sidebar.py``)."""
    return render(
        request,
        "sidebar.html",
        card=card,
        user=user,
        stylesheet=STYLESHEET,
        stage=STAGE_LABELS_ZH.get(card["profile"]["lifecycle_stage"], card["profile"]["lifecycle_stage"]),
        risk_label=RISK_LABELS.get(card["profile"]["risk_level"] or "", "未测评"),
        gender=GENDER_LABELS.get(card["identity"]["gender"] or "", ""),
        content_types=CONTENT_TYPE_LABELS,
    )
