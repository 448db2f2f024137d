"""/wecom/callback: WeCom's URL verification and encrypted POSTs, against the official sample and signed requests."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from wealthdesk.api.app import create_app
from wealthdesk.cli import app
from wealthdesk.config import load_settings
from wealthdesk.testing import StaffWorld, app_sql
from wealthdesk.wecom.callbacks import ensure_callbacks_table, store_callback, stored_callbacks
from wealthdesk.wecom.crypto import WeComCrypto
from wealthdesk.wecom.sample import (
    AES_KEY,
    CORP_ID,
    GET_ECHOSTR,
    GET_NONCE,
    GET_SIGNATURE,
    GET_TIMESTAMP,
    MSG_SIGNATURE,
    NONCE,
    PLAINTEXT,
    POST_BODY,
    TIMESTAMP,
    TOKEN,
)

CRYPTO = WeComCrypto(TOKEN, AES_KEY, CORP_ID)
EXTERNAL = "woAJ2GCAAAXtWyujaWJHDDGi0mACHAAA"
ADD_CONTACT = (
    "<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>"
    "<CreateTime>{now}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
    "<Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[add_external_contact]]></ChangeType>"
    "<UserID><![CDATA[zhangsan]]></UserID><ExternalUserID><![CDATA[" + EXTERNAL + "]]></ExternalUserID>"
    "<State><![CDATA[QD-0001]]></State><WelcomeCode><![CDATA[WELCOMECODE]]></WelcomeCode></xml>"
)


def _client(world: StaffWorld, folder: Path, **settings: object) -> Iterator[TestClient]:
    store = world.copy_to(folder).store
    with TestClient(create_app(load_settings(store=store, **settings))) as client:
        yield client


@pytest.fixture(scope="module")
def recorded(staff: StaffWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A server replaying recorded traffic: the timestamp window off, as the official sample is from 2016."""
    settings = {"wecom_token": TOKEN, "wecom_aes_key": AES_KEY, "wecom_corp_id": CORP_ID, "wecom_max_skew_s": 0}
    yield from _client(staff, tmp_path_factory.mktemp("recorded"), **settings)


