"""Suggested topics: what an advisor could talk about with this client today, each with the reason behind it.

They are conversation openers, not product recommendations: nothing here
names a product to buy, so suitability (which governs recommendations) is
never in question; suitable content arrives with the content-matching issue.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from wealthdesk.profiles.alerts import Alert

RECENT_INTEREST_DAYS = 30
INACTIVE_DAYS = 30
ACTIVE_TRADES_30D = 10
MOST_TOPICS = 5


@dataclass(frozen=True)
class Topic:
    topic: str
    why: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def suggested_topics(
    profile: dict[str, Any], chat_tags: list[dict[str, Any]], alerts: list[Alert], as_of: date
) -> list[Topic]:
    """At most five topics: the client's own recent interests first, then what needs reassurance or upkeep."""
    topics = []
    for tag in chat_tags:  # newest mention first
        # the live path dates mentions after the profiles' as_of: those were said since, i.e. today
        days = max(0, (as_of - tag["last_seen"].date()).days)
        if days <= RECENT_INTEREST_DAYS:
            subject = tag["label"].removeprefix("关注")
            topics.append(Topic(f"聊聊{subject}", f"客户 {days} 天前在聊天中提到（共 {tag['mentions']} 次）"))
    for alert in alerts:
        if alert.kind == "drawdown":
            topics.append(Topic("主动沟通近期回撤，安抚情绪", alert.text))
        elif alert.kind == "assessment":
            topics.append(Topic("邀请客户重新完成风险测评", alert.text))
    idle = profile.get("days_since_last_login")
    if idle is not None and idle > INACTIVE_DAYS:
        topics.append(Topic("问候回访", f"客户 {idle} 天未登录 App"))
    if not profile.get("level2_enabled") and (profile.get("trades_30d") or 0) >= ACTIVE_TRADES_30D:
        topics.append(Topic("介绍 Level-2 行情", f"近 30 天交易 {profile['trades_30d']} 笔，尚未开通 Level-2"))
    return topics[:MOST_TOPICS]
