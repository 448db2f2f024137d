"""The fund retention dashboard (基金保有量): the report of :mod:`wealthdesk.funds.retention` as cards.

The report already holds every number; this module only arranges them: the
balance bridge (start + subscriptions − redemptions + market effect = end),
where redemptions concentrated (fund types, the most redeemed funds, risk
levels), what redeemed funds had in common against retained ones, and how
long redeeming clients had held. Each chart has its table beside it.
"""

from __future__ import annotations

import plotly.graph_objects as go

from wealthdesk.funds.holding_period import PeriodStats
from wealthdesk.funds.retention import Flows, FundLine, FundRetentionReport
from wealthdesk.funds.summary import PERCENT_TRAITS
from wealthdesk.funds.traits import CategoryComparison
from wealthdesk.web.charts import ACCENT, DOWN, MUTED, UP, bar, figure_json, wan_axis
from wealthdesk.web.panels import Panel, Table, count, money, percent, wan, yuan

FUND_TYPES_ZH = {
    "money": "货币型",
    "bond": "债券型",
    "hybrid": "混合型",
    "equity": "股票型",
    "index": "指数型",
    "qdii": "QDII",
    "fof": "FOF",
}


def type_label(fund_type: str) -> str:
    """货币型 (money): the Chinese name staff use, with the identifier the data and the API use."""
    zh = FUND_TYPES_ZH.get(fund_type, fund_type)
    return zh if zh.lower() == fund_type.lower() else f"{zh} ({fund_type})"


def funds_panels(report: FundRetentionReport) -> list[Panel]:
    """The cards of the fund retention dashboard, in reading order."""
    return [
        bridge_panel(report.total),
        by_type_panel(report.by_fund_type),
        top_funds_panel("top_by_amount", "赎回金额最多的基金 · Most redeemed funds (amount)", report.top_by_amount),
        traits_panel(report),
        category_panel(report.categorical_traits),
        holding_panel(report),
        top_funds_panel(
            "top_by_share",
            f"赎回比例最高的基金 · Most redeemed funds (share of balance, ≥ {report.min_holders_for_share} holders)",
            report.top_by_share,
            chart=False,
        ),
    ]


def bridge_panel(total: Flows) -> Panel:
    """Start balance → subscriptions → redemptions → market effect → end balance, as a waterfall."""
    steps = [
        ("期初保有量 start", total.start_balance, "absolute"),
        ("申购 subscriptions", total.subscribed, "relative"),
        ("赎回 redemptions", -total.redeemed, "relative"),
        ("市场波动 market effect", total.market_effect, "relative"),
        ("期末保有量 end", total.end_balance, "total"),
    ]
    fig = go.Figure(
        go.Waterfall(
            x=[label for label, _, _ in steps],
            y=[value / 1e4 for _, value, _ in steps],
            measure=[measure for _, _, measure in steps],
            text=[money(value) for _, value, _ in steps],
            textposition="outside",
            increasing={"marker": {"color": UP}},
            decreasing={"marker": {"color": DOWN}},
            totals={"marker": {"color": ACCENT}},
            connector={"line": {"color": MUTED}},
            hovertemplate="%{x}: %{y:,.1f} 万元<extra></extra>",
            cliponaxis=False,
        )
    )
    fig.update_yaxes(**wan_axis(), rangemode="tozero")
    rows = [(label, yuan(value), wan(value)) for label, value, _ in steps]
    rows.append(("变动 change", yuan(total.change), wan(total.change)))
    rows.append(
        (
            "赎回持仓 holdings redeemed",
            f"{count(total.redeemers)} / {count(total.holders_at_start)}",
            percent(total.redeemer_rate),
        )
    )
    return Panel(
        "bridge",
        "保有量变动拆解 · Balance change = subscriptions − redemptions + market effect",
        figure_json(fig, legend=False),
        Table(("", "CNY", "万元"), rows, frozenset({1, 2})),
    )


