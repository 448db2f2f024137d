"""The 360 view answered from the server's resident views: the same answer as built from the store, kept right
after a live feed, and scoped, masked and audited like every other read."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import duckdb
import httpx
import pytest
from fastapi import FastAPI, HTTPException
from fastapi.encoders import jsonable_encoder
from fastapi.testclient import TestClient

from wealthdesk.access.scope import client_filter, sees_full_name
from wealthdesk.access.users import Role, User
from wealthdesk.api.app import create_app
from wealthdesk.api.client_access import NOT_FOUND
from wealthdesk.api.view_cache import ClientViewCache
from wealthdesk.config import load_settings
from wealthdesk.profiles.view import ClientNotFound, ClientRecord, client_view
from wealthdesk.schema.wecom import BEIJING_OFFSET_MS
from wealthdesk.testing import StaffWorld, a_wecom_client, app_sql

PII = frozenset({"name", "phone", "id_number"})


@dataclass(frozen=True)
class Served:
    client: TestClient
    world: StaffWorld

    @property
    def cache(self) -> ClientViewCache:
        return self.client.app.state.view_cache  # type: ignore[attr-defined]

    def get(self, role: Role, path: str) -> httpx.Response:
        return self.client.get(path, headers={"Authorization": f"Bearer {self.world.tokens[role]}"})

    def sql(self, query: str, params: list[object] | None = None) -> list[tuple]:
        return app_sql(self.client, query, params)


@contextmanager
def _serving(world: StaffWorld) -> Iterator[Served]:
    """The app on ``world``'s store, once its views are loaded."""
    with TestClient(create_app(load_settings(store=world.store))) as client:
        deadline = time.monotonic() + 120
        while client.get("/health").json()["client_views"] == "loading" and time.monotonic() < deadline:
            time.sleep(0.05)
        yield Served(client, world)


