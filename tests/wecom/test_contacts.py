"""change_external_contact callbacks keep the advisor ↔ client relationships and their history."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import ibis
import pytest
from fastapi.testclient import TestClient

from wealthdesk.api.app import create_app
from wealthdesk.config import load_settings
from wealthdesk.testing import StaffWorld, app_sql
from wealthdesk.value.acquisition import campaign_acquisitions, credited_clients
from wealthdesk.wecom.crypto import WeComCrypto
from wealthdesk.wecom.sample import AES_KEY, CORP_ID, TOKEN

CRYPTO = WeComCrypto(TOKEN, AES_KEY, CORP_ID)


@dataclass
class Server:
    client: TestClient
    advisor: str  # an advisor's WeCom userid
    nonces: int = 0

    def sql(self, query: str, params: list[object] | None = None) -> list[tuple]:
        return app_sql(self.client, query, params)

    def send(self, change: str, external: str, when: int, advisor: str | None = None, **extra: str) -> tuple:
        """Post one change_external_contact event as WeCom would; the callback's stored (status, error)."""
        fields = {"ChangeType": change, "UserID": advisor or self.advisor, "ExternalUserID": external, **extra}
        inner = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items())
        plaintext = (
            f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>"
            f"<CreateTime>{when}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            f"<Event><![CDATA[change_external_contact]]></Event>{inner}</xml>"
        )
        self.nonces += 1
        now, nonce = str(int(time.time())), f"contact-{self.nonces}"
        query, body = CRYPTO.callback_request(plaintext, now, nonce)
        for _ in range(2):  # WeCom's retry of the same request changes nothing
            assert self.client.post("/wecom/callback", params=query, content=body).status_code == 200
        return self.sql("SELECT status, error FROM wd_wecom_callbacks WHERE nonce = ?", [nonce])[0]

    def relationship(self, external: str, advisor: str | None = None) -> tuple | None:
        found = self.sql(
            """SELECT customer_id, added_at, state, deleted_at FROM wecom_contacts
               WHERE advisor_userid = ? AND external_userid = ?""",
            [advisor or self.advisor, external],
        )
        assert len(found) <= 1
        return found[0] if found else None

    def history(self, external: str) -> list[tuple]:
        return self.sql(
            """SELECT change_type, advisor_userid, state, source, fail_reason FROM wecom_contact_events
               WHERE external_userid = ? ORDER BY event_time, change_type""",
            [external],
        )


