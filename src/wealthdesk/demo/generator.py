"""Orchestration: generate every table, plant bad rows, write files and the ground truth.

Each stage draws from its own random stream derived from (seed, stage name), so
a change in one stage does not shift the random numbers of another, and the
same seed always produces byte-identical files.
"""

from __future__ import annotations

import json
import shutil
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from wealthdesk.demo import app, chats, clients, market, marketing, news, simulate, universe
from wealthdesk.demo import funds as fund_shelf
from wealthdesk.demo import tables as T
from wealthdesk.demo.calendar import Calendar
from wealthdesk.demo.output import OUTPUTS, write_all
from wealthdesk.demo.strings import codes
from wealthdesk.demo.truth import write_bad_rows, write_truth
from wealthdesk.demo.writer import PART_ROWS
from wealthdesk.errors import GenerationError
from wealthdesk.progress import NULL_REPORTER, Reporter

MIN_CUSTOMERS = 100
MAX_CUSTOMERS = 20_000_000
MARKER = "_truth/generation.json"


@dataclass
class GenerationSummary:
    """What one generation wrote."""

    out: Path
    customers: int
    seed: int
    rows: dict[str, int] = field(default_factory=dict)  # rows written per table, planted bad rows included
    bad_rows: dict[str, int] = field(default_factory=dict)  # planted bad rows per table
    seconds: float = 0.0


def _rng(seed: int, stage: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(stage.encode())])


def _prepare(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise GenerationError(f"{out} is a file; pass a directory for --out.")
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).exists():
            raise GenerationError(
                f"{out} is not empty and does not hold a previous generation; pass an empty or new directory for --out."
            )
        for child in out.iterdir():  # a previous generation: replace it
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    out.mkdir(parents=True, exist_ok=True)


