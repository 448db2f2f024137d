"""The sidebar inside WeCom: the advisor from OAuth, the contact checked against who the advisor follows."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import duckdb
import httpx
import pytest
from fastapi.testclient import TestClient

from wealthdesk.access.users import revoke_tokens
from wealthdesk.api.app import create_app
from wealthdesk.config import load_settings
from wealthdesk.testing import StaffWorld, app_sql
from wealthdesk.wecom.crypto import jsapi_signature
from wealthdesk.wecom.fake_api import FakeWeCom

CORP_ID, SECRET, AGENT_ID = "ww4f1e2d3c4b5a6978", "s3cret-of-the-customer-contact-app", 1000002
PUBLIC = "https://wd.example.com"  # the server's address as browsers reach it (through a TLS proxy)
PAGE = f"{PUBLIC}/wecom/sidebar"


@dataclass
class Sidebar:
    client: TestClient
    wecom: FakeWeCom
    world: StaffWorld
    member: str  # the advisor user's WeCom userid

    def sql(self, query: str, params: list[object] | None = None) -> list[tuple]:
        return app_sql(self.client, query, params)

    def sign_in(self, member: str | None = None) -> httpx.Response:
        """Open the sidebar with no session, go through WeCom's OAuth as ``member``, come back: the last answer."""
        self.client.cookies.clear()
        first = self.client.get("/wecom/sidebar", follow_redirects=False)
        assert first.status_code == 302
        state = parse_qs(urlsplit(first.headers["location"]).query)["state"][0]
        code = self.wecom.issue_oauth_code(member or self.member)
        return self.client.get("/wecom/sidebar", params={"code": code, "state": state}, follow_redirects=False)

    def contact(self, external: str) -> httpx.Response:
        return self.client.get("/wecom/sidebar/contact", params={"external_userid": external})


@pytest.fixture(scope="module")
def sidebar(staff: StaffWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sidebar]:
    world = staff.copy_to(tmp_path_factory.mktemp("wecom-sidebar"))
    with FakeWeCom(corp_id=CORP_ID, secret=SECRET) as wecom:
        settings = load_settings(
            store=world.store,
            wecom_corp_id=CORP_ID,
            wecom_secret=SECRET,
            wecom_agent_id=AGENT_ID,
            wecom_api_base=wecom.base_url,
            public_url=PUBLIC,
        )
        with TestClient(create_app(settings)) as client:
            probe = Sidebar(client, wecom, world, "")
            probe.member = probe.sql("SELECT wecom_userid FROM advisors WHERE advisor_id = ?", [world.advisor_id])[0][0]
            yield probe


OWN = "w.deleted_at IS NULL AND c.advisor_id = (SELECT advisor_id FROM advisors WHERE wecom_userid = w.advisor_userid)"


def _followed(sidebar: Sidebar, condition: str) -> tuple[str, str | None]:
    """(external_userid, customer_id) of a relationship of the advisor user's WeCom account that ``condition`` picks."""
    rows = sidebar.sql(
        f"""SELECT external_userid, customer_id FROM wecom_contacts w LEFT JOIN customers c USING (customer_id)
            WHERE w.advisor_userid = ? AND {condition} ORDER BY 1 LIMIT 1""",
        [sidebar.member],
    )
    assert rows, condition
    return rows[0]


def test_without_a_session_the_sidebar_goes_through_wecom_oauth(sidebar: Sidebar) -> None:
    sidebar.client.cookies.clear()
    answer = sidebar.client.get("/wecom/sidebar", follow_redirects=False)
    assert answer.status_code == 302
    target = urlsplit(answer.headers["location"])
    assert (target.scheme, target.netloc, target.path) == ("https", "open.weixin.qq.com", "/connect/oauth2/authorize")
    assert target.fragment == "wechat_redirect"
    query = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert query["appid"] == CORP_ID and query["agentid"] == str(AGENT_ID)
    assert query["scope"] == "snsapi_base" and query["response_type"] == "code"
    assert query["redirect_uri"] == PAGE
    assert re.fullmatch("[0-9a-f]{32}", query["state"])  # WeCom takes a-zA-Z0-9 only
    assert answer.cookies.get("wd_wecom_oauth_state") == query["state"]
    forged = sidebar.client.get("/wecom/sidebar", headers={"Host": "evil.example"}, follow_redirects=False)
    assert parse_qs(urlsplit(forged.headers["location"]).query)["redirect_uri"] == [PAGE]


def test_the_code_names_the_advisor_once_and_the_page_carries_valid_js_sdk_signatures(sidebar: Sidebar) -> None:
    back = sidebar.sign_in()
    assert back.status_code == 303 and back.headers["location"] == PAGE
    page = sidebar.client.get("/wecom/sidebar", follow_redirects=False)
    assert page.status_code == 200
    config = json.loads(re.search(r'<script type="application/json" id="wecom-config">(.*?)</script>', page.text)[1])
    url = PAGE
    assert config["corpId"] == CORP_ID and config["agentId"] == str(AGENT_ID)
    assert config["jsApiList"] == ["getCurExternalContact"]
    # wx.config is signed with the corporation's jsapi_ticket, wx.agentConfig with the app's agent_config ticket
    assert config["signature"] == jsapi_signature(
        sidebar.wecom.jsapi_ticket, config["nonceStr"], config["timestamp"], url
    )
    assert config["agentSignature"] == jsapi_signature(
        sidebar.wecom.agent_ticket, config["nonceStr"], config["timestamp"], url
    )
    assert sidebar.wecom.jsapi_ticket not in page.text and sidebar.wecom.agent_ticket not in page.text
    tickets = dict(sidebar.wecom.ticket_requests)
    sidebar.client.get("/wecom/sidebar")
    assert dict(sidebar.wecom.ticket_requests) == tickets  # cached: WeCom allows a few hundred fetches an hour


