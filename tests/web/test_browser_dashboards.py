"""The dashboards in a real browser: Debian's Chromium draws the charts from the server's own plotly.js, offline.

The server is ``wealthdesk serve`` on a copy of the staff store; expected figures are computed from the
session's staff store (the same data) with the library functions the pages call.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import ibis
import pytest
from live_browser import LiveServer, save_screenshot, signed_in_page
from playwright.sync_api import Browser, ConsoleMessage, Error, Page

from wealthdesk.access.users import Role
from wealthdesk.funds.retention import FundRetentionReport, fund_retention_report
from wealthdesk.funds.window import DEFAULT_WINDOW
from wealthdesk.testing import StaffWorld
from wealthdesk.web.panels import money, yuan

DESKTOP = (1280, 900)
# every chart div the server sent has been drawn by plotly.js (it adds .js-plotly-plot and its SVG)
ALL_DRAWN = """() => {
  const charts = [...document.querySelectorAll("div.chart[data-figure]")];
  const drawn = (c) => c.classList.contains("js-plotly-plot") && c.querySelector(".main-svg") !== null;
  return charts.length > 0 && charts.every(drawn);
}"""


@pytest.fixture(scope="module")
def report(staff: StaffWorld) -> FundRetentionReport:
    """The fund report of the default window, from the staff store the server's copy was made from."""
    con = duckdb.connect(str(staff.store), read_only=True)
    try:
        return fund_retention_report(ibis.duckdb.from_connection(con), DEFAULT_WINDOW)
    finally:
        con.close()


class Visit:
    """A signed-in analyst's page with everything it requested and every script error it hit."""

    def __init__(self, browser: Browser, live_server: LiveServer, role: Role = Role.analyst) -> None:
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page: Page = signed_in_page(
            browser, live_server, role, *DESKTOP, next_path="/dashboards", requests=self.requests
        )
        self.page.on("pageerror", self._page_error)
        self.page.on("console", self._console)
        self.server = live_server

    def _page_error(self, error: Error) -> None:
        self.errors.append(str(error))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def open(self, path: str) -> Page:
        response = self.page.goto(self.server.url(path))
        assert response is not None and response.status == 200, f"{path}: {response and response.status}"
        self.page.wait_for_function(ALL_DRAWN, timeout=30_000)
        return self.page

    def assert_offline(self) -> None:
        outside = [url for url in self.requests if not url.startswith(self.server.base_url + "/")]
        assert not outside, f"the page asked for resources outside the server: {outside}"
        assert self.server.url("/assets/plotly.min.js") in self.requests, "plotly.js did not come from the server"
        assert not self.errors, f"script errors: {self.errors}"


@pytest.fixture
def visit(browser: Browser, live_server: LiveServer) -> Iterator[Visit]:
    v = Visit(browser, live_server)
    yield v
    v.page.context.close()


def test_funds_dashboard_draws_offline(visit: Visit, report: FundRetentionReport, screenshots: Path) -> None:
    page = visit.open("/dashboards/funds")
    charts = page.locator("div.chart.js-plotly-plot")
    assert charts.count() == page.locator("div.chart[data-figure]").count() >= 5
    bridge = page.locator("#chart-bridge")
    # the waterfall's own SVG carries the figures: the labels and the short amounts printed on the bars
    svg_text = bridge.locator(".main-svg").first.text_content() or ""
    assert "赎回 redemptions" in svg_text and "市场波动 market effect" in svg_text
    assert money(report.total.redeemed) in svg_text
    # the numbers are on the page as text too, and the top fund is in its chart
    assert page.locator("#bridge td", has_text=yuan(-report.total.redeemed)).is_visible()  # the bridge is signed
    assert page.get_by_text(report.summary[0]).is_visible()
    top = report.top_by_amount[0]
    assert top.fund_name in (page.locator("#chart-top_by_amount .main-svg").first.text_content() or "")
    path = save_screenshot(page, screenshots, "dashboard_funds")
    assert path.stat().st_size > 20_000  # a drawn page, not a blank one
    visit.assert_offline()


@pytest.mark.parametrize(
    ("path", "chart", "text"),
    [
        ("/dashboards/lifecycle", "#chart-funnel", "开户 opened an account"),
        ("/dashboards/metrics", "#chart-balances", "基金保有量"),
        ("/dashboards/quality", "#chart-tables", "holdings"),
    ],
)
def test_other_dashboards_draw_offline(visit: Visit, path: str, chart: str, text: str, screenshots: Path) -> None:
    page = visit.open(path)
    assert text in (page.locator(chart).text_content() or "")  # in the chart's SVG: axis, legend or labels
    assert page.locator("#summary li").first.is_visible()
    save_screenshot(page, screenshots, "dashboard_" + path.rsplit("/", 1)[1])
    visit.assert_offline()


def test_advisor_sees_the_forbidden_page(browser: Browser, live_server: LiveServer) -> None:
    page = signed_in_page(browser, live_server, Role.advisor, *DESKTOP, next_path="/dashboards/funds")
    try:
        assert page.locator("h1").inner_text() == "403 · Forbidden"
        assert page.locator("div.chart").count() == 0
    finally:
        page.context.close()


def test_requests_outside_the_server_are_seen_and_blocked(visit: Visit) -> None:
    """The offline checks above are not vacuous: a request to another host is recorded, and it never leaves."""
    outside = "http://203.0.113.7/beacon.js"  # TEST-NET-3: reserved for documentation, never routed
    visit.page.goto(visit.server.url("/dashboards"))
    with visit.page.expect_event("requestfailed") as failure:
        assert visit.page.evaluate(f"fetch({outside!r}).then(() => 'answered', () => 'failed')") == "failed"
    assert failure.value.url == outside and (failure.value.failure or "").startswith("net::ERR_BLOCKED_BY_CLIENT")
    assert outside in visit.requests
