"""Tag sync against the local fake WeCom server: our tags on every current relationship, and nothing else touched."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass

import duckdb
import pytest
from typer.testing import CliRunner

from wealthdesk.cli import app
from wealthdesk.errors import ConfigError
from wealthdesk.testing import StaffWorld
from wealthdesk.wecom.api import WeComApiError, WeComClient
from wealthdesk.wecom.fake_api import FakeWeCom
from wealthdesk.wecom.tag_sync import CATEGORY_LABELS, GROUP_PREFIX, apply_sync, desired_tags, group_name, plan_sync

CORP_ID, SECRET = "ww4f1e2d3c4b5a6978", "s3cret-of-the-customer-contact-app"
MARK = "/cgi-bin/externalcontact/mark_tag"
OURS = {group_name(category) for category in CATEGORY_LABELS}
STRANGER = ("stranger01", "wmSTRANGER0000000001")  # a relationship WeCom has and the store does not


@dataclass
class World:
    con: duckdb.DuckDBPyConnection
    wecom: FakeWeCom
    store: str
    sleeps: list[float]

    def client(self) -> WeComClient:
        return WeComClient(CORP_ID, SECRET, self.wecom.base_url, sleep=self.sleeps.append)

    def on_wecom(self) -> dict[tuple[str, str], set[tuple[str, str]]]:
        """Every relationship the store says is current, with our groups' tags WeCom now holds on it (by name)."""
        names = {
            t["id"]: (g["group_name"], t["name"])
            for g in self.wecom.tag_groups()
            if g["group_name"] in OURS
            for t in g["tag"]
        }
        return {key: {names[i] for i in self.wecom.contact_tags(*key) if i in names} for key in desired_tags(self.con)}


@pytest.fixture(scope="module")
def world(staff: StaffWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    store = staff.copy_to(tmp_path_factory.mktemp("tag-sync")).store
    con = duckdb.connect(str(store))
    with FakeWeCom(corp_id=CORP_ID, secret=SECRET) as wecom:
        for userid, external, state in con.execute(
            "SELECT advisor_userid, external_userid, state FROM wecom_contacts WHERE deleted_at IS NULL"
        ).fetchall():
            wecom.add_contact(userid, external, state=state)
        wecom.add_contact(*STRANGER)
        yield World(con, wecom, str(store), [])
    con.close()


def expected(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], set[tuple[str, str]]]:
    """What each current matched relationship should carry, straight from the tag tables."""
    rows = con.execute(
        """SELECT w.advisor_userid, w.external_userid, t.category, t.label
           FROM wecom_contacts w
           LEFT JOIN (SELECT customer_id, category, label FROM customer_tags
                      UNION ALL SELECT customer_id, 'interest', label FROM keyword_tags) t USING (customer_id)
           WHERE w.deleted_at IS NULL AND w.customer_id IS NOT NULL"""
    ).fetchall()
    out: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for userid, external, category, label in rows:
        out.setdefault((userid, external), set())
        if label is not None:
            out[(userid, external)].add((group_name(category), label))
    return out


def test_a_dry_run_plans_every_tag_and_changes_nothing(world: World) -> None:
    world.wecom.reset_calls()
    with world.client() as client:
        plan = plan_sync(world.con, client)
    want = expected(world.con)
    assert plan.relationships == len(want) > 100
    assert plan.not_in_wecom == 0 and plan.in_sync == sum(1 for tags in want.values() if not tags)
    assert {(m.userid, m.external_userid): set(m.add) for m in plan.marks} == {k: v for k, v in want.items() if v}
    assert all(not m.remove for m in plan.marks)
    planned = {(group, name) for group, names in plan.create.items() for name in names}
    assert planned == set().union(*want.values())
    assert {group for group, _ in planned} >= {"画像·客户价值", "画像·聊天兴趣"}
    paths = {path for _, path, _, _ in world.wecom.calls}
    assert paths == {
        "/cgi-bin/gettoken",
        "/cgi-bin/externalcontact/get_corp_tag_list",
        "/cgi-bin/externalcontact/batch/get_by_user",
    }  # reads only
    assert world.wecom.tag_groups() == []
    assert client.stats.by_path["/cgi-bin/gettoken"] == 1  # one token for every call


def test_the_sync_puts_each_clients_tags_on_each_relationship_and_a_second_run_does_nothing(world: World) -> None:
    with world.client() as client:
        result = apply_sync(client, plan_sync(world.con, client))
        assert result.relationships_marked == len(result.plan.marks) and result.relationships_gone == 0
        assert world.on_wecom() == expected(world.con)
        assert all(g["group_name"].startswith(GROUP_PREFIX) for g in world.wecom.tag_groups())
        assert not world.wecom.contact_tags(*STRANGER)  # WeCom's contact unknown to the store: untouched

        world.wecom.reset_calls()
        again = plan_sync(world.con, client)
        assert again.marks == [] and again.create == {} and again.in_sync == again.relationships
        assert apply_sync(client, again).relationships_marked == 0
    assert not [c for c in world.wecom.calls if c[1] in (MARK, "/cgi-bin/externalcontact/add_corp_tag")]


