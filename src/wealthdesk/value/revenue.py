"""What the brokerage earns from a client: the revenue rules, per trade and per month.

A client's fees are not the brokerage's revenue. Part of what the client pays
is a tax or belongs to someone else, and part of what the brokerage earns is
never on a trade at all. The rules below turn the data into revenue; each
default cites where it comes from, and every one can be changed.

Per trade (the CLV *purchases*):

- **stock buy / sell**: the fee less the stamp duty (印花税, a tax the broker
  collects for the state). Since 2008-09-19 stamp duty is charged on sells
  only, at 0.1% of the amount; from 2023-08-28 it is 0.05% (财政部 税务总局
  公告 2023 年第 39 号). The schedule is by trade date, so a history spanning
  the change is right on both sides. Levies the broker pays out of its
  commission (the exchanges' handling fee 经手费, the CSRC levy 证管费) can be
  taken off with ``pass_through_rate`` (a share of the amount, both sides);
  the default 0 assumes the fee column already holds net commission, as the
  generated data does — check your exchange's current schedule if not.
- **fund subscription**: the subscription fee (申购费) is the distributor's
  (``subscription_fee_share`` = 1).
- **fund redemption**: the redemption fee (赎回费) is credited at
  ``redemption_fee_share`` = 0 by default. It is not the distributor's income:
  the rules for open-ended funds put a fixed part of it (all of it for very
  short holdings) into the fund's assets, and the rest pays the registrar and
  other necessary charges. Set a share if your selling agreements pay you one.

Per month (recurring revenue, no purchase needed):

- **trailing commission** (客户维护费, 尾随佣金): a share of the management fee
  on the fund balance the client holds through the brokerage. Default 50%:
  the cap for individual investors in 《公开募集证券投资基金销售机构监督管理办法》
  (CSRC, 2020); 30% for non-individuals. Monthly = market value × annual
  management fee rate × share ÷ 12, on the latest holdings snapshot on or
  before the as-of date.
- **Level-2 market data** (Level-2 行情): a monthly fee per active
  subscription, default 10 CNY/month (a typical retail price; set yours).
  Active = the account's Level-2 flag with a start date on or before the
  as-of date; the flag is the account's current state, so a past as-of date
  cannot see a subscription that was cancelled since.

All of it is Ibis, so it runs on DuckDB and Spark like the rest of the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import ibis

from wealthdesk.profiles.facts import Period, account_owners

MONTHS_PER_YEAR = 12.0

# (first trade date it applies to, rate on the sell amount): stamp duty on A-share sells
STAMP_DUTY_ON_SELLS: tuple[tuple[date, float], ...] = (
    (date(2008, 9, 19), 0.001),  # sells only from 2008-09-19 (财政部 2008)
    (date(2023, 8, 28), 0.0005),  # halved from 2023-08-28 (财政部 税务总局公告 2023 年第 39 号)
)


@dataclass(frozen=True)
class RevenueRules:
    """How trades and holdings turn into the brokerage's revenue (see the module docstring for the sources)."""

    stamp_duty_on_sells: tuple[tuple[date, float], ...] = STAMP_DUTY_ON_SELLS
    pass_through_rate: float = 0.0
    subscription_fee_share: float = 1.0
    redemption_fee_share: float = 0.0
    trailing_commission_share: float = 0.5
    level2_monthly_fee: float = 10.0

    def __post_init__(self) -> None:
        shares = (self.subscription_fee_share, self.redemption_fee_share, self.trailing_commission_share)
        if any(not 0.0 <= s <= 1.0 for s in shares):
            raise ValueError("revenue shares must be between 0 and 1")
        if self.level2_monthly_fee < 0 or self.pass_through_rate < 0:
            raise ValueError("the Level-2 fee and the pass-through rate must not be negative")
        if not self.stamp_duty_on_sells or any(r < 0 for _, r in self.stamp_duty_on_sells):
            raise ValueError("the stamp duty schedule needs at least one non-negative rate")

    def stamp_duty_rate(self, day: Any) -> Any:
        """The stamp duty rate on a sell on ``day`` (a date column); before the schedule, its first rate."""
        schedule = sorted(self.stamp_duty_on_sells)
        if len(schedule) == 1:
            return ibis.literal(schedule[0][1])
        branches = [(day >= start, rate) for start, rate in reversed(schedule[1:])]
        return ibis.cases(*branches, else_=schedule[0][1])


def trade_revenue(trades: Any, rules: RevenueRules) -> Any:
    """The brokerage's revenue from each trade (a float column of ``trades``), never below 0."""
    amount, fee = trades.amount.cast("float64"), trades.fee.cast("float64")
    kind = trades.trade_type
    stamp = ibis.ifelse(kind == "stock_sell", amount * rules.stamp_duty_rate(trades.trade_time.date()), 0.0)
    stock = fee - stamp - amount * rules.pass_through_rate
    revenue = ibis.cases(
        (kind.isin(["stock_buy", "stock_sell"]), stock),
        (kind == "fund_subscribe", fee * rules.subscription_fee_share),
        (kind == "fund_redeem", fee * rules.redemption_fee_share),
        else_=0.0,
    )
    return ibis.greatest(revenue, 0.0)


def recurring_revenue(backend: Any, as_of: date, snapshot: date | None, rules: RevenueRules) -> Any:
    """Monthly recurring revenue per client at ``as_of``: trailing commission and Level-2 fees.

    ``snapshot`` is the holdings snapshot to value funds on (the latest on or
    before ``as_of``; None when there is none, and then no trailing revenue).
    One row per client with either; columns customer_id, trailing_monthly,
    level2_subscriptions, level2_monthly, recurring_monthly.
    """
    period = Period(as_of)
    owners = account_owners(backend, period)
    h = backend.table("holdings")
    h = h.filter((h.asset_type == "fund") & (ibis.literal(False) if snapshot is None else h.snapshot_date == snapshot))
    funds = backend.table("funds").select(fund_key="fund_code", management_fee="management_fee")
    h = h.join(owners, "account_id").left_join(funds, h.instrument_code == funds.fund_key)
    yearly_fee = h.market_value.cast("float64") * h.management_fee.cast("float64").fill_null(0.0)
    trailing = h.group_by("customer_id").aggregate(
        trailing_monthly=(yearly_fee * rules.trailing_commission_share / MONTHS_PER_YEAR).sum()
    )
    a = backend.table("accounts")
    active = a.level2_enabled & (a.opened_date <= as_of) & (a.level2_date.isnull() | (a.level2_date <= as_of))
    a = a.filter(active)
    level2 = a.group_by("customer_id").aggregate(level2_subscriptions=a.count())
    both = trailing.outer_join(level2, "customer_id")
    both = both.select(
        customer_id=ibis.coalesce(both.customer_id, both.customer_id_right),
        trailing_monthly=both.trailing_monthly.fill_null(0.0),
        level2_subscriptions=both.level2_subscriptions.fill_null(0).cast("int64"),
    )
    level2_monthly = both.level2_subscriptions.cast("float64") * rules.level2_monthly_fee
    return both.mutate(level2_monthly=level2_monthly, recurring_monthly=both.trailing_monthly + level2_monthly)
