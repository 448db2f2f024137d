"""Recommendations in the API and on the advisor sidebar: the same ranked, explained, suitable contents."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from wealthdesk.access.users import Role
from wealthdesk.api.app import create_app
from wealthdesk.config import load_settings
from wealthdesk.content.matching import client_recommendations
from wealthdesk.testing import StaffWorld, app_sql


@pytest.fixture(scope="module")
def client(staff: StaffWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    world = staff.copy_to(tmp_path_factory.mktemp("recommendations"))
    with TestClient(create_app(load_settings(store=world.store))) as served:
        yield served


def _get(client: TestClient, staff: StaffWorld, path: str, role: Role = Role.advisor) -> object:
    return client.get(path, headers={"Authorization": f"Bearer {staff.tokens[role]}"})


def test_the_api_ranks_explains_and_audits(client: TestClient, staff: StaffWorld) -> None:
    answer = _get(client, staff, f"/api/v1/clients/{staff.own}/recommendations?top=4")
    assert answer.status_code == 200
    body = answer.json()
    cursor = client.app.state.con.cursor()  # type: ignore[attr-defined]
    try:
        expected = client_recommendations(cursor, staff.own, top=4)
    finally:
        cursor.close()
    assert body["recommendations"] == expected["recommendations"] and 1 <= len(body["recommendations"]) <= 4
    assert [r["rank"] for r in body["recommendations"]] == list(range(1, len(body["recommendations"]) + 1))
    assert all(r["reasons"] for r in body["recommendations"])
    assert body["unsuitable_held_back"] == expected["unsuitable_held_back"]
    _get(client, staff, "/api/v1/audit", Role.compliance)  # the audit journal drained into the store
    audited = app_sql(
        client, "SELECT count(*) FROM wd_audit WHERE customer_id = ? AND action = 'recommendations'", [staff.own]
    )
    assert audited[0][0] >= 1
    assert _get(client, staff, f"/api/v1/clients/{staff.other}/recommendations").status_code == 404  # not theirs
    assert _get(client, staff, f"/api/v1/clients/{staff.own}/recommendations?top=0").status_code == 422


def test_the_sidebar_shows_them_with_their_reasons(client: TestClient, staff: StaffWorld) -> None:
    page = _get(client, staff, f"/sidebar/{staff.own}")
    assert page.status_code == 200 and "推荐内容" in page.text
    cursor = client.app.state.con.cursor()  # type: ignore[attr-defined]
    try:
        shown = client_recommendations(cursor, staff.own, top=3)["recommendations"]
    finally:
        cursor.close()
    for item in shown:
        assert f'data-content="{item["content_id"]}"' in page.text and item["reasons"] in page.text
