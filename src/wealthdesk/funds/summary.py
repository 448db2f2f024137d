"""The fund retention report's findings in plain language, worded from its numbers only.

Each sentence states a number the report also shows in its tables, so an
analyst can quote the summary and point to where it comes from. Traits are
mentioned only when their effect is at least small by the usual rule of
thumb; a negligible difference is said to be negligible, not dressed up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wealthdesk.funds.retention import FundRetentionReport

DIRECTION_WORDS = {"max_drawdown": ("shallower", "deeper")}  # drawdowns are negative: lower reads as deeper
PERCENT_TRAITS = (
    "window_return",
    "max_drawdown",
    "crowded_exposure",
    "trailing_return",
    "annual_fee",
    "redemption_fee",
)


def money(amount: float) -> str:
    """CNY in the units a reader takes in at a glance: ¥1.37bn, ¥12.3m, ¥45,600."""
    sign = "−" if amount < 0 else ""
    size = abs(amount)
    if size >= 1e9:
        return f"{sign}¥{size / 1e9:.2f}bn"
    if size >= 1e6:
        return f"{sign}¥{size / 1e6:.1f}m"
    return f"{sign}¥{size:,.0f}"


def percent(value: float | None, digits: int = 1) -> str:
    """0.123 → 12.3%, with a true minus sign like :func:`money`."""
    return "n/a" if value is None else f"{value * 100:.{digits}f}%".replace("-", "−")


def summarise(report: FundRetentionReport) -> list[str]:
    """Five to eight sentences: balance, redeemers, where redemptions concentrated, traits, holding periods."""
    t = report.total
    w = report.window
    change = t.change / t.start_balance if t.start_balance else None
    lines = [
        f"Fund holdings went from {money(t.start_balance)} at the close of {w.start} to {money(t.end_balance)} at "
        f"the close of {w.end} ({'+' if t.change >= 0 else ''}{percent(change)}): market moves "
        f"{money(t.market_effect)}, subscriptions {money(t.subscribed)}, redemptions {money(t.redeemed)}.",
        f"{t.redeemers:,} of the {t.holders_at_start:,} holdings at the start ({percent(t.redeemer_rate)}) were "
        "redeemed at least in part.",
    ]
    typed = {k: v for k, v in report.by_fund_type.items() if v.redeemer_rate is not None and v.holders_at_start}
    high = max(typed, key=lambda k: typed[k].redeemer_rate or 0.0, default=None)
    low = min(typed, key=lambda k: typed[k].redeemer_rate or 0.0, default=None)
    if high is not None and low is not None and typed[high].redeemer_rate != typed[low].redeemer_rate:
        lines.append(
            f"Redemptions were most frequent among {high} fund holders ({percent(typed[high].redeemer_rate)} "
            f"redeemed) and least among {low} fund holders ({percent(typed[low].redeemer_rate)})."
        )
    if report.top_by_amount:
        top = report.top_by_amount[0]
        lines.append(
            f"The most redeemed fund was {top.fund_name} ({top.fund_code}): {money(top.flows.redeemed)}, "
            f"{percent(top.flows.redeemed_share)} of its balance at the start."
        )
    telling = sorted(
        (c for c in report.numeric_traits if c.magnitude not in ("negligible", "n/a")),
        key=lambda c: -abs(c.cohens_d or 0.0),
    )
    for c in telling[:3]:
        up, down = DIRECTION_WORDS.get(c.trait, ("higher", "lower"))
        direction = up if (c.cohens_d or 0.0) > 0 else down
        fmt = percent if c.trait in PERCENT_TRAITS else (lambda v: "n/a" if v is None else f"{v:.3g}")
        lines.append(
            (
                f"Redeemed holdings were in funds with a {direction} {c.meaning} ({fmt(c.redeemed_mean)} against "
                f"{fmt(c.retained_mean)} for retained ones; Cohen's d = {c.cohens_d:+.2f}, {c.magnitude})."
            ).replace("d = -", "d = −")
        )
    if not telling:
        lines.append(
            "No numeric fund trait separates redeemed from retained holdings by more than a negligible effect."
        )
    categorical = [c for c in report.categorical_traits if c.cramers_v is not None]
    if categorical:
        c = max(categorical, key=lambda c: c.cramers_v or 0.0)
        rates = {k: v["rate"] for k, v in c.rates.items()}
        hi, lo = max(rates, key=rates.__getitem__), min(rates, key=rates.__getitem__)
        lines.append(
            f"By {c.meaning}, the share of holders who redeemed ranged from {percent(float(rates[lo]))} ({lo}) to "
            f"{percent(float(rates[hi]))} ({hi}); Cramér's V = {c.cramers_v:.2f} ({c.magnitude})."
        )
    p = report.holding_periods
    if p.redeemers.median is not None and p.non_redeemers.median is not None:
        lines.append(
            f"Redeeming holdings had been held a median of {p.redeemers.median:.0f} days (quartiles "
            f"{p.redeemers.q1:.0f}–{p.redeemers.q3:.0f}), against {p.non_redeemers.median:.0f} days "
            f"({p.non_redeemers.q1:.0f}–{p.non_redeemers.q3:.0f}) for holdings that stayed; "
            f"{p.redeemers.since_before_data:,} redeemed and {p.non_redeemers.since_before_data:,} retained holdings "
            "were held since before the data begin and are not in these figures."
        )
    return lines
