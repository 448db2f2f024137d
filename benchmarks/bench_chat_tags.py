"""Chat keyword tagging throughput, end to end, side by side with a naive per-keyword substring loop.

Generates a brokerage (or reuses a store built by an earlier run with --keep),
then times ``run_chat_tags(full=True)`` — read the client messages from
DuckDB, match, apply the negation rule, write evidence, aggregate the tags —
and a naive baseline on the same messages: for each message, for each
keyword spelling, ``keyword in text`` (no negation, no positions, no
evidence written: a lower bound of what that approach costs). Prints
messages/s for both and the ratio. Issue target: ≥ 300,000 messages/s on one core.

Usage: python benchmarks/bench_chat_tags.py --customers 1000000 [--keep] [--baseline-rows 200000]
"""

from __future__ import annotations

import time

import ibis
from rich.console import Console

from kept_store import kept_store, remove_store, store_arguments
from wealthdesk.config import load_settings
from wealthdesk.store import open_store
from wealthdesk.tags.chat_tags import client_messages, run_chat_tags, sql
from wealthdesk.tags.dictionary import load_keyword_dictionary, spellings

console = Console(width=150)


def naive_tagging(texts: list[str], patterns: list[tuple[str, str]]) -> int:
    """The loop one writes first: every keyword against every message."""
    hits = 0
    for text in texts:
        for word, _tag in patterns:
            if word in text:
                hits += 1
    return hits


def main() -> None:
    parser = store_arguments(__doc__)
    parser.add_argument("--baseline-rows", type=int, default=200_000, help="messages for the naive loop")
    parser.add_argument("--keep", action="store_true", help="keep the store for the next run")
    args = parser.parse_args()

    store = kept_store(args.workdir, args.customers, args.seed, console)

    dictionary = load_keyword_dictionary()
    patterns = [(s, t.name) for t in dictionary.tags for w in t.keywords for s in spellings(w)]
    with open_store(load_settings(store=store, threads=1)) as con:
        console.rule(f"Ours: run_chat_tags(full=True), {len(patterns)} keyword spellings, DuckDB on 1 thread")
        started = time.perf_counter()
        report = run_chat_tags(con, dictionary, full=True)
        ours_seconds = time.perf_counter() - started
        messages = client_messages(ibis.duckdb.from_connection(con)).select("content").limit(args.baseline_rows)
        texts = [t for (t,) in con.execute(sql(messages)).fetchall()]
    ours = report.messages / ours_seconds
    console.print(
        f"ours: {report.messages:,} client messages, {report.mentions:,} mentions ({report.negated:,} negated) "
        f"in {ours_seconds:.2f} s = {ours:,.0f} messages/s; target ≥ 300,000 → "
        f"{'MET' if ours >= 300_000 else 'MISSED'}"
    )

    console.rule(f"Naive: every keyword `in` every message, {len(texts):,} messages")
    started = time.perf_counter()
    hits = naive_tagging(texts, patterns)
    naive_seconds = time.perf_counter() - started
    naive = len(texts) / naive_seconds
    console.print(f"naive: {len(texts):,} messages, {hits:,} hits in {naive_seconds:.2f} s = {naive:,.0f} messages/s")
    console.print(f"ratio ours / naive: {ours / naive:,.1f}×")

    if not args.keep:
        remove_store(store)


if __name__ == "__main__":
    main()
