"""`wealthdesk user add/list/token` and `wealthdesk serve`, as an operator uses them."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import httpx
import pytest
from typer.testing import CliRunner

from wealthdesk.access.users import AccessError, authenticate
from wealthdesk.cli import app
from wealthdesk.testing import DemoStore

runner = CliRunner()


@pytest.fixture
def store(demo: DemoStore, tmp_path: Path) -> Path:
    copy = tmp_path / "users.duckdb"
    shutil.copy(demo.settings.store, copy)
    return copy


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_add_list_and_issue_a_token(store: Path) -> None:
    args = ["--store", str(store)]
    assert runner.invoke(app, ["user", "add", "li", "--role", "analyst", "--name", "李分析", *args]).exit_code == 0
    listed = runner.invoke(app, ["user", "list", "--json", *args])
    assert '"user_id": "li"' in listed.output and '"role": "analyst"' in listed.output
    token = runner.invoke(app, ["user", "token", "li", *args])
    assert token.exit_code == 0 and token.output.strip().startswith("wd_")


def test_a_revoked_token_opens_nothing_and_a_disabled_user_gets_none(store: Path) -> None:
    args = ["--store", str(store)]
    runner.invoke(app, ["user", "add", "wang", "--role", "analyst", *args])
    token = runner.invoke(app, ["user", "token", "wang", *args]).output.strip()
    revoked = runner.invoke(app, ["user", "revoke", "wang", "--disable", *args])
    assert revoked.exit_code == 0 and "revoked 1 token(s) of wang, user disabled" in revoked.output
    con = duckdb.connect(str(store))
    try:
        assert authenticate(con, token) is None
    finally:
        con.close()
    again = runner.invoke(app, ["user", "token", "wang", *args])
    assert isinstance(again.exception, AccessError) and "no user 'wang'" in str(again.exception)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["user", "add", "x", "--role", "boss"], "unknown role 'boss'"),
        (["user", "add", "x", "--role", "advisor"], "needs --advisor-id of an existing advisor"),
        (["user", "add", "x", "--role", "branch_manager", "--branch-id", "NOPE"], "needs --branch-id"),
        (["user", "token", "ghost"], "no user 'ghost'"),
        (["user", "revoke", "ghost"], "no user 'ghost'"),
    ],
)
def test_bad_user_requests_say_what_is_wrong(store: Path, argv: list[str], message: str) -> None:
    result = runner.invoke(app, [*argv, "--store", str(store)])
    assert isinstance(result.exception, AccessError) and message in str(result.exception)


def test_serve_answers_with_a_token_and_stops(store: Path) -> None:
    runner.invoke(app, ["user", "add", "ops", "--role", "operations", "--store", str(store)])
    token = runner.invoke(app, ["user", "token", "ops", "--store", str(store)]).output.strip()
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "wealthdesk.cli", "serve", "--port", str(port), "--store", str(store)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
                break
            except httpx.ConnectError:
                assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
                assert time.monotonic() < deadline, "the server did not start within 60 s"
                time.sleep(0.3)
        assert response.status_code == 200 and response.json()["role"] == "operations"
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/me").status_code == 401
    finally:
        server.terminate()
        server.wait(timeout=30)
