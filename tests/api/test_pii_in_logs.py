"""The running server leaks no raw phone or ID number: not in a response body, not in a line of its log.

The server is the deployed one, ``wealthdesk serve`` in a subprocess (uvicorn with its own logging and access log),
on a copy of the staff store, its stdout and stderr captured to a file. Every role calls every GET of the
authorization matrix and the client-facing endpoints with real clients' data in play: a chat message carrying a
client's phone and ID number (so it becomes tag evidence), searches by name and phone prefix, bad intake rows and
invalid parameters holding a phone number. Then the server is stopped and everything it said is scanned.

Values a caller itself sent (a phone typed into a search, a bad record fed to the intake) are told apart from
values the server read from the store: the second kind must never appear, the first is checked separately.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import httpx
import pytest
from test_access import MATRIX

from running_server import serve
from wealthdesk.access.users import Role
from wealthdesk.segments.definitions import known_tags, save_segment
from wealthdesk.testing import StaffWorld

pytestmark = pytest.mark.slow  # a server start (~10 s) and ~300 requests, some computing book-wide reports

REQUEST_SECONDS = 180  # the first reassurance list trains its model
DIGIT_RUN = re.compile(r"\d{11,}X?")  # phones are 11 digits, ID numbers 18 (the last may be X)
REQUEST_LINE = re.compile(r'"[A-Z]+ \S+ HTTP/[\d.]+"')  # what an access-log line repeats of the caller's request


@dataclass(frozen=True)
class Exchange:
    """One request and what the server answered."""

    role: Role
    method: str
    url: str
    sent: str  # the URL and the body sent, to tell echoed values from stored ones
    status: int
    body: str


@dataclass(frozen=True)
class Served:
    """Everything the server answered and logged while every role used it."""

    exchanges: list[Exchange]
    log: list[str]
    world: StaffWorld
    chat_client: str  # the client whose chat message carries their phone and ID number


def raw_values(text: str, raw: frozenset[str]) -> set[str]:
    """The raw phone and ID numbers of ``raw`` in ``text``, also inside longer digit runs."""
    found = set()
    sizes = {len(v) for v in raw}
    for run in DIGIT_RUN.findall(text):
        found |= {run[i : i + n] for n in sizes for i in range(len(run) - n + 1) if run[i : i + n] in raw}
    return found


@dataclass(frozen=True)
class Cast:
    """The clients whose personal data is put in play, read before the server owns the store."""

    chat_client: str  # a client of the advisor user with a WeCom contact: their chat message carries phone and ID
    chat_from: str  # the client's external_userid
    chat_to: str  # the advisor's WeCom userid
    chat_phone: str
    chat_id_number: str
    name: str  # the advisor user's client ``own``: searched by name, phone and ID number
    phone: str
    id_number: str


def _cast(world: StaffWorld) -> Cast:
    """Save the matrix's segment (``funded``) and pick the clients whose data is put in play."""
    con = duckdb.connect(str(world.store))
    try:
        save_segment(con, "funded", "aum > 0", "有资产客户", known_tags())
        chat = con.execute(
            """SELECT c.customer_id, w.external_userid, w.advisor_userid, c.phone, c.id_number
               FROM wecom_contacts w JOIN customers c USING (customer_id)
               WHERE c.advisor_id = ? AND w.deleted_at IS NULL AND c.phone IS NOT NULL AND c.id_number IS NOT NULL
               ORDER BY c.customer_id LIMIT 1""",
            [world.advisor_id],
        ).fetchone()
        own = con.execute("SELECT name, phone, id_number FROM customers WHERE customer_id = ?", [world.own]).fetchone()
    finally:
        con.close()
    assert chat is not None and own is not None, "the staff world lost the advisor's WeCom-connected client"
    return Cast(*chat, *own)


