"""CAC and CMC on the demo brokerage: attribution against the generator's truth, costs by hand."""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict

import duckdb
import ibis
import pytest

from wealthdesk.testing import DemoStore
from wealthdesk.value.acquisition import AcquisitionRules, campaign_acquisitions, client_acquisition_costs
from wealthdesk.value.maintenance import MaintenanceRules, cost_coverage, maintenance_costs
from wealthdesk.value.report import value_report

AS_OF = dt.date(2022, 6, 30)
CHINA = dt.timedelta(hours=8)


def truth_campaigns(demo: DemoStore) -> dict[str, dict[str, str]]:
    with (demo.generation.out / "_truth" / "campaigns.csv").open(encoding="utf-8") as handle:
        return {row["campaign_id"]: row for row in csv.DictReader(handle)}


def test_acquired_clients_and_costs_per_campaign_equal_the_truth(demo: DemoStore) -> None:
    truth = truth_campaigns(demo)
    with duckdb.connect(str(demo.settings.store), read_only=True) as con:
        backend = ibis.duckdb.from_connection(con)
        rows = backend.to_pyarrow(campaign_acquisitions(backend, AS_OF)).to_pylist()
    acquisition = {c for c, row in truth.items() if row["objective"] == "acquisition"}
    assert {r["campaign_id"] for r in rows} == acquisition  # every acquisition campaign, no other
    assert sum(int(truth[c]["acquired_customers"]) for c in acquisition) > 10
    for row in rows:
        expected = truth[row["campaign_id"]]
        assert row["acquired"] == int(expected["acquired_customers"]), row["campaign_id"]
        assert row["cost"] == pytest.approx(float(expected["total_cost"]))
        if row["acquired"]:
            assert row["cac"] == pytest.approx(row["cost"] / row["acquired"])
        else:
            assert row["cac"] is None  # spend that bought no one is listed, with no CAC


def test_client_cac_is_their_campaigns_and_otherwise_their_channels_unit_cost(demo: DemoStore) -> None:
    truth = truth_campaigns(demo)
    rules = AcquisitionRules(channel_unit_cost={"online_ads": 200.0})
    with duckdb.connect(str(demo.settings.store), read_only=True) as con:
        backend = ibis.duckdb.from_connection(con)
        clients = backend.table("customers").select("customer_id", "acquisition_channel", "acquisition_campaign_id")
        rows = backend.to_pyarrow(client_acquisition_costs(backend, clients, AS_OF, rules)).to_pylist()
        customers = con.execute(
            "SELECT customer_id, acquisition_channel, acquisition_campaign_id FROM customers"
        ).fetchall()
    cac = {r["customer_id"]: r["cac"] for r in rows}
    assert len(cac) == len(customers)
    by_campaign: dict[str, float] = defaultdict(float)
    for customer_id, channel, campaign in customers:
        if campaign:
            by_campaign[campaign] += cac[customer_id]
        else:
            assert cac[customer_id] == (200.0 if channel == "online_ads" else 0.0)
    # the campaign's cost is shared out over its clients exactly
    for campaign, total in by_campaign.items():
        assert total == pytest.approx(float(truth[campaign]["total_cost"]))


def test_unknown_channels_in_cost_rules_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown acquisition channel"):
        AcquisitionRules(channel_unit_cost={"tv": 10.0})
    with pytest.raises(ValueError, match="unknown touch channel"):
        MaintenanceRules(touch_unit_cost={"fax": 1.0})