@pytest.fixture(scope="module")
def served(staff: StaffWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with _serving(staff.copy_to(tmp_path_factory.mktemp("views"))) as serving:
        yield serving


def test_the_health_check_needs_no_token_and_says_the_views_are_loaded(served: Served) -> None:
    assert served.client.get("/health").json() == {"status": "ok", "client_views": "ready"}


def _reference(con: duckdb.DuckDBPyConnection, world: StaffWorld) -> TestClient:
    """The 360 endpoint as it was before the resident views: client_view built from the store for each request,
    returned as a dict for FastAPI to encode."""
    app = FastAPI()

    @app.get("/{customer_id}")
    def view(customer_id: str, role: Role) -> dict[str, Any]:
        user = User(f"ref_{role.value}", role, "", advisor_id=world.advisor_id, branch_id=world.branch_id)
        try:
            return client_view(con, customer_id, reveal_name=sees_full_name(user), scope=client_filter(user))
        except ClientNotFound as exc:
            raise HTTPException(404, str(exc)) from None

    return TestClient(app)


def test_every_resident_view_is_byte_for_byte_what_the_store_built_endpoint_sent(served: Served) -> None:
    ids = [i for (i,) in served.sql("SELECT customer_id FROM profiles ORDER BY 1")]
    assert len(served.cache) == len(ids) > 1000
    cursor = served.client.app.state.con.cursor()  # type: ignore[attr-defined]
    reference = _reference(cursor, served.world)
    evidence = 0
    for customer_id in ids:
        view = served.cache.get(customer_id)
        assert view is not None, customer_id
        masked = reference.get(f"/{customer_id}", params={"role": "compliance"})
        assert served.cache.body(view, False) == masked.content, customer_id
        evidence += sum(len(t["evidence"]) for t in masked.json()["chat_tags"])
        if view.advisor_id == served.world.advisor_id:  # the name whole, as the client's own advisor gets it
            whole = reference.get(f"/{customer_id}", params={"role": "advisor"})
            assert served.cache.body(view, True) == whole.content, customer_id
    cursor.close()
    assert evidence > 100  # the comparison covered chat interests with their evidence snippets


@pytest.mark.parametrize("role", [Role.advisor, Role.branch_manager, Role.analyst, Role.compliance])
def test_each_role_gets_from_memory_and_from_the_store_what_the_old_endpoint_sent(served: Served, role: Role) -> None:
    world = served.world
    cursor = served.client.app.state.con.cursor()  # type: ignore[attr-defined]
    reference = _reference(cursor, served.world)
    expected = {
        Role.advisor: (200, 404, 404),
        Role.branch_manager: (200, 404, 200),
    }.get(role, (200, 200, 200))
    for customer_id, status in zip((world.own, world.other, world.same_branch), expected, strict=True):
        served.get(Role.analyst, f"/api/v1/clients/{customer_id}")  # resident, whoever asked last
        assert served.cache.get(customer_id) is not None
        resident = served.get(role, f"/api/v1/clients/{customer_id}")
        served.cache.forget([customer_id])
        built = served.get(role, f"/api/v1/clients/{customer_id}")  # from the store
        assert resident.status_code == built.status_code == status, (role, customer_id)
        old = reference.get(f"/{customer_id}", params={"role": role.value})
        if status == 200:
            assert resident.content == built.content == old.content
            name = resident.json()["identity"]["name"]
            assert ("*" in name) is (role not in (Role.advisor, Role.branch_manager)), name
        else:
            assert resident.json()["detail"] == built.json()["detail"] == NOT_FOUND.format(customer_id=customer_id)
            assert old.status_code == 404
    cursor.close()


def test_every_answer_from_memory_is_audited(served: Served) -> None:
    served.get(Role.analyst, f"/api/v1/clients/{served.world.other}")  # warm: the view is resident
    served.client.app.state.audit_writer.drain()  # type: ignore[attr-defined]
    before = served.sql("SELECT count(*) FROM wd_audit WHERE customer_id = ?", [served.world.other])[0][0]
    for _ in range(3):
        assert served.get(Role.analyst, f"/api/v1/clients/{served.world.other}").status_code == 200
    served.get(Role.advisor, f"/api/v1/clients/{served.world.other}")  # refused: not audited
    served.client.app.state.audit_writer.drain()  # type: ignore[attr-defined]  # as the audit endpoint does
    rows = served.sql(
        "SELECT user_id, action, masked FROM wd_audit WHERE customer_id = ? ORDER BY read_at DESC LIMIT 3",
        [served.world.other],
    )
    assert served.sql("SELECT count(*) FROM wd_audit WHERE customer_id = ?", [served.world.other])[0][0] == before + 3
    assert {(user, action, frozenset(masked)) for user, action, masked in rows} == {
        (served.sql("SELECT user_id FROM wd_users WHERE role = 'analyst'")[0][0], "view", PII)
    }


def _message(msgid: str, sender: str, to: str, content: str) -> dict[str, object]:
    noon = dt.datetime(2022, 7, 1, 12, tzinfo=dt.UTC)
    msgtime = int(noon.timestamp() * 1000) - BEIJING_OFFSET_MS
    return {"msgid": msgid, "action": "send", "from": sender, "tolist": [to], "msgtime": msgtime, "msgtype": "text"} | {
        "content": content
    }


def test_a_fed_message_shows_in_the_view_at_once(served: Served) -> None:
    cursor = served.client.app.state.con.cursor()  # type: ignore[attr-defined]
    customer_id, external, advisor = a_wecom_client(cursor)
    cursor.close()
    path = f"/api/v1/clients/{customer_id}"
    before = served.get(Role.analyst, path).json()
    assert served.cache.get(customer_id) is not None
    fed = served.client.post(
        "/api/v1/intake/wecom_messages",
        json=[_message("VIEW-LIVE-1", external, advisor, "想加仓创业板ETF")],
        headers={"Authorization": f"Bearer {served.world.tokens[Role.operations]}"},
    )
    assert fed.status_code == 200 and fed.json()["customers"] == [customer_id], fed.text
    after = served.get(Role.analyst, path).json()
    mentions = {t["tag"]: t for t in after["chat_tags"]}
    old = {t["tag"]: t["mentions"] for t in before["chat_tags"]}
    assert mentions["kw_chinext"]["mentions"] == old.get("kw_chinext", 0) + 1
    assert "VIEW-LIVE-1" in {e["msgid"] for e in mentions["kw_chinext"]["evidence"]}
    assert after["profile"]["chats_7d"] == before["profile"]["chats_7d"] + 1


def test_a_client_without_a_profile_is_named_so_only_to_those_who_may_see_them(served: Served) -> None:
    world = served.world
    for new, like in (("NOPROFILE-OWN", world.own), ("NOPROFILE-OTHER", world.other)):
        served.sql(
            "INSERT INTO customers SELECT * REPLACE (? AS customer_id) FROM customers WHERE customer_id = ?",
            [new, like],
        )
    own = served.get(Role.advisor, "/api/v1/clients/NOPROFILE-OWN")
    other = served.get(Role.advisor, "/api/v1/clients/NOPROFILE-OTHER")
    unknown = served.get(Role.advisor, "/api/v1/clients/NO-SUCH-CLIENT")
    assert own.status_code == other.status_code == unknown.status_code == 404
    assert "in the profiles" in own.json()["detail"]
    assert "among the clients you may see" in other.json()["detail"]
    assert other.json()["detail"] == unknown.json()["detail"].replace("NO-SUCH-CLIENT", "NOPROFILE-OTHER")


def _record(customer_id: str, name: str) -> ClientRecord:
    view = {
        "profile": {"customer_id": customer_id, "as_of": dt.date(2022, 6, 30), "aum": 1.5},
        "identity": {"name": name, "id_number": "110***********1234", "phone": "138****5678", "gender": "F"},
        "tags": [],
        "chat_tags": [],
    }
    return ClientRecord(customer_id, "A1", "B1", view)


def test_a_view_read_before_its_client_changed_is_not_kept() -> None:
    cache = ClientViewCache([_record("C0", "李四")])
    record = _record("C1", "张三丰")
    began = cache.generation
    cache.forget(["C1"])  # the client's data changed while the view was being read
    assert not cache.keep("C1", cache.encode(record), began)
    assert cache.get("C1") is None
    assert cache.keep("C1", cache.encode(record), cache.generation)
    view = cache.get("C1")
    assert view is not None and (view.advisor_id, view.branch_id) == ("A1", "B1")
    whole, masked = (json.loads(cache.body(view, reveal)) for reveal in (True, False))
    assert whole == jsonable_encoder(record.view)
    assert masked == {**whole, "identity": {**whole["identity"], "name": "张**"}}
    assert list(masked) == ["profile", "identity", "tags", "chat_tags"]


def test_a_client_forgotten_while_the_views_load_is_not_loaded_stale(monkeypatch: pytest.MonkeyPatch) -> None:
    cache = ClientViewCache([])

    def records(_con: object) -> Iterator[ClientRecord]:
        yield _record("C1", "张三")
        cache.forget(["C2"])  # a live feed changed C2 after the load's snapshot was taken
        yield _record("C2", "李四")

    monkeypatch.setattr("wealthdesk.api.view_cache.all_client_records", records)
    cache.load(None)  # type: ignore[arg-type]
    assert cache.state == "ready"
    assert cache.get("C1") is not None and cache.get("C2") is None


def test_a_float_the_json_standard_has_no_word_for_is_sent_as_null() -> None:
    record = _record("C1", "张三")
    record.view["profile"]["aum"] = float("nan")
    record.view["profile"]["stock_share"] = float("inf")
    cache = ClientViewCache([])
    body = json.loads(cache.body(cache.encode(record), True))
    assert body["profile"]["aum"] is None and body["profile"]["stock_share"] is None


@pytest.fixture(scope="module")
def untagged(staff: StaffWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A store whose chat has never been tagged: the server must start and load its views."""
    world = staff.copy_to(tmp_path_factory.mktemp("untagged"))
    with duckdb.connect(str(world.store)) as con:
        con.execute("DROP TABLE keyword_tag_evidence")
        con.execute("DROP TABLE keyword_tags")
    with _serving(world) as serving:
        yield serving


def test_a_store_without_chat_tags_loads_its_views(untagged: Served) -> None:
    assert untagged.client.get("/health").json()["client_views"] == "ready"
    assert len(untagged.cache) > 1000
    cursor = untagged.client.app.state.con.cursor()  # type: ignore[attr-defined]
    old = _reference(cursor, untagged.world).get(f"/{untagged.world.own}", params={"role": "analyst"})
    cursor.close()
    new = untagged.get(Role.analyst, f"/api/v1/clients/{untagged.world.own}")
    assert new.status_code == 200 and new.json()["chat_tags"] == [] and new.json()["tags"]
    assert new.content == old.content


def test_without_profiles_an_advisor_cannot_tell_another_advisors_client_from_no_client(
    staff: StaffWorld, tmp_path_factory: pytest.TempPathFactory
) -> None:
    world = staff.copy_to(tmp_path_factory.mktemp("unprofiled"))
    with duckdb.connect(str(world.store)) as con:
        con.execute("DROP TABLE profiles")
    with TestClient(create_app(load_settings(store=world.store))) as client:
        headers = {"Authorization": f"Bearer {world.tokens[Role.advisor]}"}
        own = client.get(f"/api/v1/clients/{world.own}", headers=headers).json()
        other = client.get(f"/api/v1/clients/{world.other}", headers=headers).json()
        unknown = client.get("/api/v1/clients/NO-SUCH-CLIENT", headers=headers).json()
        health = client.get("/health").json()
    assert own["status"] == other["status"] == unknown["status"] == 404
    assert "no profiles in this store yet" in own["detail"]
    assert other["detail"] == NOT_FOUND.format(customer_id=world.other)
    assert unknown["detail"] == NOT_FOUND.format(customer_id="NO-SUCH-CLIENT")
    assert health == {"status": "ok", "client_views": "ready"}
