"""The sidebar as WeCom opens it, in Debian's Chromium at phone width: OAuth, the JS-SDK bridge, the card.

Two parts of WeCom cannot be reached from here and are stood in for, speaking what they speak: its server API
(the local fake, ``wecom/fake_api.py``, which the real server process calls) and its in-app browser, whose
``WeixinJSBridge`` is injected into the page as WeCom's webview injects it, answering ``preVerifyJSAPI``,
``agentConfig`` and ``getCurExternalContact``. WeCom's OAuth page is a redirect back with a code, as WeCom sends.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode, urlsplit

import duckdb
import pytest
from live_browser import save_screenshot

from running_server import LiveServer, serve
from wealthdesk.testing import StaffWorld
from wealthdesk.wecom.crypto import jsapi_signature
from wealthdesk.wecom.fake_api import FakeWeCom

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Route

CORP_ID, SECRET, AGENT_ID = "ww4f1e2d3c4b5a6978", "s3cret-of-the-customer-contact-app", "1000002"
PHONE = (390, 844)
# WeCom's webview bridge: every call is kept in sessionStorage (it outlives the page's navigation to the card)
BRIDGE = """
window.WeixinJSBridge = {
  invoke: function (name, args, callback) {
    var calls = JSON.parse(sessionStorage.getItem("bridge") || "[]");
    calls.push({name: name, args: args});
    sessionStorage.setItem("bridge", JSON.stringify(calls));
    var answer = {err_msg: name + ":ok"};
    if (name === "getCurExternalContact") { answer.userId = %s; }
    setTimeout(function () { callback(answer); }, 0);
  }
};
"""


class Wecom:
    def __init__(self, server: LiveServer, fake: FakeWeCom, member: str) -> None:
        self.server, self.fake, self.member = server, fake, member

    def open(self, browser: Browser, external: str) -> Page:
        """The sidebar opened from the toolbar of a chat with ``external``; left where the page ends up."""
        context = browser.new_context(viewport={"width": PHONE[0], "height": PHONE[1]}, locale="zh-CN")
        server = urlsplit(self.server.base_url).netloc

        def route(route: Route) -> None:
            if urlsplit(route.request.url).netloc != server:
                route.abort("blockedbyclient")
                return
            # Playwright does not route the requests a redirect makes, so WeCom's OAuth page (open.weixin.qq.com)
            # is played on the server's redirect to it: straight back to the app with a code for the member
            response = route.fetch(max_redirects=0)
            target = urlsplit(response.headers.get("location", ""))
            if target.netloc != "open.weixin.qq.com":
                route.fulfill(response=response)
                return
            query = {k: v[0] for k, v in parse_qs(target.query).items()}
            code = self.fake.issue_oauth_code(self.member)
            back = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"
            route.fulfill(response=response, headers={**response.headers, "location": back})

        context.route("**/*", route)
        context.add_init_script(BRIDGE % json.dumps(external))
        page = context.new_page()
        page.goto(self.server.url("/wecom/sidebar"))
        return page


@pytest.fixture(scope="module")
def wecom(staff: StaffWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wecom]:
    folder = tmp_path_factory.mktemp("live-wecom")
    with FakeWeCom(corp_id=CORP_ID, secret=SECRET) as fake:
        settings = {
            "WEALTHDESK_WECOM_CORP_ID": CORP_ID,
            "WEALTHDESK_WECOM_SECRET": SECRET,
            "WEALTHDESK_WECOM_AGENT_ID": AGENT_ID,
            "WEALTHDESK_WECOM_API_BASE": fake.base_url,
        }
        with serve(staff.copy_to(folder), folder, settings) as server:
            con = duckdb.connect(str(staff.store), read_only=True)  # the store the server's copy was made from
            try:
                member = con.execute(
                    "SELECT wecom_userid FROM advisors WHERE advisor_id = ?", [staff.advisor_id]
                ).fetchone()[0]
            finally:
                con.close()
            yield Wecom(server, fake, member)


def _contacts(staff: StaffWorld, member: str) -> tuple[str, str, str]:
    """(a contact the advisor follows, its client's name, a contact only other advisors follow)."""
    con = duckdb.connect(str(staff.store), read_only=True)
    try:
        own, name = con.execute(
            """SELECT w.external_userid, c.name FROM wecom_contacts w JOIN customers c USING (customer_id)
               WHERE w.advisor_userid = ? AND w.deleted_at IS NULL AND c.advisor_id = ? ORDER BY 1 LIMIT 1""",
            [member, staff.advisor_id],
        ).fetchone()
        other = con.execute(
            """SELECT min(external_userid) FROM wecom_contacts WHERE external_userid NOT IN
               (SELECT external_userid FROM wecom_contacts WHERE advisor_userid = ?)""",
            [member],
        ).fetchone()[0]
    finally:
        con.close()
    return own, name, other


def test_the_sidebar_opened_in_wecom_shows_the_chats_client(
    browser: Browser, wecom: Wecom, staff: StaffWorld, screenshots: Path
) -> None:
    own, name, _ = _contacts(staff, wecom.member)
    page = wecom.open(browser, own)
    try:
        page.wait_for_url("**/wecom/sidebar/contact?*")
        assert page.locator("h1").inner_text().startswith(name)
        assert page.get_by_role("heading", name="风险提示").count() == 1
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
        calls = json.loads(page.evaluate("sessionStorage.getItem('bridge')"))
        assert [c["name"] for c in calls] == ["preVerifyJSAPI", "agentConfig", "getCurExternalContact"]
        config, agent = calls[0]["args"], calls[1]["args"]
        url = wecom.server.url("/wecom/sidebar")  # the page the signatures are for
        assert config["verifyAppId"] == CORP_ID and config["verifySignType"] == "sha1"
        assert config["verifyJsApiList"] == ["getCurExternalContact"]
        expected = jsapi_signature(wecom.fake.jsapi_ticket, config["verifyNonceStr"], config["verifyTimestamp"], url)
        assert config["verifySignature"] == expected
        assert (agent["corpid"], agent["agentid"], agent["jsApiList"]) == (CORP_ID, AGENT_ID, ["getCurExternalContact"])
        assert agent["signature"] == jsapi_signature(
            wecom.fake.agent_ticket, agent["nonceStr"], agent["timestamp"], url
        )
        save_screenshot(page, screenshots, "wecom_sidebar_390")
    finally:
        page.context.close()
    assert not [value for value in staff.raw_pii if value in wecom.server.log_text()]


def test_a_chat_with_a_contact_the_advisor_does_not_follow_is_refused(
    browser: Browser, wecom: Wecom, staff: StaffWorld
) -> None:
    _, _, other = _contacts(staff, wecom.member)
    page = wecom.open(browser, other)
    try:
        page.wait_for_url("**/wecom/sidebar/contact?*")
        assert "403 ·" in page.locator("h1").inner_text()
    finally:
        page.context.close()


def test_outside_wecom_the_page_says_where_to_open_it(browser: Browser, wecom: Wecom) -> None:
    context = browser.new_context(viewport={"width": PHONE[0], "height": PHONE[1]}, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(wecom.server.url("/wecom/sidebar/contact?external_userid=wmX"))
        assert "401 ·" in page.locator("h1").inner_text()  # no WeCom sign-in: nothing shown
    finally:
        context.close()
