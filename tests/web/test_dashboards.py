"""The analyst dashboards over HTTP: real figures from the store, the analytics roles, offline pages.

Expected figures come from the library functions the pages call (and plain SQL on the store for the
lifecycle counts), so a page that drops, rounds away or mislabels a number fails here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import ibis
import pytest
from fastapi.testclient import TestClient
from httpx import Response

from wealthdesk.access.users import Role, add_user, ensure_access_tables, issue_token
from wealthdesk.api.analytics import ANALYSTS
from wealthdesk.api.app import create_app
from wealthdesk.config import load_settings
from wealthdesk.funds.retention import fund_retention_report
from wealthdesk.funds.window import DEFAULT_WINDOW
from wealthdesk.governance.metrics import compute_metrics
from wealthdesk.governance.quality import run_quality
from wealthdesk.testing import StaffWorld, fresh_store
from wealthdesk.web.dashboard_lifecycle import funnel_levels
from wealthdesk.web.dashboard_metrics import month_ends
from wealthdesk.web.panels import count, money, wan, yuan

PAGES = ("/dashboards", "/dashboards/funds", "/dashboards/lifecycle", "/dashboards/metrics", "/dashboards/quality")
CHART_PAGES = PAGES[1:]


@dataclass(frozen=True)
class Site:
    client: TestClient
    world: StaffWorld
    con: duckdb.DuckDBPyConnection  # a cursor on the server's own connection, for expected figures

    def get(self, role: Role | None, path: str) -> Response:
        headers = {} if role is None else {"Authorization": f"Bearer {self.world.tokens[role]}"}
        return self.client.get(path, headers=headers)


@pytest.fixture(scope="module")
def site(staff: StaffWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    world = staff.copy_to(tmp_path_factory.mktemp("dashboards"))
    with TestClient(create_app(load_settings(store=world.store))) as client:
        cursor = client.app.state.con.cursor()
        yield Site(client, world, cursor)
        cursor.close()


class Parsed(HTMLParser):
    """The parts of a page the tests look at: tables (as lists of cell texts), resource URLs and chart figures."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}  # id of the enclosing card → rows (header row first)
        self.resources: list[str] = []  # src/href of script, link, img, iframe
        self.figures: dict[str, dict] = {}  # chart id → the plotly figure
        self._card = ""
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section" and a.get("id"):
            self._card = a["id"] or ""
        elif tag == "tr":
            self._row = []
            self.tables.setdefault(self._card, [])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag in ("script", "img", "iframe") and a.get("src"):
            self.resources.append(a["src"] or "")
        elif tag == "link" and a.get("href"):
            self.resources.append(a["href"] or "")
        if tag == "div" and a.get("data-figure"):
            self.figures[a.get("id") or ""] = json.loads(a["data-figure"] or "{}")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._card].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def number(cell: str) -> float:
    return float(cell.replace(",", "").replace("−", "-").rstrip("%"))


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("role", list(Role))
def test_dashboards_are_for_the_analytics_roles(site: Site, path: str, role: Role) -> None:
    """The same roles as /api/v1/metrics, /quality and /reports/funds; the advisor gets the error page."""
    response = site.get(role, path)
    assert response.status_code == (200 if role in ANALYSTS else 403), response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    if role not in ANALYSTS:
        assert "403 · Forbidden" in response.text and "data-figure" not in response.text


@pytest.mark.parametrize("path", PAGES)
def test_without_a_session_the_page_asks_to_sign_in(site: Site, path: str) -> None:
    response = site.get(None, path)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("text/html")
    assert f'href="/login?next={path}"' in response.text
    assert "data-figure" not in response.text


def test_the_login_cookie_opens_a_dashboard(site: Site) -> None:
    login = site.client.post(
        "/login",
        data={"token": site.world.tokens[Role.analyst], "next": "/dashboards/lifecycle"},
        follow_redirects=False,
    )
    assert login.status_code == 303 and login.headers["location"] == "/dashboards/lifecycle"
    try:
        page = site.client.get("/dashboards/lifecycle")
        assert page.status_code == 200 and "生命周期漏斗" in page.text
    finally:
        site.client.cookies.clear()


@pytest.mark.parametrize("path", PAGES)
def test_pages_load_nothing_from_outside(site: Site, path: str) -> None:
    """Every script, stylesheet and image comes from the server itself: no CDN, no absolute URL."""
    html = site.get(Role.analyst, path).text
    parsed = Parsed(html)
    assert parsed.resources, "the page links its stylesheet at least"
    outside = [url for url in parsed.resources if re.match(r"^(https?:)?//", url)]
    assert not outside, outside
    if path in CHART_PAGES:
        assert "/assets/plotly.min.js" in parsed.resources
        assert parsed.figures and all(figure["data"] for figure in parsed.figures.values())
    for figure in parsed.figures.values():
        assert "http://" not in json.dumps(figure) and "https://" not in json.dumps(figure)


