"""WeCom external contacts and archived one-to-one chat messages with planted interests.

Clients write the planted interests (in simplified or, for some clients,
traditional characters; negated interests only in refusals such as
"不想买创业板"); advisors write greetings, market notes and content pushes
that may name products too, so a tagger that ignores the sender is wrong.
Every client mention is recorded in the truth folder.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from wealthdesk.demo.calendar import AS_OF, WINDOW_START, waking_seconds
from wealthdesk.demo.interests import KEYWORDS, TRADITIONAL, Interests
from wealthdesk.demo.strings import ascii_rows, concat, pick

_ALPHABET = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-", dtype=np.uint8)

POSITIVE = (
    ("最近", "行情怎么样？"),
    ("想了解一下", "，有什么推荐吗"),
    ("我比较看好", "，能不能多配一点"),
    ("", "现在还能上车吗？"),
    ("请问", "怎么操作？"),
    ("帮我看看", "相关的产品"),
    ("", "最近跌了好多，要不要加仓"),
    ("朋友推荐我关注", "，你怎么看"),
    ("有没有", "方面的资料，发我一份"),
    ("想做点", "，风险大吗"),
)
NEGATIVE = (
    ("不想买", ""),
    ("不想买", "了，最近亏怕了"),
    ("", "就算了，我不考虑"),
    ("别再给我推", "了"),
    ("我对", "没兴趣"),
)
POSITIVE_TRAD = (
    ("最近", "行情怎麼樣？"),
    ("想了解一下", "，有什麼推薦嗎"),
    ("請問", "怎麼操作？"),
    ("幫我看看", "相關的產品"),
)
NEGATIVE_TRAD = (("不想買", ""), ("我對", "沒興趣"), ("別再給我推", "了"))
CLIENT_CHATTER = (
    "好的，谢谢",
    "收到",
    "今天大盘怎么样？",
    "在吗？",
    "晚点再聊",
    "明白了",
    "上次说的那个我考虑一下",
    "[表情]",
    "账户登录不上了，怎么办",
    "手续费能不能再低一点",
    "谢谢老师",
    "好的好的",
)
ADVISOR_LINES = (
    "您好，我是您的专属投资顾问，有任何问题随时联系我",
    "今日市场早报已发送，请查收",
    "近期市场波动较大，请注意控制仓位",
    "周末愉快！",
    "您关注的基金今日净值已更新",
    "本周有一场线上直播活动，欢迎参加",
    "收到，我帮您查一下",
    "建议您做好资产配置，不要满仓单一板块",
    "稍后给您发一份定投计划的说明",
)


@dataclass(frozen=True)
class Contacts:
    customer: np.ndarray
    advisor: np.ndarray
    external_userid: pa.Array
    added: np.ndarray  # datetime64[s]
    deleted: np.ndarray  # datetime64[s] or NaT
    matched: np.ndarray  # bool: customer_id filled in


def build_contacts(advisor: np.ndarray, registered: np.ndarray, rng: np.random.Generator) -> Contacts:
    """About two thirds of advised clients are WeCom contacts of their advisor."""
    cust = np.flatnonzero((advisor >= 0) & (rng.random(len(advisor)) < 0.68))
    n = len(cust)
    earliest = np.maximum(registered[cust], np.datetime64("2019-06-01T00:00:00"))
    span = np.maximum((np.datetime64(f"{AS_OF}T00:00:00") - earliest).astype(np.int64), 3600)
    added = earliest + (rng.beta(1.2, 2.5, size=n) * span).astype(np.int64)
    added = added.astype("datetime64[D]").astype("datetime64[s]") + waking_seconds(n, rng)
    gone = rng.random(n) < 0.05
    room = np.maximum((np.datetime64(f"{AS_OF}T00:00:00") - added).astype(np.int64), 3600)
    deleted = np.where(gone, added + (rng.random(n) * room).astype(np.int64), np.datetime64("NaT"))
    ext = _ALPHABET[rng.integers(0, len(_ALPHABET), size=(n, 30))]
    head = np.broadcast_to(np.frombuffer(b"wm", dtype=np.uint8), (n, 2))
    return Contacts(
        cust,
        advisor[cust],
        ascii_rows(np.concatenate([head, ext], axis=1)),
        added,
        deleted.astype("datetime64[s]"),
        rng.random(n) < 0.96,
    )


@dataclass(frozen=True)
class Messages:
    contact: np.ndarray
    from_client: np.ndarray
    msgtime: np.ndarray  # int64 ms, sorted
    action: np.ndarray  # 0 send, 1 recall
    msgtype: np.ndarray  # 0 text, 1 image, 2 revoke
    content: pa.Array  # null for image / revoke
    msgid: pa.Array
    # planted client mentions
    mention: np.ndarray  # bool
    keyword: np.ndarray
    traditional: np.ndarray
    negated: np.ndarray


def build_messages(
    contacts: Contacts, interests: Interests, engagement: np.ndarray, n_customers: int, rng: np.random.Generator
) -> Messages:
    """Messages per contact (heavy-tailed), half from each side, clients voicing their planted interests."""
    k = rng.negative_binomial(
        1.2, 1.2 / (1.2 + 5.2 * np.minimum(engagement[contacts.customer], 5) ** 0.5), size=len(contacts.customer)
    )
    c = np.repeat(np.arange(len(contacts.customer)), k)
    m = len(c)
    start = np.maximum(contacts.added[c], np.datetime64(f"{WINDOW_START}T00:00:00")).astype(np.int64)
    end = np.where(np.isnat(contacts.deleted[c]), np.datetime64(f"{AS_OF}T23:59:59"), contacts.deleted[c]).astype(
        np.int64
    )
    sec = start + (rng.random(m) * np.maximum(end - start, 1)).astype(np.int64)
    sec = np.maximum(sec - sec % 86400 + waking_seconds(m, rng), start)
    msgtime = (sec - 8 * 3600) * 1000 + rng.integers(0, 1000, size=m)  # Beijing wall clock → UTC epoch ms
    from_client = rng.random(m) < 0.5
    # interests of each message's client: pick one interest weighted by strength
    cust = contacts.customer[c]
    order = np.argsort(interests.customer, kind="stable")
    ic, ik, istr, ineg = (
        interests.customer[order],
        interests.keyword[order],
        interests.strength[order],
        interests.negated[order],
    )
    lo, hi = np.searchsorted(ic, cust), np.searchsorted(ic, cust, side="right")
    has = hi > lo
    pick_i = lo + (rng.random(m) * np.maximum(hi - lo, 1)).astype(np.int64)
    pick_i = np.minimum(pick_i, len(ic) - 1) if len(ic) else pick_i
    strength = np.where(has, istr[pick_i] if len(ic) else 0, 0)
    mention = from_client & has & (rng.random(m) < 0.25 + 0.5 * strength)
    kw = np.where(mention, ik[pick_i] if len(ic) else 0, 0)
    neg = mention & (ineg[pick_i] if len(ic) else False)
    trad = mention & interests.traditional[cust]
    kinds = np.where(neg, np.where(trad, 3, 1), np.where(trad, 2, 0))
    sizes = np.array([len(POSITIVE), len(NEGATIVE), len(POSITIVE_TRAD), len(NEGATIVE_TRAD)])
    offsets = np.r_[0, np.cumsum(sizes)[:-1]]
    tmpl = offsets[kinds] + (rng.random(m) * sizes[kinds]).astype(np.int64)
    all_t = POSITIVE + NEGATIVE + POSITIVE_TRAD + NEGATIVE_TRAD
    word = pc.if_else(pa.array(trad), pick(TRADITIONAL, kw), pick(KEYWORDS, kw))
    mention_text = concat(pick([t[0] for t in all_t], tmpl), word, pick([t[1] for t in all_t], tmpl))
    chatter = pick(CLIENT_CHATTER, rng.integers(0, len(CLIENT_CHATTER), size=m))
    advisor_text = pick(ADVISOR_LINES, rng.integers(0, len(ADVISOR_LINES), size=m))
    text = pc.if_else(pa.array(mention), mention_text, pc.if_else(pa.array(from_client), chatter, advisor_text))
    recall = ~mention & (rng.random(m) < 0.005)
    image = ~mention & ~recall & (rng.random(m) < 0.03)
    msgtype = np.where(recall, 2, np.where(image, 1, 0))
    content = pc.if_else(pa.array(msgtype == 0), text, pa.nulls(m, pa.string()))
    order = np.argsort(msgtime, kind="stable")
    msgtime = msgtime[order]
    serial = rng.integers(10**18, 9 * 10**18, size=m, dtype=np.int64)
    msgid = concat(pa.array(serial.astype(str)), "_", pa.array(msgtime.astype(str)), "_external")
    take = pa.array(order)
    return Messages(
        c[order],
        from_client[order],
        msgtime,
        recall[order].astype(np.int64),
        msgtype[order],
        content.take(take),
        msgid,
        mention[order],
        kw[order],
        trad[order],
        neg[order],
    )
