"""Our tags onto WeCom's contacts: corporate tag groups, and each relationship's tags, in line with the store.

Advisors see a client's tags on the contact in WeCom itself. This module keeps
what they see equal to what wealthdesk says:

- **Groups and tags.** Each tag category becomes a corporate tag group named
  ``画像·<category label>`` (rule tags by their category, chat interests in
  ``画像·聊天兴趣``), each tag a corporate tag named by its Chinese label. Only
  the groups of those exact names are ours: tags of other groups (the
  brokerage's own, another app's, one someone named ``画像·手工`` by hand) are
  never added or removed.
- **WeCom's limits.** A tag name longer than 30 characters, or a tag beyond
  the corporation's 3,000, is not created: the plan lists it with the reason,
  and the rest is synced. A group WeCom refuses to extend is reported and the
  others go on.
- **Contacts.** Every current relationship in ``wecom_contacts`` (not
  deleted, matched to a client) should carry exactly the client's tags of our
  groups. Each advisor and client pair is a relationship of its own in WeCom,
  so a client followed by two advisors is tagged on both.

The plan is worked out against what WeCom holds *now* (get_corp_tag_list and
batch/get_by_user), not against a record of what we sent before: tags that an
advisor or an administrator changed by hand are seen and put right, and a run
that stopped half-way is completed by the next. A second run after a complete
one plans nothing. ``--dry-run`` stops after the plan; the plan only reads.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import duckdb

from wealthdesk.errors import WealthdeskError
from wealthdesk.wecom.api import TagGroup, WeComApiError, WeComClient

GROUP_PREFIX = "画像·"
INTEREST_CATEGORY = "interest"
CATEGORY_LABELS = {
    "value": "客户价值",
    "activity": "活跃度",
    "lifecycle": "生命周期",
    "preference": "投资偏好",
    "risk": "风险",
    INTEREST_CATEGORY: "聊天兴趣",
}
NO_RELATIONSHIP = 84061  # mark_tag: the advisor no longer follows the contact (不存在外部联系人的关系)
NAME_EXISTS = 40071  # add_corp_tag: 标签名字已经存在 (a retry of a call whose answer was lost, or a race)
NAME_LIMIT = 30  # characters in a corporate tag's name (developer.work.weixin.qq.com/document/path/92117)
CORP_TAG_LIMIT = 3000  # corporate tags in all (path/92117)
MARK_BATCH = 100  # tag ids per mark_tag list: WeCom documents no limit below this, and a client has far fewer

log = logging.getLogger(__name__)

Tag = tuple[str, str]  # (group name, tag name): how WeCom names a tag to people


class TagSyncError(WealthdeskError):
    """The store cannot give the tags to sync (e.g. no tags computed yet)."""


def group_name(category: str) -> str:
    """The corporate tag group a category of our tags goes in."""
    return GROUP_PREFIX + CATEGORY_LABELS.get(category, category)


@dataclass(frozen=True)
class Mark:
    """One relationship's change: tags to add and remove (group, name)."""

    userid: str
    external_userid: str
    customer_id: str
    add: tuple[Tag, ...]
    remove: tuple[Tag, ...]


@dataclass
class SyncPlan:
    """What a sync would change, and what it looked at."""

    create: dict[str, list[str]] = field(default_factory=dict)  # group name → tag names WeCom lacks
    marks: list[Mark] = field(default_factory=list)
    owned: frozenset[str] = frozenset()  # the group names that are ours
    refused: dict[Tag, str] = field(default_factory=dict)  # tags WeCom cannot take, and why
    relationships: int = 0  # current, matched relationships in the store
    in_sync: int = 0
    not_in_wecom: int = 0  # in the store but not among the advisor's contacts in WeCom (deleted since?)
    advisors: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "relationships": self.relationships,
            "in_sync": self.in_sync,
            "to_change": len(self.marks),
            "not_in_wecom": self.not_in_wecom,
            "advisors": self.advisors,
            "tags_to_create": {group: sorted(names) for group, names in sorted(self.create.items())},
            "tags_refused": [{"tag": f"{g}/{n}", "reason": why} for (g, n), why in sorted(self.refused.items())],
            "tags_to_add": sum(len(m.add) for m in self.marks),
            "tags_to_remove": sum(len(m.remove) for m in self.marks),
            "changes": [
                {
                    "userid": m.userid,
                    "external_userid": m.external_userid,
                    "customer_id": m.customer_id,
                    "add": [f"{g}/{n}" for g, n in m.add],
                    "remove": [f"{g}/{n}" for g, n in m.remove],
                }
                for m in self.marks
            ],
        }


@dataclass
class SyncResult:
    """What a sync changed."""

    plan: SyncPlan
    tags_created: int = 0
    relationships_marked: int = 0
    relationships_gone: int = 0  # WeCom said the relationship no longer exists (84061): nothing to tag
    tags_missing: int = 0  # tags a relationship should carry but WeCom has no tag for (its creation failed)
    problems: list[str] = field(default_factory=list)  # what could not be done, for the operator

    def to_dict(self) -> dict[str, Any]:
        return {
            "tags_created": self.tags_created,
            "relationships_marked": self.relationships_marked,
            "relationships_gone": self.relationships_gone,
            "tags_missing": self.tags_missing,
            "problems": self.problems,
            "plan": self.plan.to_dict(),
        }


