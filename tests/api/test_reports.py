"""The value report and the reassurance list over HTTP: scoped to the user, audited, and bad requests named."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from wealthdesk.access.users import Role
from wealthdesk.api.app import create_app
from wealthdesk.config import load_settings
from wealthdesk.testing import StaffWorld


@pytest.fixture(scope="module")
def api(staff: StaffWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, StaffWorld]]:
    world = staff.copy_to(tmp_path_factory.mktemp("reports"))
    with TestClient(create_app(load_settings(store=world.store))) as client:
        yield client, world


def _get(api: tuple[TestClient, StaffWorld], role: Role, path: str) -> httpx.Response:
    client, world = api
    return client.get(path, headers={"Authorization": f"Bearer {world.tokens[role]}"})


def test_each_role_gets_the_reassurance_list_of_their_own_clients(api: tuple[TestClient, StaffWorld]) -> None:
    client, world = api
    con = client.app.state.con.cursor()
    branch_clients = {
        r[0] for r in con.execute("SELECT customer_id FROM customers WHERE branch_id = ?", [world.branch_id]).fetchall()
    }
    everyone = _get(api, Role.analyst, "/api/v1/reports/reassurance?top=500").json()
    mine = _get(api, Role.advisor, "/api/v1/reports/reassurance?top=500").json()
    branch = _get(api, Role.branch_manager, "/api/v1/reports/reassurance?top=500").json()
    assert set(mine["by_advisor"]) == {world.advisor_id}
    assert {h["customer_id"] for h in mine["by_advisor"][world.advisor_id]} <= world.advisors_clients
    assert {h["customer_id"] for hs in branch["by_advisor"].values() for h in hs} <= branch_clients
    assert world.advisor_id in branch["by_advisor"]
    assert len(everyone["by_advisor"]) > len(branch["by_advisor"])
    # one model per day: everyone's list ranks the same holdings with the same risk
    risk = {(h["customer_id"], h["fund_code"]): h["risk"] for hs in everyone["by_advisor"].values() for h in hs}
    for h in mine["by_advisor"][world.advisor_id]:
        if (h["customer_id"], h["fund_code"]) in risk:
            assert h["risk"] == risk[(h["customer_id"], h["fund_code"])]
    names = [h["client_name"] for hs in everyone["by_advisor"].values() for h in hs]
    assert names and all("*" in n for n in names if n)
    audited = con.execute(
        "SELECT count(DISTINCT customer_id) FROM wd_audit WHERE action = 'reassurance' AND user_id = 'u_advisor'"
    ).fetchone()[0]
    assert audited == len({h["customer_id"] for h in mine["by_advisor"][world.advisor_id]})


def test_the_value_report_groups_add_up_to_the_total(api: tuple[TestClient, StaffWorld]) -> None:
    client, _ = api
    customers = client.app.state.con.cursor().execute("SELECT count(*) FROM customers").fetchone()[0]
    report = _get(api, Role.analyst, "/api/v1/reports/value?by=advisor").json()
    assert report["total"]["clients"] == customers
    assert sum(g["clients"] for g in report["groups"]) == customers
    assert sum(g["efficiency_sum"] for g in report["groups"]) == pytest.approx(report["total"]["efficiency_sum"])
    assert "clients" not in report  # group totals only: no client rows leave through this endpoint


@pytest.mark.parametrize(
    ("path", "named"),
    [
        ("/api/v1/reports/value?channel=no_such_channel", "no_such_channel"),
        ("/api/v1/reports/value?as_of=2040-01-01", "2040-01-01"),
        ("/api/v1/reports/value?by=planet", "by"),
        ("/api/v1/reports/reassurance?as_of=2040-01-01", "2040-01-01"),
        ("/api/v1/reports/reassurance?top=0", "top"),
    ],
)
def test_bad_report_requests_name_what_was_wrong(api: tuple[TestClient, StaffWorld], path: str, named: str) -> None:
    response = _get(api, Role.analyst, path)
    assert response.status_code in (400, 422), response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert named in response.json()["detail"]