def _reads(world: StaffWorld, cast: Cast, role: Role) -> list[str]:
    """The GETs ``role`` makes: the matrix's, the chat client's views, searches, and invalid parameters."""
    matrix = [
        path.format(own=world.own, other=world.other, branch=world.same_branch)
        for path in MATRIX
        # book-wide figures are the same for every role that may see them (each costs a second or two): read as the
        # analyst, and refused to the advisor
        if role in (Role.analyst, Role.advisor) or not _book_wide(path)
    ]
    return [
        *matrix,
        f"/api/v1/clients/{cast.chat_client}",
        f"/api/v1/clients/{cast.chat_client}/card",
        f"/api/v1/clients/{cast.chat_client}/tags",
        f"/sidebar/{cast.chat_client}",
        f"/api/v1/clients?q={cast.name}&limit=200",
        f"/api/v1/clients?q={cast.name[:1]}&limit=200",
        f"/api/v1/clients?q={cast.phone[:7]}",
        f"/api/v1/clients?q={cast.phone}",  # a phone number pasted into the search
        f"/api/v1/clients?q={cast.id_number}",
        f"/api/v1/clients?q={cast.phone}&limit=5000",  # invalid: 422
        f"/api/v1/clients/{cast.phone}",  # no such client: 404
        f"/sidebar/{cast.id_number}",  # a page's 404
        f"/api/v1/audit?customer_id={cast.phone}",
        f"/api/v1/audit?customer_id={world.own}&limit=500",
        "/api/v1/audit?limit=500",
        f"/api/v1/segments/funded/members?limit={cast.phone}",  # invalid: 422
        f"/api/v1/metrics?as_of={cast.phone}",  # invalid: 422
        f"/api/v1/reports/funds?fund={cast.phone}",  # unknown fund: 400
    ]


def _book_wide(path: str) -> bool:
    """Aggregate figures: open to the analyst, refused to the advisor, the same for every role that may see them."""
    return MATRIX[path][Role.analyst] == 200 and MATRIX[path][Role.advisor] == 403


def _writes(world: StaffWorld, cast: Cast) -> list[tuple[str, object]]:
    """The POSTs every role makes (only feeders and segment makers get through): a chat message with the client's
    phone and ID number, intake records with a phone and an ID number in the wrong fields, a segment on the phone."""
    chat = {
        "msgid": "PII-CHAT-1",
        "action": "send",
        "from": cast.chat_from,
        "tolist": [cast.chat_to],
        "msgtime": 1656604200000,  # 2022-06-30 15:50 UTC, the data's last day
        "msgtype": "text",
        "content": f"我想开通创业板，电话{cast.chat_phone}，身份证{cast.chat_id_number}，麻烦回电",
    }
    bad_events = [
        {"event_id": "PII-E1", "customer_id": world.own, "event_type": cast.phone, "event_time": cast.id_number},
        {"event_id": "PII-E2", "customer_id": cast.phone, "event_type": "login", "event_time": "2022-07-01 09:30"},
        {"event_id": cast.id_number, "customer_id": world.own},
    ]
    return [
        ("/api/v1/intake/wecom_messages", [chat]),
        ("/api/v1/intake/app_events", bad_events),
        ("/api/v1/segments", {"name": "pii_phone", "when": f"phone == '{cast.phone}'"}),
    ]


@pytest.fixture(scope="module")
def served(staff: StaffWorld, tmp_path_factory: pytest.TempPathFactory) -> Served:
    """Run the server, let every role use it, stop it; what it answered and logged."""
    return _serve_every_role(staff, tmp_path_factory.mktemp("served"))


