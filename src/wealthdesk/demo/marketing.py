"""Contents and campaigns the brokerage runs, and who each campaign touched at what cost.

Campaigns are defined before the clients exist because acquisition campaigns
are what brought some clients in (``customers.acquisition_campaign_id``); their
total cost is filled in once the touches are known, so CAC per channel can be
recomputed from the data: cost = fixed cost + Σ touch costs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wealthdesk.demo.calendar import Calendar
from wealthdesk.demo.funds import Funds
from wealthdesk.demo.interests import KEYWORDS
from wealthdesk.demo.universe import Securities

CONTENT_TITLES = {
    "research_report": (
        "{t}行业深度报告：景气度持续，关注龙头",
        "{t}板块周报：估值回落后的配置机会",
        "{t}专题：政策催化下的投资主线",
        "宏观策略月报：{t}成为市场主线",
    ),
    "advisor_view": (
        "投顾观点｜{t}还能上车吗？",
        "投顾观点｜近期{t}调整怎么看",
        "每日投顾早知道：{t}",
        "首席投顾说：{t}的长期逻辑",
    ),
    "event": ("{t}主题线上直播：与基金经理面对面", "{t}投资策略会（线下）报名中", "{t}专场路演活动"),
    "investor_education": (
        "投教课堂｜读懂{t}",
        "投教课堂｜{t}常见问题十问十答",
        "新手必看：{t}入门",
        "风险提示：{t}的投资风险",
    ),
}
AUTHORS = ("研究所策略组", "研究所行业组", "财富管理部", "投顾团队", "金融产品部", "投资者教育基地")
TOUCH_COST = {"wecom": 0.0, "sms": 0.05, "app_push": 0.01, "phone": 3.0, "email": 0.02}
TOUCH_CHANNELS = tuple(TOUCH_COST)


@dataclass(frozen=True)
class Contents:
    content_id: list[str]
    content_type: list[str]
    title: list[str]
    topics: list[list[str]]
    related_codes: list[list[str]]
    risk_level: list[str | None]
    publish: np.ndarray  # datetime64[D]
    expiry: np.ndarray  # datetime64[D], NaT when it never expires
    author: list[str]


def build_contents(count: int, cal: Calendar, funds: Funds, secs: Securities, rng: np.random.Generator) -> Contents:
    """``count`` contents on the interest topics; product pushes carry the fund's risk level."""
    ids, types, titles, topics, related, risks, authors = [], [], [], [], [], [], []
    kinds = tuple(CONTENT_TITLES)
    for i in range(count):
        kind = kinds[rng.choice(4, p=[0.3, 0.35, 0.1, 0.25])]
        n_topics = int(rng.integers(1, 4))
        tps = [KEYWORDS[k] for k in rng.choice(len(KEYWORDS), size=n_topics, replace=False)]
        templates = CONTENT_TITLES[kind]
        titles.append(templates[rng.integers(len(templates))].format(t=tps[0]))
        codes: list[str] = []
        risk = None
        if kind in ("advisor_view", "event") and rng.random() < 0.6:
            f = int(rng.integers(funds.n))
            codes.append(str(funds.code[f]))
            risk = str(funds.risk_level[f])
        if kind == "research_report":
            codes += [str(c) for c in secs.code[rng.choice(secs.n, size=int(rng.integers(1, 4)), replace=False)]]
        ids.append(f"CT{i + 1:05d}")
        types.append(kind)
        topics.append(tps)
        related.append(codes)
        risks.append(risk)
        authors.append(AUTHORS[rng.integers(len(AUTHORS))])
    publish = cal.days[np.sort(rng.integers(0, cal.n, size=count))]
    life = rng.integers(30, 240, size=count).astype("timedelta64[D]")
    expiry = np.where(np.array(types) == "investor_education", np.datetime64("NaT"), publish + life)
    return Contents(ids, types, titles, topics, related, risks, publish, expiry.astype("datetime64[D]"), authors)


# name template, objective, channel, share of touched clients
_CAMPAIGN_KINDS = (
    ("{y}年{s}抖音/头条开户投放", "acquisition", "online_ads", 0.0),
    ("{y}年{s}企业微信渠道活码拉新", "acquisition", "wecom_qrcode", 0.0),
    ("{y}年{s}老带新推荐有礼", "acquisition", "referral", 0.0),
    ("{y}年{s}银行合作开户季", "acquisition", "bank_partner", 0.0),
    ("{y}年{s}休眠客户唤醒", "activation", "sms", 0.05),
    ("{y}年{s}App新功能推送", "activation", "app_push", 0.08),
    ("{y}年{s}基金持有人陪伴服务", "retention", "wecom", 0.04),
    ("{y}年{s}高净值客户电话回访", "retention", "phone", 0.01),
    ("{y}年{s}Level-2行情体验月", "cross_sell", "app_push", 0.05),
    ("{y}年{s}创业板权限开通指引", "cross_sell", "wecom", 0.04),
    ("{y}年{s}基金定投节", "cross_sell", "sms", 0.06),
    ("{y}年{s}理财产品邮件推荐", "cross_sell", "email", 0.03),
)
SEASONS = ("春季", "夏季", "秋季", "冬季")


