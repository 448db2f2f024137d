"""Branches, advisors, clients and accounts, with the hidden traits that drive their behaviour.

Each client has latent traits (wealth, trading activity, app use, risk
appetite) drawn first; the visible columns and all later behaviour derive from
them, so analyses have real signal to find.  AUM is heavy-tailed (lognormal
body, Pareto tail); advisors serve ~100–300 clients each; ChiNext and Level-2
adoption are Bernoulli draws from propensities that are written to the truth
folder and never ingested.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from wealthdesk.demo import people, places
from wealthdesk.demo.calendar import AS_OF, Calendar
from wealthdesk.demo.interests import CHINEXT, LEVEL2, Interests, plant
from wealthdesk.demo.marketing import Campaigns

TITLES = ("投资顾问", "投资顾问", "投资顾问", "客户经理", "客户经理", "理财经理")
CHANNELS = ("branch", "app_organic", "wecom_qrcode", "bank_partner", "online_ads", "referral")
_CHANNEL_P = np.array([0.3, 0.25, 0.12, 0.13, 0.12, 0.08])


@dataclass(frozen=True)
class Branches:
    branch_id: list[str]
    name: list[str]
    city: list[str]
    province: list[str]
    opened: np.ndarray
    area_code: np.ndarray
    size: np.ndarray  # share of clients


def build_branches(count: int, rng: np.random.Generator) -> Branches:
    """``count`` branches in real districts of real cities, bigger cities first."""
    weights = np.array([d.city_weight / sum(1 for e in places.DISTRICTS if e.city == d.city) for d in places.DISTRICTS])
    count = min(count, len(places.DISTRICTS) * 2)
    chosen = rng.choice(
        len(places.DISTRICTS), size=count, replace=count > len(places.DISTRICTS), p=weights / weights.sum()
    )
    names, seen = [], set()
    for i in chosen:
        d = places.DISTRICTS[i]
        name = f"{d.city}{d.district}{d.street}证券营业部"
        if name in seen:
            name = f"{d.city}{d.district}第二证券营业部"
        seen.add(name)
        names.append(name)
    opened = np.datetime64("1993-01-01") + rng.integers(0, 26 * 365, size=count).astype("timedelta64[D]")
    return Branches(
        branch_id=[f"B{i + 1:04d}" for i in range(count)],
        name=names,
        city=[places.DISTRICTS[i].city for i in chosen],
        province=[places.DISTRICTS[i].province for i in chosen],
        opened=opened,
        area_code=np.array([places.DISTRICTS[i].area_code for i in chosen]),
        size=weights[chosen] * rng.lognormal(0, 0.5, size=count),
    )


@dataclass(frozen=True)
class Advisors:
    advisor_id: list[str]
    name: list[str]
    wecom_userid: list[str]
    branch: np.ndarray
    title: list[str]
    certificate_no: list[str]
    hired: np.ndarray


def build_advisors(per_branch: np.ndarray, rng: np.random.Generator) -> Advisors:
    """Advisors per branch with pinyin WeCom userids such as ``zhangwei0123``."""
    n = int(per_branch.sum())
    branch = np.repeat(np.arange(len(per_branch)), per_branch)
    names = people.sample_names(rng.random(n) < 0.5, rng, surnames_with_pinyin=True).to_pylist()
    userids, seen = [], set()
    suffix = rng.integers(0, 10_000, size=n)
    for i, name in enumerate(names):  # thousands of advisors: a Python loop is fine
        uid = f"{people.pinyin_of(name)}{suffix[i]:04d}"
        while uid in seen:
            suffix[i] = (suffix[i] + 7919) % 10_000
            uid = f"{people.pinyin_of(name)}{suffix[i]:04d}"
        seen.add(uid)
        userids.append(uid)
    hired = np.datetime64("2005-01-01") + rng.integers(0, 16 * 365, size=n).astype("timedelta64[D]")
    certs = [
        f"S{rng.integers(1000, 1600):04d}{int(str(h)[2:4]):02d}{int(str(h)[5:7]):02d}{rng.integers(0, 100000):05d}"
        for h in hired
    ]
    order = rng.permutation(n)
    return Advisors(
        advisor_id=[f"E{100000 + int(k):06d}" for k in order],
        name=names,
        wecom_userid=userids,
        branch=branch,
        title=[TITLES[i] for i in rng.integers(0, len(TITLES), size=n)],
        certificate_no=certs,
        hired=hired,
    )


@dataclass
class Customers:
    """Clients as parallel arrays plus their latent traits."""

    customer_id: pa.Array
    name: pa.Array
    male: np.ndarray
    birth: np.ndarray
    id_number: pa.Array
    phone: pa.Array
    city: np.ndarray  # index into places.CITIES
    branch: np.ndarray
    advisor: np.ndarray  # -1: none
    risk: np.ndarray  # 0 = never assessed, 1..5 = C1..C5
    risk_date: np.ndarray
    lowest: np.ndarray
    professional: np.ndarray
    channel: np.ndarray  # index into CHANNELS
    acq_campaign: np.ndarray  # campaign index or -1
    registered: np.ndarray  # datetime64[s]
    aum: np.ndarray  # wealth at the brokerage (CNY), heavy-tailed
    activity: np.ndarray  # trading intensity multiplier
    app_use: np.ndarray  # app engagement multiplier
    interests: Interests

    @property
    def n(self) -> int:
        return len(self.male)


def build_customers(
    n: int, cal: Calendar, branches: Branches, advisors: Advisors, camps: Campaigns, rng: np.random.Generator
) -> Customers:
    """``n`` clients with consistent personal data, a branch, an advisor and latent traits."""
    male = rng.random(n) < 0.56
    # registration: three quarters before the window (since 2005), the rest during it, growing with the 2020 boom
    before = rng.random(n) < 0.72
    reg_days = np.where(
        before,
        rng.integers(0, (np.datetime64("2019-12-31") - np.datetime64("2005-01-01")).astype(int), n),
        (np.datetime64("2019-12-31") - np.datetime64("2005-01-01")).astype(int)
        + (rng.beta(1.3, 1.0, size=n) * ((np.datetime64(AS_OF) - np.datetime64("2019-12-31")).astype(int))),
    )
    registered = (
        np.datetime64("2005-01-01T00:00:00")
        + reg_days.astype(np.int64) * 86400
        + (8 * 3600 + rng.integers(0, 13 * 3600, size=n))
    ).astype("datetime64[s]")
    age_at_2022 = np.clip(rng.normal(44, 12, size=n), 18, 85)
    birth = (np.datetime64("2022-06-30") - (age_at_2022 * 365.25).astype(np.int64)).astype("datetime64[D]")
    birth = np.minimum(birth, registered.astype("datetime64[D]") - 18 * 366)
    branch = rng.choice(len(branches.branch_id), size=n, p=branches.size / branches.size.sum())
    branch_city = np.array([places.CITIES.index(c) for c in branches.city])[branch]
    city = np.where(
        rng.random(n) < 0.88,
        branch_city,
        rng.choice(len(places.CITIES), size=n, p=np.array(places.CITY_WEIGHTS) / sum(places.CITY_WEIGHTS)),
    )
    city_codes = [places.city_area_codes(c) for c in places.CITIES]
    area = _area_codes(city, city_codes, rng)
    # advisors: ~80% of clients have one at their branch; advisors differ in book size
    adv_weight = rng.lognormal(0, 0.35, size=len(advisors.branch))
    advisor = np.full(n, -1)
    has_adv = rng.random(n) < 0.8
    order = np.argsort(advisors.branch, kind="stable")
    starts = np.searchsorted(advisors.branch[order], np.arange(len(branches.branch_id)))
    ends = np.searchsorted(advisors.branch[order], np.arange(len(branches.branch_id)), side="right")
    for b in range(len(branches.branch_id)):  # per branch (≤ 100): vectorised within
        members = np.flatnonzero(has_adv & (branch == b))
        pool = order[starts[b] : ends[b]]
        if len(pool) and len(members):
            w = adv_weight[pool]
            advisor[members] = pool[rng.choice(len(pool), size=len(members), p=w / w.sum())]
    # wealth: lognormal body with a Pareto tail
    aum = rng.lognormal(np.log(60_000), 1.35, size=n)
    tail = rng.random(n) < 0.02
    aum[tail] = 1_000_000 * (1 + rng.pareto(1.3, size=tail.sum()))
    aum = np.round(aum * (0.6 + age_at_2022 / 60), 2)
    activity = rng.lognormal(0, 0.9, size=n)
    app_use = rng.lognormal(0, 0.8, size=n) * np.where(age_at_2022 < 40, 1.4, 0.8)
    risk_score = np.clip(rng.beta(2.2, 2.2, size=n) + 0.1 * (activity > 2) - 0.004 * (age_at_2022 - 44), 0, 1)
    risk = np.digitize(risk_score, [0.12, 0.33, 0.62, 0.85]) + 1
    risk[rng.random(n) < 0.03] = 0
    reg_day = registered.astype("datetime64[D]")
    span = (np.datetime64(AS_OF) - reg_day).astype(np.int64)
    risk_date = np.where(risk > 0, reg_day + (rng.random(n) * span).astype(np.int64), np.datetime64("NaT"))
    lowest = (risk == 1) & (rng.random(n) < 0.15)
    professional = (aum > 5_000_000) & (rng.random(n) < 0.6)
    channel = rng.choice(len(CHANNELS), size=n, p=_CHANNEL_P)
    acq = _acquisition_campaigns(channel, registered, camps, rng)
    interests = plant(n, risk_score, (age_at_2022 < 35).astype(float), rng)
    return Customers(
        customer_id=_customer_ids(n),
        name=people.sample_names(male, rng),
        male=male,
        birth=birth,
        id_number=people.id_numbers(area, birth, male, rng),
        phone=people.mobile_numbers(n, rng),
        city=city,
        branch=branch,
        advisor=advisor,
        risk=risk,
        risk_date=risk_date.astype("datetime64[D]"),
        lowest=lowest,
        professional=professional,
        channel=channel,
        acq_campaign=acq,
        registered=registered,
        aum=aum,
        activity=activity,
        app_use=app_use,
        interests=interests,
    )


def _customer_ids(n: int) -> pa.Array:
    from wealthdesk.demo.strings import codes

    return codes("", 310_000_000_000 + np.arange(1, n + 1) * 7, 12)


def _area_codes(city: np.ndarray, city_codes: list[tuple[int, ...]], rng: np.random.Generator) -> np.ndarray:
    width = max(len(c) for c in city_codes)
    table = np.array([[c[k % len(c)] for k in range(width)] for c in city_codes])
    return table[city, rng.integers(0, width, size=len(city))]


def _acquisition_campaigns(
    channel: np.ndarray, registered: np.ndarray, camps: Campaigns, rng: np.random.Generator
) -> np.ndarray:
    """Credit clients registered during an acquisition campaign on its channel to that campaign (70%)."""
    acq = np.full(len(channel), -1)
    reg_day = registered.astype("datetime64[D]")
    for c, objective in enumerate(camps.objective):
        if objective != "acquisition":
            continue
        ch = CHANNELS.index(camps.channel[c])
        hit = (channel == ch) & (reg_day >= camps.start[c]) & (reg_day <= camps.end[c]) & (acq < 0)
        acq[hit & (rng.random(len(channel)) < 0.7)] = c
    return acq


@dataclass
class Accounts:
    """Securities accounts; ``customer`` indexes Customers."""

    account_id: pa.Array
    customer: np.ndarray
    margin: np.ndarray
    opened: np.ndarray  # datetime64[D]
    status: np.ndarray  # filled after behaviour
    chinext: np.ndarray  # datetime64[D] or NaT
    star: np.ndarray
    level2: np.ndarray
    p_chinext: np.ndarray  # propensity over the window (truth)
    p_level2: np.ndarray

    @property
    def n(self) -> int:
        return len(self.customer)


def build_accounts(cust: Customers, cal: Calendar, rng: np.random.Generator) -> Accounts:
    """Cash accounts for funded clients (some also margin), with propensity-driven ChiNext / Level-2 adoption."""
    from wealthdesk.demo.strings import codes

    n = cust.n
    reg = cust.registered.astype("datetime64[D]")
    funded = rng.random(n) < np.where(reg > np.datetime64("2022-03-01"), 0.5, 0.9)
    owners = np.flatnonzero(funded)
    margin_owners = owners[(cust.aum[owners] > 500_000) & (rng.random(len(owners)) < 0.25)]
    customer = np.concatenate([owners, margin_owners])
    margin = np.concatenate([np.zeros(len(owners), bool), np.ones(len(margin_owners), bool)])
    order = np.lexsort((margin, customer))
    customer, margin = customer[order], margin[order]
    opened = reg[customer] + rng.integers(0, 20, size=len(customer)).astype("timedelta64[D]")
    opened = np.where(margin, opened + rng.integers(180, 900, size=len(customer)).astype("timedelta64[D]"), opened)
    opened = np.minimum(opened, np.datetime64(AS_OF))
    m = len(customer)
    young = (np.datetime64("2022-06-30") - cust.birth[customer]).astype(np.int64) < 35 * 365
    log_aum = np.log10(np.maximum(cust.aum[customer], 1000))
    interest_c = cust.interests.has(CHINEXT, n)[customer]
    interest_l = cust.interests.has(LEVEL2, n)[customer]
    act = np.log(cust.activity[customer])
    risk = cust.risk[customer]
    z_c = -2.6 + 0.55 * (log_aum - 4.8) + 0.6 * act + 2.2 * interest_c + 0.5 * young + 0.35 * (risk - 3) + 0.3 * margin
    z_l = -3.4 + 0.45 * (log_aum - 4.8) + 0.9 * act + 2.6 * interest_l + 0.3 * young + 0.2 * (risk - 3)
    p_c, p_l = 1 / (1 + np.exp(-z_c)), 1 / (1 + np.exp(-z_l))
    window0 = cal.days[0]
    legacy_c = (opened < window0) & (rng.random(m) < p_c * 0.5)
    new_c = ~legacy_c & (rng.random(m) < p_c) & (risk >= 3)
    chinext = _adoption_dates(opened, legacy_c, new_c, cal, rng)
    new_l = rng.random(m) < p_l
    level2 = _adoption_dates(opened, np.zeros(m, bool), new_l, cal, rng)
    star_ok = (cust.aum[customer] > 500_000) & (rng.random(m) < 0.5) & (risk >= 4)
    star = _adoption_dates(opened, star_ok & (opened < window0), star_ok & (opened >= window0), cal, rng)
    return Accounts(
        account_id=codes("", 660_000_000_000 + np.arange(1, m + 1) * 3, 12),
        customer=customer,
        margin=margin,
        opened=opened,
        status=np.array(["normal"] * m, dtype=object),
        chinext=chinext,
        star=star,
        level2=level2,
        p_chinext=np.round(p_c, 5),
        p_level2=np.round(p_l, 5),
    )


def _adoption_dates(
    opened: np.ndarray, legacy: np.ndarray, new: np.ndarray, cal: Calendar, rng: np.random.Generator
) -> np.ndarray:
    """NaT, a date before the window (legacy permission) or a date within it after the account opened."""
    m = len(opened)
    out = np.full(m, np.datetime64("NaT"), dtype="datetime64[D]")
    first = np.maximum(opened, cal.days[0]) + 1
    span = np.maximum((cal.days[-1] - first).astype(np.int64), 1)
    during = first + (rng.random(m) * span).astype(np.int64)
    before = opened + (rng.random(m) * np.maximum((cal.days[0] - opened).astype(np.int64), 1)).astype(np.int64)
    out[new & (first <= cal.days[-1])] = during[new & (first <= cal.days[-1])]
    out[legacy] = np.minimum(before[legacy], cal.days[0] - 1)
    return out
