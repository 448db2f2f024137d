"""The advisor sidebar page and the card API: content against the store, scope, masking, audit, one request."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import duckdb
import httpx
import pytest
from fastapi.testclient import TestClient

from wealthdesk.access.users import Role
from wealthdesk.api.app import create_app
from wealthdesk.config import load_settings
from wealthdesk.testing import StaffWorld


@dataclass(frozen=True)
class Site:
    client: TestClient
    world: StaffWorld
    con: duckdb.DuckDBPyConnection  # the server's own connection, for checks against the store

    def get(self, role: Role, path: str) -> httpx.Response:
        return self.client.get(path, headers={"Authorization": f"Bearer {self.world.tokens[role]}"})


@pytest.fixture(scope="module")
def site(staff: StaffWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    world = staff.copy_to(tmp_path_factory.mktemp("sidebar"))
    with TestClient(create_app(load_settings(store=world.store))) as client:
        yield Site(client, world, client.app.state.con.cursor())


def _client_with(site: Site, sql: str) -> str:
    """A client of the advisor user that ``sql`` (a condition on customer_id) picks."""
    row = site.con.execute(
        f"SELECT min(customer_id) FROM customers WHERE advisor_id = ? AND {sql}", [site.world.advisor_id]
    ).fetchone()
    assert row[0], sql
    return row[0]


def _cells(html: str, section: str) -> str:
    return re.search(rf'<section class="card" id="{section}">(.*?)</section>', html, re.S).group(1)


def test_the_sidebar_shows_holdings_with_pnl_as_in_the_store(site: Site) -> None:
    # the store's latest snapshot on or before the profiles' date, and a client holding a stock on it
    snapshot = site.con.execute(
        "SELECT max(snapshot_date) FROM holdings WHERE snapshot_date <= (SELECT max(as_of) FROM profiles)"
    ).fetchone()[0]
    client = _client_with(
        site,
        f"""customer_id IN (SELECT customer_id FROM accounts JOIN holdings USING (account_id)
                           WHERE asset_type = 'stock' AND snapshot_date = DATE '{snapshot}')""",
    )
    page = site.get(Role.advisor, f"/sidebar/{client}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    value, cost, invested = site.con.execute(
        """SELECT sum(market_value)::DOUBLE, sum(cost_amount) FILTER (asset_type <> 'cash')::DOUBLE,
                  sum(market_value) FILTER (asset_type <> 'cash')::DOUBLE
           FROM holdings h JOIN accounts a USING (account_id) WHERE a.customer_id = ? AND snapshot_date = ?""",
        [client, snapshot],
    ).fetchone()
    holdings = _cells(page.text, "holdings")
    assert f"截至 {snapshot}" in holdings
    total, pnl = re.search(r'<th>合计</th><th class="num">(.*?)</th><th class="num[^"]*">(.*?)</th>', holdings).groups()
    assert total == f"{value:,.2f}"
    assert pnl == f"{invested - cost:,.2f}".replace("-", "−")  # the profit or loss on what is invested
    stock = site.con.execute(
        """SELECT s.name FROM holdings h JOIN accounts a USING (account_id)
           JOIN securities s ON s.code = h.instrument_code
           WHERE a.customer_id = ? AND h.snapshot_date = ? AND h.asset_type = 'stock' LIMIT 1""",
        [client, snapshot],
    ).fetchone()[0]
    assert stock in holdings


def test_a_client_who_sold_everything_holds_nothing_now(site: Site) -> None:
    snapshot = site.con.execute(
        "SELECT max(snapshot_date) FROM holdings WHERE snapshot_date <= (SELECT max(as_of) FROM profiles)"
    ).fetchone()[0]
    gone = site.con.execute(  # the highest-numbered such client: the other tests here pick the lowest
        """SELECT max(a.customer_id) FROM accounts a JOIN holdings h USING (account_id) JOIN customers c
           USING (customer_id) WHERE c.advisor_id = ? AND h.snapshot_date = ? AND h.asset_type <> 'cash'""",
        [site.world.advisor_id, snapshot],
    ).fetchone()[0]
    before = site.get(Role.advisor, f"/api/v1/clients/{gone}/card").json()["portfolio"]
    assert before["holdings"] and before["as_of"] == snapshot.isoformat()
    # the newest export no longer lists the client: they sold everything since the snapshot before
    site.con.execute(
        "DELETE FROM holdings WHERE snapshot_date = ? AND account_id IN (SELECT account_id FROM accounts "
        "WHERE customer_id = ?)",
        [snapshot, gone],
    )
    after = site.get(Role.advisor, f"/api/v1/clients/{gone}/card").json()
    assert after["portfolio"]["holdings"] == [] and after["portfolio"]["as_of"] == snapshot.isoformat()
    assert not [a for a in after["alerts"] if a["kind"] in ("loss", "concentration", "suitability")]


def test_the_sidebar_shows_the_latest_trades_newest_first(site: Site) -> None:
    client = _client_with(site, "customer_id IN (SELECT customer_id FROM accounts JOIN trades USING (account_id))")
    card = site.get(Role.advisor, f"/api/v1/clients/{client}/card").json()
    expected = site.con.execute(
        """SELECT t.trade_time FROM trades t JOIN accounts a USING (account_id) WHERE a.customer_id = ?
           ORDER BY trade_time DESC LIMIT 10""",
        [client],
    ).fetchall()
    assert [t["trade_time"] for t in card["trades"]] == [e[0].isoformat() for e in expected]
    page = site.get(Role.advisor, f"/sidebar/{client}").text
    assert expected[0][0].strftime("%Y-%m-%d") in _cells(page, "trades")


def test_the_sidebar_shows_tags_and_chat_interests_with_their_evidence(site: Site) -> None:
    client = _client_with(site, "customer_id IN (SELECT customer_id FROM keyword_tags)")
    page = site.get(Role.advisor, f"/sidebar/{client}").text
    tags = _cells(page, "tags")
    for (label,) in site.con.execute("SELECT label FROM customer_tags WHERE customer_id = ?", [client]).fetchall():
        assert label in tags
    chat = site.get(Role.advisor, f"/api/v1/clients/{client}/tags").json()["chat_tags"]
    assert chat and chat[0]["evidence"]
    for tag in chat:
        assert tag["label"] in tags
        for evidence in tag["evidence"]:
            assert evidence["snippet"] in tags


def test_suitability_alerts_name_the_fund_above_the_clients_level(site: Site) -> None:
    # clients with a valid assessment holding, on their latest snapshot, a fund rated above their level
    rows = site.con.execute(
        """WITH latest AS (
               SELECT a.customer_id, h.instrument_code, h.snapshot_date,
                      max(h.snapshot_date) OVER (PARTITION BY a.customer_id) AS last
               FROM holdings h JOIN accounts a USING (account_id) WHERE h.asset_type = 'fund')
           SELECT l.customer_id, f.name FROM latest l JOIN funds f ON f.fund_code = l.instrument_code
           JOIN customers c USING (customer_id)
           WHERE l.snapshot_date = l.last AND c.investor_type = 'ordinary' AND NOT coalesce(c.lowest_category, false)
             AND c.risk_assessed_date >= DATE '2022-06-30' - 730
             AND right(f.risk_level, 1)::INT > right(c.risk_level, 1)::INT
           ORDER BY 1 LIMIT 3"""
    ).fetchall()
    assert rows
    for client, fund in rows:
        alerts = site.get(Role.admin, f"/api/v1/clients/{client}/card").json()["alerts"]
        assert any(a["kind"] == "suitability" and fund in a["text"] and a["level"] == "high" for a in alerts), alerts


def test_an_expired_assessment_is_a_high_alert_and_a_topic(site: Site) -> None:
    client = _client_with(site, "risk_assessed_date < DATE '2022-06-30' - 730 AND investor_type = 'ordinary'")
    card = site.get(Role.advisor, f"/api/v1/clients/{client}/card").json()
    assert any(a["kind"] == "assessment" and "过期" in a["text"] and a["level"] == "high" for a in card["alerts"])
    assert any("风险测评" in t["topic"] for t in card["topics"])
    assert "过期" in _cells(site.get(Role.advisor, f"/sidebar/{client}").text, "alerts")


def test_an_advisor_sees_only_their_own_clients(site: Site) -> None:
    for path in (f"/sidebar/{site.world.other}", f"/sidebar/{site.world.same_branch}", "/sidebar/no-such-client"):
        page = site.get(Role.advisor, path)
        assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
        assert "among the clients you may see" in page.text
    assert site.get(Role.branch_manager, f"/sidebar/{site.world.same_branch}").status_code == 200
    assert site.get(Role.branch_manager, f"/sidebar/{site.world.other}").status_code == 404


def test_names_are_whole_only_for_those_who_serve_and_numbers_never(site: Site) -> None:
    own = site.world.own
    name, phone, id_number = site.con.execute(
        "SELECT name, phone, id_number FROM customers WHERE customer_id = ?", [own]
    ).fetchone()
    for role in Role:
        page = site.get(role, f"/sidebar/{own}").text
        assert (name in page) == (role in (Role.advisor, Role.branch_manager)), role
        assert phone not in page and id_number not in page
        assert phone[:3] + "****" + phone[-4:] in page
        leaked = {v for v in re.findall(r"\d{11,18}X?", page) if v in site.world.raw_pii}
        assert not leaked, (role, leaked)


def test_every_sidebar_view_is_audited_and_a_refused_one_is_not(site: Site) -> None:
    own, other = site.world.own, site.world.other

    def views(client: str) -> int:
        site.client.app.state.audit_writer.drain()  # as the audit endpoint does before it reads the log
        return site.con.execute(
            "SELECT count(*) FROM wd_audit WHERE customer_id = ? AND action = 'sidebar' AND user_id = 'u_advisor'",
            [client],
        ).fetchone()[0]

    before = views(own)
    site.get(Role.advisor, f"/sidebar/{own}")
    assert views(own) == before + 1
    fields, masked = site.con.execute(
        "SELECT fields, masked FROM wd_audit WHERE customer_id = ? AND action = 'sidebar' ORDER BY read_at DESC",
        [own],
    ).fetchone()
    assert set(fields) == {"name", "phone", "id_number"} and set(masked) == {"phone", "id_number"}
    site.get(Role.advisor, f"/sidebar/{other}")
    assert views(other) == 0


def test_the_page_arrives_in_one_request_with_nothing_from_outside(site: Site) -> None:
    page = site.get(Role.advisor, f"/sidebar/{site.world.own}").text
    assert "<script" not in page
    assert not re.search(r"""(?:src|href)=["'](?!data:|/sidebar|/login|/logout|#)""", page)
    assert "<style>" in page and "http://" not in page and "https://" not in page


