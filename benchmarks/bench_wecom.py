"""WeCom: callback decrypt+verify against WeCom's time budget, and chat-archive ingest into the tag path.

1. **Crypto, in process.** ``WeComCrypto.decrypt_message`` (parse the
   envelope, check the signature, decrypt, check padding and receive id) on
   the official sample's message and on a contact event: callbacks/s on one
   core, and what one costs against WeCom's budgets (it re-sends a callback
   not answered within 5 s, and wants the URL verification answered within
   1 s).
2. **The callback URL, end to end.** The real server (uvicorn, one process)
   on a copy of the kept store, with WeCom configured: --callbacks signed
   ``add_external_contact`` events POSTed one after another (each verified,
   decrypted, committed raw, then applied to the contact history and
   ``wecom_contacts``), and as many URL verifications; latency p50/p99/max
   against the 5 s and 1 s budgets.
3. **The chat archive, in process.** --messages official-shape archive
   records (clients writing to their advisors, a keyword in each, one in a
   hundred recalled) through ``ingest_archive`` in GetChatData's batches of
   1,000: messages/s into the keyword-tag path, side by side with the same
   messages fed flat (``LiveUpdater.feed``, the path the archive builds on):
   the ratio is what the archive layer costs.

Usage: python benchmarks/bench_wecom.py [--customers 1000000] [--callbacks 300] [--messages 20000]
"""

from __future__ import annotations

import os
import random
import time
import urllib.parse
import urllib.request
from pathlib import Path

import duckdb
import pyarrow as pa
from rich.console import Console
from rich.table import Table

from bench_api import get, server, wait_for_views
from kept_store import kept_store, remove_store, store_arguments, working_copy
from wealthdesk.pipeline.live import LiveUpdater
from wealthdesk.pipeline.run import run_pipeline
from wealthdesk.wecom.archive import archive_row, ingest_archive
from wealthdesk.wecom.crypto import WeComCrypto
from wealthdesk.wecom.sample import AES_KEY, CORP_ID, MSG_SIGNATURE, NONCE, POST_BODY, TIMESTAMP, TOKEN

console = Console(width=150)
CRYPTO = WeComCrypto(TOKEN, AES_KEY, CORP_ID)
WORDS = ("想加仓创业板", "白酒基金还能买吗", "科创板打新怎么参与", "最近想买点债券基金", "红利ETF怎么样")
POST_BUDGET_S, GET_BUDGET_S = 5.0, 1.0


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))], ordered[-1]


def contact_event(advisor: str, external: str, when: int) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>"
        f"<CreateTime>{when}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        "<Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[add_external_contact]]></ChangeType>"
        f"<UserID><![CDATA[{advisor}]]></UserID><ExternalUserID><![CDATA[{external}]]></ExternalUserID>"
        "<State><![CDATA[QD-BENCH]]></State><WelcomeCode><![CDATA[W]]></WelcomeCode></xml>"
    )


def crypto_rate(repeat: int) -> list[tuple[str, float]]:
    """(what, callbacks/s on one core) for the sample message and a contact event."""
    now = str(int(time.time()))
    query, event = CRYPTO.callback_request(contact_event("zhangsan", "wmBENCH000000000001", int(now)), now, "bench")
    cases = {
        "official sample message": (MSG_SIGNATURE, TIMESTAMP, NONCE, POST_BODY),
        "contact event": (query["msg_signature"], now, "bench", event),
    }
    rates = []
    for name, args in cases.items():
        started = time.process_time()
        for _ in range(repeat):
            CRYPTO.decrypt_message(*args)
        rates.append((name, repeat / (time.process_time() - started)))
    return rates


