"""Near-real-time latency: one chat message or app event fed in → that client's tags and activity updated.

Works on a copy of a store that has had a pipeline run (by default the
1M-customer store that bench_chat_tags.py keeps; one is built when missing).
Feeds --feeds client messages (each with a keyword) and --feeds app logins,
one record per call as they would arrive, through ``LiveUpdater.feed``, and
prints p50/p90/p99/max latency per kind (issue target: ≤ 1 s), the intake's
share, and side by side the batch alternative — the time an incremental
``run_pipeline`` takes to reflect the same kind of update — as a ratio.

Usage: python benchmarks/bench_live.py [--customers 1000000] [--feeds 200] [--no-batch]
"""

from __future__ import annotations

import random
import statistics
import time

import duckdb
from rich.console import Console
from rich.table import Table

from kept_store import kept_store, remove_store, store_arguments, working_copy
from wealthdesk.pipeline.live import LiveUpdater
from wealthdesk.pipeline.run import run_pipeline

console = Console(width=150)
WORDS = ("想加仓创业板", "白酒基金还能买吗", "科创板打新怎么参与", "最近想买点债券基金", "红利ETF怎么样")


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    at = {p: ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] for p in (50, 90, 99)}
    return {"p50": at[50], "p90": at[90], "p99": at[99], "max": ordered[-1], "mean": statistics.fmean(ordered)}


def main() -> None:
    parser = store_arguments(__doc__)
    parser.add_argument("--feeds", type=int, default=200, help="records fed per kind, one per call")
    parser.add_argument("--no-batch", action="store_true", help="skip timing the batch alternative")
    args = parser.parse_args()

    store = working_copy(kept_store(args.workdir, args.customers, args.seed, console), f"live-{args.customers}.duckdb")
    con = duckdb.connect(str(store))
    try:
        if not con.execute(
            "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'profiles' AND column_name = 'as_of'"
        ).fetchall()[0][0]:
            console.rule("First pipeline run on this store")
            run_pipeline(con)
        clients = con.execute(
            """SELECT customer_id, external_userid, advisor_userid FROM wecom_contacts
               WHERE customer_id IS NOT NULL AND deleted_at IS NULL"""
        ).fetchall()
        as_of = con.execute("SELECT max(as_of) FROM profiles").fetchall()[0][0]
        rng = random.Random(args.seed)
        picked = rng.sample(clients, min(args.feeds, len(clients)))
        base_ms = int(time.mktime(as_of.timetuple()) * 1000)

        started = time.perf_counter()
        updater = LiveUpdater(con)
        opened = time.perf_counter() - started
        kinds: dict[str, tuple[list[float], list[float]]] = {"chat message": ([], []), "app login": ([], [])}
        for i, (customer_id, external, advisor) in enumerate(picked):
            record = {
                "msgid": f"bench-live-{i}",
                "action": "send",
                "from": external,
                "tolist": [advisor],
                "msgtime": base_ms + i * 1000,
                "msgtype": "text",
                "content": rng.choice(WORDS),
            }
            report = updater.feed("wecom_messages", [record])
            assert report.customers == [customer_id] and report.profiles_updated == 1, report
            kinds["chat message"][0].append(report.seconds)
            kinds["chat message"][1].append(report.intake.seconds)
            event = {"event_id": f"bench-live-{i}", "customer_id": customer_id, "event_type": "login"}
            event["event_time"] = f"{as_of} 09:{i % 60:02d}:00"
            report = updater.feed("app_events", [event])
            assert report.profiles_updated == 1, report
            kinds["app login"][0].append(report.seconds)
            kinds["app login"][1].append(report.intake.seconds)

        rows = con.execute("SELECT count(*) FROM profiles").fetchall()[0][0]
        table = Table(
            title=f"Live feed latency on a {rows:,}-profile store ({len(picked)} records per kind, one per call)"
        )
        for column in ("kind", "p50 ms", "p90 ms", "p99 ms", "max ms", "intake share", "target ≤ 1 s"):
            table.add_column(column)
        worst = 0.0
        for kind, (total, intake) in kinds.items():
            p = percentiles(total)
            worst = max(worst, p["p99"])
            share = sum(intake) / sum(total)
            table.add_row(
                kind,
                *(f"{p[k] * 1000:,.0f}" for k in ("p50", "p90", "p99", "max")),
                f"{share:.0%}",
                "MET" if p["max"] <= 1.0 else "MISSED",
            )
        console.print(table)
        console.print(
            f"opening the updater (matcher built, queries compiled): {opened * 1000:,.0f} ms, once per process"
        )

        if not args.no_batch:
            console.rule("The batch alternative: an incremental `wealthdesk run` over the same store")
            started = time.perf_counter()
            run_pipeline(con)
            batch = time.perf_counter() - started
            p50 = statistics.median(kinds["chat message"][0])
            console.print(
                f"incremental run: {batch:,.1f} s; live chat p50 {p50 * 1000:,.0f} ms → {batch / p50:,.0f}× sooner"
            )
    finally:
        con.close()
        remove_store(store)


if __name__ == "__main__":
    main()