def test_hand_edits_to_our_tags_are_put_right_and_other_groups_are_left_alone(world: World) -> None:
    with world.client() as client:
        groups = {g.group_name: g for g in client.corp_tags()}
        foreign = client.add_corp_tags("投顾自建", ["重点维护"])  # the brokerage's own group
        (userid, external), tags = next((k, v) for k, v in expected(world.con).items() if len(v) >= 2)
        dropped = sorted(tags)[0]
        wrong = next(t for g in groups.values() for t in g.tags if (g.group_name, t.name) not in tags)
        dropped_id = next(t.id for t in groups[dropped[0]].tags if t.name == dropped[1])
        client.mark_tag(userid, external, [wrong.id, foreign.tags[0].id], [dropped_id])  # an advisor's hand edits

        plan = plan_sync(world.con, client)
        assert [(m.userid, m.external_userid) for m in plan.marks] == [(userid, external)]
        assert plan.marks[0].add == (dropped,) and len(plan.marks[0].remove) == 1
        apply_sync(client, plan)
    assert world.on_wecom()[(userid, external)] == tags
    assert foreign.tags[0].id in world.wecom.contact_tags(userid, external)  # not ours: kept


def test_limits_are_waited_out_and_an_expired_token_is_renewed(world: World) -> None:
    key, tags = next((k, v) for k, v in expected(world.con).items() if v)
    with world.client() as client:
        groups = {g.group_name: g for g in client.corp_tags()}
        ids = [t.id for g in groups.values() for t in g.tags if (g.group_name, t.name) in tags]
        client.mark_tag(*key, [], ids)  # an advisor cleared the client's tags
        tokens = world.wecom.token_requests
        world.sleeps.clear()
        world.wecom.fail_next(MARK, 45009)  # 接口调用超过限制
        world.wecom.fail_next(MARK, -1)  # 系统繁忙
        world.wecom.expire_tokens()
        result = apply_sync(client, plan_sync(world.con, client))
    assert result.relationships_marked == 1 and world.on_wecom()[key] == tags
    assert world.wecom.token_requests == tokens + 1 and client.stats.token_refreshes == 1
    assert len(world.sleeps) == 2 and 0.5 <= world.sleeps[0] <= 1.0 and 1.0 <= world.sleeps[1] <= 2.0  # exponential


def test_a_limit_that_lasts_fails_the_run_and_the_next_run_completes_it(world: World) -> None:
    key, tags = next((k, v) for k, v in expected(world.con).items() if v)
    with world.client() as client:
        groups = {g.group_name: g for g in client.corp_tags()}
        ids = [t.id for g in groups.values() for t in g.tags if (g.group_name, t.name) in tags]
        client.mark_tag(*key, [], ids)
        world.wecom.fail_next(MARK, 45033, times=4)  # more than the client's attempts
        with pytest.raises(WeComApiError, match="errcode 45033") as failure:
            apply_sync(client, plan_sync(world.con, client))
        assert failure.value.errcode == 45033
        assert world.on_wecom()[key] == set()
        world.wecom.fail_next(MARK, 84061)  # and then the relationship is gone in WeCom
        assert apply_sync(client, plan_sync(world.con, client)).relationships_gone == 1
        assert apply_sync(client, plan_sync(world.con, client)).relationships_marked == 1
    assert world.on_wecom()[key] == tags


