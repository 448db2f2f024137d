"""The metric catalogue (指标体系): each operating metric defined once, as data.

A metric is its name, Chinese and English label, unit, formula in words and
the SQL that computes it over the canonical tables. The CLI computes from
these objects and ``docs/metrics.md`` is generated from them, so the number
an analyst sees and the definition they read cannot disagree.

SQL parameters (DuckDB named parameters):

- ``$as_of``: the reporting date (inclusive);
- ``$as_of_end``: the day after ``as_of``, the exclusive upper bound for timestamps;
- ``$window_start``: first day of the window of ``window_days`` days ending at ``as_of``;
- ``$snapshot_date``: the latest holdings snapshot on or before ``as_of``.

Balances (AUM, 基金保有量) are read from the latest holdings snapshot on or
before ``as_of``, which is assumed complete: every account with a position
has a row on every snapshot date (the holdings table is an end-of-day
snapshot per account).
"""

from __future__ import annotations

from dataclasses import dataclass

HIGH_VALUE_AUM = 1_000_000  # CNY; brokerages report "百万资产客户数"


@dataclass(frozen=True)
class Metric:
    """One operating metric. Exactly one of ``sql`` or ``ratio_of`` is set.

    ``ratio_of`` names two other metrics (numerator, denominator) so that a
    ratio reuses their definitions instead of repeating them.
    """

    name: str
    label_zh: str
    label_en: str
    unit: str  # CNY, customers, accounts or ratio
    formula: str
    sql: str | None = None
    ratio_of: tuple[str, str] | None = None
    uses_snapshot: bool = False
    uses_window: bool = False

    def __post_init__(self) -> None:
        if (self.sql is None) == (self.ratio_of is None):
            raise ValueError(f"metric {self.name}: give exactly one of sql or ratio_of")

    @property
    def label(self) -> str:
        return f"{self.label_zh} ({self.label_en})"


_IN_WINDOW = "{col} >= $window_start AND {col} < $as_of_end"

