"""News about listed companies with a known tone, for public-opinion (舆情) alerts.

Each item is about one company (sometimes two), written from templates of
positive, negative or neutral tone; the provider tags the codes only some of
the time, so entity linking from the text is needed.  Tone and the true
companies go to the truth folder.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wealthdesk.demo.calendar import AS_OF, WINDOW_START

SOURCES = (
    "证券时报",
    "上海证券报",
    "中国证券报",
    "证券日报",
    "财联社",
    "第一财经",
    "21世纪经济报道",
    "新浪财经",
    "东方财富网",
)
TONES = ("pos", "neg", "neutral")
_TITLES = {
    "pos": (
        "{n}发布业绩预增公告，上半年净利润同比增长{x}%",
        "{n}中标重大项目，合同金额约{y}亿元",
        "{n}获机构密集调研，多家券商上调评级",
        "{n}拟回购不超过{y}亿元股份",
        "{n}新产品获批上市，打开成长空间",
    ),
    "neg": (
        "{n}收到证监会立案告知书，涉嫌信息披露违规",
        "{n}业绩预亏，净利润同比下降{x}%",
        "{n}控股股东拟减持不超过{z}%股份",
        "{n}遭遇监管问询，股价大跌",
        "{n}产品抽检不合格被通报",
        "{n}高管涉嫌违法被留置调查",
    ),
    "neutral": (
        "{n}召开年度股东大会",
        "{n}发布关于董事会换届的公告",
        "{n}披露投资者关系活动记录表",
        "{n}将于下周召开业绩说明会",
        "{n}发布{q}季度报告",
    ),
}
_BODIES = {
    "pos": "公司表示，受益于行业景气度提升和市场份额扩大，经营业绩稳步增长。"
    "分析人士认为，{n}基本面向好，中长期值得关注。",
    "neg": "公告显示，{n}近期经营面临较大压力，相关风险可能对公司股价造成不利影响，投资者需注意风险。",
    "neutral": "根据公告，{n}相关事项将按计划推进，公司经营情况正常。",
}


@dataclass(frozen=True)
class News:
    news_id: list[str]
    published: np.ndarray
    source: list[str]
    title: list[str]
    body: list[str]
    tagged: list[list[str]]  # codes tagged by the provider (may be empty)
    true_codes: list[list[str]]
    tone: list[str]


def build(count: int, codes: np.ndarray, names: np.ndarray, popularity: np.ndarray, rng: np.random.Generator) -> News:
    """``count`` news items; a few thousand at most, so built per row."""
    company = rng.choice(len(codes), size=count, p=popularity / popularity.sum())
    second = rng.choice(len(codes), size=count)
    tone_idx = rng.choice(3, size=count, p=[0.35, 0.3, 0.35])
    span = int((np.datetime64(AS_OF) - np.datetime64(WINDOW_START)).astype(int)) + 1
    published = np.sort(
        np.datetime64(WINDOW_START).astype("datetime64[s]")
        + rng.integers(0, span * 86400, size=count).astype("timedelta64[s]")
    )
    ids, srcs, titles, bodies, tagged, truth, tones = [], [], [], [], [], [], []
    for i in range(count):
        tone = TONES[tone_idx[i]]
        n = str(names[company[i]])
        templates = _TITLES[tone]
        title = templates[rng.integers(len(templates))].format(
            n=n,
            x=int(rng.integers(15, 300)),
            y=round(float(rng.uniform(1, 50)), 1),
            z=int(rng.integers(1, 6)),
            q=("一", "二", "三")[rng.integers(3)],
        )
        true = [str(codes[company[i]])]
        body = _BODIES[tone].format(n=n)
        if rng.random() < 0.15 and second[i] != company[i]:
            body += f"同行业的{names[second[i]]}也受到市场关注。"
            true.append(str(codes[second[i]]))
        ids.append(f"N{i + 1:07d}")
        srcs.append(SOURCES[rng.integers(len(SOURCES))])
        titles.append(title)
        bodies.append(body)
        tagged.append(true[: int(rng.integers(1, len(true) + 1))] if rng.random() < 0.75 else [])
        truth.append(true)
        tones.append(tone)
    return News(ids, published, srcs, titles, bodies, tagged, truth, tones)
