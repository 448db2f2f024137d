"""The ground truth: what was planted, written to ``DIR/_truth/`` (never ingested).

Later analyses validate against these files: ingest's quarantine against
``bad_rows.csv``, keyword tags against ``interests.csv`` / ``chat_mentions``,
propensity models against ``propensities.csv``, fund-retention analytics
against ``redemption_hazard`` and ``fund_exposure.csv``, opinion alerts against
``news_tone.csv``, CLV / CAC against ``customer_latent`` and ``campaigns.csv``.
"""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from wealthdesk.demo.interests import KEYWORDS


def _readme() -> str:
    return resources.files("wealthdesk.demo").joinpath("data").joinpath("truth_README.md").read_text(encoding="utf-8")


def _csv(path: Path, header: list[str], rows: Any) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def write_bad_rows(out: Path, bad: list[tuple[str, str, int, str]]) -> None:
    """Write ``_truth/bad_rows.csv``: where each planted bad row is and what is wrong with it."""
    _csv(out / "_truth" / "bad_rows.csv", ["table", "file", "line", "defect"], sorted(bad))


def write_truth(out: Path, **w: Any) -> None:
    """Write every truth file except ``bad_rows.csv`` and the README into ``out/_truth``."""
    d = out / "_truth"
    d.mkdir(exist_ok=True)
    (d / "README.md").write_text(_readme(), encoding="utf-8")
    cust, acc, book, messages, contacts = w["cust"], w["acc"], w["book"], w["messages"], w["contacts"]
    cid = np.array(cust.customer_id.to_pylist(), dtype=object)
    aid = np.array(acc.account_id.to_pylist(), dtype=object)
    it = cust.interests
    # mentions per (customer, keyword)
    msg_cust = contacts.customer[messages.contact]
    m = messages.mention
    key = msg_cust[m].astype(np.int64) * 100 + messages.keyword[m]
    uniq, cnt = np.unique(key, return_counts=True)
    lookup = dict(zip(uniq.tolist(), cnt.tolist(), strict=True))
    _csv(
        d / "interests.csv",
        ["customer_id", "interest", "strength", "negated", "traditional", "mentions"],
        (
            (cid[c], KEYWORDS[k], s, int(ng), int(it.traditional[c]), lookup.get(int(c) * 100 + int(k), 0))
            for c, k, s, ng in zip(it.customer, it.keyword, it.strength, it.negated, strict=True)
        ),
    )
    pq.write_table(
        pa.table(
            {
                "msgid": messages.msgid.filter(pa.array(m)),
                "customer_id": cid[msg_cust[m]].tolist(),
                "interest": [KEYWORDS[k] for k in messages.keyword[m]],
                "written": np.where(messages.traditional[m], "traditional", "simplified").tolist(),
                "negated": messages.negated[m],
            }
        ),
        d / "chat_mentions.parquet",
    )
    cash = np.flatnonzero(~acc.margin)
    rows = []
    window0 = w["cal"].days[0]
    for product, p, when in (("level2", acc.p_level2, acc.level2), ("chinext", acc.p_chinext, acc.chinext)):
        for a in cash:
            adopted = not np.isnat(when[a])
            legacy = adopted and when[a] < window0
            rows.append(
                (
                    cid[acc.customer[a]],
                    aid[a],
                    product,
                    float(p[a]),
                    int(adopted and not legacy),
                    str(when[a]) if adopted else "",
                    int(legacy),
                )
            )
    _csv(
        d / "propensities.csv",
        ["customer_id", "account_id", "product", "propensity", "outcome", "outcome_date", "legacy"],
        rows,
    )
    _redemptions(d, w)
    secs, mkt = w["secs"], w["mkt"]
    _csv(
        d / "stocks.csv",
        ["code", "crowded", "selloff_drawdown"],
        (
            (c, int(cr), round(float(x), 4) if np.isfinite(x) else "")
            for c, cr, x in zip(secs.code, secs.crowded, mkt.stock_drawdown, strict=True)
        ),
    )
    items = w["items"]
    _csv(
        d / "news_tone.csv",
        ["news_id", "tone", "codes"],
        ((i, t, " ".join(c)) for i, t, c in zip(items.news_id, items.tone, items.true_codes, strict=True)),
    )
    pq.write_table(
        pa.table(
            {
                "customer_id": cust.customer_id,
                "aum_latent": np.round(cust.aum, 2),
                "activity": np.round(cust.activity, 4),
                "app_use": np.round(cust.app_use, 4),
                "risk_score_level": cust.risk,
            }
        ),
        d / "customer_latent.parquet",
    )
    camps, touches = w["camps"], w["touches"]
    k = len(camps.campaign_id)
    n_touch = np.bincount(touches.campaign, minlength=k)
    t_cost = np.bincount(touches.campaign, weights=touches.cost, minlength=k)
    acquired = np.bincount(cust.acq_campaign[cust.acq_campaign >= 0], minlength=k)
    _csv(
        d / "campaigns.csv",
        ["campaign_id", "objective", "channel", "touches", "touch_cost", "acquired_customers", "total_cost"],
        zip(
            camps.campaign_id,
            camps.objective,
            camps.channel,
            n_touch.tolist(),
            np.round(t_cost, 2).tolist(),
            acquired.tolist(),
            camps.cost.tolist(),
            strict=True,
        ),
    )
    del book


