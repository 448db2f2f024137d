"""Fixtures for page tests: a real server, Debian's Chromium driven by Playwright, and signed-in pages.

Fixtures (the helpers they use live in ``live_browser.py``; import the functions from there):

- ``live_server`` (module scope): ``wealthdesk serve`` in a subprocess on a free loopback port, on a copy
  of the staff store (the server writes audit rows; the session's ``staff`` store stays untouched). A
  :class:`running_server.LiveServer` with ``base_url``, ``url(path)``, ``tokens`` (one per role), ``world``
  (the :class:`~wealthdesk.testing.StaffWorld` on the copy: ``own``, ``other``, ``raw_pii``, …) and
  ``log_path`` (everything the server wrote to stdout and stderr; ``log_text()`` reads it, e.g. to check
  that no phone or ID number leaked into the log). Each test module gets its own server, store and log,
  so no module depends on another's leftovers.
- ``browser`` (session scope): Debian's Chromium at ``/usr/bin/chromium`` (or ``$WEALTHDESK_CHROMIUM``),
  headless. Playwright's own browser download is never used; without Chromium (or the CJK font) the tests
  fail and say how to install it (``make test``); they do not skip.
- ``screenshots`` (session scope): the folder screenshots go to, ``$WEALTHDESK_SCREENSHOTS`` (created if
  needed) or a temporary folder. The saved files are listed at the end of the run.

Functions (``from live_browser import signed_in_page, save_screenshot``):

- ``signed_in_page(browser, live_server, role, width, height, next_path="/", requests=None)``: a fresh
  browser context with that viewport, signed in through the real ``/login`` form with the role's token
  and left on ``next_path``. Requests to any host but the live server are aborted; pass a list as
  ``requests`` to collect every URL the page asked for. Close it with ``page.context.close()``.
- ``save_screenshot(page, screenshots, name)``: writes ``name.png`` (full page) and returns its path.

Example::

    def test_sidebar(browser, live_server, screenshots):
        client = live_server.world.own
        page = signed_in_page(browser, live_server, Role.advisor, 390, 844, next_path=f"/sidebar/{client}")
        ...
        save_screenshot(page, screenshots, "sidebar")
        page.context.close()
        log = live_server.log_text()
        assert not [value for value in live_server.world.raw_pii if value in log]
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from live_browser import CHROMIUM, CHROMIUM_ARGS, SAVED, chromium_missing

from running_server import LiveServer, serve
from wealthdesk.testing import StaffWorld

if TYPE_CHECKING:
    from playwright.sync_api import Browser


@pytest.fixture(scope="module")
def live_server(staff: StaffWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``wealthdesk serve`` on this module's copy of the staff store, on a free loopback port."""
    folder = tmp_path_factory.mktemp("live")
    with serve(staff.copy_to(folder), folder) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright (never Playwright's downloaded browsers)."""
    problem = chromium_missing()
    if problem:
        pytest.fail(
            f"{problem}: `make test` installs Debian's chromium and fonts-wqy-microhei "
            "(or run `apt-get install chromium fonts-wqy-microhei`; WEALTHDESK_CHROMIUM names another binary)",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=list(CHROMIUM_ARGS))
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: ``$WEALTHDESK_SCREENSHOTS`` (created if needed) or a temporary folder."""
    given = os.environ.get("WEALTHDESK_SCREENSHOTS")
    folder = Path(given) if given else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """List the screenshots of this run, so a person can look at what the browser saw."""
    if SAVED:
        terminalreporter.section("screenshots")
        for path in SAVED:
            terminalreporter.write_line(str(path))
