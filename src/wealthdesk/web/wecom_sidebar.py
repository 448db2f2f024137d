"""The sidebar inside WeCom: the advisor from WeCom's OAuth, the client from the JS-SDK, checked by the server.

WeCom opens ``/wecom/sidebar`` in its chat toolbar (聊天工具栏). The page
never takes a client number from the browser on trust:

1. **Who is the advisor.** With no sidebar session, the page sends the
   browser to WeCom's OAuth (``open.weixin.qq.com/connect/oauth2/authorize``,
   ``snsapi_base``, with a random ``state`` kept in a cookie). WeCom sends it
   back with a single-use ``code``; the server asks WeCom whose it is
   (``/cgi-bin/auth/getuserinfo``) and opens a session for that member, if
   they are an advisor with an enabled wealthdesk user.
2. **Which client is on screen.** The page configures the JS-SDK with
   signatures the server computes from WeCom's tickets (``wx.config`` with the
   corporation's jsapi_ticket, ``wx.agentConfig`` with the app's), and asks
   ``getCurExternalContact`` for the external contact of the open chat.
3. **May this advisor see them.** ``/wecom/sidebar/contact`` shows the card
   only if the session's advisor follows that external contact now
   (``wecom_contacts``, not deleted); otherwise 403. The card itself then goes
   through the same scope check, masking and audit as every other read.

Sessions live in the server's memory for two hours: a restart or an expiry
only sends the advisor through WeCom's OAuth again, which WeCom does without
asking them anything. The user is looked up again on every request, so a user
disabled meanwhile is refused at once.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from wealthdesk.access.users import User, advisor_user_of_wecom_member
from wealthdesk.api.client_access import serve_client
from wealthdesk.api.deps import Cursor, server_part
from wealthdesk.profiles.sidebar import sidebar_card
from wealthdesk.web.pages import render
from wealthdesk.web.sidebar import render_card
from wealthdesk.wecom.api import WeComApiError, WeComClient, client_from_settings
from wealthdesk.wecom.contacts import followed_client
from wealthdesk.wecom.crypto import jsapi_signature

router = APIRouter(prefix="/wecom/sidebar", include_in_schema=False)
log = logging.getLogger(__name__)

OAUTH_AUTHORIZE = "https://open.weixin.qq.com/connect/oauth2/authorize"
SESSION_COOKIE = "wd_wecom_sidebar"
STATE_COOKIE = "wd_wecom_oauth_state"
SESSION_SECONDS = 2 * 3600
STATE_SECONDS = 600
INVALID_CODE = 40029  # getuserinfo: the code is unknown, used or expired
JS_APIS = ["getCurExternalContact"]


class SidebarSessions:
    """Session id → (WeCom userid, expiry). Ids are 256 random bits; nothing about the advisor is in the cookie."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._sessions: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def open(self, wecom_userid: str) -> str:
        session = secrets.token_urlsafe(32)
        now = self._clock()
        with self._lock:
            self._sessions = {k: v for k, v in self._sessions.items() if v[1] > now}  # drop the expired
            self._sessions[session] = (wecom_userid, now + SESSION_SECONDS)
        return session

    def member(self, session: str | None) -> str | None:
        if not session:
            return None
        with self._lock:
            found = self._sessions.get(session)
        return found[0] if found and found[1] > self._clock() else None


def _sessions(request: Request) -> SidebarSessions:
    sessions: SidebarSessions = server_part(request.app, "wecom_sidebar_sessions", SidebarSessions)
    return sessions


def _client(request: Request) -> WeComClient:
    """The server's one WeCom API client (its token and tickets cached); 503 naming the settings if unconfigured."""
    settings = request.app.state.settings
    if settings.wecom_agent_id is None:
        raise HTTPException(503, "the WeCom sidebar needs WEALTHDESK_WECOM_AGENT_ID (and the corp id and secret)")
    try:
        client: WeComClient = server_part(request.app, "wecom_client", lambda: client_from_settings(settings))
    except Exception as exc:  # ConfigError: which settings are missing
        raise HTTPException(503, f"the WeCom sidebar is not configured: {exc}") from None
    return client


def _cookie(response: Response, request: Request, name: str, value: str, seconds: int) -> None:
    # Lax, not Strict: the browser comes back from WeCom's OAuth page, another site, and must bring the state
    secure = request.app.state.settings.secure_cookies
    response.set_cookie(name, value, max_age=seconds, httponly=True, samesite="lax", secure=secure, path="/wecom/")