@pytest.fixture(scope="module")
def server(staff: StaffWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    store = staff.copy_to(tmp_path_factory.mktemp("contacts")).store
    settings = {"wecom_token": TOKEN, "wecom_aes_key": AES_KEY, "wecom_corp_id": CORP_ID}
    with TestClient(create_app(load_settings(store=store, **settings))) as client:
        probe = Server(client, "")
        probe.advisor = probe.sql("SELECT min(wecom_userid) FROM advisors WHERE wecom_userid IS NOT NULL")[0][0]
        yield probe


def _china(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None) + timedelta(hours=8)


T0 = 1_780_000_000  # 2026-05-28 in China


def test_an_add_starts_the_relationship_with_its_channel_code(server: Server) -> None:
    external = "wmADDED0000000000001"
    assert server.send("add_external_contact", external, T0, State="QD-0001", WelcomeCode="W1") == ("processed", None)
    assert server.relationship(external) == (None, _china(T0), "QD-0001", None)
    assert server.history(external) == [("add_external_contact", server.advisor, "QD-0001", None, None)]


def test_a_client_known_to_another_advisor_is_matched_to_the_same_client(server: Server) -> None:
    advisor, external, customer = server.sql(
        """SELECT advisor_userid, external_userid, customer_id FROM wecom_contacts
           WHERE customer_id IS NOT NULL AND advisor_userid <> ? ORDER BY 2 LIMIT 1""",
        [server.advisor],
    )[0]
    server.send("add_half_external_contact", external, T0 + 10, State="qr_B0001")
    assert server.relationship(external) == (customer, _china(T0 + 10), "qr_B0001", None)
    assert server.relationship(external, advisor)[0] == customer  # the other advisor's relationship is untouched


def test_deletion_from_either_side_ends_it_and_a_new_add_starts_a_new_period(server: Server) -> None:
    external = "wmPERIODS00000000001"
    server.send("add_external_contact", external, T0, State="QD-0001")
    server.send("del_follow_user", external, T0 + 100)  # the client deleted the advisor
    assert server.relationship(external)[3] == _china(T0 + 100)
    server.send("add_external_contact", external, T0 + 200, State="QD-0002")
    assert server.relationship(external) == (None, _china(T0 + 200), "QD-0002", None)
    server.send("del_external_contact", external, T0 + 300, Source="DELETE_BY_TRANSFER")
    assert server.relationship(external)[3] == _china(T0 + 300)
    assert server.history(external) == [
        ("add_external_contact", server.advisor, "QD-0001", None, None),
        ("del_follow_user", server.advisor, None, None, None),
        ("add_external_contact", server.advisor, "QD-0002", None, None),
        ("del_external_contact", server.advisor, None, "DELETE_BY_TRANSFER", None),
    ]


def test_edits_and_failed_transfers_are_history_only(server: Server) -> None:
    external = "wmHISTORY00000000001"
    server.send("add_external_contact", external, T0, State="QD-0003")
    before = server.relationship(external)
    server.send("edit_external_contact", external, T0 + 50)
    server.send("transfer_fail", external, T0 + 60, advisor="taker01", FailReason="customer_refused")
    assert server.relationship(external) == before
    assert server.relationship(external, "taker01") is None
    assert server.history(external)[1:] == [
        ("edit_external_contact", server.advisor, None, None, None),
        ("transfer_fail", "taker01", None, None, "customer_refused"),
    ]


def test_a_late_deletion_older_than_the_current_period_does_not_end_it(server: Server) -> None:
    external = "wmLATE00000000000001"
    server.send("add_external_contact", external, T0 + 500)
    server.send("del_follow_user", external, T0 + 400)  # retried by WeCom, arrives after the later add
    assert server.relationship(external)[3] is None
    assert len(server.history(external)) == 2


def test_an_event_missing_its_fields_is_kept_as_failed_and_changes_nothing(server: Server) -> None:
    status, error = server.send("add_external_contact", "", T0)
    assert status == "failed" and "ExternalUserID" in error
    assert server.sql("SELECT count(*) FROM wecom_contact_events WHERE external_userid = ''")[0][0] == 0


def test_a_deletion_that_arrives_before_its_add_still_ends_the_relationship(server: Server) -> None:
    external = "wmEARLYDEL0000000001"
    server.send("del_follow_user", external, T0 + 2_000)  # retried by WeCom ahead of the add it followed
    server.send("add_external_contact", external, T0 + 1_000, State="QD-0004")
    assert server.relationship(external) == (None, _china(T0 + 1_000), "QD-0004", _china(T0 + 2_000))


def _credit(server: Server, customer: str, as_of: date) -> tuple[str | None, str | None, dict[str, int]]:
    """(credited campaign, how, clients acquired per campaign) for one client, as the value report computes them."""
    cursor = server.client.app.state.con.cursor()  # type: ignore[attr-defined]
    try:
        backend = ibis.duckdb.from_connection(cursor)
        clients = credited_clients(backend, as_of)
        row = backend.to_pyarrow(clients.filter(clients.customer_id == customer)).to_pylist()[0]
        campaigns = backend.to_pyarrow(campaign_acquisitions(backend, as_of)).to_pylist()
    finally:
        cursor.close()
    acquired = {c["campaign_id"]: c["acquired"] for c in campaigns}
    return row["acquisition_campaign_id"], row["acquisition_credit"], acquired


def _epoch(china: datetime) -> int:
    """The CreateTime WeCom sends for a moment the store writes in China time."""
    return int((china - timedelta(hours=8)).replace(tzinfo=UTC).timestamp())


def test_the_channel_code_of_the_add_that_brought_a_client_credits_its_campaign(server: Server) -> None:
    """State → CAC: an uncredited client added through a campaign's channel code, while it ran and before they
    registered, is that campaign's acquisition; the first such add counts after a later add replaced its row."""
    as_of = server.sql("SELECT max(trade_time)::DATE FROM trades")[0][0]
    campaign, started, ended = server.sql(
        """SELECT campaign_id, start_date, coalesce(end_date, ?) FROM campaigns WHERE objective = 'acquisition'
           ORDER BY end_date - start_date DESC, campaign_id LIMIT 1""",
        [as_of],
    )[0]
    clients = server.sql(
        """WITH clean AS (  -- no campaign credited, and no contact whose State names one
                SELECT customer_id, registered_at FROM customers
                WHERE acquisition_campaign_id IS NULL AND registered_at::DATE BETWEEN ? AND least(?, ?)
                  AND customer_id NOT IN (SELECT customer_id FROM wecom_contacts WHERE customer_id IS NOT NULL
                                          AND state IN (SELECT campaign_id FROM campaigns)))
            SELECT c.customer_id, c.registered_at, min(w.external_userid), min(w.advisor_userid),
                   (SELECT min(wecom_userid) FROM advisors WHERE wecom_userid NOT IN (
                       SELECT advisor_userid FROM wecom_contacts WHERE external_userid = min(w.external_userid)))
            FROM clean c JOIN wecom_contacts w USING (customer_id) GROUP BY ALL ORDER BY 1 LIMIT 3""",
        [started + timedelta(days=3), ended, as_of],
    )
    assert len(clients) == 3
    (first, registered, external, _, other_advisor), ingested, late = clients
    uncredited, how, acquired = _credit(server, first, as_of)
    assert (uncredited, how) == (None, None)

    server.send(
        "add_external_contact", external, _epoch(registered - timedelta(days=3)), advisor=other_advisor, State=campaign
    )
    credit = _credit(server, first, as_of)
    assert credit[:2] == (campaign, "wecom_state")
    assert credit[2][campaign] == acquired.get(campaign, 0) + 1

    # the client deletes the advisor and is added again through a branch's code: the first add still counts
    added = _epoch(registered - timedelta(days=3))
    server.send("del_follow_user", external, added + 60, advisor=other_advisor)
    server.send("add_external_contact", external, added + 120, advisor=other_advisor, State="qr_branch")
    assert server.relationship(external, other_advisor)[2] == "qr_branch"
    assert _credit(server, first, as_of) == credit

    # the same for a relationship that came with ingest (no add event): its first add is kept in the history
    customer, registered, external, advisor, _ = ingested
    loaded = registered - timedelta(days=2)
    server.sql(
        "UPDATE wecom_contacts SET state = ?, added_at = ? WHERE advisor_userid = ? AND external_userid = ?",
        [campaign, loaded, advisor, external],
    )
    assert _credit(server, customer, as_of)[:2] == (campaign, "wecom_state")
    server.send("del_follow_user", external, _epoch(registered + timedelta(days=30)), advisor=advisor)
    server.send("add_external_contact", external, _epoch(registered + timedelta(days=31)), advisor=advisor)
    assert server.relationship(external, advisor)[1] == registered + timedelta(days=31)
    assert _credit(server, customer, as_of)[:2] == (campaign, "wecom_state")

    # not acquired by the campaign: an add three hours after registering, or one before the campaign started
    customer, registered, external, _, other_advisor = late
    server.send(
        "add_external_contact", external, _epoch(registered + timedelta(hours=3)), advisor=other_advisor, State=campaign
    )
    assert _credit(server, customer, as_of)[:2] == (None, None)
    before_start = datetime.combine(started, datetime.min.time()) - timedelta(days=1)
    server.send("add_external_contact", external, _epoch(before_start), State=campaign)
    assert _credit(server, customer, as_of)[:2] == (None, None)


def test_the_same_event_in_a_new_callback_is_recorded_once(server: Server) -> None:
    """WeCom may push an event again encrypted under a new nonce: a callback of its own, the same event."""
    external = "wmREPUSHED0000000001"
    for _ in range(2):
        assert server.send("add_external_contact", external, T0 + 3_000, State="QD-0005") == ("processed", None)
    assert server.history(external) == [("add_external_contact", server.advisor, "QD-0005", None, None)]
    server.send("del_follow_user", external, T0 + 3_100)
    server.send("del_follow_user", external, T0 + 3_100)
    assert len(server.history(external)) == 2
    assert server.relationship(external)[3] == _china(T0 + 3_100)