def test_the_chart_library_is_served_from_the_installed_package(site: Site) -> None:
    response = site.client.get("/assets/plotly.min.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert len(response.content) > 1_000_000 and b"plotly.js" in response.content[:200]


def test_index_links_every_dashboard(site: Site) -> None:
    html = site.get(Role.analyst, "/dashboards").text
    for path in CHART_PAGES:
        assert f'href="{path}"' in html


def test_fund_dashboard_shows_the_report(site: Site) -> None:
    report = fund_retention_report(ibis.duckdb.from_connection(site.con), DEFAULT_WINDOW)
    html = site.get(Role.analyst, "/dashboards/funds").text
    parsed = Parsed(html)
    bridge = {row[0]: row[1:] for row in parsed.tables["bridge"]}
    total = report.total
    assert bridge["期初保有量 start"][0] == yuan(total.start_balance)
    assert bridge["申购 subscriptions"][0] == yuan(total.subscribed)
    assert bridge["赎回 redemptions"][0] == yuan(-total.redeemed)  # the bridge is signed: start + subs − reds + …
    assert bridge["市场波动 market effect"][0] == yuan(total.market_effect)
    assert bridge["期末保有量 end"][0] == yuan(total.end_balance)
    parts = [
        number(bridge[k][0].replace("¥", "")) for k in ("期初保有量 start", "申购 subscriptions", "赎回 redemptions")
    ]
    assert sum(parts) + number(bridge["市场波动 market effect"][0].replace("¥", "")) == pytest.approx(
        number(bridge["期末保有量 end"][0].replace("¥", "")), abs=0.02
    )
    for line in report.summary:  # the plain-language findings, word for word (HTML-escaped)
        assert line.replace("'", "&#39;") in html
    assert money(total.redeemed) in html
    top = [row for row in parsed.tables["top_by_amount"][1:]]
    assert [row[0] for row in top] == [line.fund_code for line in report.top_by_amount]
    assert top[0][4] == yuan(report.top_by_amount[0].flows.redeemed)
    waterfall = parsed.figures["chart-bridge"]["data"][0]
    assert waterfall["type"] == "waterfall" and waterfall["measure"][-1] == "total"
    traits = {row[0] for row in parsed.tables["traits"][1:]}
    assert traits == {t.meaning for t in report.numeric_traits}


def test_fund_dashboard_takes_a_window_and_funds(site: Site) -> None:
    report = fund_retention_report(ibis.duckdb.from_connection(site.con), DEFAULT_WINDOW, ("008116",))
    response = site.get(Role.analyst, "/dashboards/funds?from=2021-02-10&to=2021-03-31&fund=008116")
    assert response.status_code == 200
    bridge = {row[0]: row[1:] for row in Parsed(response.text).tables["bridge"]}
    assert bridge["赎回 redemptions"][0] == yuan(-report.total.redeemed)
    assert 'value="008116"' in response.text  # the form keeps what was asked


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("from=2030-01-01&to=2030-02-01", "outside the data"),
        ("from=2021-03-31&to=2021-02-10", "is empty"),
        ("from=yesterday", "&#39;from&#39; is not a date"),
        ("fund=999999", "unknown fund code"),
        ("fund=008116,abc", "1 of the fund codes given are not fund codes"),
    ],
)
def test_fund_dashboard_explains_a_question_it_cannot_answer(site: Site, query: str, says: str) -> None:
    response = site.get(Role.analyst, f"/dashboards/funds?{query}")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert 'id="problem"' in response.text and says in response.text
    assert '<form method="get" action="/dashboards/funds">' in response.text  # to ask again


def test_lifecycle_counts_add_up_to_the_profiles(site: Site) -> None:
    expected = dict(site.con.execute("SELECT lifecycle_stage, count(*) FROM profiles GROUP BY ALL").fetchall())
    profiles = site.con.execute("SELECT count(*) FROM profiles").fetchone()[0]
    parsed = Parsed(site.get(Role.analyst, "/dashboards/lifecycle").text)
    rows = parsed.tables["stages"][1:]
    shown = {row[1]: int(number(row[2])) for row in rows if row[1] != "total"}
    assert {k: v for k, v in shown.items() if v} == expected
    assert sum(shown.values()) == profiles == int(number(next(r for r in rows if r[1] == "total")[2]))
    funnel = parsed.figures["chart-funnel"]["data"][0]
    assert funnel["type"] == "funnel" and funnel["x"][0] == profiles
    assert funnel["x"] == [n for _, n in funnel_levels(expected)]
    assert funnel["x"] == sorted(funnel["x"], reverse=True)  # a funnel narrows
    branches = parsed.tables["by_branch"][1:]
    assert sum(int(number(row[-1])) for row in branches) == profiles


