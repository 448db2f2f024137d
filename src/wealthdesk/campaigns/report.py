"""What a campaign did: reach, opens, clicks, conversions and cost, against its held-out control group.

Each member is followed for the campaign's window from the moment a run met
them: the touch for the treatment group, the would-be touch for the control
group. Within it:

- **opened**: they opened the campaign's content in the app (``view_content``);
- **clicked**: they clicked the campaign's banner or shared its content
  (``click_banner`` on the campaign, ``share`` of the content);
- **converted**: the campaign's conversion happened (a fund subscription, a
  Level-2 purchase, ChiNext opened).

The **uplift** is the treatment's conversion rate minus the control's: what
the campaign caused, not what would have happened anyway. With it come the
incremental conversions (uplift × clients touched), the cost per incremental
conversion and a two-sided two-proportion z-test's p-value, so a small
uplift on a small group is not read as a result.
"""

from __future__ import annotations

import math
from typing import Any

import duckdb
from scipy.stats import norm

from wealthdesk.campaigns.plan import CONVERSIONS, get_campaign

_CONVERTED = {
    "fund_subscription": """EXISTS (SELECT 1 FROM trades t JOIN accounts a USING (account_id)
        WHERE a.customer_id = m.customer_id AND t.trade_type = 'fund_subscribe'
          AND t.trade_time >= m.assigned_at AND t.trade_time < m.assigned_at + to_days($window))""",
    "level2": """EXISTS (SELECT 1 FROM accounts a WHERE a.customer_id = m.customer_id
        AND a.level2_date >= m.assigned_at::DATE AND a.level2_date < (m.assigned_at + to_days($window))::DATE)""",
    "chinext": """EXISTS (SELECT 1 FROM accounts a WHERE a.customer_id = m.customer_id
        AND a.chinext_date >= m.assigned_at::DATE AND a.chinext_date < (m.assigned_at + to_days($window))::DATE)""",
}
_EVENT = """EXISTS (SELECT 1 FROM app_events e WHERE e.customer_id = m.customer_id AND {what}
        AND e.event_time >= m.assigned_at AND e.event_time < m.assigned_at + to_days($window))"""


def campaign_report(con: duckdb.DuckDBPyConnection, campaign_id: str) -> dict[str, Any]:
    """The campaign's figures per arm, its uplift and cost."""
    plan = get_campaign(con, campaign_id)
    opened = _EVENT.format(what="e.event_type = 'view_content' AND e.object_id = $content")
    clicked = _EVENT.format(
        what="((e.event_type = 'click_banner' AND e.object_id = $campaign) "
        "OR (e.event_type = 'share' AND e.object_id = $content))"
    )
    rows = con.execute(
        f"""SELECT arm, count(*) AS clients, count(*) FILTER (WHERE {opened}) AS opened,
                   count(*) FILTER (WHERE {clicked}) AS clicked,
                   count(*) FILTER (WHERE {_CONVERTED[plan.conversion]}) AS converted
            FROM wd_campaign_members m WHERE campaign_id = $campaign AND arm <> 'refused' GROUP BY arm""",
        {"campaign": campaign_id, "content": plan.content_id, "window": plan.window_days},
    ).fetchall()
    arms = {arm: {"clients": n, "opened": o, "clicked": c, "converted": v} for arm, n, o, c, v in rows}
    for figures in arms.values():
        n = figures["clients"]
        for name in ("opened", "clicked", "converted"):
            figures[f"{name}_rate"] = figures[name] / n if n else None
    refused = con.execute(
        """SELECT reason, count(*) FROM wd_campaign_members WHERE campaign_id = ? AND arm = 'refused'
           GROUP BY reason ORDER BY 2 DESC, 1""",
        [campaign_id],
    ).fetchall()
    cost = float(
        con.execute(
            "SELECT coalesce(sum(cost), 0) FROM campaign_touches WHERE campaign_id = ?", [campaign_id]
        ).fetchone()[0]
    )
    treated, control = arms.get("treatment"), arms.get("control")
    uplift = incremental = p_value = None
    if treated and control:
        uplift = treated["converted_rate"] - control["converted_rate"]
        incremental = uplift * treated["clients"]
        p_value = _two_proportion_p(treated["converted"], treated["clients"], control["converted"], control["clients"])
    return {
        "campaign": plan.to_dict(),
        "conversion": CONVERSIONS[plan.conversion],
        "window_days": plan.window_days,
        "treatment": treated,
        "control": control,
        "refused": {
            "clients": sum(n for _, n in refused),
            "reasons": [{"reason": r, "clients": n} for r, n in refused],
        },
        "uplift": uplift,
        "incremental_conversions": incremental,
        "p_value": p_value,
        "cost": round(cost, 2),
        "cost_per_incremental_conversion": round(cost / incremental, 2) if incremental and incremental > 0 else None,
    }


def _two_proportion_p(x1: int, n1: int, x2: int, n2: int) -> float | None:
    """Two-sided p-value of the difference of two proportions (pooled z-test); None when it is undefined."""
    pooled = (x1 + x2) / (n1 + n2)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if spread == 0:
        return None
    return float(2 * norm.sf(abs((x1 / n1 - x2 / n2) / spread)))
