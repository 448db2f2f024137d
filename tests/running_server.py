"""``wealthdesk serve`` for real, in a subprocess on a loopback port, for the tests that need the deployed server
(the browser tests, the log scan). Imported as ``from running_server import serve, LiveServer``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from wealthdesk.access.users import Role
from wealthdesk.testing import StaffWorld

START_SECONDS = 120  # a cold start imports the whole stack; on a loaded machine that takes a while


@dataclass(frozen=True)
class LiveServer:
    """A running ``wealthdesk serve`` and what a test needs to talk to it."""

    base_url: str  # http://127.0.0.1:PORT, no trailing slash
    tokens: dict[Role, str]
    world: StaffWorld  # the staff world on the server's own copy of the store
    log_path: Path  # the server's stdout and stderr

    def url(self, path: str) -> str:
        return self.base_url + path

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    """A loopback port nobody listens on now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    """Poll ``url`` until the server answers at all (any HTTP status); fail with its log if it dies or hangs."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"wealthdesk serve exited with {process.returncode}:\n{log_path.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answered, with an error status: the server is up
        except OSError:
            time.sleep(0.2)
    log = log_path.read_text(errors="replace")
    pytest.fail(f"wealthdesk serve did not answer {url} within {START_SECONDS} s:\n{log}")


@contextmanager
def serve(world: StaffWorld, folder: Path, settings: dict[str, str] | None = None) -> Iterator[LiveServer]:
    """``wealthdesk serve`` (the real command, in a subprocess) on ``world``'s store; stopped on exit.

    The server owns the store while it runs, so ``world`` should be a copy (``StaffWorld.copy_to``).
    ``settings``: ``WEALTHDESK_*`` environment variables for the server (e.g. WeCom's).
    """
    port = free_port()
    log_path = folder / "server.log"
    command = [sys.executable, "-m", "wealthdesk.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--store", str(world.store)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEALTHDESK_")}  # the test decides the settings
    env["PYTHONUNBUFFERED"] = "1"  # the log is complete the moment a test reads it
    env.update(settings or {})
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=folder)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base_url + "/login", process, log_path)
        yield LiveServer(base_url, world.tokens, world, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
