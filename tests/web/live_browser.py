"""Helpers behind the page-test fixtures: run ``wealthdesk serve`` for real, drive Debian's Chromium, sign in.

Test modules import what they call from here (``from live_browser import signed_in_page, save_screenshot``);
``conftest.py`` turns the rest into fixtures and documents how to use them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from running_server import LiveServer
from wealthdesk.access.users import Role
from wealthdesk.api.deps import SESSION_COOKIE

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Request, Route

CHROMIUM = Path(os.environ.get("WEALTHDESK_CHROMIUM", "/usr/bin/chromium"))
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
CHROMIUM_ARGS = (
    "--no-sandbox",  # tests may run as root in a container
    "--disable-gpu",
    "--disable-dev-shm-usage",
    # nothing of Chromium's own may phone home: the machine is offline and the tests check no request leaves
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
)
SAVED: list[Path] = []  # screenshots written in this run, listed in the terminal summary


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists():
        return f"Chromium is not installed at {CHROMIUM}"
    if not CJK_FONT.exists():
        return f"the CJK font {CJK_FONT} is missing (Chinese would render as boxes)"
    return None


def save_screenshot(page: Page, folder: Path, name: str, *, full_page: bool = True) -> Path:
    """Write ``folder/name.png`` and remember it for the end-of-run listing."""
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    SAVED.append(path)
    print(f"screenshot: {path}")
    return path


def signed_in_page(
    browser: Browser,
    live_server: LiveServer,
    role: Role,
    width: int,
    height: int,
    *,
    next_path: str = "/",
    requests: list[str] | None = None,
) -> Page:
    """A page in a fresh context of ``width`` × ``height``, signed in as ``role`` through the ``/login`` form
    and left on ``next_path``.

    Requests to any host but the live server are aborted (the pages must work offline); ``requests``, when
    given, collects every URL the context asked for, sign-in included. Close with ``page.context.close()``.
    """
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    server = urlsplit(live_server.base_url).netloc

    def guard(route: Route) -> None:
        if urlsplit(route.request.url).netloc == server:
            route.continue_()
        else:
            route.abort("blockedbyclient")

    context.route("**/*", guard)
    if requests is not None:

        def record(request: Request) -> None:
            requests.append(request.url)

        context.on("request", record)
    page = context.new_page()
    page.goto(live_server.url(f"/login?next={quote(next_path)}"))
    page.fill("#token", live_server.tokens[role])
    with page.expect_navigation():
        page.click("button[type=submit]")
    if not any(cookie["name"] == SESSION_COOKIE for cookie in context.cookies()):
        text = page.inner_text("body")
        context.close()
        raise AssertionError(f"signing in as {role.value} set no session cookie; the page said: {text[:300]}")
    return page