def test_bad_sign_ins_are_refused(sidebar: Sidebar) -> None:
    sidebar.client.cookies.clear()
    first = sidebar.client.get("/wecom/sidebar", follow_redirects=False)
    state = parse_qs(urlsplit(first.headers["location"]).query)["state"][0]
    code = sidebar.wecom.issue_oauth_code(sidebar.member)
    forged = sidebar.client.get("/wecom/sidebar", params={"code": code, "state": "not-mine"}, follow_redirects=False)
    assert forged.status_code == 400 and "state" in forged.text
    used = sidebar.client.get("/wecom/sidebar", params={"code": "no-such-code", "state": state})
    assert used.status_code == 401 and "code" in used.text
    assert sidebar.sign_in("somebody-else").status_code == 403  # a member with no advisor user
    outsider = sidebar.wecom.issue_oauth_code(openid="oOUTSIDER")  # not a member of the corporation
    sidebar.client.cookies.clear()
    first = sidebar.client.get("/wecom/sidebar", follow_redirects=False)
    state = parse_qs(urlsplit(first.headers["location"]).query)["state"][0]
    assert sidebar.client.get("/wecom/sidebar", params={"code": outsider, "state": state}).status_code == 403
    assert sidebar.contact("wmANYONE").status_code == 401  # no session
    assert 'href="/wecom/sidebar"' in sidebar.contact("wmANYONE").text  # back through WeCom, not /login
    sidebar.wecom.fail_next("/cgi-bin/auth/getuserinfo", 48002)  # API接口无权限调用
    failed = sidebar.sign_in()
    assert failed.status_code == 502 and "errcode 48002" in failed.text and "from ip" not in failed.text


def test_the_card_is_shown_only_for_a_contact_the_advisor_follows(sidebar: Sidebar) -> None:
    assert sidebar.sign_in().status_code == 303
    external, customer = _followed(sidebar, OWN)
    audits = sidebar.sql("SELECT count(*) FROM wd_audit WHERE customer_id = ? AND action = 'sidebar'", [customer])[0][0]
    card = sidebar.contact(external)
    assert card.status_code == 200 and f"客户号 {customer}" in card.text
    assert not [v for v in sidebar.world.raw_pii if v in card.text]  # phone and ID masked as on every page
    sidebar.client.get("/api/v1/audit", headers={"Authorization": f"Bearer {sidebar.world.tokens['compliance']}"})
    after = sidebar.sql("SELECT count(*) FROM wd_audit WHERE customer_id = ? AND action = 'sidebar'", [customer])[0][0]
    assert after == audits + 1

    others = sidebar.sql(
        """SELECT external_userid FROM wecom_contacts WHERE customer_id IS NOT NULL AND external_userid NOT IN
           (SELECT external_userid FROM wecom_contacts WHERE advisor_userid = ?) ORDER BY 1 LIMIT 1""",
        [sidebar.member],
    )[0][0]
    refused = sidebar.contact(others)  # another advisor's contact: a page may name it, the server refuses it
    assert refused.status_code == 403 and "do not follow" in refused.text
    ended = _followed(sidebar, "w.deleted_at IS NOT NULL AND w.customer_id IS NOT NULL")[0]
    assert sidebar.contact(ended).status_code == 403  # the relationship was deleted
    unmatched = _followed(sidebar, "w.deleted_at IS NULL AND w.customer_id IS NULL")[0]
    assert sidebar.contact(unmatched).status_code == 404
    # followed on WeCom, but the client is another advisor's in the books: refused without naming the client
    sidebar.sql(
        "INSERT INTO wecom_contacts (advisor_userid, external_userid, customer_id, added_at) VALUES (?, ?, ?, now())",
        [sidebar.member, "wmSHARED0000000000001", sidebar.world.other],
    )
    shared = sidebar.contact("wmSHARED0000000000001")
    assert shared.status_code == 404 and sidebar.world.other not in shared.text


def test_a_user_disabled_after_signing_in_is_refused_at_once(sidebar: Sidebar) -> None:
    assert sidebar.sign_in().status_code == 303
    external, _ = _followed(sidebar, OWN)
    assert sidebar.contact(external).status_code == 200
    cursor: duckdb.DuckDBPyConnection = sidebar.client.app.state.con.cursor()  # type: ignore[attr-defined]
    try:
        revoke_tokens(cursor, "u_advisor", disable=True)
    finally:
        cursor.close()
    assert sidebar.contact(external).status_code == 403
    assert sidebar.client.get("/wecom/sidebar", follow_redirects=False).status_code == 302  # back to OAuth