def post(url: str, body: str) -> int:
    request = urllib.request.Request(url, data=body.encode(), method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


def callbacks_end_to_end(store: Path, advisors: list[str], count: int) -> dict[str, list[float]]:
    """Latencies (s) of ``count`` contact-event POSTs and as many URL verifications, one at a time."""
    os.environ.update(WEALTHDESK_WECOM_TOKEN=TOKEN, WEALTHDESK_WECOM_AES_KEY=AES_KEY, WEALTHDESK_WECOM_CORP_ID=CORP_ID)
    times: dict[str, list[float]] = {"POST contact event": [], "GET URL verification": []}
    with server("bench_api:api_app", store, "/health", None) as (base, pid):
        wait_for_views(base, pid)
        rng = random.Random(7)
        for i in range(count):
            now = str(int(time.time()))
            query, body = CRYPTO.callback_request(
                contact_event(rng.choice(advisors), f"wmBENCH{i:013d}", int(now)), now, f"n{i}"
            )
            started = time.perf_counter()
            assert post(f"{base}/wecom/callback?{urllib.parse.urlencode(query)}", body) == 200
            times["POST contact event"].append(time.perf_counter() - started)
            echo = CRYPTO.encrypt(str(i))
            params = {"msg_signature": CRYPTO.signature(now, f"g{i}", echo), "timestamp": now, "nonce": f"g{i}"}
            started = time.perf_counter()
            status, answer = get(f"{base}/wecom/callback?{urllib.parse.urlencode({**params, 'echostr': echo})}")
            times["GET URL verification"].append(time.perf_counter() - started)
            assert (status, answer) == (200, str(i).encode()), (status, answer)
    return times


def archive_records(clients: list[tuple[str, str, str]], count: int, start_ms: int, seq0: int) -> list[dict]:
    """Official-shape archive records: each client writes a keyword to their advisor; one in 100 is recalled."""
    rng = random.Random(seq0)
    records: list[dict] = []
    for i in range(count):
        _, external, advisor = rng.choice(clients)
        seq = seq0 + i
        common = {"seq": seq, "from": external, "tolist": [advisor], "roomid": "", "msgtime": start_ms + i}
        if i % 100 == 99:  # recall the previous message
            records.append(
                {
                    **common,
                    "msgid": f"arc-{seq}",
                    "action": "recall",
                    "msgtype": "revoke",
                    "revoke": {"pre_msgid": records[-1]["msgid"]},
                }
            )
        else:
            records.append(
                {
                    **common,
                    "msgid": f"arc-{seq}",
                    "action": "send",
                    "msgtype": "text",
                    "text": {"content": rng.choice(WORDS)},
                }
            )
    return records


def main() -> None:
    parser = store_arguments(__doc__)
    parser.add_argument("--callbacks", type=int, default=300, help="contact events POSTed (and URL verifications)")
    parser.add_argument("--messages", type=int, default=20_000, help="archive messages per path")
    parser.add_argument("--crypto-repeat", type=int, default=20_000)
    args = parser.parse_args()

    console.rule("1. Callback decrypt+verify, in process (one core)")
    rates = crypto_rate(args.crypto_repeat)
    table = Table(title=f"WeComCrypto.decrypt_message × {args.crypto_repeat:,} (envelope XML, signature, AES, checks)")
    for column in ("callback", "callbacks/s", "µs each", "share of the 1 s URL-verification budget"):
        table.add_column(column, justify="right")
    for name, rate in rates:
        table.add_row(name, f"{rate:,.0f}", f"{1e6 / rate:,.1f}", f"{1 / rate / GET_BUDGET_S:.5%}")
    console.print(table)

    store = working_copy(kept_store(args.workdir, args.customers, args.seed, console), f"wecom-{args.customers}.duckdb")
    try:
        with duckdb.connect(str(store)) as con:
            if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'profiles'").fetchall()[0][0]:
                console.rule("First pipeline run on this store")
                run_pipeline(con)
            advisors = [
                a for (a,) in con.execute("SELECT wecom_userid FROM advisors WHERE wecom_userid IS NOT NULL").fetchall()
            ]
            clients = con.execute(
                """SELECT customer_id, external_userid, advisor_userid FROM wecom_contacts
                   WHERE customer_id IS NOT NULL AND deleted_at IS NULL"""
            ).fetchall()
            newest = con.execute("SELECT max(msgtime), max(seq) FROM wecom_messages").fetchall()[0]

        console.rule(f"2. /wecom/callback end to end, {args.callbacks} of each, one at a time")
        times = callbacks_end_to_end(store, advisors, args.callbacks)
        table = Table(title="the real server (uvicorn, one process), loopback; WeCom re-sends after 5 s unanswered")
        for column in ("request", "p50 ms", "p99 ms", "max ms", "budget", "p99 / budget"):
            table.add_column(column, justify="right")
        for name, samples in times.items():
            p50, p99, most = percentiles(samples)
            budget = POST_BUDGET_S if name.startswith("POST") else GET_BUDGET_S
            table.add_row(
                name,
                f"{p50 * 1e3:,.1f}",
                f"{p99 * 1e3:,.1f}",
                f"{most * 1e3:,.1f}",
                f"{budget:.0f} s",
                f"{p99 / budget:.2%}",
            )
        console.print(table)

        console.rule(f"3. Chat archive into the tag path, {args.messages:,} messages per path")
        with duckdb.connect(str(store)) as con:
            updater = LiveUpdater(con)
            seq0 = int(newest[1] or 0) + 1_000_000
            archive = archive_records(clients, args.messages, int(newest[0]) + 1_000, seq0)
            flat = [
                archive_row({**r, "msgid": f"flat-{r['msgid']}"}) | {"seq": None}
                for r in archive_records(clients, args.messages, int(newest[0]) + 1_000, seq0 + args.messages)
            ]
            for row in flat:  # the flat path's recalls name the flat copies
                if row["pre_msgid"]:
                    row["pre_msgid"] = f"flat-{row['pre_msgid']}"
            started = time.perf_counter()
            report = ingest_archive(updater, archive)
            archive_s = time.perf_counter() - started
            started = time.perf_counter()
            loaded = 0
            for i in range(0, len(flat), 1_000):
                loaded += updater.feed("wecom_messages", flat[i : i + 1_000]).intake.rows_loaded
            flat_s = time.perf_counter() - started
            evidence = con.execute(
                "SELECT count(*) FROM keyword_tag_evidence WHERE msgid LIKE 'arc-%' OR msgid LIKE 'flat-arc-%'"
            ).fetchall()[0][0]
            recalled = [r["pre_msgid"] for r in flat if r["pre_msgid"]]
            recalled += [r["revoke"]["pre_msgid"] for r in archive if r["msgtype"] == "revoke"]
            con.register("_recalled", pa.table({"msgid": recalled}))
            left = con.execute(
                "SELECT count(*) FROM keyword_tag_evidence WHERE msgid IN (SELECT msgid FROM _recalled)"
            ).fetchall()[0][0]
        table = Table(
            title=f"batches of 1,000; {len(clients):,} WeCom clients to draw from; one message in 100 recalled"
        )
        for column in ("path", "messages", "seconds", "messages/s"):
            table.add_column(column, justify="right")
        table.add_row(
            "ingest_archive (official shape, seq cursor, recalls)",
            f"{report.loaded:,}",
            f"{archive_s:.2f}",
            f"{report.loaded / archive_s:,.0f}",
        )
        table.add_row(
            "LiveUpdater.feed (flat rows, the baseline)", f"{loaded:,}", f"{flat_s:.2f}", f"{loaded / flat_s:,.0f}"
        )
        console.print(table)
        console.print(
            f"archive / flat time: {archive_s / flat_s:.2f}×; archive quarantined {report.quarantined}; "
            f"evidence rows for the fed messages: {evidence:,}; for the {len(recalled)} recalled ones: {left}"
        )
    finally:
        remove_store(store)


if __name__ == "__main__":
    main()