@dataclass
class Campaigns:
    campaign_id: list[str]
    name: list[str]
    objective: list[str]
    channel: list[str]
    start: np.ndarray
    end: np.ndarray
    content_id: list[str | None]
    reach: np.ndarray  # share of existing clients touched
    cost: np.ndarray  # filled after touches


def build_campaigns(count: int, cal: Calendar, contents: Contents, rng: np.random.Generator) -> Campaigns:
    """About ``count`` campaigns spread over the window, each a quarter-long push on one channel."""
    ids, names, objectives, channels, contents_of, reach, starts = [], [], [], [], [], [], []
    for i in range(count):
        kind = _CAMPAIGN_KINDS[i % len(_CAMPAIGN_KINDS)]
        start = cal.days[0] + int(rng.integers(0, (cal.days[-1] - cal.days[0]).astype(int) - 60))
        year = int(str(start)[:4])
        season = SEASONS[(int(str(start)[5:7]) - 1) // 3]
        if kind[0].startswith("{y}年{s}基金持有人") and i < len(_CAMPAIGN_KINDS):
            start = np.datetime64("2021-03-01")  # the reassurance (安抚) push after the sell-off
            year, season = 2021, "春季"
        ids.append(f"CMP{year}{i + 1:03d}")
        names.append(kind[0].format(y=year, s=season))
        objectives.append(kind[1])
        channels.append(kind[2])
        reach.append(kind[3])
        starts.append(start)
        has_content = kind[1] != "acquisition" and rng.random() < 0.7
        contents_of.append(contents.content_id[int(rng.integers(len(contents.content_id)))] if has_content else None)
    start = np.array(starts, dtype="datetime64[D]")
    end = np.minimum(start + rng.integers(20, 90, size=count).astype("timedelta64[D]"), cal.days[-1])
    return Campaigns(ids, names, objectives, channels, start, end, contents_of, np.array(reach), np.zeros(count))


@dataclass(frozen=True)
class Touches:
    campaign: np.ndarray  # campaign index
    customer: np.ndarray
    time: np.ndarray  # datetime64[s]
    channel: np.ndarray  # index into TOUCH_CHANNELS
    cost: np.ndarray


def build_touches(
    camps: Campaigns, registered: np.ndarray, acq_campaign: np.ndarray, rng: np.random.Generator
) -> Touches:
    """Touches of every campaign, then each campaign's total cost (fixed part + touches)."""
    n = len(registered)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    for c in range(len(camps.campaign_id)):
        start, end = camps.start[c], camps.end[c]
        span = max(int((end - start).astype(int)), 1)
        if camps.objective[c] == "acquisition":
            who = np.flatnonzero(acq_campaign == c)
            when = registered[who] - rng.integers(600, 3 * 86400, size=len(who)).astype("timedelta64[s]")
            chan = np.full(len(who), TOUCH_CHANNELS.index("wecom" if camps.channel[c] == "wecom_qrcode" else "sms"))
        else:
            eligible = np.flatnonzero(registered < start.astype("datetime64[s]"))
            size = min(len(eligible), round(camps.reach[c] * n * rng.uniform(0.6, 1.4)))
            who = np.sort(rng.choice(eligible, size=size, replace=False)) if size else eligible[:0]
            when = start.astype("datetime64[s]") + rng.integers(0, span * 86400, size=len(who)).astype("timedelta64[s]")
            chan = np.full(len(who), TOUCH_CHANNELS.index(camps.channel[c]))
        parts.append((np.full(len(who), c), who, when, chan))
    campaign = np.concatenate([p[0] for p in parts])
    channel = np.concatenate([p[3] for p in parts])
    unit = np.array(list(TOUCH_COST.values()))[channel]
    cost = np.round(unit * rng.uniform(0.8, 1.2, size=len(channel)), 2)
    fixed = np.where(
        np.array(camps.objective) == "acquisition", 0, rng.integers(5_000, 80_000, size=len(camps.campaign_id))
    )
    acquired = np.bincount(acq_campaign[acq_campaign >= 0], minlength=len(camps.campaign_id))
    cac = {"online_ads": 260.0, "wecom_qrcode": 60.0, "referral": 150.0, "bank_partner": 120.0}
    per_client = np.array([cac.get(ch, 0.0) for ch in camps.channel]) * rng.uniform(
        0.7, 1.3, size=len(camps.campaign_id)
    )
    camps.cost = np.round(
        fixed + acquired * per_client + np.bincount(campaign, weights=cost, minlength=len(camps.cost)), 2
    )
    return Touches(
        campaign, np.concatenate([p[1] for p in parts]), np.concatenate([p[2] for p in parts]), channel, cost
    )
