"""Plotly figures built server-side and handed to the page as JSON.

The browser draws them with the plotly.js shipped inside the installed
``plotly`` package (served at ``/assets/plotly.min.js``), so no chart ever
needs a CDN. Figures share one look here: the pages' CJK font stack (Chinese
labels must not render as boxes), the white template, A-share colours (red
up, green down) and no plotly logo or links.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

FONT = "PingFang SC, Microsoft YaHei, WenQuanYi Micro Hei, Noto Sans CJK SC, sans-serif"
UP, DOWN, ACCENT, MUTED, WARN = "#d64545", "#2f8132", "#1f6feb", "#9aa5b1", "#b7791f"
SERIES = ("#1f6feb", "#d64545", "#2f8132", "#b7791f", "#7b61ff", "#0f9b8e", "#616e7c")
# the options Plotly.newPlot gets in the page: no logo, no link to plotly's cloud editor, resize with the card
CONFIG: dict[str, Any] = {"responsive": True, "displaylogo": False, "showLink": False, "showEditInChartStudio": False}


def figure_json(fig: go.Figure, *, height: int = 340, legend: bool = True) -> str:
    """``fig`` in the dashboards' style, as the JSON ``Plotly.newPlot`` takes (``{"data", "layout"}``)."""
    fig.update_layout(
        template="plotly_white",
        font={"family": FONT, "size": 12},
        height=height,
        margin={"l": 56, "r": 16, "t": 16, "b": 40},
        showlegend=legend,
        legend={"orientation": "h", "y": -0.18},
        colorway=list(SERIES),
        hoverlabel={"font": {"family": FONT}},
    )
    return fig.to_json()


def bar(
    labels: list[str],
    values: list[float | None],
    *,
    name: str = "",
    horizontal: bool = False,
    color: str | list[str] = ACCENT,
    text: list[str] | None = None,
    hover: str = "%{y}",
) -> go.Bar:
    """One bar series; ``text`` is printed on the bars (the formatted figures the table also shows)."""
    x, y = (values, labels) if horizontal else (labels, values)
    return go.Bar(
        x=x,
        y=y,
        name=name,
        orientation="h" if horizontal else "v",
        marker={"color": color},
        text=text,
        textposition="auto" if text else "none",
        hovertemplate=hover + "<extra>" + name + "</extra>",
        cliponaxis=False,
    )


def wan_axis(title: str = "万元 (CNY 10k)") -> dict[str, Any]:
    """Axis settings for amounts in 万元: whole numbers with separators (57,269), not plotly's SI "57k"."""
    return {"title_text": title, "tickformat": ",.0f"}