def test_funnel_levels_are_cumulative() -> None:
    stages = {"prospect": 10, "opened": 5, "funded": 20, "active": 40, "high_value": 7, "dormant": 3, "lost": 1}
    assert funnel_levels(stages) == [
        ("注册 registered", 86),
        ("开户 opened an account", 76),
        ("入金 funded", 71),
        ("活跃或高净值 active or high-value", 47),
        ("高净值 high-value", 7),
    ]


def test_metrics_over_time_match_the_catalogue(site: Site) -> None:
    parsed = Parsed(site.get(Role.analyst, "/dashboards/metrics?months=6").text)
    header, *rows = parsed.tables["table"]
    assert [row[0] for row in rows] == [
        "2022-01-31",
        "2022-02-28",
        "2022-03-31",
        "2022-04-30",
        "2022-05-31",
        "2022-06-30",
    ]
    last = {v.name: v for v in compute_metrics(site.con, as_of=date(2022, 6, 30), window_days=30)}
    cells = dict(zip(header, rows[-1], strict=True))
    assert cells["客户资产规模 aum (万元)"] == wan(last["aum"].value)
    assert cells["基金保有量 fund_holding_balance (万元)"] == wan(last["fund_holding_balance"].value)
    assert cells["资金净流入 net_inflow (万元)"] == wan(last["net_inflow"].value)  # June: 30 days = the month
    assert cells["活跃用户数 active_users"] == count(last["active_users"].value)
    february = {v.name: v for v in compute_metrics(site.con, as_of=date(2022, 2, 28), window_days=28)}
    assert dict(zip(header, rows[1], strict=True))["资金净流入 net_inflow (万元)"] == wan(february["net_inflow"].value)
    balances = parsed.figures["chart-balances"]["data"]
    assert balances[0]["y"][-1] == pytest.approx(last["aum"].value / 1e4)


def test_month_ends() -> None:
    assert month_ends(date(2020, 1, 1), date(2022, 6, 30), 3) == [
        date(2022, 4, 30),
        date(2022, 5, 31),
        date(2022, 6, 30),
    ]
    # data that end mid-month: the last point is that day (month to date)
    assert month_ends(date(2020, 1, 1), date(2022, 3, 15), 3) == [
        date(2022, 1, 31),
        date(2022, 2, 28),
        date(2022, 3, 15),
    ]
    assert month_ends(date(2022, 2, 1), date(2022, 6, 30), 24) == [
        date(2022, m, d) for m, d in ((2, 28), (3, 31), (4, 30), (5, 31), (6, 30))
    ]


def test_quality_dashboard_shows_the_report(site: Site) -> None:
    report = run_quality(site.con)
    parsed = Parsed(site.get(Role.analyst, "/dashboards/quality").text)
    tables = {row[0]: row for row in parsed.tables["tables"][1:]}
    assert set(tables) == {t.table for t in report.tables}
    for result in report.tables:
        assert tables[result.table][2] == count(result.row_count)
        assert tables[result.table][6] == count(len(result.failed_rules))
    failed = parsed.tables.get("rules", [])
    assert len(failed[1:]) == len(report.failed_rules)
    quarantined = {row[0]: int(number(row[1])) for row in parsed.tables["quarantine"][1:] if row[1]}
    assert quarantined == {q.table: q.rows for q in report.quarantine}
    rows_chart = parsed.figures["chart-tables"]["data"][0]
    assert sorted(rows_chart["y"]) == sorted(t.table for t in report.tables)


def test_an_empty_store_is_explained_not_an_error(tmp_path: Path) -> None:
    """Before any data is loaded each dashboard says what to run, instead of failing with a 500."""
    settings = fresh_store(tmp_path)
    con = duckdb.connect(str(settings.store))
    ensure_access_tables(con)
    add_user(con, "u_analyst", Role.analyst)
    token = issue_token(con, "u_analyst")
    con.close()
    expected = {
        "/dashboards/funds": (400, "ingest the brokerage"),
        "/dashboards/lifecycle": (409, "wealthdesk run"),
        "/dashboards/metrics": (409, "wealthdesk ingest"),
        "/dashboards/quality": (200, "rules checked"),
    }
    with TestClient(create_app(settings)) as client:
        for path, (status, says) in expected.items():
            response = client.get(path, headers={"Authorization": f"Bearer {token}"})
            assert (response.status_code, says in response.text) == (status, True), (path, response.text[-800:])


@pytest.mark.parametrize("query", ["from={}", "to={}", "fund={}", "fund=008116+{}", "months={}"])
def test_what_a_caller_typed_is_not_echoed_into_the_page(site: Site, query: str) -> None:
    """A phone or ID number pasted into a dashboard's URL does not come back in the page (nor does any input)."""
    phone = min(v for v in site.world.raw_pii if len(v) == 11)
    id_number = min(v for v in site.world.raw_pii if len(v) == 18)
    for value in (phone, id_number):
        path = "/dashboards/metrics" if query.startswith("months") else "/dashboards/funds"
        response = site.get(Role.analyst, f"{path}?{query.format(value)}")
        assert response.status_code in (400, 422)
        assert value not in response.text
