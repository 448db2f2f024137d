"""The stock universe: real A-share codes, names and listing dates, with industries and the crowded flag.

Stocks come from the shipped ``data/a_shares.csv`` (real codes, short names and
listing dates from adata; see ``data/README.md``).  Industries come from name
keywords where the name says it (银行, 证券, 酒 …) and from a seeded draw
otherwise.  The crowded (抱团) flag marks the large institutional favourites of
2020 plus a seeded few consumer / healthcare / new-energy names, because the
sell-off analysis needs a crowded group to fall.  The fund shelf is in ``funds.py``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources

import numpy as np

from wealthdesk.demo.calendar import AS_OF

INDUSTRIES = (
    "银行",
    "非银金融",
    "医药生物",
    "食品饮料",
    "电子",
    "电力设备",
    "公用事业",
    "房地产",
    "建筑装饰",
    "汽车",
    "钢铁",
    "煤炭",
    "石油石化",
    "基础化工",
    "有色金属",
    "计算机",
    "传媒",
    "交通运输",
    "家用电器",
    "机械设备",
    "农林牧渔",
    "纺织服饰",
    "商贸零售",
    "国防军工",
    "通信",
    "轻工制造",
    "社会服务",
    "美容护理",
    "建筑材料",
    "环保",
)
CROWDED_SECTORS = ("食品饮料", "医药生物", "电力设备", "家用电器", "社会服务", "美容护理")

CROWDED_NAMES = (
    "贵州茅台",
    "五粮液",
    "宁德时代",
    "隆基绿能",
    "迈瑞医疗",
    "爱尔眼科",
    "海天味业",
    "中国中免",
    "片仔癀",
    "药明康德",
    "东方财富",
    "泸州老窖",
    "山西汾酒",
    "洋河股份",
    "恒瑞医药",
    "长春高新",
    "智飞生物",
    "通策医疗",
    "美的集团",
    "格力电器",
    "招商银行",
    "中国平安",
    "伊利股份",
    "立讯精密",
    "汇川技术",
    "阳光电源",
    "亿纬锂能",
    "比亚迪",
    "三一重工",
    "万华化学",
    "海康威视",
    "牧原股份",
    "金山办公",
    "泰格医药",
    "康龙化成",
    "凯莱英",
    "顺丰控股",
    "赣锋锂业",
    "通威股份",
    "宁波银行",
    "韦尔股份",
    "北方华创",
    "恩捷股份",
    "先导智能",
    "欧普康视",
    "我武生物",
    "晨光股份",
    "分众传媒",
    "爱美客",
    "华熙生物",
    "安图生物",
    "健帆生物",
    "益丰药房",
    "大参林",
    "东方雨虹",
    "伟星新材",
    "福耀玻璃",
    "上海机场",
    "重庆啤酒",
    "古井贡酒",
    "今世缘",
    "酒鬼酒",
    "舍得酒业",
    "水井坊",
    "千禾味业",
    "安井食品",
    "海尔智家",
    "金龙鱼",
    "宋城演艺",
    "沃森生物",
    "康泰生物",
    "昭衍新药",
    "心脉医疗",
    "南微医学",
    "天赐材料",
    "华友钴业",
    "晶澳科技",
    "三花智控",
    "卓胜微",
    "圣邦股份",
    "兆易创新",
    "紫光国微",
    "澜起科技",
)


@dataclass(frozen=True)
class Securities:
    """Stock universe as parallel arrays (one entry per stock, sorted by code)."""

    code: np.ndarray  # str
    name: np.ndarray
    board: np.ndarray
    exchange: np.ndarray
    industry: np.ndarray
    listed: np.ndarray  # datetime64[D]
    crowded: np.ndarray  # bool
    popularity: np.ndarray  # relative chance a client trades it

    @property
    def n(self) -> int:
        return len(self.code)


def load_securities(rng: np.random.Generator) -> Securities:
    """Stocks listed by the as-of date, with industries and the crowded flag assigned."""
    text = resources.files("wealthdesk.demo").joinpath("data").joinpath("a_shares.csv").read_text(encoding="utf-8")
    rows = [r for r in csv.DictReader(text.splitlines()) if r["listed_date"] <= AS_OF.isoformat()]
    code = np.array([r["code"] for r in rows])
    name = np.array([r["name"] for r in rows])
    industry = np.array(
        [
            r["industry"] or INDUSTRIES[i]
            for r, i in zip(rows, rng.integers(4, len(INDUSTRIES), size=len(rows)), strict=True)
        ]
    )
    crowded = np.isin(name, CROWDED_NAMES)
    extra = np.isin(industry, CROWDED_SECTORS) & ~crowded & ~(np.char.find(name, "ST") >= 0)
    candidates = np.flatnonzero(extra)
    crowded[rng.choice(candidates, size=min(12, len(candidates)), replace=False)] = True
    listed = np.array([r["listed_date"] for r in rows], dtype="datetime64[D]")
    age_years = (np.datetime64(AS_OF) - listed).astype(np.int64) / 365
    popularity = rng.lognormal(0, 1.0, size=len(rows)) * np.clip(age_years, 0.3, 10) ** 0.5 * np.where(crowded, 12, 1)
    return Securities(
        code=code,
        name=name,
        board=np.array([r["board"] for r in rows]),
        exchange=np.array([r["exchange"] for r in rows]),
        industry=industry,
        listed=listed,
        crowded=crowded,
        popularity=popularity,
    )
