"""The 360 endpoint under load: GET /api/v1/clients/{id} on the 1M-customer store, side by side with a trivial app.

Works on a copy of the store that bench_chat_tags.py keeps (built when
missing; a pipeline run is made on the copy when it has no profiles), adds
an analyst user (every client in scope, personal data masked) and a token,
then starts the real server (``create_app`` under uvicorn, one process: the
server owns the DuckDB file) on a free loopback port and drives it with
``wrk`` at --connections connections, each request asking for a client drawn
at random from --ids clients, so no one client stays cached. A trivial
FastAPI app (one ``async`` endpoint returning a small JSON) runs under the
same uvicorn settings and the same wrk options; the ratio of the two is our
overhead. Both servers run one after the other, never side by side, and log
no access lines (``wealthdesk serve`` logs them; the cost is not the
endpoint's). Each endpoint gets a --warmup pass, then --runs measured runs;
the table shows the median run and the spread. After the runs the audit log
is checked: one row per client read served.

Issue target: p99 ≤ 50 ms and ≥ 1,000 requests/s on 2 cores. wrk keeps every
connection busy (a closed loop), so mean latency = connections / throughput:
at 50 connections a p99 of 50 ms needs well over 1,000 requests/s anyway.
wrk shares the two cores with the server, and the machine's load average is
printed with the figures: other work on the machine moves them.
Needs ``wrk`` (Debian's package; ``make bench`` installs it).

Usage: python benchmarks/bench_api.py [--customers 1000000] [--duration 15] [--runs 3] [--store PATH] [--fresh]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
from fastapi import FastAPI
from rich.console import Console
from rich.table import Table

from kept_store import kept_store, remove_store, store_arguments
from wealthdesk.access.audit import ensure_audit_table
from wealthdesk.access.users import Role, add_user, ensure_access_tables, issue_token
from wealthdesk.api.app import create_app
from wealthdesk.config import load_settings
from wealthdesk.pipeline.run import run_pipeline

console = Console(width=150)
HERE = Path(__file__).resolve().parent
BENCH_USER = "bench_analyst"
TARGET_P99_MS = 50.0
TARGET_RPS = 1_000.0

# wrk's Lua side: every thread loads the client ids and draws one at random per request; at the end the
# summary is written as one JSON line (latencies in µs), which is sturdier to read than wrk's text report.
WRK_SCRIPT = """
wrk.path = PATH .. TAIL
local ids = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end
function init(args)
  math.randomseed(seed * 7919 + os.time())
  if IDS ~= "" then
    for line in io.lines(IDS) do ids[#ids + 1] = line end
  end
end
if IDS ~= "" then  -- without ids, wrk sends its one prebuilt request (no Lua call per request)
  function request()
    return wrk.format(nil, PATH .. ids[math.random(#ids)] .. TAIL)
  end
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, "status": %d, '
    .. '"connect": %d, "read": %d, "write": %d, "timeout": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout))
end
"""


def api_app() -> FastAPI:
    """uvicorn factory: the real API on the store ``WEALTHDESK_STORE`` names."""
    return create_app(load_settings())


def trivial_app() -> FastAPI:
    """uvicorn factory: the smallest FastAPI app worth comparing with, one endpoint returning a small JSON."""
    app = FastAPI()

    @app.get("/ping")
    async def ping() -> dict[str, str]:
        return {"status": "ok"}

    return app


@dataclass(frozen=True)
class Run:
    """One wrk run: request count, rates and latencies (ms)."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int  # non-2xx/3xx answers, socket errors and timeouts
    server_cpu_s: float  # CPU the server process used during the run (user + system)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_ms_per_request(self) -> float:
        return self.server_cpu_s * 1000 / max(self.requests, 1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def prepare_store(args: argparse.Namespace) -> Path:
    """The working copy (reused when present unless --fresh), with profiles and the benchmark's user."""
    store: Path = args.store or args.workdir / f"api-{args.customers}.duckdb"
    if args.fresh or not store.exists():
        kept = kept_store(args.workdir, args.customers, args.seed, console)
        remove_store(store)
        store.parent.mkdir(parents=True, exist_ok=True)
        console.print(f"copying {kept} → {store}")
        shutil.copy(kept, store)
    con = duckdb.connect(str(store))
    try:
        if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'profiles'").fetchone()[0]:
            console.rule("First pipeline run on this store")
            run_pipeline(con)
        ensure_access_tables(con)
        ensure_audit_table(con)
        if not con.execute("SELECT 1 FROM wd_users WHERE user_id = ?", [BENCH_USER]).fetchone():
            add_user(con, BENCH_USER, Role.analyst, "benchmark")
        if not args.no_indexes:
            # imported here so that --no-indexes also measures trees from before the serving indexes
            from wealthdesk.store.duckdb_store import ensure_serving_indexes

            started = time.perf_counter()
            created = ensure_serving_indexes(con)
            if created:
                console.print(
                    f"serving indexes created in {time.perf_counter() - started:,.1f} s: {', '.join(created)}"
                )
    finally:
        con.close()
    return store


def sample_ids(store: Path, n: int, seed: int) -> tuple[list[str], int]:
    """``n`` client ids drawn at random from the profiles, and the number of profiles."""
    con = duckdb.connect(str(store), read_only=True)
    try:
        ids = [cid for (cid,) in con.execute("SELECT customer_id FROM profiles ORDER BY customer_id").fetchall()]
    finally:
        con.close()
    return random.Random(seed).sample(ids, min(n, len(ids))), len(ids)


def new_token(store: Path) -> str:
    con = duckdb.connect(str(store))
    try:
        return issue_token(con, BENCH_USER, "bench_api")
    finally:
        con.close()


def get(url: str, token: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@contextmanager
def server(factory: str, store: Path, probe: str, token: str | None) -> Iterator[tuple[str, int]]:
    """uvicorn serving ``factory`` on a free loopback port; yields (base URL, pid) once ``probe`` answers 200."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "--factory", factory, "--app-dir", str(HERE)]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"]
    env = {**os.environ, "WEALTHDESK_STORE": str(store)}
    process = subprocess.Popen(command, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise SystemExit(f"the server ({factory}) exited with {process.returncode}")
            try:
                status, body = get(base + probe, token)
                if status == 200:
                    break
                raise SystemExit(f"{probe} answered {status}: {body[:300]!r}")
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    raise SystemExit(f"the server ({factory}) did not answer within 120 s") from None
                time.sleep(0.2)
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=60)


def wait_for_views(base: str, pid: int) -> None:
    """Wait until the server's resident client views are loaded (GET /health), and say how long that took and
    what the server's memory is then: until they are, views are built from the store, which is not what is
    being measured here."""
    started = time.monotonic()
    cpu = cpu_seconds(pid)
    while (state := json.loads(get(base + "/health")[1])["client_views"]) == "loading":
        time.sleep(0.5)
    if state != "ready":
        raise SystemExit(f"the server's client views are {state}: see its log")
    rss = next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("VmRSS"))
    console.print(
        f"client views loaded in {time.monotonic() - started:.0f} s after the first answer "
        f"({cpu_seconds(pid) - cpu:.0f} s of server CPU); server memory {int(rss.split()[1]) / 1e6:.2f} GB"
    )


def wrk(
    url: str, path: str, ids_file: Path | None, token: str | None, args: argparse.Namespace, seconds: int, pid: int
) -> Run:
    """One wrk run (-t --threads -c --connections --latency) against ``url``; the summary comes from WRK_SCRIPT."""
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "bench.lua"
        ids = str(ids_file or "")
        header = f'wrk.headers["Authorization"] = "Bearer {token}"\n' if token else ""
        head, _, tail = path.partition("{id}")  # the client id goes where the path says {id}
        script.write_text(
            f"PATH = {json.dumps(head)}\nTAIL = {json.dumps(tail)}\nIDS = {json.dumps(ids)}\n{header}{WRK_SCRIPT}"
        )
        command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s", f"--timeout={args.timeout}s"]
        command.append("--latency")
        command += ["-s", str(script), url]
        cpu_before = cpu_seconds(pid)
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        cpu = cpu_seconds(pid) - cpu_before
    line = next(x for x in output.splitlines() if x.startswith("WRK_JSON "))
    s = json.loads(line.removeprefix("WRK_JSON "))
    errors = s["status"] + s["connect"] + s["read"] + s["write"] + s["timeout"]
    return Run(
        s["requests"], s["duration_us"] / 1e6, s["p50_us"] / 1e3, s["p99_us"] / 1e3, s["max_us"] / 1e3, errors, cpu
    )


def measure(
    name: str, url: str, path: str, ids: Path | None, token: str | None, args: argparse.Namespace, pid: int
) -> tuple[list[Run], list[Run]]:
    """The warm-up run (if any) and the measured runs."""
    warm = []
    if args.warmup:
        warm.append(wrk(url, path, ids, token, args, args.warmup, pid))
        console.print(f"{name}: warm-up {warm[0].rps:,.0f} requests/s, p99 {warm[0].p99_ms:,.1f} ms")
    runs = []
    for i in range(args.runs):
        run = wrk(url, path, ids, token, args, args.duration, pid)
        console.print(
            f"{name}: run {i + 1}: {run.rps:,.1f} requests/s, p50 {run.p50_ms:,.2f} ms, p99 {run.p99_ms:,.2f} ms, "
            f"max {run.max_ms:,.0f} ms, errors {run.errors}, server CPU {run.cpu_ms_per_request:.2f} ms/request"
        )
        runs.append(run)
    return warm, runs


def median_run(runs: list[Run]) -> Run:
    return sorted(runs, key=lambda r: r.rps)[len(runs) // 2]


def spread(values: list[float]) -> str:
    return f"{min(values):,.1f}–{max(values):,.1f}" if len(values) > 1 else ""


def audit_rows(store: Path, since: datetime) -> int:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return con.execute(
            "SELECT count(*) FROM wd_audit WHERE user_id = ? AND action IN ('view', 'card') AND read_at >= ?",
            [BENCH_USER, since],
        ).fetchone()[0]
    finally:
        con.close()


def main() -> None:
    parser = store_arguments(__doc__)
    parser.add_argument("--store", type=Path, help="working copy to use (default: WORKDIR/api-CUSTOMERS.duckdb)")
    parser.add_argument("--fresh", action="store_true", help="copy the kept store again even if the copy exists")
    parser.add_argument("--duration", type=int, default=15, help="seconds per measured wrk run")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of unmeasured load first (0: none)")
    parser.add_argument("--runs", type=int, default=3, help="measured runs per endpoint (the median is shown)")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument(
        "--timeout", type=int, default=10, help="wrk's per-request timeout, seconds (a timeout is an error)"
    )
    parser.add_argument("--ids", type=int, default=100_000, help="clients the requests draw from")
    parser.add_argument("--no-indexes", action="store_true", help="leave the serving indexes out (the old store)")
    parser.add_argument("--only", choices=("api", "trivial"), help="measure one endpoint only")
    parser.add_argument("--card", action="store_true", help="also measure the sidebar card (/api/v1/clients/{id}/card)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `make bench` installs it (Debian's package `wrk`)")

    store = prepare_store(args)
    ids, profiles = sample_ids(store, args.ids, args.seed)
    load_before = os.getloadavg()[0]
    size_gb = store.stat().st_size / 1e9
    results: dict[str, list[Run]] = {}
    audit_ok = ""
    with tempfile.TemporaryDirectory() as folder:
        ids_file = Path(folder) / "ids.txt"
        ids_file.write_text("\n".join(ids) + "\n")
        if args.only != "trivial":
            token = new_token(store)
            path = "/api/v1/clients/{id}"
            console.rule(f"GET {path} on a {profiles:,}-client store ({size_gb:.1f} GB), {len(ids):,} ids")
            since = datetime.now()
            first = path.replace("{id}", ids[0])
            with server("bench_api:api_app", store, first, token) as (base, pid):
                wait_for_views(base, pid)
                _, body = get(base + first, token)
                view = json.loads(body)
                console.print(
                    f"sample response: {len(body):,} bytes, {len(view['tags'])} tags, {len(view['chat_tags'])} chat "
                    f"tags; DuckDB threads {os.environ.get('WEALTHDESK_THREADS', 'default (all cores)')}"
                )
                warm, results["360 view"] = measure("360 view", base, path, ids_file, token, args, pid)
                if args.card:  # what the sidebar page shows: the view plus holdings, trades, alerts, topics
                    card_warm, results["sidebar card"] = measure(
                        "sidebar card", base, path + "/card", ids_file, token, args, pid
                    )
                    warm += card_warm + results["sidebar card"]  # audited as 'card'
            served = 2 + sum(r.requests - r.errors for r in warm + results["360 view"])  # + the probe and the sample
            audited = audit_rows(store, since)
            audit_ok = (
                f"audit rows written: {audited:,} for ≥ {served:,} client reads served "
                f"({'every read audited' if audited >= served else 'MISSING ROWS'})"
            )
        if args.only != "api":
            console.rule("Trivial FastAPI endpoint (async, returns a small JSON), same uvicorn settings")
            with server("bench_api:trivial_app", store, "/ping", None) as (base, pid):
                results["trivial"] = measure("trivial", base, "/ping", None, None, args, pid)[1]

    table = Table(
        title=f"{args.connections} connections over loopback, wrk -t{args.threads}, {args.runs}×{args.duration} s "
        f"(median run; range over runs); {profiles:,} clients, store {size_gb:.1f} GB; {os.cpu_count()} cores, "
        f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    for column in ("endpoint", "requests/s", "p50 ms", "p99 ms", "server CPU ms/req", "errors", "range req/s"):
        table.add_column(column, justify="right")
    for name, runs in results.items():
        m = median_run(runs)
        table.add_row(
            name,
            f"{m.rps:,.0f}",
            f"{m.p50_ms:,.2f}",
            f"{m.p99_ms:,.2f}",
            f"{m.cpu_ms_per_request:.2f}",
            f"{sum(r.errors for r in runs)}",
            spread([r.rps for r in runs]),
        )
    console.print(table)
    if "360 view" in results:
        api = median_run(results["360 view"])
        met = api.p99_ms <= TARGET_P99_MS and api.rps >= TARGET_RPS
        console.print(
            f"360 view: {api.rps:,.0f} requests/s (target ≥ {TARGET_RPS:,.0f}), p99 {api.p99_ms:,.1f} ms "
            f"(target ≤ {TARGET_P99_MS:.0f}) → {'MET' if met else 'MISSED'}"
        )
        console.print(audit_ok)
    if {"360 view", "trivial"} <= results.keys() and median_run(results["360 view"]).rps > 0:
        api, trivial = median_run(results["360 view"]), median_run(results["trivial"])
        console.print(
            f"ratio trivial / 360 view: {trivial.rps / api.rps:,.1f}× the throughput; "
            f"p50 {api.p50_ms / trivial.p50_ms:,.1f}×, p99 {api.p99_ms / trivial.p99_ms:,.1f}× the latency"
        )


if __name__ == "__main__":
    main()