@pytest.fixture(scope="module")
def live(staff: StaffWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A server taking live traffic: callbacks must be within 300 s of its clock."""
    settings = {"wecom_token": TOKEN, "wecom_aes_key": AES_KEY, "wecom_corp_id": CORP_ID, "wecom_max_skew_s": 300}
    yield from _client(staff, tmp_path_factory.mktemp("live"), **settings)


def _signed(crypto: WeComCrypto, plaintext: str, timestamp: str, nonce: str) -> tuple[dict[str, str], str]:
    return crypto.callback_request(plaintext, timestamp, nonce)


def _rows(client: TestClient) -> list[dict[str, object]]:
    return stored_callbacks(client.app.state.con.cursor())  # type: ignore[attr-defined]


def test_url_verification_answers_the_bare_echostr(recorded: TestClient) -> None:
    answer = recorded.get(
        "/wecom/callback",
        params={"msg_signature": GET_SIGNATURE, "timestamp": GET_TIMESTAMP, "nonce": GET_NONCE, "echostr": GET_ECHOSTR},
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    assert answer.text == CRYPTO.decrypt(GET_ECHOSTR) and answer.text.isdigit()  # no quotes, no newline


def test_the_official_message_is_stored_raw_and_a_retry_adds_nothing(recorded: TestClient) -> None:
    query = {"msg_signature": MSG_SIGNATURE, "timestamp": TIMESTAMP, "nonce": NONCE}
    first = recorded.post("/wecom/callback", params=query, content=POST_BODY)
    assert first.status_code == 200 and first.content == b""
    again = recorded.post("/wecom/callback", params=query, content=POST_BODY)  # WeCom re-sends after 5 s unanswered
    assert again.status_code == 200 and again.content == b""
    stored = [r for r in _rows(recorded) if r["nonce"] == NONCE]
    assert len(stored) == 1
    assert stored[0]["plaintext"] == PLAINTEXT and stored[0]["body"] == POST_BODY
    assert (stored[0]["status"], stored[0]["kind"]) == ("processed", "text")


def test_a_contact_event_is_stored_with_its_kind(live: TestClient) -> None:
    now = str(int(time.time()))
    query, body = _signed(CRYPTO, ADD_CONTACT.format(now=now), now, "event-nonce-1")
    assert live.post("/wecom/callback", params=query, content=body).status_code == 200
    stored = [r for r in _rows(live) if r["nonce"] == "event-nonce-1"]
    assert [(r["kind"], r["status"]) for r in stored] == [
        ("event/change_external_contact/add_external_contact", "processed")
    ]


def _refused(response: httpx.Response, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert words in response.json()["detail"], response.json()["detail"]


def test_a_forged_signature_is_refused_logged_and_not_stored(
    live: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    now = str(int(time.time()))
    query, body = _signed(CRYPTO, ADD_CONTACT.format(now=now), now, "forged-1")
    query["msg_signature"] = "0" * 40
    before = len(_rows(live))
    with caplog.at_level(logging.WARNING, logger="wealthdesk.api.wecom_callback"):
        _refused(live.post("/wecom/callback", params=query, content=body), 403, "signature")
    assert any("refused (403)" in r.getMessage() for r in caplog.records)
    assert not any("zhangsan" in r.getMessage() or "Encrypt" in r.getMessage() for r in caplog.records)
    assert len(_rows(live)) == before
    get = dict(query, echostr=CRYPTO.encrypt("12345"))
    _refused(live.get("/wecom/callback", params=get), 403, "signature")


def test_a_callback_for_another_corporation_is_refused(live: TestClient) -> None:
    now = str(int(time.time()))
    stranger = WeComCrypto(TOKEN, AES_KEY, "wwSOMEONEELSE00000")
    query, body = _signed(stranger, ADD_CONTACT.format(now=now), now, "other-corp-1")
    _refused(live.post("/wecom/callback", params=query, content=body), 403, "receive id")


def test_a_stale_timestamp_is_refused(live: TestClient) -> None:
    then = str(int(time.time()) - 1_000)
    query, body = _signed(CRYPTO, ADD_CONTACT.format(now=then), then, "stale-1")
    _refused(live.post("/wecom/callback", params=query, content=body), 400, "stale")
    _refused(live.get("/wecom/callback", params=dict(query, echostr=CRYPTO.encrypt("1"))), 400, "stale")
    _refused(live.post("/wecom/callback", params=dict(query, timestamp="soon"), content=body), 400, "not a number")


def test_a_nonce_used_again_by_another_request_is_refused_as_a_replay(live: TestClient) -> None:
    now = str(int(time.time()))
    query, body = _signed(CRYPTO, ADD_CONTACT.format(now=now), now, "replayed-1")
    assert live.post("/wecom/callback", params=query, content=body).status_code == 200
    other, other_body = _signed(CRYPTO, ADD_CONTACT.format(now=now).replace("QD-0001", "QD-9999"), now, "replayed-1")
    _refused(live.post("/wecom/callback", params=other, content=other_body), 409, "replay")
    assert len([r for r in _rows(live) if r["nonce"] == "replayed-1"]) == 1


def test_a_callback_that_cannot_be_processed_is_kept_with_the_reason(live: TestClient) -> None:
    now = str(int(time.time()))
    query, body = _signed(CRYPTO, "this is not the XML WeCom documents", now, "unprocessable-1")
    assert live.post("/wecom/callback", params=query, content=body).status_code == 200  # stored: no resend wanted
    (row,) = [r for r in _rows(live) if r["nonce"] == "unprocessable-1"]
    assert row["status"] == "failed" and "not acceptable XML" in str(row["error"])
    assert row["plaintext"] == "this is not the XML WeCom documents"


def test_a_malformed_envelope_and_missing_parameters_say_what_is_wrong(live: TestClient) -> None:
    now = str(int(time.time()))
    query, _ = _signed(CRYPTO, "x", now, "malformed-1")
    _refused(live.post("/wecom/callback", params=query, content="<xml><Nothing/></xml>"), 400, "Encrypt")
    _refused(live.post("/wecom/callback", params={"timestamp": now}, content="<xml/>"), 422, "msg_signature")


def test_without_the_settings_callbacks_are_refused_as_not_configured(
    staff: StaffWorld, tmp_path_factory: pytest.TempPathFactory
) -> None:
    for client in _client(staff, tmp_path_factory.mktemp("unconfigured")):
        answer = client.post("/wecom/callback", params={"msg_signature": "a", "timestamp": "1", "nonce": "n"})
        _refused(answer, 503, "WEALTHDESK_WECOM_TOKEN")


def test_a_body_longer_than_any_envelope_is_refused_before_it_is_read_whole(live: TestClient) -> None:
    now = str(int(time.time()))
    query, _ = _signed(CRYPTO, "x", now, "huge-1")
    _refused(live.post("/wecom/callback", params=query, content=b"<" * (2 << 20)), 413, "not a WeCom callback")

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams in
        for _ in range(3):
            yield b"<" * (1 << 20)

    _refused(live.post("/wecom/callback", params=query, content=chunks()), 413, "over 1,048,576 bytes")


def test_a_timestamp_in_other_digits_is_refused_not_a_server_error(live: TestClient) -> None:
    query, body = _signed(CRYPTO, "x", "1", "digits-1")
    _refused(live.post("/wecom/callback", params=dict(query, timestamp="²"), content=body), 400, "not a number")


def test_a_retry_of_a_callback_stored_but_never_processed_is_processed(live: TestClient) -> None:
    now = str(int(time.time()))
    query, body = _signed(CRYPTO, ADD_CONTACT.format(now=now).replace("QD-0001", "QD-CRASH"), now, "crashed-1")
    encrypted = CRYPTO.encrypted_part(body)
    plaintext = CRYPTO.decrypt_message(query["msg_signature"], now, "crashed-1", body)
    store_callback(  # stored, then the server stopped before processing it
        live.app.state.con,  # type: ignore[attr-defined]
        timestamp=now,
        nonce="crashed-1",
        msg_signature=query["msg_signature"],
        encrypted=encrypted,
        body=body,
        plaintext=plaintext,
    )
    assert [r["status"] for r in _rows(live) if r["nonce"] == "crashed-1"] == ["received"]
    assert live.post("/wecom/callback", params=query, content=body).status_code == 200  # WeCom's retry
    assert [r["status"] for r in _rows(live) if r["nonce"] == "crashed-1"] == ["processed"]


def test_callbacks_stored_but_not_processed_are_processed_at_start_up_and_by_the_cli(
    staff: StaffWorld, tmp_path: Path
) -> None:
    """Stored just before the server stopped (and never retried by WeCom), or failed: not left behind."""
    store = staff.copy_to(tmp_path).store
    now = str(int(time.time()))
    good = ADD_CONTACT.format(now=now).replace("QD-0001", "QD-RESTART")
    bad = good.replace("<UserID><![CDATA[zhangsan]]></UserID>", "")  # an add without its advisor: cannot apply
    con = duckdb.connect(str(store))
    try:
        ensure_callbacks_table(con)
        for nonce, plaintext in (("restart-1", good), ("restart-2", bad)):
            query, body = _signed(CRYPTO, plaintext, now, nonce)
            store_callback(
                con,
                timestamp=now,
                nonce=nonce,
                msg_signature=query["msg_signature"],
                encrypted=CRYPTO.encrypted_part(body),
                body=body,
                plaintext=plaintext,
            )
    finally:
        con.close()
    with TestClient(create_app(load_settings(store=store))) as client:
        rows = {r["nonce"]: r for r in _rows(client)}
        assert rows["restart-1"]["status"] == "processed"
        assert rows["restart-2"]["status"] == "failed" and "UserID" in rows["restart-2"]["error"]
        state = app_sql(client, "SELECT state FROM wecom_contacts WHERE external_userid = ?", [EXTERNAL])
        assert ("QD-RESTART",) in state
    result = CliRunner().invoke(app, ["wecom", "reprocess", "--store", str(store), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["processed"] == 0 and report["failing"] == 1 and "UserID" in report["errors"][0]
