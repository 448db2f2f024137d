"""The start page after signing in: find a client (in the user's scope) and open their sidebar; the dashboards."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from wealthdesk.api.analytics import ANALYSTS
from wealthdesk.api.client_access import find_clients
from wealthdesk.api.deps import CurrentUser, Cursor
from wealthdesk.web.pages import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    cursor: Cursor,
    user: CurrentUser,
    q: Annotated[str, Query(max_length=50)] = "",
    offset: Annotated[int, Query(ge=0)] = 0,
) -> HTMLResponse:
    query = q.strip()
    items, total = find_clients(request, cursor, user, query, PAGE_SIZE, offset) if query else ([], 0)
    return render(
        request,
        "home.html",
        user=user,
        q=query,
        items=items,
        total=total,
        offset=offset,
        page_size=PAGE_SIZE,
        dashboards=user.role in ANALYSTS,
    )
