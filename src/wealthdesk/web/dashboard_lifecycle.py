"""The lifecycle funnel dashboard: how far clients have come, from the stage column of the profiles.

Stages are exclusive (each client is in exactly one), so the funnel levels
are derived from the seven counts alone: everyone registered, minus the
prospects has opened an account, minus those who only opened has funded,
and of those the active and high-value clients are the ones still engaged.
Dormant and lost clients are the leaks, shown beside the funnel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import plotly.graph_objects as go
from ibis.common.exceptions import TableNotFound

from wealthdesk.errors import WealthdeskError
from wealthdesk.profiles.columns import LIFECYCLE_STAGES
from wealthdesk.profiles.lifecycle import STAGE_LABELS_ZH as STAGES_ZH
from wealthdesk.web.charts import ACCENT, DOWN, MUTED, SERIES, UP, WARN, bar, figure_json
from wealthdesk.web.panels import Panel, Table, count, percent

STAGE_COLOURS = {
    "prospect": MUTED,
    "opened": SERIES[5],
    "funded": SERIES[4],
    "active": ACCENT,
    "high_value": UP,
    "dormant": WARN,
    "lost": DOWN,
}


class LifecycleError(WealthdeskError):
    """The store has no profiles to count (the pipeline has not run)."""


@dataclass(frozen=True)
class StageCounts:
    """Clients per lifecycle stage (every stage, zero when empty), as of the profiles' date, and per branch
    (named by id and city, e.g. ``B0004 上海``)."""

    as_of: date | None
    stages: dict[str, int]
    by_branch: dict[str, dict[str, int]]

    @property
    def total(self) -> int:
        return sum(self.stages.values())


def stage_counts(backend: Any) -> StageCounts:
    """Count the profiles per stage and per branch × stage (an Ibis query, so it runs on any engine)."""
    try:
        p = backend.table("profiles")
    except TableNotFound:
        raise LifecycleError("the store has no profiles yet: run `wealthdesk run` to build them") from None
    branches = backend.table("branches").select("branch_id", "city")
    p = p.left_join(branches, "branch_id").drop("branch_id_right")
    grouped = p.group_by(["branch_id", "city", "lifecycle_stage"]).aggregate(clients=p.count(), as_of=p.as_of.max())
    rows = backend.to_pyarrow(grouped).to_pylist()
    if not rows:
        raise LifecycleError("the profiles table is empty: run `wealthdesk run` on a store with clients")
    stages = dict.fromkeys(LIFECYCLE_STAGES, 0)
    by_branch: dict[str, dict[str, int]] = {}
    for row in rows:
        stage, clients = row["lifecycle_stage"], int(row["clients"])
        stages[stage] = stages.get(stage, 0) + clients
        name = " ".join(str(part) for part in (row["branch_id"], row["city"]) if part)  # B0004 上海
        branch = by_branch.setdefault(name, dict.fromkeys(LIFECYCLE_STAGES, 0))
        branch[stage] = branch.get(stage, 0) + clients
    dates = [row["as_of"] for row in rows if row["as_of"] is not None]
    return StageCounts(max(dates) if dates else None, stages, dict(sorted(by_branch.items())))


def funnel_levels(stages: dict[str, int]) -> list[tuple[str, int]]:
    """The cumulative funnel: registered ⊇ opened an account ⊇ funded ⊇ active or high-value ⊇ high-value."""
    total = sum(stages.values())
    opened = total - stages.get("prospect", 0)
    funded = opened - stages.get("opened", 0)
    return [
        ("注册 registered", total),
        ("开户 opened an account", opened),
        ("入金 funded", funded),
        ("活跃或高净值 active or high-value", stages.get("active", 0) + stages.get("high_value", 0)),
        ("高净值 high-value", stages.get("high_value", 0)),
    ]


def lifecycle_summary(counts: StageCounts) -> str:
    """One sentence an analyst can quote; every number in it is in the tables below."""
    total = counts.total
    levels = dict(funnel_levels(counts.stages))

    def share(n: int) -> str:
        return percent(n / total if total else None)

    opened, funded = levels["开户 opened an account"], levels["入金 funded"]
    engaged = levels["活跃或高净值 active or high-value"]
    return (
        f"Of {count(total)} clients profiled as of {counts.as_of or 'an unknown date'}, {count(opened)} opened an "
        f"account ({share(opened)}), {count(funded)} funded it ({share(funded)}) and {count(engaged)} are active or "
        f"high-value ({share(engaged)}); {count(counts.stages['dormant'])} are dormant and "
        f"{count(counts.stages['lost'])} lost."
    )


def stage_label(stage: str) -> str:
    return f"{STAGES_ZH.get(stage, stage)} ({stage})"


def lifecycle_panels(counts: StageCounts) -> list[Panel]:
    """The funnel, the stage distribution and the stages per branch."""
    total = counts.total
    levels = funnel_levels(counts.stages)
    funnel = go.Figure(
        go.Funnel(
            y=[label for label, _ in levels],
            x=[n for _, n in levels],
            textinfo="value+percent initial",
            marker={"color": [ACCENT] * len(levels)},
            connector={"fillcolor": "#e6f0ff"},
            hovertemplate="%{y}: %{x:,} (%{percentInitial:.1%})<extra></extra>",
        )
    )
    funnel.update_yaxes(automargin=True)
    funnel_rows = [(label, count(n), percent(n / total if total else None)) for label, n in levels]
    stages = list(counts.stages)
    distribution = go.Figure(
        bar(
            [stage_label(s) for s in stages],
            [counts.stages[s] for s in stages],
            color=[STAGE_COLOURS.get(s, MUTED) for s in stages],
            text=[count(counts.stages[s]) for s in stages],
            hover="%{x}: %{y:,}",
        )
    )
    distribution.update_yaxes(title_text="客户数 clients", rangemode="tozero")
    stage_rows = [
        (STAGES_ZH.get(s, s), s, count(counts.stages[s]), percent(counts.stages[s] / total if total else None))
        for s in stages
    ]
    stage_rows.append(("合计", "total", count(total), percent(1.0 if total else None)))
    return [
        Panel(
            "funnel",
            "生命周期漏斗 · Lifecycle funnel",
            figure_json(funnel, legend=False),
            Table(("阶段 level", "客户数 clients", "占注册 of registered"), funnel_rows, frozenset({1, 2})),
            notes=("Each level contains the next: stages are exclusive, levels are cumulative.",),
        ),
        Panel(
            "stages",
            "各阶段客户数 · Clients per stage",
            figure_json(distribution, legend=False),
            Table(("阶段", "stage", "客户数 clients", "占比 share"), stage_rows, frozenset({2, 3})),
        ),
        branch_panel(counts),
    ]


def branch_panel(counts: StageCounts) -> Panel:
    """Stages per branch, stacked, so a branch with many dormant clients stands out."""
    branches = list(counts.by_branch)
    fig = go.Figure()
    for stage in counts.stages:
        fig.add_trace(
            bar(
                branches,
                [counts.by_branch[b].get(stage, 0) for b in branches],
                name=stage_label(stage),
                color=STAGE_COLOURS.get(stage, MUTED),
                hover="%{x}: %{y:,}",
            )
        )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title_text="客户数 clients")
    rows = [
        (b, *(count(counts.by_branch[b].get(s, 0)) for s in counts.stages), count(sum(counts.by_branch[b].values())))
        for b in branches
    ]
    columns = ("营业部 branch", *counts.stages, "total")
    return Panel(
        "by_branch",
        "各营业部的阶段分布 · Stages per branch",
        figure_json(fig),
        Table(columns, rows, frozenset(range(1, len(columns)))),
        wide=True,
    )