def by_type_panel(by_type: dict[str, Flows]) -> Panel:
    """Share of holdings redeemed per fund type, with each type's flows."""
    types = sorted(by_type, key=lambda t: -(by_type[t].redeemer_rate or 0.0))
    rates = [by_type[t].redeemer_rate for t in types]
    labels = [type_label(t) for t in types]
    fig = go.Figure(
        bar(
            labels, [None if r is None else r * 100 for r in rates], text=[percent(r) for r in rates], hover="%{y:.1f}%"
        )
    )
    fig.update_yaxes(title_text="赎回持仓占比 % of holdings redeemed", rangemode="tozero")
    rows = [
        (
            type_label(t),
            count(f.holders_at_start),
            count(f.redeemers),
            percent(f.redeemer_rate),
            yuan(f.start_balance),
            yuan(f.redeemed),
            percent(f.redeemed_share),
            yuan(f.market_effect),
        )
        for t, f in ((t, by_type[t]) for t in types)
    ]
    columns = ("类型 type", "期初持仓 holders", "赎回 redeemers", "占比 rate", "期初 start", "赎回额 redeemed")
    return Panel(
        "by_fund_type",
        "按基金类型 · Redemptions by fund type",
        figure_json(fig, legend=False),
        Table((*columns, "赎回/期初 share", "市场波动 market"), rows, frozenset(range(1, 8))),
    )


def top_funds_panel(key: str, title: str, lines: list[FundLine], *, chart: bool = True) -> Panel:
    """The most redeemed funds: a bar of the amounts and the funds' table."""
    figure = None
    if chart and lines:
        ordered = list(reversed(lines))  # plotly draws horizontal bars bottom-up: the largest goes on top
        fig = go.Figure(
            bar(
                [f"{x.fund_name} ({x.fund_code})" for x in ordered],
                [x.flows.redeemed / 1e4 for x in ordered],
                horizontal=True,
                color=DOWN,
                text=[money(x.flows.redeemed) for x in ordered],
                hover="%{y}: %{x:,.1f} 万元",
            )
        )
        fig.update_xaxes(**wan_axis("赎回额 万元 (CNY 10k)"))
        fig.update_yaxes(automargin=True)
        figure = figure_json(fig, height=380, legend=False)
    rows = [
        (
            x.fund_code,
            x.fund_name,
            type_label(x.fund_type),
            x.company,
            yuan(x.flows.redeemed),
            percent(x.flows.redeemed_share),
            f"{count(x.flows.redeemers)} / {count(x.flows.holders_at_start)}",
        )
        for x in lines
    ]
    columns = ("代码 code", "基金 fund", "类型 type", "基金公司 company", "赎回额 redeemed", "赎回/期初 share")
    table = Table((*columns, "赎回持仓 redeemers"), rows, frozenset({4, 5, 6}), empty="No fund was redeemed.")
    return Panel(key, title, figure, table, wide=True)


def _trait_value(trait: str, value: float | None) -> str:
    return percent(value) if trait in PERCENT_TRAITS else "—" if value is None else f"{value:.3g}"


def traits_panel(report: FundRetentionReport) -> Panel:
    """Numeric traits of the funds behind redeemed vs retained holdings, with Cohen's d."""
    traits = report.numeric_traits
    labels = [t.meaning for t in traits]
    fig = go.Figure()
    for name, values, color in (
        ("赎回 redeemed", [t.redeemed_mean for t in traits], DOWN),
        ("留存 retained", [t.retained_mean for t in traits], ACCENT),
    ):
        shown = [None if v is None else v * 100 for v in values]
        fig.add_trace(bar(labels, shown, name=name, horizontal=True, color=color, hover="%{y}: %{x:.2f}%"))
    fig.update_layout(barmode="group")
    fig.update_xaxes(title_text="均值 mean, %")
    fig.update_yaxes(automargin=True, autorange="reversed")
    rows = [
        (
            t.meaning,
            _trait_value(t.trait, t.redeemed_mean),
            _trait_value(t.trait, t.retained_mean),
            "—" if t.cohens_d is None else f"{t.cohens_d:+.2f}".replace("-", "−"),
            t.magnitude,
        )
        for t in traits
    ]
    columns = ("特征 trait", "赎回 redeemed", "留存 retained", "Cohen's d", "effect")
    return Panel(
        "traits",
        "赎回与留存持仓的基金特征 · Traits of redeemed vs retained holdings",
        figure_json(fig, height=380),
        Table(columns, rows, frozenset({1, 2, 3})),
        notes=("Cohen's d: 0.2 small, 0.5 medium, 0.8 large (redeemed minus retained).",),
    )