def _redemptions(d: Path, w: Any) -> None:
    cal, funds, top, mkt, acc, book = w["cal"], w["funds"], w["top"], w["mkt"], w["acc"], w["book"]
    fp, fills = book.fund_pos, book.fund_fills
    s0, s1 = cal.selloff
    red = fills.side == 1
    in_sell = red & (fills.day >= s0) & (fills.day <= s1 + 15)
    redeemed = np.zeros(fp.n, bool)
    redeemed[fills.position[in_sell]] = True
    cid = acc.customer[fp.account]
    # non-legacy positions open on their first subscription (day index ≥ n: never subscribed, never held)
    bought = book.fund_opened_on < cal.n
    opened = np.where(bought, cal.days[np.clip(book.fund_opened_on, 0, cal.n - 1)], np.datetime64("NaT"))
    opened = np.where(fp.legacy, cal.days[0] + book.fund_opened_on.astype("timedelta64[D]"), opened)
    pq.write_table(
        pa.table(
            {
                "account_id": acc.account_id.take(pa.array(fp.account)),
                "customer_id": w["cust"].customer_id.take(pa.array(cid)),
                "fund_code": funds.code[fp.instrument].tolist(),
                "opened_date": pa.array(opened.astype("datetime64[D]"), pa.date32(), from_pandas=True),
                "legacy": fp.legacy,
                "client_multiplier": np.round(book.client_mult, 4),
                "crowded_exposure": top.crowded_exposure[fp.instrument],
                "redeemed_in_selloff": redeemed,
            }
        ),
        d / "redemption_hazard.parquet",
    )
    n_pos = np.maximum(np.bincount(fp.instrument, minlength=funds.n), 1)
    days_sell = s1 + 16 - s0
    days_other = cal.n - 1 - days_sell
    r_sell = np.bincount(fp.instrument[fills.position[in_sell]], minlength=funds.n) / n_pos / days_sell * 1000
    r_other = np.bincount(fp.instrument[fills.position[red & ~in_sell]], minlength=funds.n) / n_pos / days_other * 1000
    _csv(
        d / "fund_exposure.csv",
        ["fund_code", "fund_type", "crowded_exposure", "selloff_drawdown", "redemptions_selloff", "redemptions_other"],
        (
            (
                c,
                t,
                round(float(e), 4),
                round(float(x), 4) if np.isfinite(x) else "",
                round(float(a), 4),
                round(float(b), 4),
            )
            for c, t, e, x, a, b in zip(
                funds.code, funds.fund_type, top.crowded_exposure, mkt.fund_drawdown, r_sell, r_other, strict=True
            )
        ),
    )
