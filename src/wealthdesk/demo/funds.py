"""The fund shelf: invented but plausible funds, and the quarterly top-ten disclosures.

Fund names follow how fund companies name them (company + theme + share-class
suffix) and risk levels follow the type (money R1, bond R2, hybrid R3/R4,
equity and index R4, QDII R4/R5, FOF R2/R3).  The top-ten holdings are what
define each fund's exposure to the crowded (抱团) stocks, so the sell-off
analysis can recover it from the data alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wealthdesk.demo.universe import CROWDED_SECTORS, Securities

FUND_COMPANIES = (
    "易方达",
    "华夏",
    "南方",
    "广发",
    "嘉实",
    "博时",
    "汇添富",
    "富国",
    "招商",
    "工银瑞信",
    "中欧",
    "景顺长城",
    "兴证全球",
    "交银施罗德",
    "鹏华",
    "银华",
    "天弘",
    "华安",
    "大成",
    "国泰",
    "建信",
    "平安",
    "万家",
    "前海开源",
)
MANAGER_NAMES = (
    "张坤",
    "刘彦春",
    "谢治宇",
    "葛兰",
    "朱少醒",
    "萧楠",
    "傅鹏博",
    "周蔚文",
    "刘格菘",
    "蔡嵩松",
    "胡昕炜",
    "焦巍",
    "王宗合",
    "董承非",
    "杨锐文",
    "赵蓓",
    "冯明远",
    "丘栋荣",
    "曲扬",
    "周应波",
    "陈皓",
    "归凯",
    "杨金金",
    "韩创",
    "李晓星",
    "张芊",
    "王崇",
    "曹名长",
    "袁芳",
    "刘畅畅",
    "唐晓斌",
    "郑澄然",
    "胡宜斌",
    "崔宸龙",
    "邬传雁",
    "孙伟",
)

# type, share of shelf, risk levels, themes (theme, sector or "" for broad), suffixes, sub/redeem fee, mgmt fee
FUND_TYPES: tuple[
    tuple[str, float, tuple[str, ...], tuple[tuple[str, str], ...], tuple[str, ...], float, float], ...
] = (
    (
        "money",
        0.07,
        ("R1",),
        (("", ""), ("现金", ""), ("天天", ""), ("添利", "")),
        ("货币A", "货币B", "货币E"),
        0.0,
        0.0025,
    ),
    (
        "bond",
        0.2,
        ("R2",),
        (("纯债", ""), ("信用", ""), ("短债", ""), ("安心回报", ""), ("双债增强", ""), ("中短债", "")),
        ("债券A", "债券C", "纯债债券A", "债券型"),
        0.008,
        0.006,
    ),
    (
        "hybrid",
        0.3,
        ("R3", "R3", "R4"),
        (
            ("消费升级", "食品饮料"),
            ("医疗健康", "医药生物"),
            ("新能源", "电力设备"),
            ("价值精选", ""),
            ("成长优选", ""),
            ("科技创新", "电子"),
            ("蓝筹精选", ""),
            ("核心资产", "食品饮料"),
            ("优质企业", ""),
            ("均衡配置", ""),
            ("高端制造", "机械设备"),
            ("品质生活", "食品饮料"),
        ),
        ("混合A", "混合C", "灵活配置混合"),
        0.015,
        0.015,
    ),
    (
        "equity",
        0.14,
        ("R4",),
        (
            ("消费行业", "食品饮料"),
            ("医药创新", "医药生物"),
            ("新能源车", "电力设备"),
            ("半导体", "电子"),
            ("创新成长", ""),
            ("白酒主题", "食品饮料"),
            ("低碳环保", "电力设备"),
            ("大盘价值", ""),
        ),
        ("股票A", "股票型", "股票C"),
        0.015,
        0.015,
    ),
    (
        "index",
        0.16,
        ("R4",),
        (
            ("沪深300", ""),
            ("中证500", ""),
            ("上证50", ""),
            ("创业板", "电力设备"),
            ("科创50", "电子"),
            ("中证白酒", "食品饮料"),
            ("中证医疗", "医药生物"),
            ("中证新能源汽车", "电力设备"),
            ("中证全指证券公司", "非银金融"),
            ("国证半导体芯片", "电子"),
        ),
        ("指数A", "ETF联接A", "ETF联接C", "指数增强A"),
        0.012,
        0.005,
    ),
    (
        "qdii",
        0.05,
        ("R4", "R5"),
        (("纳斯达克100", ""), ("全球医疗保健", ""), ("恒生科技", ""), ("中概互联网", ""), ("标普500", "")),
        ("(QDII)", "指数(QDII)A", "ETF联接(QDII)C"),
        0.012,
        0.008,
    ),
    (
        "fof",
        0.08,
        ("R2", "R3"),
        (("养老目标2035三年持有期", ""), ("稳健养老目标一年持有期", ""), ("平衡养老目标三年持有期", "")),
        ("混合(FOF)", "养老目标FOF"),
        0.008,
        0.006,
    ),
)
EQUITY_TYPES = ("hybrid", "equity", "index")


@dataclass(frozen=True)
class Funds:
    """Fund shelf as parallel arrays."""

    code: np.ndarray
    name: np.ndarray
    fund_type: np.ndarray
    company: np.ndarray
    risk_level: np.ndarray
    manager: np.ndarray
    inception: np.ndarray  # datetime64[D]
    management_fee: np.ndarray
    custody_fee: np.ndarray
    subscription_fee: np.ndarray
    redemption_fee: np.ndarray
    sector: np.ndarray  # theme's industry, "" for broad
    equity_share: np.ndarray  # share of assets in stocks (drives NAV volatility)
    popularity: np.ndarray

    @property
    def n(self) -> int:
        return len(self.code)


def build_funds(count: int, rng: np.random.Generator) -> Funds:
    """``count`` funds across types, companies and themes with type-consistent risk levels and fees."""
    shares = np.array([t[1] for t in FUND_TYPES])
    type_idx = rng.choice(len(FUND_TYPES), size=count, p=shares / shares.sum())
    codes = np.sort(rng.choice(np.arange(1, 20000), size=count, replace=False))
    names, types, risks, sectors, companies, sub_fee, red_fee, mgmt, equity = [], [], [], [], [], [], [], [], []
    seen: set[str] = set()
    for t in type_idx:  # a few thousand funds at most: a Python loop is fine here
        ftype, _, levels, themes, suffixes, fee, mfee = FUND_TYPES[t]
        for _attempt in range(50):
            company = FUND_COMPANIES[rng.integers(len(FUND_COMPANIES))]
            theme, sector = themes[rng.integers(len(themes))]
            name = f"{company}{theme}{suffixes[rng.integers(len(suffixes))]}"
            if name not in seen:
                break
            flavour = ("精选", "优势", "睿选", "领先", "臻选")[rng.integers(5)]
            name = f"{company}{theme}{flavour}{suffixes[rng.integers(len(suffixes))]}"
            if name not in seen:
                break
        seen.add(name)
        names.append(name)
        types.append(ftype)
        risks.append(levels[rng.integers(len(levels))])
        sectors.append(sector)
        companies.append(company)
        c_share = name.endswith(("C", "C)")) or "C" in name[-3:]
        sub_fee.append(0.0 if c_share or ftype == "money" else fee)
        red_fee.append(0.0 if ftype == "money" else 0.005 if ftype != "bond" else 0.001)
        mgmt.append(mfee)
        equity.append(
            {"money": 0.0, "bond": 0.05, "hybrid": 0.75, "equity": 0.9, "index": 0.95, "qdii": 0.0, "fof": 0.3}[ftype]
            * rng.uniform(0.85, 1.05)
        )
    n = count
    inception = np.datetime64("2003-01-01") + rng.integers(0, 19 * 365 + 150, size=n).astype("timedelta64[D]")
    ftypes = np.array(types)
    return Funds(
        code=np.array([f"{c:06d}" for c in codes]),
        name=np.array(names),
        fund_type=ftypes,
        company=np.array(companies),
        risk_level=np.array(risks),
        manager=np.array(MANAGER_NAMES)[rng.integers(0, len(MANAGER_NAMES), size=n)],
        inception=inception,
        management_fee=np.array(mgmt) * rng.choice([0.5, 0.8, 1.0, 1.0], size=n),
        custody_fee=np.where(ftypes == "money", 0.0008, np.where(ftypes == "bond", 0.001, 0.0025)),
        subscription_fee=np.array(sub_fee),
        redemption_fee=np.array(red_fee),
        sector=np.array(sectors),
        equity_share=np.clip(np.array(equity), 0, 1),
        popularity=rng.lognormal(0, 1.2, size=n),
    )


REPORT_DATES = np.array(
    [
        "2019-12-31",
        "2020-03-31",
        "2020-06-30",
        "2020-09-30",
        "2020-12-31",
        "2021-03-31",
        "2021-06-30",
        "2021-09-30",
        "2021-12-31",
        "2022-03-31",
    ],
    dtype="datetime64[D]",
)


@dataclass(frozen=True)
class TopHoldings:
    """Quarterly top-ten disclosures and the crowded exposure they imply per fund."""

    fund: np.ndarray  # fund index
    report_date: np.ndarray
    stock: np.ndarray  # security index
    weight: np.ndarray
    crowded_exposure: np.ndarray  # per fund: crowded weight at the 2020-12-31 report


def build_top_holdings(funds: Funds, secs: Securities, rng: np.random.Generator) -> TopHoldings:
    """Top-ten stock holdings per equity-type fund; the crowded weight is the fund's exposure to the sell-off."""
    crowded_idx = np.flatnonzero(secs.crowded)
    exposure = np.zeros(funds.n)
    rows_f, rows_d, rows_s, rows_w = [], [], [], []
    by_sector = {s: np.flatnonzero((secs.industry == s) & ~secs.crowded) for s in set(secs.industry)}
    for f in np.flatnonzero(np.isin(funds.fund_type, EQUITY_TYPES)):
        sector = funds.sector[f]
        crowd_target = rng.beta(2, 3) * 0.55 * (1.5 if sector in CROWDED_SECTORS else 0.7)
        n_crowded = int(np.clip(round(crowd_target / 0.055), 0, 10))
        pool_c = crowded_idx[np.isin(secs.industry[crowded_idx], [sector])] if sector else crowded_idx
        pool_c = pool_c if len(pool_c) >= n_crowded else crowded_idx
        pool_o = by_sector.get(sector, np.array([], dtype=np.int64))
        pool_o = pool_o if len(pool_o) >= 10 else np.flatnonzero(~secs.crowded)
        stocks = np.concatenate(
            [rng.choice(pool_c, size=n_crowded, replace=False), rng.choice(pool_o, size=10 - n_crowded, replace=False)]
        )
        base = np.sort(rng.uniform(0.025, 0.095, size=10))[::-1]
        for q, day in enumerate(REPORT_DATES):
            listed = secs.listed[stocks] <= day
            swap = (rng.random(10) < 0.15) & (np.arange(10) >= n_crowded)
            stocks = np.where(swap, rng.choice(pool_o, size=10), stocks)
            w = np.round(base * rng.uniform(0.85, 1.15, size=10), 4)
            keep = listed & ~_dups(stocks)
            rows_f.append(np.full(keep.sum(), f))
            rows_d.append(np.full(keep.sum(), day))
            rows_s.append(stocks[keep])
            rows_w.append(w[keep])
            if day == np.datetime64("2020-12-31"):
                exposure[f] = w[keep & secs.crowded[stocks]].sum()
            del q
    return TopHoldings(
        fund=np.concatenate(rows_f),
        report_date=np.concatenate(rows_d),
        stock=np.concatenate(rows_s),
        weight=np.concatenate(rows_w),
        crowded_exposure=exposure,
    )


def _dups(values: np.ndarray) -> np.ndarray:
    """True for every repeat of an earlier value (keeps the first)."""
    _, first = np.unique(values, return_index=True)
    mask = np.ones(len(values), dtype=bool)
    mask[first] = False
    return mask
