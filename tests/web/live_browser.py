"""Helpers behind the page-test fixtures: run ``wealthdesk serve`` for real, drive Debian's Chromium, sign in.

Test modules import what they call from here (``from live_browser import signed_in_page, save_screenshot``);
``conftest.py`` turns the rest into fixtures and documents how to use them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

import pytest

from wealthdesk.access.users import Role
from wealthdesk.api.deps import SESSION_COOKIE
from wealthdesk.testing import StaffWorld

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
START_SECONDS = 60  # a cold start imports the whole stack; on a loaded machine that takes a while
SAVED: list[Path] = []  # screenshots written in this run, listed in the terminal summary


@dataclass(frozen=True)
class LiveServer:
    """A running ``wealthdesk serve`` and what a test needs to talk to it."""

    base_url: str  # http://127.0.0.1:PORT, no trailing slash
    tokens: dict[Role, str]
    world: StaffWorld  # the staff world on the server's own copy of the store
    log_path: Path  # the server's stdout and stderr

    def url(self, path: str) -> str:
        return self.base_url + path

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    """A loopback port nobody listens on now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    """Poll ``url`` until the server answers at all (any HTTP status); fail with its log if it dies or hangs."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"wealthdesk serve exited with {process.returncode}:\n{log_path.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answered, with an error status: the server is up
        except OSError:
            time.sleep(0.2)
    log = log_path.read_text(errors="replace")
    pytest.fail(f"wealthdesk serve did not answer {url} within {START_SECONDS} s:\n{log}")


@contextmanager
def serve(world: StaffWorld, folder: Path) -> Iterator[LiveServer]:
    """``wealthdesk serve`` (the real command, in a subprocess) on ``world``'s store; stopped on exit.

    The server owns the store while it runs, so ``world`` should be a copy (``StaffWorld.copy_to``).
    """
    port = free_port()
    log_path = folder / "server.log"
    command = [sys.executable, "-m", "wealthdesk.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--store", str(world.store)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEALTHDESK_")}  # the test decides the settings
    env["PYTHONUNBUFFERED"] = "1"  # the log is complete the moment a test reads it
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=folder)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base_url + "/login", process, log_path)
        yield LiveServer(base_url, world.tokens, world, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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