def _serve_every_role(staff: StaffWorld, folder: Path) -> Served:
    """Run ``wealthdesk serve`` on a copy of ``staff``'s store in ``folder``, let every role use it, stop it."""
    world = staff.copy_to(folder)
    cast = _cast(world)
    exchanges: list[Exchange] = []
    with serve(world, folder) as server, httpx.Client(base_url=server.base_url, timeout=REQUEST_SECONDS) as http:

        def call(role: Role, method: str, url: str, body: object = None) -> None:
            response = http.request(method, url, json=body, headers={"Authorization": f"Bearer {world.tokens[role]}"})
            sent = url + ("" if body is None else json.dumps(body, ensure_ascii=False))
            exchanges.append(Exchange(role, method, url, sent, response.status_code, response.text))

        for role in Role:  # the feeders load the chat message before anyone reads; the others are refused
            for url, body in _writes(world, cast):
                call(role, "POST", url, body)
        for role in Role:
            for url in _reads(world, cast, role):
                call(role, "GET", url)
    return Served(exchanges, server.log_text().splitlines(), world, cast.chat_client)


def test_the_scan_sees_what_it_must(served: Served) -> None:
    """Guards the scan itself: every role was served, the chat message was loaded and is shown as evidence, the log
    holds the access lines, and a raw value is found inside text and inside a longer digit run."""
    assert {e.role for e in served.exchanges if e.method == "GET" and e.status == 200} == set(Role)
    fed = [e for e in served.exchanges if e.url.endswith("/wecom_messages") and e.status == 200]
    assert fed and '"rows_loaded":1' in fed[0].body, fed
    views = [e for e in served.exchanges if e.url == f"/api/v1/clients/{served.chat_client}" and e.status == 200]
    assert views and all("PII-CHAT-1" in e.body for e in views), views
    assert sum('"GET /api/v1/clients/' in line for line in served.log) >= len(Role)
    phone = min(v for v in served.world.raw_pii if len(v) == 11)
    assert raw_values(f"电话{phone}。", served.world.raw_pii) == {phone}
    assert raw_values(f"9{phone}9", served.world.raw_pii) == {phone}


def test_no_response_carries_a_stored_phone_or_id_number(served: Served) -> None:
    """Guards every view (API and pages, every role): a phone or ID number read from the store leaves masked. Only an
    error, or the intake's report on the records it was fed, may hold a value because the caller sent it (below)."""
    raw = served.world.raw_pii

    def echoed(e: Exchange) -> set[str]:
        return raw_values(e.sent, raw) if e.status >= 400 or "/intake/" in e.url else set()

    leaks = [
        (e.role.value, e.method, e.url, e.status, sorted(found))
        for e in served.exchanges
        if (found := raw_values(e.body, raw) - echoed(e))
    ]
    assert not leaks, leaks[:20]


def test_no_response_echoes_a_phone_or_id_number_it_was_sent(served: Served) -> None:
    """Guards error messages and listings: a phone or ID number a caller sent (a search, a bad record, a segment
    expression) is not repeated back in the clear."""
    echoes = [
        (e.role.value, e.method, e.url, e.status, sorted(found))
        for e in served.exchanges
        if (found := raw_values(e.body, served.world.raw_pii))
    ]
    assert not echoes, echoes[:20]


def test_no_log_line_carries_a_stored_phone_or_id_number(served: Served) -> None:
    """Guards the server log (uvicorn's and ours, errors included) against personal data read from the store; the
    request line an access-log line repeats is the caller's own (checked below)."""
    leaks = [line for line in served.log if raw_values(REQUEST_LINE.sub('""', line), served.world.raw_pii)]
    assert not leaks, leaks[:20]


def test_no_log_line_carries_a_phone_or_id_number_a_caller_sent(served: Served) -> None:
    """Guards the access log: a phone or ID number typed into a search or a path is not written to the log."""
    leaks = [line for line in served.log if raw_values(line, served.world.raw_pii)]
    assert not leaks, leaks[:20]


def test_no_log_line_carries_a_bearer_token(served: Served) -> None:
    """Guards the log against credentials: no token of any role, in any line."""
    tokens = served.world.tokens.values()
    leaks = [line for line in served.log if any(token in line for token in tokens)]
    assert not leaks, leaks[:20]
