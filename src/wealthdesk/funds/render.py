"""The fund retention report on a terminal (rich tables) and as one self-contained HTML page.

The HTML page carries its own styles and draws its bars with plain CSS
widths: it opens offline, from a mail attachment or a shared drive, with no
script and nothing fetched.
"""

from __future__ import annotations

from html import escape
from typing import Any

from rich.console import Console
from rich.table import Table

from wealthdesk.funds.retention import Flows, FundLine, FundRetentionReport
from wealthdesk.funds.summary import PERCENT_TRAITS, money, percent

FLOW_HEADERS = ("start", "end", "change", "market", "subscribed", "redeemed", "redeemed %", "holders", "redeemers %")


def _flow_cells(flows: Flows) -> list[str]:
    return [
        money(flows.start_balance),
        money(flows.end_balance),
        money(flows.change),
        money(flows.market_effect),
        money(flows.subscribed),
        money(flows.redeemed),
        percent(flows.redeemed_share),
        f"{flows.holders_at_start:,}",
        percent(flows.redeemer_rate),
    ]


def _trait_value(trait: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    return percent(value, 2) if trait in PERCENT_TRAITS else f"{value:.3g}"


TERMINAL_FUNDS = 20  # the terminal shows the largest balance changes; JSON and HTML carry every fund


def _sections(
    report: FundRetentionReport, fund_limit: int | None = None
) -> list[tuple[str, tuple[str, ...], list[list[str]]]]:
    """Every table of the report as (title, headers, rows), shared by the terminal and HTML renderings."""

    def fund_rows(lines: list[FundLine]) -> list[list[str]]:
        return [[x.fund_code, x.fund_name, x.fund_type, *_flow_cells(x.flows)] for x in lines]

    p = report.holding_periods

    def period_row(label: str, side: str, stats: Any) -> list[str]:
        quartiles = "n/a" if stats.median is None else f"{stats.q1:.0f} / {stats.median:.0f} / {stats.q3:.0f}"
        return [label, side, f"{stats.holdings:,}", f"{stats.known:,}", f"{stats.since_before_data:,}", quartiles]

    periods = [period_row("all", "redeemed", p.redeemers), period_row("all", "stayed", p.non_redeemers)]
    for fund_type, sides in p.by_fund_type.items():
        periods += [
            period_row(fund_type, "redeemed", sides["redeemers"]),
            period_row(fund_type, "stayed", sides["non_redeemers"]),
        ]
    categories = [
        [c.meaning, label, f"{v['holders']:,}", f"{v['redeemers']:,}", percent(float(v["rate"]))]
        for c in report.categorical_traits
        for label, v in c.rates.items()
    ]
    return [
        (
            "Balance by fund type",
            ("fund type", *FLOW_HEADERS),
            [[k, *_flow_cells(v)] for k, v in report.by_fund_type.items()],
        ),
        (
            "Balance by fund company",
            ("company", *FLOW_HEADERS),
            [[k, *_flow_cells(v)] for k, v in report.by_company.items()],
        ),
        (
            "Balance by fund, largest changes first"
            + (
                f" (the first {fund_limit} of {len(report.by_fund)}; all in --json and --html)"
                if fund_limit is not None and len(report.by_fund) > fund_limit
                else ""
            ),
            ("code", "fund", "type", *FLOW_HEADERS),
            fund_rows(report.by_fund[:fund_limit]),
        ),
        ("Most redeemed funds by amount", ("code", "fund", "type", *FLOW_HEADERS), fund_rows(report.top_by_amount)),
        (
            f"Most redeemed funds by share of their balance (funds with ≥ {report.min_holders_for_share} holders)",
            ("code", "fund", "type", *FLOW_HEADERS),
            fund_rows(report.top_by_share),
        ),
        (
            "Traits of redeemed vs retained holdings (Cohen's d: 0.2 small, 0.5 medium, 0.8 large)",
            ("trait", "redeemed", "retained", "Cohen's d", "effect"),
            [
                [
                    c.meaning,
                    _trait_value(c.trait, c.redeemed_mean),
                    _trait_value(c.trait, c.retained_mean),
                    "n/a" if c.cohens_d is None else f"{c.cohens_d:+.2f}",
                    c.magnitude,
                ]
                for c in report.numeric_traits
            ],
        ),
        (
            "Redemption rate by category ("
            + ", ".join(
                f"{c.meaning}: Cramér's V {c.cramers_v if c.cramers_v is not None else 'n/a'} {c.magnitude}"
                for c in report.categorical_traits
            )
            + ")",
            ("trait", "category", "holders", "redeemers", "rate"),
            categories,
        ),
        (
            "Holding period in days (quartiles; holdings held since before the data have no known start)",
            ("fund type", "group", "holdings", "known start", "since before data", "Q1 / median / Q3"),
            periods,
        ),
    ]


def render_fund_report(report: FundRetentionReport, console: Console) -> None:
    """Summary first, then every table."""
    w = report.window
    console.print(f"[bold]Fund retention {w.start} → {w.end}[/]")
    for line in report.summary:
        console.print(f"• {line}")
    console.print()
    total = Table(*FLOW_HEADERS, title="All funds")
    total.add_row(*_flow_cells(report.total))
    console.print(total)
    for title, headers, rows in _sections(report, TERMINAL_FUNDS):
        table = Table(*headers, title=title)
        for row in rows:
            table.add_row(*row)
        console.print(table)


_STYLE = """
body{font-family:"PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei",sans-serif;margin:2rem;color:#1f2933}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;font-size:.85rem}
td,th{padding:.25rem .6rem;border-bottom:1px solid #e4e7eb;text-align:right}
td:first-child,th:first-child,td:nth-child(2){text-align:left}
.bar{display:inline-block;height:.7rem;background:#c0392b;vertical-align:middle;margin-left:.4rem}
ul{line-height:1.6}
"""


def fund_report_html(report: FundRetentionReport) -> str:
    """One HTML page, no external assets: summary, balance by type with bars of the redeemed share, all tables."""
    w = report.window
    parts = [
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width,initial-scale=1'>",
        f"<title>Fund retention {w.start} → {w.end}</title><style>{_STYLE}</style></head><body>",
        f"<h1>Fund retention (基金保有量) {w.start} → {w.end}</h1><ul>",
        *(f"<li>{escape(line)}</li>" for line in report.summary),
        "</ul><h2>Redeemers by fund type</h2><table><tr><th>fund type</th><th>holders who redeemed</th></tr>",
    ]
    for fund_type, flows in report.by_fund_type.items():
        share = flows.redeemer_rate or 0.0
        parts.append(
            f"<tr><td>{escape(fund_type)}</td><td>{percent(flows.redeemer_rate)}"
            f"<span class='bar' style='width:{share * 400:.0f}px'></span></td></tr>"
        )
    parts.append("</table>")
    sections = [("All funds", FLOW_HEADERS, [_flow_cells(report.total)]), *_sections(report)]
    for title, headers, rows in sections:
        parts.append(f"<h2>{escape(title)}</h2><table><tr>")
        parts += [f"<th>{escape(h)}</th>" for h in headers]
        parts.append("</tr>")
        for row in rows:
            parts.append("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)
