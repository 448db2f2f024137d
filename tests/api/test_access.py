"""The API's access control: every endpoint × every role, client scope, masking, token hashes and the audit log."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import httpx
import pytest
from fastapi.testclient import TestClient

from wealthdesk.access.users import Role
from wealthdesk.api.app import create_app
from wealthdesk.config import load_settings
from wealthdesk.segments.definitions import known_tags, save_segment
from wealthdesk.testing import StaffWorld


@dataclass(frozen=True)
class World:
    client: TestClient
    tokens: dict[Role, str]
    store: Path
    own: str  # a client of the advisor user
    other: str  # a client of another advisor, in another branch
    same_branch: str  # a client of another advisor in the advisor's branch
    raw_pii: frozenset[str]  # every raw phone and ID number in the store
    advisors_clients: frozenset[str]  # every client of the advisor user


@pytest.fixture(scope="module")
def world(staff: StaffWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    mine = staff.copy_to(tmp_path_factory.mktemp("api"))
    con = duckdb.connect(str(mine.store))
    save_segment(con, "funded", "aum > 0", "有资产客户", known_tags())
    con.close()
    with TestClient(create_app(load_settings(store=mine.store))) as client:
        yield World(
            client,
            mine.tokens,
            mine.store,
            mine.own,
            mine.other,
            mine.same_branch,
            mine.raw_pii,
            mine.advisors_clients,
        )


def _get(world: World, role: Role | None, path: str) -> httpx.Response:
    headers = {} if role is None else {"Authorization": f"Bearer {world.tokens[role]}"}
    return world.client.get(path, headers=headers)


# endpoint → the status each role gets; "own" / "other" / "branch" stand for the clients of the World
MATRIX: dict[str, dict[Role, int]] = {
    "/api/v1/me": dict.fromkeys(Role, 200),
    "/api/v1/clients?q=31": dict.fromkeys(Role, 200),
    "/api/v1/clients/{own}": dict.fromkeys(Role, 200),
    "/api/v1/clients/{other}": {**dict.fromkeys(Role, 200), Role.advisor: 404, Role.branch_manager: 404},
    "/api/v1/clients/{branch}": {**dict.fromkeys(Role, 200), Role.advisor: 404},
    "/api/v1/audit": {**dict.fromkeys(Role, 403), Role.compliance: 200, Role.admin: 200},
    "/api/v1/segments": dict.fromkeys(Role, 200),
    "/api/v1/segments/funded/members": dict.fromkeys(Role, 200),
    "/api/v1/segments/no_such_segment/members": dict.fromkeys(Role, 404),
    "/api/v1/metrics?as_of=2022-06-30": {**dict.fromkeys(Role, 200), Role.advisor: 403},
    "/api/v1/quality": {**dict.fromkeys(Role, 200), Role.advisor: 403},
    "/api/v1/reports/funds": {**dict.fromkeys(Role, 200), Role.advisor: 403},
    "/api/v1/reports/value": {**dict.fromkeys(Role, 200), Role.advisor: 403},
    "/api/v1/reports/reassurance?top=20": dict.fromkeys(Role, 200),  # scoped to the user's clients
    "/api/v1/reports/reassurance?top=20&as_of=2022-06-30": {**dict.fromkeys(Role, 200), Role.advisor: 403},
    "/api/v1/clients/{own}/card": dict.fromkeys(Role, 200),
    "/api/v1/clients/{other}/card": {**dict.fromkeys(Role, 200), Role.advisor: 404, Role.branch_manager: 404},
    "/api/v1/clients/{own}/tags": dict.fromkeys(Role, 200),
    "/api/v1/clients/{branch}/tags": {**dict.fromkeys(Role, 200), Role.advisor: 404},
    "/api/v1/clients/{own}/recommendations": dict.fromkeys(Role, 200),
    "/api/v1/clients/{other}/recommendations": {
        **dict.fromkeys(Role, 200),
        Role.advisor: 404,
        Role.branch_manager: 404,
    },
    # pages: the start page, the advisor sidebar and the analysts' dashboards (errors are pages, not problem documents)
    "/?q=31": dict.fromkeys(Role, 200),
    "/sidebar/{own}": dict.fromkeys(Role, 200),
    "/sidebar/{other}": {**dict.fromkeys(Role, 200), Role.advisor: 404, Role.branch_manager: 404},
    "/sidebar/{branch}": {**dict.fromkeys(Role, 200), Role.advisor: 404},
    "/dashboards": {**dict.fromkeys(Role, 200), Role.advisor: 403},
    "/dashboards/funds": {**dict.fromkeys(Role, 200), Role.advisor: 403},
    "/dashboards/lifecycle": {**dict.fromkeys(Role, 200), Role.advisor: 403},
    "/dashboards/metrics": {**dict.fromkeys(Role, 200), Role.advisor: 403},
    "/dashboards/quality": {**dict.fromkeys(Role, 200), Role.advisor: 403},
    # the sidebar inside WeCom opens with its own WeCom sign-in only: no API token or page session opens it
    "/wecom/sidebar/contact?external_userid=wmANYONE0000000001": dict.fromkeys(Role, 401),
}
# open to anyone: signing in and out, the stylesheet and chart library the pages load, the health check, WeCom's
# callback URL (authenticated by WeCom's signature instead: tests/wecom/test_callback.py), and the entry of the
# sidebar inside WeCom, which signs the advisor in through WeCom's OAuth (tests/web/test_wecom_sidebar.py)
PUBLIC = ("/login", "/logout", "/assets/{name}", "/openapi.json", "/health", "/wecom/callback", "/wecom/sidebar")
POSTS: dict[str, dict[Role, int]] = {
    "/api/v1/segments": {**dict.fromkeys(Role, 403), Role.analyst: 201, Role.operations: 201, Role.admin: 201},
    "/api/v1/intake/app_events": {**dict.fromkeys(Role, 403), Role.operations: 200, Role.admin: 200},
    "/api/v1/intake/wecom_archive": {**dict.fromkeys(Role, 403), Role.operations: 200, Role.admin: 200},
}


@pytest.mark.parametrize("path", list(MATRIX))
@pytest.mark.parametrize("role", [None, *Role])
def test_authorization_matrix(world: World, path: str, role: Role | None) -> None:
    url = path.format(own=world.own, other=world.other, branch=world.same_branch)
    response = _get(world, role, url)
    expected = 401 if role is None else MATRIX[path][role]
    assert response.status_code == expected, (role, url, response.text)
    if expected != 200 and path.startswith("/api/"):
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["status"] == expected and response.json()["detail"]
    elif expected != 200:
        assert response.headers["content-type"].startswith("text/html")
        assert f"{expected} ·" in response.text


def test_the_matrix_covers_every_endpoint_and_page(world: World) -> None:
    """A new endpoint or page fails this test until its access rule is written into the matrix."""
    checked = [re.sub(r"\?.*", "", p) for p in [*MATRIX, *POSTS]]

    def paths(routes: list[object]) -> Iterator[str]:  # our routers carry their whole path, so no prefixes to add
        for route in routes:
            router = getattr(route, "original_router", None)
            yield from paths(router.routes) if router is not None else [route.path]

    found = list(paths(world.client.app.routes))
    assert "/api/v1/clients/{customer_id}" in found and "/sidebar/{customer_id}" in found
    for path in found:
        if path in PUBLIC:
            continue
        pattern = re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"
        assert any(re.match(pattern, c) for c in checked), f"{path} is missing from the authorization matrix"


@pytest.mark.parametrize("path", list(POSTS))
@pytest.mark.parametrize("role", [None, *Role])
def test_authorization_matrix_for_writes(world: World, path: str, role: Role | None) -> None:
    body: object
    if path.endswith("segments"):
        body = {"name": f"made_by_{role.value if role else 'nobody'}", "when": "aum > 100000"}
    elif path.endswith("wecom_archive"):
        body = [{"seq": 1, "msgid": f"ARC-{role}", "action": "switch", "time": 1656648000000, "user": "someone"}]
    else:
        body = [
            {
                "event_id": f"API-{role}",
                "customer_id": world.own,
                "event_type": "login",
                "event_time": "2022-07-01 09:30:00",
            }
        ]
    headers = {} if role is None else {"Authorization": f"Bearer {world.tokens[role]}"}
    response = world.client.post(path, json=body, headers=headers)
    assert response.status_code == (401 if role is None else POSTS[path][role]), (role, path, response.text)


def test_segment_members_are_only_the_users_clients(world: World) -> None:
    everyone = _get(world, Role.analyst, "/api/v1/segments/funded/members?limit=1000").json()
    mine = _get(world, Role.advisor, "/api/v1/segments/funded/members?limit=1000").json()
    assert 0 < mine["total"] < everyone["total"]
    assert {i["customer_id"] for i in mine["items"]} <= world.advisors_clients


def test_bad_writes_are_problems_that_say_what_was_wrong(world: World) -> None:
    headers = {"Authorization": f"Bearer {world.tokens[Role.analyst]}"}
    taken = world.client.post("/api/v1/segments", json={"name": "funded", "when": "aum > 0"}, headers=headers)
    assert taken.status_code == 400 and "exists already" in taken.json()["detail"]
    wrong = world.client.post("/api/v1/segments", json={"name": "x_bad", "when": "no_such_column > 1"}, headers=headers)
    assert wrong.status_code == 400 and "no_such_column" in wrong.json()["detail"]
    ops = {"Authorization": f"Bearer {world.tokens[Role.operations]}"}
    unknown = world.client.post("/api/v1/intake/trades", json=[{"x": 1}], headers=ops)
    assert unknown.status_code == 422 and "table" in unknown.json()["detail"]
    fed = world.client.post(
        "/api/v1/intake/app_events", json=[{"event_id": "E-bad", "customer_id": world.own}], headers=ops
    )
    assert fed.status_code == 200 and fed.json()["quarantined"], fed.text


def test_a_bad_token_is_refused_with_a_problem(world: World) -> None:
    response = world.client.get("/api/v1/me", headers={"Authorization": "Bearer wd_not-a-token"})
    assert response.status_code == 401 and "unknown or revoked" in response.json()["detail"]


def test_invalid_parameters_say_which(world: World) -> None:
    response = _get(world, Role.analyst, "/api/v1/clients?q=31&limit=5000")
    assert response.status_code == 422
    assert "limit" in response.json()["detail"]


def test_no_response_carries_a_raw_phone_or_id_number(world: World) -> None:
    assert len(world.raw_pii) > 1000
    for role in Role:
        for path in ("/api/v1/clients?q=3&limit=200", f"/api/v1/clients/{world.own}", f"/api/v1/clients/{world.other}"):
            body = _get(world, role, path).text
            leaked = {v for v in re.findall(r"\d{11,18}X?", body) if v in world.raw_pii}
            assert not leaked, (role, path, leaked)


def test_names_are_whole_only_for_those_who_serve_the_client(world: World) -> None:
    names = {role: _get(world, role, f"/api/v1/clients/{world.own}").json()["identity"]["name"] for role in Role}
    assert "*" not in names[Role.advisor] and "*" not in names[Role.branch_manager]
    for role in (Role.analyst, Role.operations, Role.compliance, Role.admin):
        assert re.fullmatch(r".\*+", names[role]), (role, names[role])


def test_every_read_of_personal_data_is_audited(world: World) -> None:
    _get(world, Role.analyst, f"/api/v1/clients/{world.own}")
    log = _get(world, Role.compliance, f"/api/v1/audit?customer_id={world.own}&user_id=u_analyst").json()
    entry = log["items"][0]
    assert entry["action"] == "view" and entry["role"] == "analyst" and entry["customer_id"] == world.own
    assert set(entry["fields"]) == {"name", "phone", "id_number"} and set(entry["masked"]) == set(entry["fields"])
    assert entry["source"]  # from where
    searched = _get(world, Role.advisor, "/api/v1/clients?q=3&limit=200").json()
    log = _get(world, Role.compliance, "/api/v1/audit?user_id=u_advisor&limit=500").json()
    assert {e["customer_id"] for e in log["items"] if e["action"] == "search"} >= {
        i["customer_id"] for i in searched["items"]
    }
    # a refused read leaves no trace of personal data served
    _get(world, Role.advisor, f"/api/v1/clients/{world.other}")
    log = _get(world, Role.compliance, f"/api/v1/audit?customer_id={world.other}&user_id=u_advisor").json()
    assert log["total"] == 0


def test_tokens_are_stored_only_as_hashes(world: World) -> None:
    data = world.store.read_bytes()
    for token in world.tokens.values():
        assert token.encode() not in data


def test_those_who_see_names_masked_cannot_search_by_name(world: World) -> None:
    name = _get(world, Role.advisor, f"/api/v1/clients/{world.own}").json()["identity"]["name"]
    assert _get(world, Role.advisor, f"/api/v1/clients?q={name}").json()["total"] >= 1
    for role in (Role.analyst, Role.operations, Role.compliance, Role.admin):
        assert _get(world, role, f"/api/v1/clients?q={name}").json()["total"] == 0, role
    assert _get(world, Role.analyst, "/api/v1/clients?q=%25").json()["total"] == 0  # % is not a wildcard
