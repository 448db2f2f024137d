"""Lifecycle stage: prospect → opened → funded → active → high_value → dormant → lost.

The rules, evaluated in this order on the profile as of a date (first match wins):

1. **prospect** — registered, but no securities account.
2. **opened** — has an account, never deposited cash.
3. **lost** — deposited before, AUM now below ``lost_aum`` (RMB 100), and no
   trade and no app login for ``lost_days`` (90) days.
4. **dormant** — no trade and no app login for ``dormant_days`` (180) days.
5. **high_value** — AUM of at least ``high_value_aum`` (RMB 1,000,000).
6. **active** — traded or logged in within ``active_days`` (30) days.
7. **funded** — everyone else: deposited, not recently active, not yet dormant.

"Days without activity" is the days since the later of the last trade and
the last login; for a client who never did either, the days since
registration. The thresholds are settings (:class:`LifecycleRules`), so a
brokerage can use its own definitions; docs/profiles.md prints the ones in force.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis

from wealthdesk.governance.metrics.catalogue import HIGH_VALUE_AUM

STAGE_LABELS_ZH = {  # what advisors and analysts read on the pages
    "prospect": "潜在客户",
    "opened": "已开户未入金",
    "funded": "已入金",
    "active": "活跃",
    "high_value": "高净值",
    "dormant": "休眠",
    "lost": "流失",
}


@dataclass(frozen=True)
class LifecycleRules:
    """Thresholds of the lifecycle stages (see the module docstring)."""

    high_value_aum: float = float(HIGH_VALUE_AUM)  # the metric catalogue's 百万资产 threshold
    active_days: int = 30
    dormant_days: int = 180
    lost_aum: float = 100.0
    lost_days: int = 90


def days_inactive(profile: Any) -> Any:
    """Days since the latest trade or login, falling back to days since registration."""
    latest = ibis.least(profile.days_since_last_trade, profile.days_since_last_login)
    return latest.fill_null(profile.days_since_registered)


def lifecycle_stage(profile: Any, rules: LifecycleRules) -> Any:
    """The stage of every profile row as an Ibis string column."""
    inactive = days_inactive(profile)
    return ibis.cases(
        (~profile.has_account, "prospect"),
        (~profile.funded, "opened"),
        ((profile.aum < rules.lost_aum) & (inactive >= rules.lost_days), "lost"),
        (inactive >= rules.dormant_days, "dormant"),
        (profile.aum >= rules.high_value_aum, "high_value"),
        (inactive < rules.active_days, "active"),
        else_="funded",
    )


def describe_rules(rules: LifecycleRules) -> list[str]:
    """The stage rules in force, one Markdown list item each (for docs/profiles.md)."""
    return [
        "1. **prospect** — registered, but no securities account.",
        "2. **opened** — has an account, never deposited cash.",
        f"3. **lost** — deposited before, AUM below RMB {rules.lost_aum:,.0f} and no trade and no app login "
        f"for {rules.lost_days} days.",
        f"4. **dormant** — no trade and no app login for {rules.dormant_days} days.",
        f"5. **high_value** — AUM of at least RMB {rules.high_value_aum:,.0f}.",
        f"6. **active** — traded or logged in within {rules.active_days} days.",
        "7. **funded** — everyone else: deposited, not recently active, not yet dormant.",
    ]
