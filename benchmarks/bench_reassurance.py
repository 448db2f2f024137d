"""The reassurance list against the generator's planted sell-off redemptions: model vs simple rule vs random.

Scores every fund holding at the close of 2021-02-22 (the third trading day
of the generated fall) that had not yet been redeemed in the sell-off, and
prints AUC and top-decile lift for the model, the "largest fall first" rule
and a random order side by side, with the ratios, the sizes and the times.

    python benchmarks/bench_reassurance.py --customers 100000
"""

from __future__ import annotations

import time

import duckdb
import ibis
from rich.console import Console
from rich.table import Table

from kept_store import kept_store, kept_truth, store_arguments
from wealthdesk.funds.validation import VALIDATION_DAY, validate_against_truth


def main() -> None:
    parser = store_arguments(__doc__)
    parser.set_defaults(customers=100_000)
    args = parser.parse_args()
    console = Console()
    store = kept_store(args.workdir, args.customers, args.seed, console, keep_truth=True)
    with duckdb.connect(str(store), read_only=True) as con:
        backend = ibis.duckdb.from_connection(con)
        started = time.perf_counter()
        result = validate_against_truth(backend, kept_truth(store), VALIDATION_DAY)
        seconds = time.perf_counter() - started
    table = Table(
        "ranking", "AUC", "top-decile lift", "AUC vs rule", "lift vs rule", title="Who redeemed in the sell-off"
    )
    rule = result.rankings[1]
    for r in result.rankings:
        table.add_row(
            r.name,
            f"{r.auc:.3f}",
            f"{r.top_decile_lift:.2f}",
            f"{r.auc / rule.auc:.2f}×",
            f"{r.top_decile_lift / rule.top_decile_lift:.2f}×",
        )
    console.print(table)
    console.print(
        f"{args.customers:,} clients; {result.holdings:,} holdings scored at the close of {result.as_of}, "
        f"{result.redeemed:,} of them redeemed in the sell-off; model trained on {result.model.training_rows:,} "
        f"past holdings at {len(result.model.anchors)} closes; train + score + evaluate {seconds:.1f} s"
    )


if __name__ == "__main__":
    main()