def desired_tags(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], tuple[str, set[Tag]]]:
    """(advisor userid, external_userid) → (customer_id, the client's tags) for every current matched relationship."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()}
    if "customer_tags" not in tables:
        raise TagSyncError("no tags in the store yet: run `wealthdesk run` first")
    interests = (
        f"UNION ALL SELECT customer_id, '{INTEREST_CATEGORY}', label FROM keyword_tags"
        if "keyword_tags" in tables
        else ""
    )
    rows = con.execute(
        f"""WITH tags AS (SELECT customer_id, category, label FROM customer_tags {interests})
            SELECT c.advisor_userid, c.external_userid, c.customer_id,
                   list(struct_pack(category := t.category, label := t.label)) FILTER (WHERE t.label IS NOT NULL)
            FROM wecom_contacts c LEFT JOIN tags t USING (customer_id)
            WHERE c.deleted_at IS NULL AND c.customer_id IS NOT NULL
            GROUP BY ALL"""
    ).fetchall()
    return {
        (userid, external): (customer, {(group_name(t["category"]), t["label"]) for t in tags or []})
        for userid, external, customer, tags in rows
    }


def _ids(groups: Iterable[TagGroup], owned: frozenset[str]) -> dict[Tag, str]:
    """Our groups' tags by (group, name) → WeCom tag id."""
    return {(g.group_name, t.name): t.id for g in groups if g.group_name in owned for t in g.tags}


def plan_sync(con: duckdb.DuckDBPyConnection, client: WeComClient) -> SyncPlan:
    """Compare the store's tags with WeCom's, reading only."""
    wanted = desired_tags(con)
    owned = frozenset({group_name(c) for c in CATEGORY_LABELS} | {g for _, tags in wanted.values() for g, _ in tags})
    groups = client.corp_tags()
    ids = _ids(groups, owned)
    names = {tag_id: tag for tag, tag_id in ids.items()}
    plan = SyncPlan(owned=owned, relationships=len(wanted))
    room = CORP_TAG_LIMIT - sum(len(g.tags) for g in groups)
    for tag in sorted(set().union(*(tags for _, tags in wanted.values())) - ids.keys()):
        if not tag[1] or len(tag[1]) > NAME_LIMIT:
            plan.refused[tag] = f"WeCom takes tag names of 1 to {NAME_LIMIT} characters"
        elif room <= 0:
            plan.refused[tag] = f"the corporation has WeCom's {CORP_TAG_LIMIT} corporate tags already"
        else:
            plan.create.setdefault(tag[0], []).append(tag[1])
            room -= 1
    advisors = sorted({userid for userid, _ in wanted})
    plan.advisors = len(advisors)
    seen: set[tuple[str, str]] = set()
    for contact in client.followed_contacts(advisors):
        key = (contact.userid, contact.external_userid)
        if key not in wanted or key in seen:
            continue  # a contact not matched to a client (or not current) in the store: not ours to tag
        seen.add(key)
        customer, tags = wanted[key]
        tags = tags - plan.refused.keys()
        have = {names[i] for i in contact.tag_ids if i in names}
        add, remove = tuple(sorted(tags - have)), tuple(sorted(have - tags))
        if add or remove:
            plan.marks.append(Mark(contact.userid, contact.external_userid, customer, add, remove))
        else:
            plan.in_sync += 1
    plan.not_in_wecom = len(wanted) - len(seen)
    plan.marks.sort(key=lambda m: (m.userid, m.external_userid))
    return plan


def apply_sync(client: WeComClient, plan: SyncPlan) -> SyncResult:
    """Create the missing tags, then mark each relationship. What WeCom refuses is reported in ``problems`` and the
    rest goes on; a stop half-way is safe, as the next plan is made from what WeCom then holds."""
    result = SyncResult(plan=plan)
    groups = {g.group_name: g for g in client.corp_tags()}
    ids = _ids(groups.values(), plan.owned)
    for group, tag_names in plan.create.items():
        missing = [name for name in tag_names if (group, name) not in ids]
        if not missing:
            continue
        existing = groups.get(group)
        try:
            created = client.add_corp_tags(group, missing, group_id=existing.group_id if existing else None)
        except WeComApiError as exc:
            if exc.errcode == NAME_EXISTS:  # made by a call whose answer was lost, or by a run beside this one
                ids = _ids(client.corp_tags(), plan.owned)
                continue
            result.problems.append(f"could not create {len(missing)} tag(s) in {group}: {exc}")
            log.warning("WeCom tags: could not create %d in %s: %s", len(missing), group, exc)
            continue
        ids.update(_ids([created], plan.owned))
        groups.setdefault(group, created)
        result.tags_created += len(created.tags)
        log.info("WeCom tags: created %d in %s", len(created.tags), group)
    for mark in plan.marks:
        add = [ids[tag] for tag in mark.add if tag in ids]
        remove = [ids[tag] for tag in mark.remove if tag in ids]
        result.tags_missing += len(mark.add) - len(add)
        if not add and not remove:
            continue
        try:
            for start in range(0, max(len(add), len(remove)), MARK_BATCH):
                client.mark_tag(
                    mark.userid,
                    mark.external_userid,
                    add[start : start + MARK_BATCH],
                    remove[start : start + MARK_BATCH],
                )
        except WeComApiError as exc:
            if exc.errcode != NO_RELATIONSHIP:
                raise
            result.relationships_gone += 1
            continue
        result.relationships_marked += 1
    if result.tags_missing:
        result.problems.append(f"{result.tags_missing} tag(s) left off relationships: WeCom has no such tag")
    log.info(
        "WeCom tags: %d relationships marked, %d gone, %d tags created",
        result.relationships_marked,
        result.relationships_gone,
        result.tags_created,
    )
    return result