def test_without_a_session_the_page_offers_sign_in(site: Site) -> None:
    page = site.client.get(f"/sidebar/{site.world.own}")
    assert page.status_code == 401 and "/login?next=" in page.text


def test_the_start_page_finds_only_the_users_clients_and_links_their_sidebar(site: Site) -> None:
    page = site.get(Role.advisor, "/?q=3100").text
    found = set(re.findall(r'href="/sidebar/(\d+)"', page))
    assert found and found <= site.world.advisors_clients
    assert "/dashboards" not in page  # not for advisors
    analyst = site.get(Role.analyst, "/?q=3100").text
    totals = [int(re.search(r"(\d+) 位客户", text).group(1)) for text in (page, analyst)]
    assert 0 < totals[0] < totals[1]
    assert "/dashboards" in analyst
    name = site.con.execute("SELECT name FROM customers WHERE customer_id = ?", [site.world.own]).fetchone()[0]
    assert name in site.get(Role.advisor, f"/?q={site.world.own}").text
    assert name not in site.get(Role.analyst, f"/?q={site.world.own}").text


def test_page_errors_are_pages_that_never_echo_a_phone_number(site: Site) -> None:
    invalid = site.get(Role.analyst, "/?offset=-1")
    assert invalid.status_code == 422 and invalid.headers["content-type"].startswith("text/html")
    assert "offset" in invalid.text
    unknown = site.get(Role.advisor, "/sidebar/13912345678")
    assert unknown.status_code == 404 and "13912345678" not in unknown.text and "139****5678" in unknown.text