def test_no_token_or_secret_reaches_the_log(world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    world.wecom.expire_tokens()
    world.wecom.fail_http_next(MARK, 502)
    key = next(k for k, v in expected(world.con).items() if v)
    with world.client() as client:
        client.mark_tag(*key, [], [client.corp_tags()[0].tags[0].id])
        apply_sync(client, plan_sync(world.con, client))
        token = client.access_token()
    assert caplog.records and "HTTP 502" in caplog.text
    assert token not in caplog.text and SECRET not in caplog.text


def test_the_cli_shows_the_plan_and_names_missing_settings(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["wecom", "sync", "--dry-run", "--store", world.store])
    assert isinstance(missing.exception, ConfigError)  # `wealthdesk` prints it as a one-line error, exit code 2
    assert "WEALTHDESK_WECOM_CORP_ID and WEALTHDESK_WECOM_SECRET" in str(missing.exception)
    monkeypatch.setenv("WEALTHDESK_WECOM_CORP_ID", CORP_ID)
    monkeypatch.setenv("WEALTHDESK_WECOM_SECRET", SECRET)
    monkeypatch.setenv("WEALTHDESK_WECOM_API_BASE", world.wecom.base_url)
    world.con.close()  # the CLI opens the store itself
    try:
        result = runner.invoke(app, ["wecom", "sync", "--dry-run", "--json", "--store", world.store])
        assert result.exit_code == 0, result.output
        plan = json.loads(result.output)
        assert plan["dry_run"] and plan["relationships"] == plan["in_sync"] and plan["to_change"] == 0
        text = runner.invoke(app, ["wecom", "sync", "--store", world.store])
        assert text.exit_code == 0 and "marked 0 relationship(s)" in text.output
    finally:
        world.con = duckdb.connect(world.store)


def _tagged_contact(world: World) -> str:
    """A client of a current relationship."""
    return world.con.execute(
        "SELECT min(customer_id) FROM wecom_contacts WHERE deleted_at IS NULL AND customer_id IS NOT NULL"
    ).fetchone()[0]


def test_a_tag_wecom_cannot_take_is_reported_and_the_rest_is_synced(world: World) -> None:
    """A label over WeCom's 30 characters, and a group WeCom refuses to extend, hold nothing else up."""
    customer = _tagged_contact(world)
    label = world.con.execute("SELECT min(label) FROM customer_tags WHERE category = 'activity'").fetchone()[0]
    long = "近三十日" * 8  # 32 characters
    world.con.execute("UPDATE customer_tags SET label = ? WHERE label = ?", [long, label])
    world.con.execute(
        "INSERT INTO keyword_tags (customer_id, tag, label) VALUES (?, 'new_interest', '新兴趣')", [customer]
    )
    try:
        with world.client() as client:
            plan = plan_sync(world.con, client)
            assert plan.refused == {("画像·活跃度", long): "WeCom takes tag names of 1 to 30 characters"}
            assert plan.create == {"画像·聊天兴趣": ["新兴趣"]}
            world.wecom.fail_next("/cgi-bin/externalcontact/add_corp_tag", 45056)  # WeCom refuses the new tag
            result = apply_sync(client, plan)
            assert result.problems and "画像·聊天兴趣" in result.problems[0] and result.tags_missing >= 1
            gone = {k for k, v in expected(world.con).items() if ("画像·活跃度", label) in v or long in str(v)}
            assert result.relationships_marked >= len(gone) > 0  # the old label came off everywhere
            # the next run creates the tag WeCom refused before, and puts it on
            again = apply_sync(client, plan_sync(world.con, client))
            assert again.problems == [] and again.tags_created == 1
        want = {k: {t for t in v if t[1] != long} for k, v in expected(world.con).items()}
        assert world.on_wecom() == want
    finally:
        world.con.execute("UPDATE customer_tags SET label = ? WHERE label = ?", [label, long])
        world.con.execute("DELETE FROM keyword_tags WHERE tag = 'fresh'")
        with world.client() as client:
            apply_sync(client, plan_sync(world.con, client))


def test_a_group_that_only_looks_like_ours_is_left_alone(world: World) -> None:
    key = next(k for k, v in expected(world.con).items() if v)
    with world.client() as client:
        lookalike = client.add_corp_tags("画像·投顾手工标注", ["重点客户"])  # made by hand, with our prefix
        client.mark_tag(*key, [lookalike.tags[0].id], [])
        plan = plan_sync(world.con, client)
        assert plan.marks == []
    assert lookalike.tags[0].id in world.wecom.contact_tags(*key)


def test_tags_made_meanwhile_are_used_not_made_twice(world: World) -> None:
    """add_corp_tag answered 40071 (name exists): made by a call whose answer was lost, or by another run."""
    customer = _tagged_contact(world)
    world.con.execute("INSERT INTO keyword_tags (customer_id, tag, label) VALUES (?, 'late', '晚到的兴趣')", [customer])
    try:
        with world.client() as client:
            plan = plan_sync(world.con, client)
            assert plan.create == {"画像·聊天兴趣": ["晚到的兴趣"]}
            group = next(g for g in client.corp_tags() if g.group_name == "画像·聊天兴趣")
            client.add_corp_tags(group.group_name, ["晚到的兴趣"], group_id=group.group_id)  # made meanwhile
            result = apply_sync(client, plan)
        assert result.problems == [] and result.tags_created == 0 and result.tags_missing == 0
        assert world.on_wecom() == expected(world.con)
    finally:
        world.con.execute("DELETE FROM keyword_tags WHERE tag = 'late'")
        with world.client() as client:
            apply_sync(client, plan_sync(world.con, client))
