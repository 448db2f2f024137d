"""Schemathesis over the API's OpenAPI schema: no input, valid or not, makes the server fail (no 5xx), and every
error is a problem document.

The schema comes from the app's own ``openapi()`` (a function of the code, not of the store), loaded at import;
the requests go in-process to an app on a copy of the staff store, since the fuzzer writes (segments, intake, audit
rows). (``schemathesis.pytest.from_fixture``, the lazy loader, fails under pytest 9.2: it sets ``Function._nodeid``,
which pytest 9.2 no longer has.)

Every response is also checked against the schema: its status code is documented, its content type is the one
documented (problem documents for errors: ``api.problems.PROBLEM_RESPONSES``), and its body fits the documented
schema.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, settings
from schemathesis import BaseSchema, Case, CheckContext, Response
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.python.asgi import shutdown_lifespans

from wealthdesk.access.users import Role
from wealthdesk.api.app import create_app
from wealthdesk.api.problems import PROBLEM_JSON
from wealthdesk.config import load_settings
from wealthdesk.testing import StaffWorld
from wealthdesk.wecom.sample import AES_KEY, CORP_ID, TOKEN

BASE_URL = "http://testserver"
# the schema only: building the app opens no store (that happens at start-up, on the fixture's copy)
OPENAPI = create_app(load_settings(store=Path("schema-only.duckdb"))).openapi()
# book-wide reports that take ~0.5-2 s a call on the small store: fuzzed as the admin only, with few examples, their
# boundary cases (the coverage phase) only where they are invalid (most are refused before any work), and without
# unknown extra parameters (which FastAPI ignores, so each would compute the whole report)
SLOW = ["/api/v1/quality", "/api/v1/reports/funds", "/api/v1/reports/value"]
# not fuzzed: every new as_of day trains the redemption-risk model (~30 s here); its invalid inputs are checked below
REASSURANCE = "/api/v1/reports/reassurance"


def _schema(**config: object) -> BaseSchema:
    return schemathesis.openapi.from_dict(
        copy.deepcopy(OPENAPI),
        config=schemathesis.Config.from_dict({"base-url": BASE_URL, "request-timeout": 60, **config}),
    )


SCHEMA = _schema()
FAST_SCHEMA = SCHEMA.exclude(path=[*SLOW, REASSURANCE])
SLOW_SCHEMA = _schema(
    generation={"allow-extra-parameters": False}, phases={"coverage": {"generation": {"mode": "negative"}}}
).include(path=SLOW)
EXAMPLES = 10
SLOW_EXAMPLES = 3
SUPPRESSED = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much]
# (each test is parametrized by role: besides saying who calls, it gives every item a distinct id, which
# schemathesis 4.32's items lack under pytest 9.2 otherwise)
ADMIN = pytest.mark.parametrize("role", [Role.admin], ids=lambda r: r.value)


def errors_are_problem_documents(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Every 4xx is ``application/problem+json`` whose ``status`` is the response's and whose ``detail`` says why."""
    if response.status_code < 400:
        return None
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type.startswith(PROBLEM_JSON), f"error {response.status_code} answered as {content_type!r}"
    body = response.json()
    assert body["status"] == response.status_code, body
    assert isinstance(body["detail"], str) and body["detail"], body
    return None


@pytest.fixture(scope="module")
def fuzzed(staff: StaffWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, StaffWorld]]:
    """The app on its own copy of the staff store; schemathesis starts it on the first request, we stop it."""
    mine = staff.copy_to(tmp_path_factory.mktemp("fuzz"))
    wecom = {"wecom_token": TOKEN, "wecom_aes_key": AES_KEY, "wecom_corp_id": CORP_ID}  # the callback URL is live
    app = create_app(load_settings(store=mine.store, **wecom))
    try:
        yield app, mine
    finally:
        shutdown_lifespans()  # runs the app's shutdown: closes the store


def _call(case: Case, fuzzed: tuple[FastAPI, StaffWorld], role: Role) -> Response:
    """Send ``case`` as ``role`` to the app; fail on a 5xx or on an error that is not a problem document."""
    app, world = fuzzed
    return case.call_and_validate(
        app=app,
        headers={"Authorization": f"Bearer {world.tokens[role]}"},
        checks=[
            not_a_server_error,
            errors_are_problem_documents,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )


@FAST_SCHEMA.parametrize()
@ADMIN
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=SUPPRESSED)
def test_no_request_makes_the_server_fail(case: Case, fuzzed: tuple[FastAPI, StaffWorld], role: Role) -> None:
    """Guards every operation against 5xx (and unhandled exceptions) for generated valid and invalid requests, as the
    admin (who reaches every operation)."""
    _call(case, fuzzed, role)


@SLOW_SCHEMA.parametrize()
@ADMIN
@settings(max_examples=SLOW_EXAMPLES, deadline=None, suppress_health_check=SUPPRESSED)
def test_no_request_makes_the_slow_reports_fail(case: Case, fuzzed: tuple[FastAPI, StaffWorld], role: Role) -> None:
    """The same guard over the book-wide reports, with fewer examples (each valid call computes the whole report)."""
    _call(case, fuzzed, role)


@FAST_SCHEMA.parametrize()
@pytest.mark.parametrize("role", [Role.analyst, Role.advisor], ids=lambda r: r.value)
@settings(phases=[Phase.explicit], deadline=None, suppress_health_check=SUPPRESSED)
def test_no_boundary_request_makes_the_server_fail_for_other_roles(
    case: Case, fuzzed: tuple[FastAPI, StaffWorld], role: Role
) -> None:
    """The boundary and invalid cases (no random ones) as an analyst (all clients, masked) and an advisor (own clients,
    refused the book-wide reports): the scoped and refused paths fail no more than the admin's."""
    _call(case, fuzzed, role)


@pytest.mark.parametrize(
    "query", [{"top": "0"}, {"top": "x"}, {"as_of": "2022-13-01"}, {"as_of": "1900-01-01"}, {"as_of": "2999-12-31"}]
)
def test_the_unfuzzed_reassurance_list_refuses_bad_input_with_problems(
    fuzzed: tuple[FastAPI, StaffWorld], query: dict[str, str]
) -> None:
    """What the fuzzer skips (each valid call trains a model) still answers bad input with a 4xx problem, not a 5xx."""
    response = _call(SCHEMA[REASSURANCE]["GET"].Case(query=query), fuzzed, Role.admin)
    assert 400 <= response.status_code < 500, (query, response.text)