def category_panel(categories: list[CategoryComparison]) -> Panel:
    """Share of holders who redeemed within each risk level (R1 … R5); Cramér's V of every category in the notes.

    Fund types are left out of the chart: the by-type card already shows those rates.
    """
    fig = go.Figure()
    rows: list[tuple[str, ...]] = []
    notes = []
    for comparison in categories:
        effect = "—" if comparison.cramers_v is None else f"{comparison.cramers_v:.2f}"
        notes.append(f"{comparison.meaning}: Cramér's V = {effect} ({comparison.magnitude}).")
        if comparison.trait == "fund_type":
            continue
        rates = [float(r["rate"]) for r in comparison.rates.values()]
        fig.add_trace(
            bar(
                list(comparison.rates),
                [r * 100 for r in rates],
                name=comparison.meaning,
                text=[percent(r) for r in rates],
                hover="%{x}: %{y:.1f}%",
            )
        )
        rows += [
            (comparison.meaning, label, count(r["holders"]), count(r["redeemers"]), percent(float(r["rate"])))
            for label, r in comparison.rates.items()
        ]
    fig.update_yaxes(title_text="赎回持仓占比 % of holdings redeemed", rangemode="tozero")
    columns = ("维度 trait", "类别 category", "期初持仓 holders", "赎回 redeemers", "占比 rate")
    return Panel(
        "categories",
        "按风险等级的赎回率 · Redemption rate by risk level",
        figure_json(fig, legend=False),
        Table(columns, rows, frozenset({2, 3, 4})),
        notes=tuple(notes),
    )


def _period_row(group: str, side: str, stats: PeriodStats) -> tuple[str, ...]:
    def days(value: float | None) -> str:
        return "—" if value is None else f"{value:.0f}"

    return (
        group,
        side,
        count(stats.holdings),
        count(stats.since_before_data),
        days(stats.q1),
        days(stats.median),
        days(stats.q3),
    )


def holding_panel(report: FundRetentionReport) -> Panel:
    """Median holding period (with quartiles) of redeemed vs retained holdings, overall and per fund type."""
    periods = report.holding_periods
    groups = [("全部 all", periods.redeemers, periods.non_redeemers)]
    groups += [
        (type_label(t), sides["redeemers"], sides["non_redeemers"])
        for t, sides in sorted(periods.by_fund_type.items())
        if "redeemers" in sides and "non_redeemers" in sides
    ]
    fig = go.Figure()
    for name, stats, color in (
        ("赎回 redeemed", [redeemed for _, redeemed, _ in groups], DOWN),
        ("留存 retained", [retained for _, _, retained in groups], ACCENT),
    ):
        medians = [s.median for s in stats]
        fig.add_trace(
            go.Bar(
                x=[g[0] for g in groups],
                y=medians,
                name=name,
                marker={"color": color},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [None if s.q3 is None or s.median is None else s.q3 - s.median for s in stats],
                    "arrayminus": [None if s.q1 is None or s.median is None else s.median - s.q1 for s in stats],
                    "color": MUTED,
                },
                hovertemplate="%{x}: median %{y:.0f} days<extra>" + name + "</extra>",
            )
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text="持有天数 days held (median, quartiles)", rangemode="tozero")
    rows = [row for g, red, kept in groups for row in (_period_row(g, "赎回", red), _period_row(g, "留存", kept))]
    columns = ("类型 type", "", "持仓 holdings", "数据前已持有 since before data", "Q1", "中位数 median", "Q3")
    return Panel(
        "holding_periods",
        "赎回前持有时长 · How long holdings were held",
        figure_json(fig),
        Table(columns, rows, frozenset({2, 3, 4, 5, 6})),
        notes=("Days from the start of the holding spell to the first redemption (or to the window's end).",),
    )