def hand_maintenance(con: duckdb.DuckDBPyConnection, first: dt.date, last: dt.date, wecom_cost: float | None):
    """Per client: service touch cost, allocated fixed cost and advisor messages in [first, last], by hand."""
    touches = con.execute(
        """SELECT t.campaign_id, t.customer_id, t.touched_at::DATE, t.channel, t.cost::DOUBLE, c.cost::DOUBLE
           FROM campaign_touches t JOIN campaigns c USING (campaign_id) WHERE c.objective <> 'acquisition'"""
    ).fetchall()
    recorded: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    for campaign, _, _, _, cost, _ in touches:
        recorded[campaign] += cost
        count[campaign] += 1
    touch_cost: dict[str, float] = defaultdict(float)
    fixed: dict[str, float] = defaultdict(float)
    for campaign, customer, day, channel, cost, campaign_cost in touches:
        if first <= day <= last:
            touch_cost[customer] += wecom_cost if (wecom_cost is not None and channel == "wecom") else cost
            fixed[customer] += max(campaign_cost - recorded[campaign], 0.0) / count[campaign]
    advisors = {r[0] for r in con.execute("SELECT wecom_userid FROM advisors").fetchall()}
    contacts = dict(
        con.execute(
            "SELECT DISTINCT external_userid, customer_id FROM wecom_contacts WHERE customer_id IS NOT NULL"
        ).fetchall()
    )
    messages: dict[str, int] = defaultdict(int)
    for sender, tolist, roomid, action, msgtime in con.execute(
        "SELECT sender, tolist, roomid, action, msgtime FROM wecom_messages"
    ).fetchall():
        day = (dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=msgtime) + CHINA).date()
        if action == "send" and roomid is None and sender in advisors and first <= day <= last:
            for recipient in tolist:
                if recipient in contacts:
                    messages[contacts[recipient]] += 1
    return touch_cost, fixed, messages


def test_maintenance_cost_is_touches_plus_allocated_fixed_costs_plus_advisor_messages(demo: DemoStore) -> None:
    rules = MaintenanceRules(touch_unit_cost={"wecom": 2.0}, message_unit_cost=1.5)
    first, last = rules.window(AS_OF)
    assert (first, last) == (dt.date(2021, 7, 1), AS_OF)
    with duckdb.connect(str(demo.settings.store), read_only=True) as con:
        backend = ibis.duckdb.from_connection(con)
        got = {r["customer_id"]: r for r in backend.to_pyarrow(maintenance_costs(backend, AS_OF, rules)).to_pylist()}
        touch_cost, fixed, messages = hand_maintenance(con, first, last, wecom_cost=2.0)
    assert set(got) == set(touch_cost) | set(messages)
    assert sum(messages.values()) > 100 and len(touch_cost) > 100
    for customer_id, row in got.items():
        assert row["touch_cost"] == pytest.approx(touch_cost.get(customer_id, 0.0))
        assert row["campaign_fixed_cost"] == pytest.approx(fixed.get(customer_id, 0.0))
        assert row["advisor_messages"] == messages.get(customer_id, 0)
        assert row["message_cost"] == pytest.approx(1.5 * messages.get(customer_id, 0))
        assert row["cmc_window"] == pytest.approx(row["touch_cost"] + row["campaign_fixed_cost"] + row["message_cost"])


def test_over_the_whole_history_touch_and_fixed_costs_add_up_to_the_service_campaigns_cost(demo: DemoStore) -> None:
    rules = MaintenanceRules(window_days=20 * 365, message_unit_cost=0.0)
    unallocated = MaintenanceRules(window_days=20 * 365, message_unit_cost=0.0, allocate_campaign_fixed_costs=False)
    with duckdb.connect(str(demo.settings.store), read_only=True) as con:
        backend = ibis.duckdb.from_connection(con)
        total = backend.to_pyarrow(maintenance_costs(backend, AS_OF, rules).cmc_window.sum()).as_py()
        touches_only = backend.to_pyarrow(maintenance_costs(backend, AS_OF, unallocated).cmc_window.sum()).as_py()
        spend, recorded = con.execute(
            """SELECT sum(cost)::DOUBLE, (SELECT sum(t.cost)::DOUBLE FROM campaign_touches t
                 JOIN campaigns c USING (campaign_id) WHERE c.objective <> 'acquisition')
               FROM campaigns WHERE objective <> 'acquisition'
                 AND campaign_id IN (SELECT campaign_id FROM campaign_touches)"""
        ).fetchall()[0]
    assert total == pytest.approx(spend)
    assert touches_only == pytest.approx(recorded) and touches_only < spend


PAST = dt.date(2021, 3, 31)


