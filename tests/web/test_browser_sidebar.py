"""The advisor sidebar in Debian's Chromium at phone width (390 px), as an advisor opens it inside WeCom."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
from live_browser import LiveServer, save_screenshot, signed_in_page

from wealthdesk.access.users import Role
from wealthdesk.testing import StaffWorld

if TYPE_CHECKING:
    from playwright.sync_api import Browser

PHONE = (390, 844)


def _richest_client(staff: StaffWorld) -> tuple[str, str, list[str]]:
    """The advisor user's client with the most chat interests, their name and their rule-tag labels.

    Read from the staff store the server's copy was made from (the server holds its copy open)."""
    con = duckdb.connect(str(staff.store), read_only=True)
    try:
        client, name = con.execute(
            """SELECT c.customer_id, c.name FROM customers c JOIN keyword_tags k USING (customer_id)
               WHERE c.advisor_id = ? GROUP BY ALL ORDER BY count(*) DESC, 1 LIMIT 1""",
            [staff.advisor_id],
        ).fetchone()
        rows = con.execute("SELECT label FROM customer_tags WHERE customer_id = ?", [client]).fetchall()
    finally:
        con.close()
    return client, name, [label for (label,) in rows]


def test_the_sidebar_at_phone_width(
    browser: Browser, live_server: LiveServer, staff: StaffWorld, screenshots: Path
) -> None:
    client, name, labels = _richest_client(staff)
    requests: list[str] = []
    page = signed_in_page(browser, live_server, Role.advisor, *PHONE, next_path=f"/sidebar/{client}", requests=requests)
    try:
        assert page.locator("h1").inner_text().startswith(name)  # the serving advisor greets the client by name
        for section in ("风险提示", "建议话题", "持仓", "最近交易", "标签", "聊天兴趣"):
            assert page.get_by_role("heading", name=section).count() >= 1, section
        tags = page.locator("#tags").inner_text()
        assert all(label in tags for label in labels)
        assert page.locator("#tags .evidence").count() >= 1  # a chat interest shows what the client said
        # fits the phone: nothing wider than the viewport, so no sideways scrolling inside WeCom
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
        # the sidebar itself took one request: the page, with its stylesheet inlined
        url = live_server.url(f"/sidebar/{client}")
        assert requests[requests.index(url) :] == [url], requests
        save_screenshot(page, screenshots, "sidebar_390")
    finally:
        page.context.close()
    log = live_server.log_text()
    assert f"/sidebar/{client}" in log  # the log is the server's
    assert not [value for value in live_server.world.raw_pii if value in log]