@router.get("", response_class=HTMLResponse)
async def sidebar_entry(
    request: Request, cursor: Cursor, code: str | None = None, state: str | None = None
) -> Response:
    """WeCom's toolbar opens this: sign in through OAuth if need be, then the page that asks the JS-SDK which
    external contact the chat is with."""
    client = _client(request)
    settings = request.app.state.settings
    if code is not None:
        return await _signed_in(request, cursor, client, code, state)
    member = _sessions(request).member(request.cookies.get(SESSION_COOKIE))
    if member is None or await _advisor(cursor, member) is None:
        expected = secrets.token_hex(16)  # WeCom takes a state of a-zA-Z0-9 only, up to 128 bytes (path/91022)
        query = {
            "appid": settings.wecom_corp_id,
            "redirect_uri": _page_url(request),
            "response_type": "code",
            "scope": "snsapi_base",
            "state": expected,
            "agentid": settings.wecom_agent_id,
        }
        response = RedirectResponse(f"{OAUTH_AUTHORIZE}?{urlencode(query)}#wechat_redirect", status_code=302)
        _cookie(response, request, STATE_COOKIE, expected, STATE_SECONDS)
        return response
    page_url = _page_url(request)
    if request.url.query:  # the JS-SDK signature is for the page's exact address: keep it the one without a query
        return RedirectResponse(page_url, status_code=303)
    try:
        corp_ticket, agent_ticket = await run_in_threadpool(
            lambda: (client.jsapi_ticket("corp"), client.jsapi_ticket("agent"))
        )
    except WeComApiError as exc:
        raise _wecom_failed("the JS-SDK tickets", exc) from None
    timestamp, nonce = str(int(time.time())), secrets.token_hex(8)
    config = {
        "corpId": settings.wecom_corp_id,
        "agentId": str(settings.wecom_agent_id),
        "timestamp": timestamp,
        "nonceStr": nonce,
        "signature": jsapi_signature(corp_ticket, nonce, timestamp, page_url),
        "agentSignature": jsapi_signature(agent_ticket, nonce, timestamp, page_url),
        "jsApiList": JS_APIS,
        "contactUrl": "/wecom/sidebar/contact",
    }
    return render(request, "wecom_sidebar.html", config=config)


async def _signed_in(request: Request, cursor: Cursor, client: WeComClient, code: str, state: str | None) -> Response:
    """Back from WeCom's OAuth: the code's member, if the state is the one this browser was sent with."""
    expected = request.cookies.get(STATE_COOKIE)
    if not expected or not state or not secrets.compare_digest(expected, state):
        raise HTTPException(400, "this sign-in did not start from the sidebar (state mismatch): open the sidebar again")
    try:
        member = await run_in_threadpool(client.oauth_userid, code)
    except WeComApiError as exc:
        if exc.errcode == INVALID_CODE:
            raise HTTPException(
                401, "WeCom's sign-in code is invalid, used or expired: open the sidebar again"
            ) from exc
        raise _wecom_failed("the sign-in", exc) from None
    if member is None:
        raise HTTPException(403, "only members of the corporation can open the sidebar")
    if await _advisor(cursor, member) is None:
        log.warning("sidebar sign-in refused: WeCom member %s has no enabled advisor user", member)
        raise HTTPException(403, f"WeCom member {member} has no enabled wealthdesk advisor user")
    response = RedirectResponse(_page_url(request), status_code=303)
    _cookie(response, request, SESSION_COOKIE, _sessions(request).open(member), SESSION_SECONDS)
    response.delete_cookie(STATE_COOKIE, path="/wecom/")
    return response


def _page_url(request: Request) -> str:
    """The sidebar's address as the advisor's browser has it: the OAuth redirect and the JS-SDK signatures are for
    it. ``WEALTHDESK_PUBLIC_URL`` when set (behind a proxy, and so that a forged Host header changes nothing),
    else the request's own."""
    public = request.app.state.settings.public_url
    return f"{public.rstrip('/')}{router.prefix}" if public else str(request.url.replace(query="", fragment=""))


def _wecom_failed(what: str, exc: WeComApiError) -> HTTPException:
    """502 naming WeCom's errcode; not its errmsg, which carries the server's own address."""
    log.warning("WeCom sidebar: %s failed: %s errcode %s", what, exc.path, exc.errcode)
    code = f" (errcode {exc.errcode})" if exc.errcode is not None else ""
    return HTTPException(502, f"WeCom did not answer {what}{code}: try again in a moment")


async def _advisor(cursor: Cursor, member: str) -> User | None:
    return await run_in_threadpool(advisor_user_of_wecom_member, cursor, member)


@router.get("/contact", response_class=HTMLResponse)
async def sidebar_contact(request: Request, cursor: Cursor, external_userid: str) -> HTMLResponse:
    """The card of the client behind the chat's external contact, if the signed-in advisor follows them."""
    member = _sessions(request).member(request.cookies.get(SESSION_COOKIE))
    if member is None:
        raise HTTPException(401, "no sidebar session: open the sidebar from WeCom again")
    user = await _advisor(cursor, member)
    if user is None:
        raise HTTPException(403, f"WeCom member {member} has no enabled wealthdesk advisor user")
    follows, customer_id = await run_in_threadpool(followed_client, cursor, member, external_userid)
    if not follows:
        log.warning("sidebar refused: %s does not follow external contact %s", member, external_userid)
        raise HTTPException(403, "you do not follow this external contact on WeCom, so their profile is not shown")
    if customer_id is None:
        raise HTTPException(404, "this external contact is not matched to a client yet")
    try:
        card = await serve_client(request, cursor, user, customer_id, "sidebar", sidebar_card)
    except HTTPException as exc:
        if exc.status_code != 404:
            raise
        # the advisor follows them on WeCom, but the client is not theirs in the books (shared, or moved): the
        # refusal must not name a client number the advisor may not see
        raise HTTPException(404, "this contact's client is not among the clients you serve") from None
    return render_card(request, card, user)
