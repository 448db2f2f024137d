"""Content matching: hit rate on the generator's planted interests against popularity and random, and batch speed.

**Hit rate** (100k-client brokerage, with the generator's truth): a client
whose planted interest (not one they only mention to refuse, and one they did
mention in a chat) is a topic of at least one of their top 5 contents is a hit.
Three rankings of the same contents, each under the same rules (pushable on
the day, not read yet, suitable for the client by ``suitability.rules``):

- **matching**: ``content.matching.match``;
- **popularity**: the contents most opened in the app (``view_content``);
- **random**: five at random (seeded).

**Speed**: ``match`` over every client of the 1M-client brokerage, the issue's
target being at most 2 minutes.

    python benchmarks/bench_matching.py            # both
    python benchmarks/bench_matching.py --skip-speed --customers 100000
"""

from __future__ import annotations

import csv
import random
import shutil
import time
from collections import defaultdict
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

from kept_store import kept_store, kept_truth, store_arguments
from wealthdesk.content.library import list_contents
from wealthdesk.content.matching import MatchRules, match
from wealthdesk.pipeline.run import run_pipeline
from wealthdesk.suitability.rules import client_tolerance, content_decision

TOP = 5
EVALUATION_CUSTOMERS = 100_000


def main() -> None:
    parser = store_arguments(__doc__)
    parser.add_argument("--skip-speed", action="store_true", help="Only the hit rate (100k clients).")
    args = parser.parse_args()
    console = Console()
    hit_rates(console, args.workdir, args.seed)
    if not args.skip_speed:
        speed(console, _ran_copy(args.workdir, args.customers, args.seed, console)[0], args.customers)


def _ran_copy(workdir: Path, customers: int, seed: int, console: Console) -> tuple[Path, Path]:
    """The kept store of that size after `wealthdesk run` (kept as matching-<customers>.duckdb; the kept store
    itself may have profiles already, and is then used as it is) and its truth folder."""
    kept = kept_store(workdir, customers, seed, console, keep_truth=customers == EVALUATION_CUSTOMERS)
    with duckdb.connect(str(kept), read_only=True) as con:
        if con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'profiles'").fetchone()[0]:
            return kept, kept_truth(kept)
    ran = workdir / f"matching-{customers}.duckdb"
    if not ran.exists():
        console.rule(f"Running the pipeline on a copy of the {customers:,}-client store (once)")
        partial = ran.with_suffix(".partial")
        shutil.copy(kept, partial)
        with duckdb.connect(str(partial)) as con:
            run_pipeline(con)
        partial.rename(ran)
    return ran, kept_truth(kept)


def hit_rates(console: Console, workdir: Path, seed: int) -> None:
    store, truth = _ran_copy(workdir, EVALUATION_CUSTOMERS, seed, console)
    planted: dict[str, set[str]] = defaultdict(set)
    with (truth / "interests.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["negated"] == "0" and int(row["mentions"]) > 0:
                planted[row["customer_id"]].add(row["interest"])
    with duckdb.connect(str(store), read_only=True) as con:
        started = time.perf_counter()
        found = match(con, rules=MatchRules(top=TOP))
        matching_s = time.perf_counter() - started
        ours: dict[str, list[str]] = defaultdict(list)
        for customer, content in zip(
            found.recommendations.column("customer_id").to_pylist(),
            found.recommendations.column("content_id").to_pylist(),
            strict=True,
        ):
            ours[customer].append(content)
        contents = list_contents(con, active_on=found.as_of)
        topics = {c["content_id"]: set(c["topics"] or []) for c in contents}
        levels = {c["content_id"]: c["risk_level"] for c in contents}
        views = dict(
            con.execute(
                """SELECT object_id, count(*) FROM app_events WHERE event_type = 'view_content' GROUP BY 1"""
            ).fetchall()
        )
        read: dict[str, set[str]] = defaultdict(set)
        for customer, content in con.execute(
            "SELECT DISTINCT customer_id, object_id FROM app_events WHERE event_type = 'view_content'"
        ).fetchall():
            read[customer].add(content)
        clients = con.execute(
            """SELECT c.customer_id, c.risk_level, c.risk_assessed_date, c.lowest_category, c.investor_type
               FROM customers c JOIN profiles p USING (customer_id)
               WHERE p.as_of = (SELECT max(as_of) FROM profiles)"""
        ).fetchall()
    by_views = sorted(topics, key=lambda c: (-views.get(c, 0), c))
    rng = random.Random(seed)
    hits = {"matching": 0, "popularity": 0, "random": 0}
    reachable = 0  # clients for whom some allowed, unread content is on a planted interest: the best any ranking does
    evaluated = 0
    for customer, level, assessed, lowest, kind in clients:
        interests = planted.get(customer)
        if not interests:
            continue
        evaluated += 1
        tolerance = client_tolerance(level, assessed, lowest, kind, found.as_of)
        allowed = [c for c in by_views if c not in read[customer] and content_decision(tolerance, levels[c]).allowed]
        picks = {
            "matching": ours.get(customer, []),
            "popularity": allowed[:TOP],
            "random": rng.sample(allowed, min(TOP, len(allowed))),
        }
        for name, chosen in picks.items():
            hits[name] += any(topics[c] & interests for c in chosen)
        reachable += any(topics[c] & interests for c in allowed)
    table = Table(
        "ranking", "hit rate", "vs popularity", "vs random", title=f"Top {TOP} contents hitting a planted interest"
    )
    rate = {name: hits[name] / evaluated for name in hits}
    for name in hits:
        table.add_row(
            name, f"{rate[name]:.1%}", f"{rate[name] / rate['popularity']:.2f}×", f"{rate[name] / rate['random']:.2f}×"
        )
    console.print(table)
    console.print(
        f"{len(clients):,} clients, {evaluated:,} with a planted interest they mentioned; {len(contents)} contents "
        f"pushable on {found.as_of}; the best any ranking could do is {reachable / evaluated:.1%} (an allowed, "
        f"unread content on their interest exists); matching every client took {matching_s:.1f} s"
    )


def speed(console: Console, store: Path, customers: int) -> None:
    with duckdb.connect(str(store), read_only=True) as con:
        started = time.perf_counter()
        found = match(con, rules=MatchRules(top=TOP))
        seconds = time.perf_counter() - started
    clients = len(set(found.recommendations.column("customer_id").to_pylist()))
    table = Table("what", "clients", "contents", "recommendations", "refused", "seconds", "vs 2-minute target")
    table.add_row(
        "match, every client",
        f"{clients:,}",
        f"{found.contents}",
        f"{found.recommendations.num_rows:,}",
        f"{found.refused.num_rows:,}",
        f"{seconds:.1f}",
        f"{seconds / 120:.0%} of it",
    )
    console.print(table)
    console.print(f"{customers:,}-customer brokerage, store {store}")


if __name__ == "__main__":
    main()
