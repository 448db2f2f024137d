"""The WeCom fake speaks the wire format: checked with plain httpx requests, as our real client will send them."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from wealthdesk.wecom.fake_api import FakeWeCom

CORP_ID, SECRET = "ww4f1e2d3c4b5a6978", "s3cret-of-the-customer-contact-app"
MARK = "/cgi-bin/externalcontact/mark_tag"


@pytest.fixture
def wecom() -> Iterator[FakeWeCom]:
    with FakeWeCom(corp_id=CORP_ID, secret=SECRET) as fake:
        yield fake


@pytest.fixture
def client(wecom: FakeWeCom) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=wecom.base_url, timeout=5) as http:
        yield http


def token(client: httpx.Client) -> str:
    answer = client.get("/cgi-bin/gettoken", params={"corpid": CORP_ID, "corpsecret": SECRET}).json()
    assert answer["errcode"] == 0
    return answer["access_token"]


def post(client: httpx.Client, path: str, body: object, access_token: str) -> dict:
    response = client.post(path, params={"access_token": access_token}, json=body)
    assert response.status_code == 200  # API errors are HTTP 200 with a non-zero errcode
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    return response.json()


def test_token_flow_and_token_errors(wecom: FakeWeCom, client: httpx.Client) -> None:
    answer = client.get("/cgi-bin/gettoken", params={"corpid": CORP_ID, "corpsecret": SECRET}).json()
    assert answer["errcode"] == 0 and answer["errmsg"] == "ok" and answer["expires_in"] == 7200
    first = answer["access_token"]
    bad_corp = client.get("/cgi-bin/gettoken", params={"corpid": "wwnope", "corpsecret": SECRET}).json()
    assert bad_corp["errcode"] == 40013 and "e=40013" in bad_corp["errmsg"]
    assert client.get("/cgi-bin/gettoken", params={"corpid": CORP_ID, "corpsecret": "x"}).json()["errcode"] == 40001
    assert wecom.token_requests == 3

    tag_list = "/cgi-bin/externalcontact/get_corp_tag_list"
    assert client.post(tag_list, json={}).json()["errcode"] == 41001
    assert post(client, tag_list, {}, "not-a-token")["errcode"] == 40014
    second = token(client)  # a new token leaves the first valid
    assert post(client, tag_list, {}, first) == {"errcode": 0, "errmsg": "ok", "tag_group": []}
    wecom.advance(7200)
    assert post(client, tag_list, {}, second)["errcode"] == 42001
    third = token(client)
    assert post(client, tag_list, {}, third)["errcode"] == 0
    wecom.expire_tokens()  # early invalidation
    assert post(client, tag_list, {}, third)["errcode"] == 42001


def test_add_corp_tag_then_list_round_trips_chinese_names(wecom: FakeWeCom, client: httpx.Client) -> None:
    access = token(client)
    add = "/cgi-bin/externalcontact/add_corp_tag"
    created = post(
        client, add, {"group_name": "客户等级", "order": 2, "tag": [{"name": "高净值"}, {"name": "潜力"}]}, access
    )
    group = created["tag_group"]
    assert created["errcode"] == 0 and group["group_name"] == "客户等级" and group["order"] == 2
    assert group["group_id"].startswith("et") and [t["name"] for t in group["tag"]] == ["高净值", "潜力"]
    # an existing group_name adds to that group; the answer holds only the new tags; duplicates create one tag
    more = post(client, add, {"group_name": "客户等级", "tag": [{"name": "稳健"}, {"name": "稳健"}]}, access)
    assert more["tag_group"]["group_id"] == group["group_id"] and [t["name"] for t in more["tag_group"]["tag"]] == [
        "稳健"
    ]
    assert post(client, add, {"group_id": group["group_id"], "tag": [{"name": "潜力"}]}, access)["errcode"] == 40071
    assert post(client, add, {"group_id": "etNOPE", "tag": [{"name": "x"}]}, access)["errcode"] == 40068

    raw = client.post("/cgi-bin/externalcontact/get_corp_tag_list", params={"access_token": access}, json={})
    assert "高净值".encode() in raw.content  # UTF-8 on the wire, not \\u escapes
    (listed,) = raw.json()["tag_group"]
    assert [t["name"] for t in listed["tag"]] == ["高净值", "潜力", "稳健"] and "deleted" not in listed
    assert listed == wecom.tag_groups()[0]
    first_tag = listed["tag"][0]["id"]
    by_tag = post(client, "/cgi-bin/externalcontact/get_corp_tag_list", {"tag_id": [first_tag]}, access)["tag_group"]
    assert by_tag[0]["deleted"] is False and [t["id"] for t in by_tag[0]["tag"]] == [first_tag]
    both = {"tag_id": [first_tag], "group_id": [group["group_id"]]}  # group_id wins
    assert len(post(client, "/cgi-bin/externalcontact/get_corp_tag_list", both, access)["tag_group"][0]["tag"]) == 3


def test_corp_tag_limit() -> None:
    with (
        FakeWeCom(corp_id=CORP_ID, secret=SECRET, max_corp_tags=2) as wecom,
        httpx.Client(base_url=wecom.base_url) as client,
    ):
        access = token(client)
        body = {"group_name": "组", "tag": [{"name": "一"}, {"name": "二"}, {"name": "三"}]}
        assert post(client, "/cgi-bin/externalcontact/add_corp_tag", body, access)["errcode"] != 0
        assert wecom.tag_groups() == []  # nothing half-created


def test_mark_tag_is_idempotent_and_checks_its_arguments(wecom: FakeWeCom, client: httpx.Client) -> None:
    access = token(client)
    wecom.add_contact("advisor1", "wmCLIENT1", name="张三")
    wecom.add_member("advisor2")
    body = {"group_name": "风险偏好", "tag": [{"name": "保守"}, {"name": "进取"}]}
    tag_a, tag_b = (
        t["id"] for t in post(client, "/cgi-bin/externalcontact/add_corp_tag", body, access)["tag_group"]["tag"]
    )
    mark = {"userid": "advisor1", "external_userid": "wmCLIENT1"}
    for _ in range(2):
        assert post(client, MARK, {**mark, "add_tag": [tag_a, tag_b]}, access) == {"errcode": 0, "errmsg": "ok"}
    assert wecom.contact_tags("advisor1", "wmCLIENT1") == {tag_a, tag_b}
    for _ in range(2):
        assert post(client, MARK, {**mark, "remove_tag": [tag_b]}, access)["errcode"] == 0
    assert wecom.contact_tags("advisor1", "wmCLIENT1") == {tag_a}

    bad_tag = post(client, MARK, {**mark, "add_tag": [tag_b, "etUNKNOWN"]}, access)
    assert bad_tag["errcode"] == 40068 and bad_tag["errmsg"].startswith("invalid tagid: etUNKNOWN")
    assert wecom.contact_tags("advisor1", "wmCLIENT1") == {tag_a}  # the whole call failed
    assert post(client, MARK, {**mark, "add_tag": [], "remove_tag": []}, access)["errcode"] != 0
    assert post(client, MARK, {**mark, "userid": "advisor2", "add_tag": [tag_a]}, access)["errcode"] == 84061
    assert post(client, MARK, {**mark, "external_userid": "wmNOBODY", "add_tag": [tag_a]}, access)["errcode"] == 40096
    assert post(client, MARK, {**mark, "userid": "stranger", "add_tag": [tag_a]}, access)["errcode"] == 40003


def test_get_by_user_pages_with_an_opaque_cursor(wecom: FakeWeCom, client: httpx.Client) -> None:
    access = token(client)
    for i in range(5):
        wecom.add_contact("advisor1", f"wmA{i}", name=f"客户{i}", state="branch-01" if i == 0 else None)
    wecom.add_contact("advisor2", "wmB0")
    wecom.add_contact("advisor2", "wmA0")  # one client, two advisors: two rows
    seen, cursor, pages = [], "", 0
    while True:
        answer = post(client, "/cgi-bin/externalcontact/batch/get_by_user",
                      {"userid_list": ["advisor2", "advisor1"], "cursor": cursor, "limit": 3}, access)  # fmt: skip
        assert answer["errcode"] == 0
        pages += 1
        seen += [
            (row["follow_info"]["userid"], row["external_contact"]["external_userid"])
            for row in answer["external_contact_list"]
        ]
        cursor = answer["next_cursor"]
        if not cursor:
            break
    assert pages == 3 and seen == [("advisor2", "wmB0"), ("advisor2", "wmA0")] + [
        ("advisor1", f"wmA{i}") for i in range(5)
    ]
    first = post(
        client, "/cgi-bin/externalcontact/batch/get_by_user", {"userid_list": ["advisor1"], "limit": 1}, access
    )
    follow = first["external_contact_list"][0]["follow_info"]
    assert follow["tag_id"] == [] and follow["state"] == "branch-01" and follow["remark_mobiles"] == []
    bad = {"userid_list": ["advisor1"], "cursor": "forged"}
    assert post(client, "/cgi-bin/externalcontact/batch/get_by_user", bad, access)["errcode"] != 0


def test_externalcontact_get_shape(wecom: FakeWeCom, client: httpx.Client) -> None:
    access = token(client)
    wecom.add_contact("advisor1", "wmCLIENT1", name="李四")
    body = {"group_name": "产品偏好", "tag": [{"name": "固收+"}]}
    (tag,) = post(client, "/cgi-bin/externalcontact/add_corp_tag", body, access)["tag_group"]["tag"]
    post(client, MARK, {"userid": "advisor1", "external_userid": "wmCLIENT1", "add_tag": [tag["id"]]}, access)
    params = {"access_token": access, "external_userid": "wmCLIENT1"}
    answer = client.get("/cgi-bin/externalcontact/get", params=params).json()
    assert answer["external_contact"]["name"] == "李四" and "next_cursor" not in answer
    (follow,) = answer["follow_user"]
    assert follow["tags"] == [{"group_name": "产品偏好", "tag_name": "固收+", "type": 1, "tag_id": tag["id"]}]
    missing = client.get("/cgi-bin/externalcontact/get", params={**params, "external_userid": "wmNOBODY"}).json()
    assert missing["errcode"] == 40096 and missing["follow_user"] == []


def test_getuserinfo_codes_are_single_use_and_expire(wecom: FakeWeCom, client: httpx.Client) -> None:
    access = token(client)
    member = wecom.issue_oauth_code("advisor1")
    outsider = wecom.issue_oauth_code(openid="oAbc123")
    late = wecom.issue_oauth_code("advisor1")

    def userinfo(code: str) -> dict:
        return client.get("/cgi-bin/auth/getuserinfo", params={"access_token": access, "code": code}).json()

    assert userinfo(member) == {"errcode": 0, "errmsg": "ok", "userid": "advisor1"}
    assert userinfo(member)["errcode"] == 40029  # used
    assert userinfo(outsider) == {"errcode": 0, "errmsg": "ok", "openid": "oAbc123"}
    wecom.advance(301)
    assert userinfo(late)["errcode"] == 40029  # expired
    assert userinfo("made-up")["errcode"] == 40029


def test_tickets_are_counted_and_exposed(wecom: FakeWeCom, client: httpx.Client) -> None:
    params = {"access_token": token(client)}
    corp = client.get("/cgi-bin/get_jsapi_ticket", params=params).json()
    agent = client.get("/cgi-bin/ticket/get", params={**params, "type": "agent_config"}).json()
    assert corp["errcode"] == 0 and corp["ticket"] == wecom.jsapi_ticket and corp["expires_in"] == 7200
    assert agent["ticket"] == wecom.agent_ticket != wecom.jsapi_ticket
    assert client.get("/cgi-bin/ticket/get", params={**params, "type": "nope"}).json()["errcode"] == 91040
    assert wecom.ticket_requests["jsapi"] == 1 and wecom.ticket_requests["agent_config"] == 1


def test_fault_injection_calls_and_malformed_requests(wecom: FakeWeCom, client: httpx.Client) -> None:
    access = token(client)
    wecom.add_contact("advisor1", "wmCLIENT1")
    (tag,) = post(client, "/cgi-bin/externalcontact/add_corp_tag", {"group_name": "g", "tag": [{"name": "t"}]}, access)[
        "tag_group"
    ]["tag"]
    wecom.reset_calls()
    body = {"userid": "advisor1", "external_userid": "wmCLIENT1", "add_tag": [tag["id"]]}
    wecom.fail_next(MARK, 45009, times=2)
    wecom.fail_http_next(MARK, 502)
    assert [post(client, MARK, body, access)["errcode"] for _ in range(2)] == [45009, 45009]
    gateway = client.post(MARK, params={"access_token": access}, json=body)
    assert gateway.status_code == 502 and not gateway.headers["content-type"].startswith("application/json")
    assert wecom.contact_tags("advisor1", "wmCLIENT1") == set()  # failed calls did nothing
    assert post(client, MARK, body, access)["errcode"] == 0
    assert wecom.calls[0] == ("POST", MARK, {}, body) and len(wecom.calls) == 4  # access_token left out

    garbled = client.post(MARK, params={"access_token": access}, content=b"{not json")
    assert garbled.json()["errcode"] == 47001
    assert client.get("/cgi-bin/no_such_api", params={"access_token": access}).status_code == 404
