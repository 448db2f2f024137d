"""Campaigns on a copy of the generated brokerage: checked plans, suitable touches only, one touch per client,
a stable random control group, and a report whose uplift is the treatment's rate minus the control's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from wealthdesk.campaigns.plan import CampaignError, create_campaign
from wealthdesk.campaigns.report import campaign_report
from wealthdesk.campaigns.run import in_control, run_campaign
from wealthdesk.cli import app
from wealthdesk.content.library import add_contents
from wealthdesk.segments.definitions import known_tags, save_segment
from wealthdesk.suitability.rules import client_tolerance, content_decision
from wealthdesk.testing import StaffWorld

DAY = date(2022, 4, 1)


@pytest.fixture(scope="module")
def world(
    staff: StaffWorld, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[duckdb.DuckDBPyConnection, str]]:
    store = staff.copy_to(tmp_path_factory.mktemp("campaigns")).store
    con = duckdb.connect(str(store))
    save_segment(con, "funded_all", "aum > 0", "已入金", known_tags())
    save_segment(con, "nobody", "aum < 0", "无人", known_tags())
    yield con, str(store)
    con.close()


def _content(con: duckdb.DuckDBPyConnection, level: str | None) -> str:
    """A content of that risk level (None: promoting no product) pushable on DAY."""
    return con.execute(
        """SELECT content_id FROM contents WHERE risk_level IS NOT DISTINCT FROM ? AND publish_date <= ?
           AND coalesce(expiry_date, DATE '9999-12-31') >= ? ORDER BY expiry_date NULLS LAST, content_id LIMIT 1""",
        [level, DAY, DAY],
    ).fetchone()[0]


def test_a_plan_with_problems_is_refused_naming_each(world: tuple[duckdb.DuckDBPyConnection, str]) -> None:
    con, _ = world
    with pytest.raises(CampaignError) as refused:
        create_campaign(
            con,
            "bad one",
            "no_such_segment",
            "NOPE",
            channel="pigeon",
            objective="acquisition",
            control_share=0,
            conversion="smile",
            window_days=0,
        )
    text = str(refused.value)
    for part in (
        "campaign id 'bad one'",
        "no_such_segment",
        "no content 'NOPE'",
        "channel 'pigeon'",
        "objective 'acquisition'",
        "control share 0",
        "conversion 'smile'",
        "window of 0 days",
    ):
        assert part in text, part
    assert con.execute("SELECT count(*) FROM wd_campaigns").fetchone()[0] == 0


def test_a_run_touches_suitable_members_once_and_holds_out_a_stable_random_group(
    world: tuple[duckdb.DuckDBPyConnection, str],
) -> None:
    con, _ = world
    content = _content(con, "R3")
    create_campaign(con, "T-R3", "funded_all", content, unit_cost=0.5, control_share=0.2)
    first = run_campaign(con, "T-R3", DAY)
    assert first.members == first.touched + first.held_out + first.refused > 500
    assert first.refused > 0 and first.touched > 0 and first.held_out > 0
    assert 0.1 < first.held_out / (first.touched + first.held_out) < 0.3
    members = con.execute(
        """SELECT m.customer_id, m.arm, c.risk_level, c.risk_assessed_date, c.lowest_category, c.investor_type
           FROM wd_campaign_members m JOIN customers c USING (customer_id) WHERE campaign_id = 'T-R3'"""
    ).fetchall()
    for customer, arm, *suitability in members:
        allowed = content_decision(client_tolerance(*suitability, as_of=DAY), "R3").allowed
        assert (arm == "refused") == (not allowed), customer  # never an unsuitable touch
        if arm != "refused":
            assert (arm == "control") == in_control("T-R3", customer, 0.2)
    touches = con.execute(
        "SELECT count(*), count(DISTINCT customer_id), sum(cost) FROM campaign_touches WHERE campaign_id = 'T-R3'"
    ).fetchone()
    assert touches[0] == touches[1] == first.touched and float(touches[2]) == first.cost == first.touched * 0.5

    again = run_campaign(con, "T-R3", DAY)  # a re-run sends nothing twice
    assert (again.touched, again.held_out, again.refused, again.met_before) == (0, 0, 0, first.members)
    assert (
        con.execute("SELECT count(*) FROM campaign_touches WHERE campaign_id = 'T-R3'").fetchone()[0] == first.touched
    )
    books = con.execute("SELECT objective, cost, content_id FROM campaigns WHERE campaign_id = 'T-R3'").fetchone()
    assert books[0] == "cross_sell" and float(books[1]) == first.cost and books[2] == content


def test_an_empty_segment_or_a_content_not_pushable_that_day_sends_nothing(
    world: tuple[duckdb.DuckDBPyConnection, str],
) -> None:
    con, _ = world
    content = _content(con, None)
    create_campaign(con, "T-EMPTY", "nobody", content)
    with pytest.raises(CampaignError, match="segment 'nobody' has no members"):
        run_campaign(con, "T-EMPTY", DAY)
    create_campaign(con, "T-LATE", "funded_all", content)
    with pytest.raises(CampaignError, match="may not be pushed on 2030-01-01"):
        run_campaign(con, "T-LATE", date(2030, 1, 1))
    assert (
        con.execute("SELECT count(*) FROM campaign_touches WHERE campaign_id IN ('T-EMPTY', 'T-LATE')").fetchone()[0]
        == 0
    )


def test_the_report_counts_each_arm_and_the_uplift_is_the_difference(
    world: tuple[duckdb.DuckDBPyConnection, str],
) -> None:
    con, _ = world
    report = campaign_report(con, "T-R3")
    treated, control = report["treatment"], report["control"]
    arms = dict(
        con.execute("SELECT arm, count(*) FROM wd_campaign_members WHERE campaign_id = 'T-R3' GROUP BY 1").fetchall()
    )
    assert (treated["clients"], control["clients"], report["refused"]["clients"]) == (
        arms["treatment"],
        arms["control"],
        arms["refused"],
    )
    subscribed = con.execute(  # the conversion, counted independently: a fund subscription within 14 days
        """SELECT count(DISTINCT m.customer_id) FROM wd_campaign_members m JOIN accounts a USING (customer_id)
           JOIN trades t USING (account_id)
           WHERE m.campaign_id = 'T-R3' AND m.arm = 'treatment' AND t.trade_type = 'fund_subscribe'
             AND t.trade_time >= m.assigned_at AND t.trade_time < m.assigned_at + INTERVAL 14 DAY"""
    ).fetchone()[0]
    assert treated["converted"] == subscribed > 0
    assert report["uplift"] == pytest.approx(treated["converted_rate"] - control["converted_rate"])
    assert report["incremental_conversions"] == pytest.approx(report["uplift"] * treated["clients"])
    assert report["p_value"] is not None and 0 <= report["p_value"] <= 1
    assert report["cost"] == treated["clients"] * 0.5


PUSHES = iter(range(1_000_000))  # a new campaign id per example


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    level=st.sampled_from([None, "R1", "R2", "R3", "R4", "R5"]),
    offset=st.integers(-400, 60),
    share=st.floats(0.05, 0.45),
)
def test_no_campaign_push_ever_breaks_suitability(
    world: tuple[duckdb.DuckDBPyConnection, str], level: str | None, offset: int, share: float
) -> None:
    """Hypothesis over the content's level, the day (assessments expire) and the control share: every member the
    rule refuses is recorded as refused with its reason and never touched; every member touched is suitable."""
    con, _ = world
    day = DAY + timedelta(days=offset)
    number = next(PUSHES)
    content, campaign = f"CTPUSH{number:04d}", f"PUSH-{number}"
    add_contents(
        con,
        [
            {
                "content_id": content,
                "content_type": "advisor_view",
                "title": "推送",
                "risk_level": level,
                "publish_date": str(day - timedelta(days=1)),
                "expiry_date": str(day + timedelta(days=30)),
            }
        ],
    )
    create_campaign(con, campaign, "funded_all", content, control_share=share)
    run_campaign(con, campaign, day)
    members = con.execute(
        """SELECT m.customer_id, m.arm, m.reason, c.risk_level, c.risk_assessed_date, c.lowest_category,
                  c.investor_type, t.touch_id IS NOT NULL
           FROM wd_campaign_members m JOIN customers c USING (customer_id)
           LEFT JOIN campaign_touches t ON t.campaign_id = m.campaign_id AND t.customer_id = m.customer_id
           WHERE m.campaign_id = ?""",
        [campaign],
    ).fetchall()
    assert members
    for customer, arm, reason, *suitability, touched in members:
        decision = content_decision(client_tolerance(*suitability, as_of=day), level)
        if decision.allowed:
            assert arm in ("treatment", "control") and touched == (arm == "treatment"), customer
        else:
            assert arm == "refused" and reason == decision.reason and not touched, customer


def test_the_commands(world: tuple[duckdb.DuckDBPyConnection, str]) -> None:
    con, store = world
    content = _content(con, None)
    con.close()  # the last test of the module: the command opens the store itself
    runner = CliRunner()
    made = runner.invoke(
        app,
        [
            "campaign",
            "create",
            "T-CLI",
            "--segment",
            "funded_all",
            "--content",
            content,
            "--unit-cost",
            "0.1",
            "--store",
            store,
        ],
    )
    assert made.exit_code == 0, made.output
    ran = runner.invoke(app, ["campaign", "run", "T-CLI", "--on", "2022-04-01", "--json", "--store", store])
    assert ran.exit_code == 0, ran.output
    assert json.loads(ran.output)["touched"] > 0
    shown = runner.invoke(app, ["campaign", "report", "T-CLI", "--store", store])
    assert shown.exit_code == 0 and "uplift" in shown.output and "treatment" in shown.output