METRICS: tuple[Metric, ...] = (
    Metric(
        name="aum",
        label_zh="客户资产规模",
        label_en="AUM",
        unit="CNY",
        formula="Σ market_value of all holdings (stock + fund + cash) on the latest snapshot_date ≤ as_of",
        sql="SELECT coalesce(sum(market_value), 0) FROM holdings WHERE snapshot_date = $snapshot_date",
        uses_snapshot=True,
    ),
    Metric(
        name="fund_holding_balance",
        label_zh="基金保有量",
        label_en="fund holding balance",
        unit="CNY",
        formula="Σ market_value of holdings with asset_type = 'fund' on the latest snapshot_date ≤ as_of",
        sql=(
            "SELECT coalesce(sum(market_value), 0) FROM holdings "
            "WHERE snapshot_date = $snapshot_date AND asset_type = 'fund'"
        ),
        uses_snapshot=True,
    ),
    Metric(
        name="non_money_fund_holding_balance",
        label_zh="非货币基金保有量",
        label_en="non-money-market fund holding balance",
        unit="CNY",
        formula=(
            "Σ market_value of fund holdings whose fund (funds.fund_type) is not 'money' on the latest "
            "snapshot_date ≤ as_of; holdings of funds missing from `funds` are not counted"
        ),
        sql=(
            "SELECT coalesce(sum(h.market_value), 0) FROM holdings h JOIN funds f ON f.fund_code = h.instrument_code "
            "WHERE h.snapshot_date = $snapshot_date AND h.asset_type = 'fund' AND f.fund_type <> 'money'"
        ),
        uses_snapshot=True,
    ),
    Metric(
        name="high_value_customers",
        label_zh="百万资产客户数",
        label_en="customers with AUM ≥ 1M",
        unit="customers",
        formula=f"customers whose holdings over all their accounts sum to ≥ {HIGH_VALUE_AUM:,} CNY on the latest "
        "snapshot_date ≤ as_of",
        sql=(
            "SELECT count(*) FROM (SELECT a.customer_id FROM holdings h JOIN accounts a USING (account_id) "
            "WHERE h.snapshot_date = $snapshot_date GROUP BY a.customer_id "
            f"HAVING sum(h.market_value) >= {HIGH_VALUE_AUM})"
        ),
        uses_snapshot=True,
    ),
    Metric(
        name="deposits",
        label_zh="入金",
        label_en="deposits",
        unit="CNY",
        formula="Σ amount of cash_flows with flow_type = 'deposit' and flow_time in the window",
        sql="SELECT coalesce(sum(amount), 0) FROM cash_flows WHERE flow_type = 'deposit' AND "
        + _IN_WINDOW.format(col="flow_time"),
        uses_window=True,
    ),
    Metric(
        name="withdrawals",
        label_zh="出金",
        label_en="withdrawals",
        unit="CNY",
        formula="Σ amount of cash_flows with flow_type = 'withdrawal' and flow_time in the window",
        sql="SELECT coalesce(sum(amount), 0) FROM cash_flows WHERE flow_type = 'withdrawal' AND "
        + _IN_WINDOW.format(col="flow_time"),
        uses_window=True,
    ),
    Metric(
        name="net_inflow",
        label_zh="资金净流入",
        label_en="net inflow",
        unit="CNY",
        formula="deposits − withdrawals (cash_flows, flow_time in the window)",
        sql=(
            "SELECT coalesce(sum(CASE WHEN flow_type = 'deposit' THEN amount ELSE -amount END), 0) FROM cash_flows "
            "WHERE flow_type IN ('deposit', 'withdrawal') AND " + _IN_WINDOW.format(col="flow_time")
        ),
        uses_window=True,
    ),
    Metric(
        name="opened_customers",
        label_zh="开户客户数",
        label_en="customers with an opened account",
        unit="customers",
        formula="distinct customers with an account whose opened_date ≤ as_of",
        sql="SELECT count(DISTINCT customer_id) FROM accounts WHERE opened_date <= $as_of",
    ),
    Metric(
        name="funded_customers",
        label_zh="入金客户数",
        label_en="funded customers",
        unit="customers",
        formula="distinct customers with an account opened by as_of that has a deposit with flow_time ≤ as_of",
        sql=(
            "SELECT count(DISTINCT a.customer_id) FROM cash_flows f JOIN accounts a USING (account_id) "
            "WHERE f.flow_type = 'deposit' AND f.flow_time < $as_of_end AND a.opened_date <= $as_of"
        ),
    ),
    Metric(
        name="funded_user_ratio",
        label_zh="入金率",
        label_en="funded-user ratio",
        unit="ratio",
        formula="funded_customers / opened_customers",
        ratio_of=("funded_customers", "opened_customers"),
    ),
    Metric(
        name="new_accounts",
        label_zh="新开户数",
        label_en="new accounts",
        unit="accounts",
        formula="accounts with opened_date in the window",
        sql="SELECT count(*) FROM accounts WHERE opened_date >= $window_start AND opened_date <= $as_of",
        uses_window=True,
    ),
    Metric(
        name="active_users",
        label_zh="活跃用户数",
        label_en="active users",
        unit="customers",
        formula="distinct customers with a trade (through any of their accounts) or an app login in the window",
        sql=(
            "SELECT count(*) FROM ("
            "SELECT a.customer_id FROM trades t JOIN accounts a USING (account_id) WHERE "
            + _IN_WINDOW.format(col="t.trade_time")
            + " UNION SELECT customer_id FROM app_events WHERE event_type = 'login' AND "
            + _IN_WINDOW.format(col="event_time")
            + ")"
        ),
        uses_window=True,
    ),
    Metric(
        name="turnover",
        label_zh="股基交易额",
        label_en="stock and fund turnover",
        unit="CNY",
        formula="Σ amount of trades (stock buys/sells, fund subscriptions/redemptions) with trade_time in the window",
        sql="SELECT coalesce(sum(amount), 0) FROM trades WHERE " + _IN_WINDOW.format(col="trade_time"),
        uses_window=True,
    ),
)

METRICS_BY_NAME: dict[str, Metric] = {m.name: m for m in METRICS}
