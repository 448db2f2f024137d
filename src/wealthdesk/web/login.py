"""Browser sign-in: an API token pasted once becomes an HttpOnly session cookie.

WeCom's own sign-in (OAuth in the sidebar) arrives with the WeCom issue; until
then staff sign in with the token ``wealthdesk user token`` gave them. The
cookie carries the token itself, so revoking the token ends the session.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from wealthdesk.access.users import authenticate
from wealthdesk.api.deps import SESSION_COOKIE, Cursor
from wealthdesk.web.pages import render

router = APIRouter(include_in_schema=False)
SESSION_SECONDS = 12 * 3600  # one working day


def safe_next(target: str | None) -> str:
    """Only a path on this server: never an open redirect to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/login")
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "login.html", next=safe_next(next))


@router.post("/login")
async def login(request: Request, cursor: Cursor) -> Response:
    form = parse_qs((await request.body()).decode("utf-8", errors="replace"))
    token = (form.get("token") or [""])[0].strip()
    target = safe_next((form.get("next") or ["/"])[0])
    if not token or await run_in_threadpool(authenticate, cursor, token) is None:
        return render(request, "login.html", status_code=401, next=target, problem="That token is unknown or revoked.")
    response = RedirectResponse(target, status_code=303)
    secure = request.app.state.settings.secure_cookies
    response.set_cookie(
        SESSION_COOKIE, token, max_age=SESSION_SECONDS, httponly=True, samesite="strict", secure=secure, path="/"
    )
    return response


@router.get("/logout")
def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
