"""CLV fits side by side with lifetimes: parameter agreement and speed, on CDNOW and on the brokerage.

1. The real CDNOW sample (2,357 customers, shipped in the lifetimes wheel): our BG/NBD and Gamma-Gamma
   fits next to lifetimes' BetaGeoFitter and GammaGammaFitter, and the published parameters.
2. The generated brokerage (default 1M clients, the store the other benchmarks keep): the purchase
   summary (value/summary.py) built from the trades, then both implementations fitted on the same arrays.

Prints each parameter from both, their largest relative difference, the seconds and the speed ratio.
Issue target: the 1M-client fit in ≤ 60 s.

Usage: python benchmarks/bench_clv.py [--customers 1000000] [--as-of 2022-06-30]
"""

from __future__ import annotations

import importlib.util
import time
from datetime import date
from pathlib import Path

import duckdb
import ibis
import numpy as np
from rich.console import Console
from rich.table import Table

from kept_store import kept_store, store_arguments
from wealthdesk.value.clv import bgnbd_log_likelihood, fit_bgnbd, fit_gamma_gamma
from wealthdesk.value.summary import clv_summary

console = Console(width=150)
PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "p": 6.25, "q": 3.74, "v": 15.44}


def timed(function, *args):
    started = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - started


def theirs(x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray, m_x: np.ndarray) -> tuple[dict, float, dict, float]:
    """lifetimes' BG/NBD and Gamma-Gamma on the same arrays: (params, seconds) each."""
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    bg, bg_seconds = timed(lambda: BetaGeoFitter().fit(x, t_x, big_t))
    repeat = (x > 0) & (m_x > 0)
    gg, gg_seconds = timed(lambda: GammaGammaFitter().fit(x[repeat], m_x[repeat]))
    return dict(bg.params_), bg_seconds, dict(gg.params_), gg_seconds


def compare(title: str, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray, m_x: np.ndarray, published: bool) -> None:
    ours_bg, ours_bg_s = timed(fit_bgnbd, x, t_x, big_t)
    ours_gg, ours_gg_s = timed(fit_gamma_gamma, x, m_x)
    their_bg, their_bg_s, their_gg, their_gg_s = theirs(x, t_x, big_t, m_x)
    table = Table(title=title)
    for column in ("parameter", "ours", "lifetimes", "relative difference", *(["published"] if published else [])):
        table.add_column(column)
    worst = 0.0
    ours = {"r": ours_bg.r, "alpha": ours_bg.alpha, "a": ours_bg.a, "b": ours_bg.b}
    ours |= {"p": ours_gg.p, "q": ours_gg.q, "v": ours_gg.v}
    their = their_bg | their_gg
    for name, value in ours.items():
        difference = abs(value - their[name]) / max(abs(their[name]), 1e-12)
        worst = max(worst, difference)
        row = [name, f"{value:.6g}", f"{their[name]:.6g}", f"{difference:.2e}"]
        table.add_row(*row, *([f"{PUBLISHED[name]}"] if published else []))
    console.print(table)
    theirs_ll = float(
        np.sum(bgnbd_log_likelihood(np.array([their[k] for k in ("r", "alpha", "a", "b")]), x, t_x, big_t))
    )
    console.print(
        f"BG/NBD log-likelihood: ours {ours_bg.log_likelihood:,.2f}, at lifetimes' parameters {theirs_ll:,.2f}"
    )
    console.print(
        f"{len(x):,} clients: BG/NBD ours {ours_bg_s:.2f} s vs lifetimes {their_bg_s:.2f} s "
        f"({their_bg_s / ours_bg_s:.1f}×); Gamma-Gamma ours {ours_gg_s:.2f} s vs lifetimes {their_gg_s:.2f} s "
        f"({their_gg_s / ours_gg_s:.1f}×); largest parameter difference {worst:.2e}"
    )
    if not published:
        total = ours_bg_s + ours_gg_s
        console.print(f"our fit of both models: {total:.1f} s; target ≤ 60 s → {'MET' if total <= 60 else 'MISSED'}")


def main() -> None:
    parser = store_arguments(__doc__)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2022, 6, 30))
    args = parser.parse_args()

    spec = importlib.util.find_spec("lifetimes")
    assert spec is not None and spec.submodule_search_locations, "pip install lifetimes (the bench extra)"
    folder = Path(next(iter(spec.submodule_search_locations))) / "datasets"
    cdnow = np.genfromtxt(folder / "cdnow_customers_summary_with_transactions.csv", delimiter=",", names=True)
    console.rule("CDNOW sample (real data)")
    compare("CDNOW, 2,357 customers", cdnow["x"], cdnow["t_x"], cdnow["T"], cdnow["zbar"], published=True)

    store = kept_store(args.workdir, args.customers, args.seed, console)
    with duckdb.connect(str(store), read_only=True) as con:
        backend = ibis.duckdb.from_connection(con)
        summary, seconds = timed(lambda: backend.to_pyarrow(clv_summary(backend, args.as_of)))
    console.rule(f"Generated brokerage, {args.customers:,} customers, as of {args.as_of}")
    console.print(f"purchase summary from the trades: {summary.num_rows:,} paying clients in {seconds:.1f} s")
    x, t_x, big_t, m_x = (summary.column(c).to_numpy() for c in ("x", "t_x", "T", "m_x"))
    compare(f"Brokerage, {summary.num_rows:,} paying clients", x.astype(float), t_x, big_t, m_x, published=False)


if __name__ == "__main__":
    main()