def test_a_past_report_shows_only_campaigns_started_and_clients_registered_by_then(demo: DemoStore) -> None:
    """No campaign from the report date's future, no sign-up after it; campaigns not yet ended are marked."""
    with duckdb.connect(str(demo.settings.store), read_only=True) as con:
        report = value_report(ibis.duckdb.from_connection(con), as_of=PAST)
        campaigns = {
            c: (start, end, objective, cost)
            for c, start, end, objective, cost in con.execute(
                "SELECT campaign_id, start_date, end_date, objective, cost::DOUBLE FROM campaigns"
            ).fetchall()
        }
        registered = dict(
            con.execute(
                """SELECT acquisition_campaign_id, count(*) FROM customers
                   WHERE acquisition_campaign_id IS NOT NULL AND registered_at::DATE <= ? GROUP BY 1""",
                [PAST],
            ).fetchall()
        )
    expected = {c for c, (start, _, objective, _) in campaigns.items() if start <= PAST and objective == "acquisition"}
    assert any(start > PAST for start, *_ in campaigns.values())  # the store holds later campaigns
    listed = {c["campaign_id"]: c for c in report.to_dict()["campaigns"]}
    assert set(listed) == expected
    for campaign_id, row in listed.items():
        start, end, _, cost = campaigns[campaign_id]
        assert row["acquired"] == registered.get(campaign_id, 0)
        assert row["running"] == (end is None or end > PAST)
        assert row["start_date"] == start.isoformat()
        if row["acquired"]:
            assert row["cac"] == pytest.approx(cost / row["acquired"])
    assert any(c["running"] for c in listed.values()) and not all(c["running"] for c in listed.values())
    # per client: the CAC booked is the cost of the campaigns that had acquired someone by then
    booked = sum(campaigns[c][3] for c in listed if registered.get(c))
    assert report.total["cac_sum"] == pytest.approx(booked)


def test_each_cost_source_is_scaled_by_how_much_of_the_year_it_covers() -> None:
    rules = MaintenanceRules()
    assert rules.annual_factor(dt.date(2022, 6, 30), dt.date(2020, 1, 2)) == (365, 1.0)
    assert rules.annual_factor(dt.date(2020, 7, 1), dt.date(2020, 1, 2)) == (182, pytest.approx(365 / 182))
    assert rules.annual_factor(dt.date(2020, 3, 31), dt.date(2020, 1, 2)) == (90, pytest.approx(365 / 90))
    # below 90 days nothing is scaled (no ×182 from two days of data), and no records is no coverage
    assert rules.annual_factor(dt.date(2020, 3, 31), dt.date(2020, 2, 13)) == (48, 1.0)
    assert rules.annual_factor(dt.date(2020, 1, 3), dt.date(2020, 1, 2)) == (2, 1.0)
    assert rules.annual_factor(dt.date(2020, 1, 3), None) == (0, 1.0)


def test_cmc_counts_touches_and_messages_from_their_own_first_records(demo: DemoStore) -> None:
    """In the demo messages start 2020-01-02 but touches 2020-02-13: at 2020-03-31 messages cover 90 days
    (scaled ×365/90) and touches 48 (not scaled, a lower bound the report points out)."""
    as_of = dt.date(2020, 3, 31)
    with duckdb.connect(str(demo.settings.store), read_only=True) as con:
        backend = ibis.duckdb.from_connection(con)
        touches, messages = cost_coverage(backend, as_of, MaintenanceRules())
        report = value_report(backend, as_of=as_of)
        first, _ = MaintenanceRules().window(as_of)
        touch_cost, fixed, sent = hand_maintenance(con, first, as_of, wecom_cost=None)
    assert (touches.first_day, touches.days, touches.factor) == (dt.date(2020, 2, 13), 48, 1.0)
    assert (messages.first_day, messages.days) == (dt.date(2020, 1, 2), 90)
    rows = {r["customer_id"]: r for r in report.values.table.to_pylist()}
    assert sum(sent.values()) > 0 and sum(touch_cost.values()) + sum(fixed.values()) > 0
    for customer_id, row in rows.items():
        observed_touches = touch_cost.get(customer_id, 0.0) + fixed.get(customer_id, 0.0)
        expected = observed_touches + sent.get(customer_id, 0) * 1.0 * 365 / 90
        assert row["cmc_12m"] == pytest.approx(expected), customer_id
    assert any("campaign touches recorded for 48 days only" in n and "lower bound" in n for n in report.notes)
    assert any("WeCom messages cover 90 days" in n and "×4.06" in n for n in report.notes)