def generate_brokerage(
    out: Path, customers: int, seed: int, reporter: Reporter = NULL_REPORTER, part_rows: int = PART_ROWS
) -> GenerationSummary:
    """Write a synthetic brokerage of ``customers`` clients to ``out``; same seed → identical files.

    Big tables are written as ``part-NNNN`` files of at most ``part_rows`` good rows each.
    """
    if not isinstance(customers, int) or customers < MIN_CUSTOMERS or customers > MAX_CUSTOMERS:
        raise GenerationError(
            f"customers must be an integer between {MIN_CUSTOMERS} and {MAX_CUSTOMERS:,}, got "
            f"{customers!r}; try --customers 10000."
        )
    if not isinstance(seed, int) or seed < 0:
        raise GenerationError(f"seed must be a non-negative integer, got {seed!r}.")
    out = Path(out)
    _prepare(out)
    # the marker first: a run that fails half-way can be overwritten by the next one
    (out / "_truth").mkdir()
    (out / MARKER).write_text(json.dumps({"generator": "wealthdesk.demo", "customers": customers, "seed": seed}) + "\n")
    started = time.perf_counter()
    stages = ("universe", "market", "clients", "trading", "app events", "chats", "marketing", "write", "truth")
    reporter.start("generate", len(stages))
    n = customers
    cal = Calendar.default()

    secs = universe.load_securities(_rng(seed, "securities"))
    funds = fund_shelf.build_funds(int(np.clip(n // 1000, 300, 1500)), _rng(seed, "funds"))
    top = fund_shelf.build_top_holdings(funds, secs, _rng(seed, "top_holdings"))
    reporter.advance("generate")
    mkt = market.simulate(cal, secs, funds, top, _rng(seed, "market"))
    reporter.advance("generate")

    rng = _rng(seed, "marketing")
    contents = marketing.build_contents(int(np.clip(n // 3000, 60, 400)), cal, funds, secs, rng)
    camps = marketing.build_campaigns(50, cal, contents, rng)
    rng = _rng(seed, "clients")
    branches = clients.build_branches(int(np.clip(round(n / 13_000), 5, 100)), rng)
    n_adv = max(len(branches.branch_id), round(n * 0.8 / 165))
    share = branches.size / branches.size.sum()
    per_branch = np.maximum(1, np.round(share * n_adv)).astype(np.int64)
    advisors = clients.build_advisors(per_branch, rng)
    cust = clients.build_customers(n, cal, branches, advisors, camps, rng)
    acc = clients.build_accounts(cust, cal, _rng(seed, "accounts"))
    reporter.advance("generate")

    book = simulate.run(cal, secs, funds, top, mkt, cust, acc, _rng(seed, "trading"))
    reporter.advance("generate")
    cust_of_acc = acc.customer
    l2 = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    cx = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    p_l2, p_cx = np.zeros(n), np.zeros(n)
    cash_acc = ~acc.margin
    l2[cust_of_acc[cash_acc]], cx[cust_of_acc[cash_acc]] = acc.level2[cash_acc], acc.chinext[cash_acc]
    p_l2[cust_of_acc[cash_acc]], p_cx[cust_of_acc[cash_acc]] = acc.p_level2[cash_acc], acc.p_chinext[cash_acc]
    events = app.build(
        cust.registered,
        cust.app_use,
        p_l2,
        p_cx,
        l2,
        cx,
        secs.popularity,
        funds.popularity,
        len(contents.content_id),
        len(camps.campaign_id),
        _rng(seed, "app"),
    )
    reporter.advance("generate")
    rng = _rng(seed, "chats")
    contacts = chats.build_contacts(cust.advisor, cust.registered, rng)
    messages = chats.build_messages(contacts, cust.interests, cust.app_use, n, rng)
    reporter.advance("generate")
    rng = _rng(seed, "touches")
    touches = marketing.build_touches(camps, cust.registered, cust.acq_campaign, rng)
    items = news.build(int(np.clip(n // 200, 500, 20_000)), secs.code, secs.name, secs.popularity, _rng(seed, "news"))
    reporter.advance("generate")

    account_ids = acc.account_id
    stock_codes, fund_codes = secs.code.tolist(), funds.code.tolist()
    is_fund = book.t_kind >= 2
    import pyarrow as pa
    import pyarrow.compute as pc

    from wealthdesk.demo.strings import pick

    instrument = pc.if_else(
        pa.array(is_fund),
        pick(fund_codes, np.where(is_fund, book.t_instrument, 0)),
        pick(stock_codes, np.where(is_fund, 0, book.t_instrument)),
    )
    builders: dict[str, Callable[[], pa.Table]] = {
        "branches": lambda: T.branches(branches),
        "advisors": lambda: T.advisors(advisors, branches),
        "securities": lambda: T.securities(secs),
        "funds": lambda: T.funds(funds),
        "fund_top_holdings": lambda: T.top_holdings(top, funds, secs),
        "customers": lambda: T.customers(cust, branches, advisors, camps),
        "accounts": lambda: T.accounts(acc, cust),
        "security_prices": lambda: T.security_prices(cal, secs, mkt.close, mkt.open, mkt.high, mkt.low, mkt.volume),
        "fund_navs": lambda: T.fund_navs(cal, funds, mkt.nav, mkt.acc_nav),
        "trades": lambda: T.trades(
            codes("T", np.arange(1, len(book.t_account) + 1), 11),
            account_ids.take(pa.array(book.t_account)),
            book.t_time,
            book.t_kind,
            instrument,
            book.t_qty,
            book.t_price,
            book.t_amount,
            book.t_fee,
            book.t_channel,
        ),
        "holdings": lambda: T.holdings(cal, book.snapshot, account_ids, secs, funds),
        "cash_flows": lambda: T.cash_flows(book.cash.flows, account_ids),
        "app_events": lambda: T.app_events(events, cust, secs, funds, contents, camps),
        "wecom_contacts": lambda: T.wecom_contacts(contacts, cust, advisors, branches, camps),
        "wecom_messages": lambda: T.wecom_messages(messages, contacts, advisors),
        "contents": lambda: T.contents(contents),
        "campaigns": lambda: T.campaigns(camps),
        "campaign_touches": lambda: T.campaign_touches(touches, cust, camps),
        "news": lambda: T.news(items),
    }
    assert set(builders) == set(OUTPUTS)
    write_truth(
        out,
        cal=cal,
        secs=secs,
        funds=funds,
        top=top,
        mkt=mkt,
        cust=cust,
        acc=acc,
        book=book,
        contacts=contacts,
        messages=messages,
        items=items,
        camps=camps,
        touches=touches,
    )
    # tables are built one at a time while writing, so only one big table is in memory at once
    written = write_all(out, builders, _rng(seed, "defects"), reporter, part_rows)
    write_bad_rows(out, written.bad)
    reporter.advance("generate")
    reporter.advance("generate")
    return GenerationSummary(
        out=out,
        customers=n,
        seed=seed,
        rows=written.rows,
        bad_rows={k: v for k, v in written.bad_counts.items() if v},
        seconds=round(time.perf_counter() - started, 3),
    )
