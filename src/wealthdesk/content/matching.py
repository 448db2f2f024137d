"""Matching: for each client, the suitable contents most worth sending, each with the reasons in words.

**Score** of a content for a client (higher first):

- **interests**: each of the client's chat interests (keyword tags) whose
  keywords name one of the content's topics adds ``interest_weight`` × its
  recency, once however many of its keywords the topics name, halving every
  ``interest_half_life_days`` since the client last mentioned it (their
  evidence, not negated): "mentioned 创业板 3 days ago", in the interest's own
  words;
- **holdings**: each stock or fund the content is about that the client holds
  at the latest snapshot adds ``holding_weight`` ("holds 300750.SZ");
- **lifecycle**: the content type's fit for the client's stage
  (``STAGE_AFFINITY``: investor education for new clients, research for active
  ones, events for dormant ones) adds up to ``stage_weight``;
- **freshness**: up to ``fresh_weight`` for a content published today,
  halving every 30 days.

**Never recommended**: a content the client already opened in the app
(``view_content``), one not pushable on the day (before publication or after
its expiry), and one the suitability rule refuses: the decision is made by
:func:`wealthdesk.suitability.rules.content_decision` for every pair of
tolerance and risk level there is, in Python; the SQL only looks the
decisions up. Refusals are kept with their reason (:func:`refusals`).

Candidates are only the contents a client has a reason for (an interest, a
holding) plus the five newest of each type that fit their stage *and* that the
rule allows for their tolerance, so a batch over a million clients scores
millions of pairs, not every pair, and no client's list is emptied by
suitability when suitable contents exist.

**The day.** By default the profiles' date: contents pushable then, and
everything said and read since (the live path) counts as of today. A day
given explicitly (``--as-of``) is looked at as it was: mentions and reads
after it do not count. The lifecycle stage is the latest profiles' either way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any

import duckdb
import pyarrow as pa

from wealthdesk.content.library import list_contents
from wealthdesk.errors import WealthdeskError
from wealthdesk.suitability.clients import client_tolerances
from wealthdesk.suitability.rules import (
    ASSESSMENT_VALID_DAYS,
    PRODUCT_LEVELS,
    Tolerance,
    content_decision,
)
from wealthdesk.tags.dictionary import KeywordDictionary, load_keyword_dictionary

STAGE_AFFINITY: dict[str, dict[str, float]] = {  # stage → content type → fit (0 … 1)
    "prospect": {"investor_education": 1.0, "event": 0.6},
    "opened": {"investor_education": 1.0, "event": 0.5},
    "funded": {"investor_education": 0.7, "advisor_view": 0.6, "research_report": 0.4},
    "active": {"research_report": 1.0, "advisor_view": 0.8, "event": 0.3},
    "high_value": {"advisor_view": 1.0, "research_report": 0.8, "event": 0.6},
    "dormant": {"event": 1.0, "advisor_view": 0.6, "investor_education": 0.4},
    "lost": {"event": 1.0, "investor_education": 0.4},
}
STAGE_CANDIDATES = 5  # newest suitable contents of each type fitting a client's stage, offered without another reason


class MatchingError(WealthdeskError):
    """Matching cannot run on this store (no profiles yet, …)."""


@dataclass(frozen=True)
class MatchRules:
    interest_weight: float = 2.0
    interest_half_life_days: float = 30.0  # a month: a client who spoke of it a month ago counts half
    holding_weight: float = 3.0
    stage_weight: float = 0.5
    fresh_weight: float = 0.3
    top: int = 5
    assessment_valid_days: int = ASSESSMENT_VALID_DAYS


@dataclass
class Matches:
    """Ranked recommendations (customer_id, rank, content_id, title, content_type, risk_level, score, reasons) and
    the suitability refusals among the candidates (customer_id, content_id, risk_level, reason)."""

    as_of: date
    recommendations: pa.Table
    refused: pa.Table
    contents: int = 0
    notes: list[str] = field(default_factory=list)


def match(
    con: duckdb.DuckDBPyConnection,
    customers: list[str] | None = None,
    as_of: date | None = None,
    rules: MatchRules | None = None,
    dictionary: KeywordDictionary | None = None,
) -> Matches:
    """Recommendations for ``customers`` (all clients with a profile when None) as of ``as_of`` (the profiles'
    date by default)."""
    rules = rules or MatchRules()
    dictionary = dictionary or _default_dictionary()
    cursor = con.cursor()  # temp tables and registrations of its own: concurrent requests never meet
    try:
        day = as_of or _profiles_date(cursor)
        # a day given explicitly is looked at as it was: mentions and reads after it do not count. By default the
        # day is the profiles' date, and what the live path added since (mentions, reads) counts, as of today.
        return _match(cursor, customers, day, rules, dictionary, until=as_of)
    finally:
        cursor.close()


@cache
def _default_dictionary() -> KeywordDictionary:
    """The shipped keyword dictionary, parsed once per process (it is read on every sidebar card)."""
    return load_keyword_dictionary()


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    found = "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND schema_name = 'main'"
    return bool(con.execute(found, [name]).fetchone()[0])


def _profiles_date(con: duckdb.DuckDBPyConnection) -> date:
    try:
        found = con.execute("SELECT max(as_of) FROM profiles").fetchone()
    except duckdb.CatalogException:
        found = None
    if not found or found[0] is None:
        raise MatchingError("no profiles in the store yet: run `wealthdesk run` first")
    return found[0]


def _match(
    con: duckdb.DuckDBPyConnection,
    customers: list[str] | None,
    as_of: date,
    rules: MatchRules,
    dictionary: KeywordDictionary,
    until: date | None,
) -> Matches:
    active = list_contents(con, active_on=as_of)
    rows = [{name: item[name] for name in _CONTENT_SCHEMA.names} for item in active]
    con.register("_wd_contents", pa.Table.from_pylist(rows, schema=_CONTENT_SCHEMA))
    topics = [(t.name, t.label.removeprefix("关注") or t.name, word) for t in dictionary.tags for word in t.keywords]
    con.register(
        "_wd_tag_topics",
        pa.table({"tag": [t[0] for t in topics], "subject": [t[1] for t in topics], "topic": [t[2] for t in topics]}),
    )
    scope = "TRUE" if customers is None else "customer_id IN (SELECT unnest($customers))"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _wd_scope AS SELECT customer_id, lifecycle_stage FROM profiles
            WHERE as_of = (SELECT max(as_of) FROM profiles) AND {scope}""",
        {"customers": customers} if customers is not None else {},
    )
    if customers is not None:
        _check_known(con, customers)
    clients, decisions = _tolerances(con, as_of, rules, {r["risk_level"] for r in rows})
    con.register("_wd_tolerance", clients)
    con.register("_wd_decisions", decisions)
    con.register(
        "_wd_affinity",
        pa.table(
            {
                "stage": [stage for stage, kinds in STAGE_AFFINITY.items() for _ in kinds],
                "content_type": [kind for kinds in STAGE_AFFINITY.values() for kind in kinds],
                "fit": [fit for kinds in STAGE_AFFINITY.values() for fit in kinds.values()],
            }
        ),
    )
    snapshot = con.execute("SELECT max(snapshot_date) FROM holdings WHERE snapshot_date <= ?", [as_of]).fetchone()[0]
    if until is None and _has_table(con, "keyword_tags"):
        mentions = _LAST_MENTIONS  # everything said counts: the tags' own last mention, not 6M evidence rows
    else:
        mentions = _MENTIONS if _has_table(con, "keyword_tag_evidence") else _NO_MENTIONS
    until_ts = datetime.combine(until + timedelta(days=1), time()) if until else datetime.max
    try:
        _read(con, customers, until_ts, {r["content_id"] for r in rows})
        con.execute(
            _CANDIDATES_SQL.format(mentions=mentions),
            {
                "until": until_ts,
                "as_of": as_of,
                "snapshot": snapshot,
                "decay": math.log(2) / rules.interest_half_life_days,
                "interest_weight": rules.interest_weight,
                "holding_weight": rules.holding_weight,
                "stage_candidates": STAGE_CANDIDATES,
            },
        )
        con.execute(
            _SCORED_SQL, {"as_of": as_of, "stage_weight": rules.stage_weight, "fresh_weight": rules.fresh_weight}
        )
        recommendations = con.sql(_RANKED_SQL, params={"top": rules.top}).to_arrow_table()
        refused = con.sql(_REFUSED_SQL).to_arrow_table()
    finally:
        for name in ("_wd_contents", "_wd_tag_topics", "_wd_tolerance", "_wd_decisions", "_wd_affinity"):
            con.unregister(name)
        for name in ("_wd_candidates", "_wd_scored", "_wd_scope", "_wd_read"):
            con.execute(f"DROP TABLE IF EXISTS {name}")
    notes = [] if active else [f"no content is pushable on {as_of}: add some with `wealthdesk content add`"]
    return Matches(as_of, recommendations, refused, len(active), notes)


_CONTENT_SCHEMA = pa.schema(
    {
        "content_id": pa.string(),
        "content_type": pa.string(),
        "title": pa.string(),
        "topics": pa.list_(pa.string()),
        "related_codes": pa.list_(pa.string()),
        "risk_level": pa.string(),
        "publish_date": pa.date32(),
    }
)


def _check_known(con: duckdb.DuckDBPyConnection, customers: list[str]) -> None:
    found = {r[0] for r in con.execute("SELECT customer_id FROM _wd_scope").fetchall()}
    unknown = sorted(set(customers) - found)
    if unknown:
        shown = ", ".join(unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        raise MatchingError(f"no profile for client(s) {shown}: unknown, or not profiled yet (`wealthdesk run`)")


def _tolerances(
    con: duckdb.DuckDBPyConnection, as_of: date, rules: MatchRules, levels: set[str | None]
) -> tuple[pa.Table, pa.Table]:
    """(customer_id → tolerance_id, the rule's decision for each tolerance and content risk level).

    The suitability rule decides, in Python, for each distinct tolerance the clients in scope have and each risk
    level a content carries (none, R1–R5, and whatever else a store holds: the rule refuses an unknown level with
    its reason, so no pair is ever left without a decision); the reason of a refusal is the client's own ("risk
    assessment expired after 2024-03-01 …"). The SQL only looks these decisions up."""
    rows = client_tolerances(con, as_of, "SELECT customer_id FROM _wd_scope", valid_days=rules.assessment_valid_days)
    ids: dict[Tolerance, int] = {}
    of_client = [ids.setdefault(tolerance, len(ids)) for _, tolerance in rows]
    clients = pa.table({"customer_id": [r[0] for r in rows], "tolerance_id": pa.array(of_client, pa.int32())})
    out: dict[str, list[Any]] = {"tolerance_id": [], "risk_level": [], "allowed": [], "reason": []}
    for tolerance, number in ids.items():
        for level in sorted({None, *PRODUCT_LEVELS, *levels}, key=lambda v: (v is not None, v or "")):
            decision = content_decision(tolerance, level)
            out["tolerance_id"].append(number)
            out["risk_level"].append(level)
            out["allowed"].append(decision.allowed)
            out["reason"].append(decision.reason)
    decisions = pa.table(
        {
            "tolerance_id": pa.array(out["tolerance_id"], pa.int32()),
            "risk_level": pa.array(out["risk_level"], pa.string()),
            "allowed": pa.array(out["allowed"], pa.bool_()),
            "reason": pa.array(out["reason"], pa.string()),
        }
    )
    return clients, decisions


# each chat interest's last mention up to the day (evidence, not negated), per client in scope
_MENTIONS = """(SELECT e.customer_id, e.tag, max(e.msgtime) AS last_seen FROM keyword_tag_evidence e
    JOIN _wd_scope USING (customer_id) WHERE NOT e.negated AND e.msgtime < $until GROUP BY ALL)"""
_LAST_MENTIONS = """(SELECT k.customer_id, k.tag, k.last_seen FROM keyword_tags k JOIN _wd_scope USING (customer_id)
    WHERE k.last_seen < $until)"""
_NO_MENTIONS = "(SELECT ''::VARCHAR AS customer_id, ''::VARCHAR AS tag, $until::TIMESTAMP AS last_seen WHERE FALSE)"
POINT_LOOKUPS = 20  # up to this many clients, their reads are looked up one by one (the sidebar's case)


def _read(con: duckdb.DuckDBPyConnection, customers: list[str] | None, until: datetime, contents: set[str]) -> None:
    """``_wd_read``: the contents each client in scope opened in the app before ``until``.

    For a few clients, one lookup each on the ``app_events.customer_id`` serving index (a sidebar card: ~4 ms on
    the 1M store, where scanning the 26M events takes ~0.5 s). Only a plain equality on the indexed column is
    answered from the index, so the other conditions are applied here."""
    if customers is None or len(customers) > POINT_LOOKUPS:
        con.execute(_READ_SQL, {"until": until})
        return
    pairs = set()
    for customer in customers:
        for content, kind, when in con.execute(
            "SELECT object_id, event_type, event_time FROM app_events WHERE customer_id = ?", [customer]
        ).fetchall():
            if kind == "view_content" and content in contents and when < until:
                pairs.add((customer, content))
    read = pa.table(
        {"customer_id": [c for c, _ in pairs], "content_id": [k for _, k in pairs]},
        schema=pa.schema({"customer_id": pa.string(), "content_id": pa.string()}),
    )
    con.register("_wd_read_rows", read)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE _wd_read AS SELECT * FROM _wd_read_rows")
    finally:
        con.unregister("_wd_read_rows")


# contents the clients in scope opened in the app, up to the day
_READ_SQL = """
CREATE OR REPLACE TEMP TABLE _wd_read AS
SELECT DISTINCT e.customer_id, e.object_id AS content_id FROM app_events e JOIN _wd_scope USING (customer_id)
WHERE e.event_type = 'view_content' AND e.event_time < $until AND e.object_id IN (SELECT content_id FROM _wd_contents)
"""
_CANDIDATES_SQL = """
CREATE OR REPLACE TEMP TABLE _wd_candidates AS
WITH topic AS (SELECT DISTINCT content_id, unnest(topics) AS topic FROM _wd_contents),
interest AS (  -- one row per client, content and interest, however many of its keywords the topics name
    SELECT m.customer_id, t.content_id, tt.subject,
           greatest(date_diff('day', m.last_seen::DATE, $as_of::DATE), 0) AS days
    FROM {mentions} m JOIN _wd_tag_topics tt ON tt.tag = m.tag JOIN topic t ON t.topic = tt.topic
    GROUP BY ALL),
held AS (
    SELECT DISTINCT a.customer_id, h.instrument_code AS code
    FROM holdings h JOIN accounts a USING (account_id) JOIN _wd_scope USING (customer_id)
    WHERE h.snapshot_date = $snapshot AND h.asset_type <> 'cash' AND h.quantity > 0),
related AS (SELECT DISTINCT content_id, unnest(related_codes) AS code FROM _wd_contents),
fitting AS (  -- for each tolerance and stage, the newest contents of each fitting type the rule allows
    SELECT d.tolerance_id, a.stage, c.content_id,
           row_number() OVER (PARTITION BY d.tolerance_id, a.stage, c.content_type
                              ORDER BY c.publish_date DESC, c.content_id) AS n
    FROM _wd_contents c JOIN _wd_affinity a USING (content_type)
    JOIN _wd_decisions d ON d.allowed AND d.risk_level IS NOT DISTINCT FROM c.risk_level),
pairs AS (
    SELECT customer_id, content_id, $interest_weight * exp(-$decay * days) AS points,
           'mentioned ' || subject || CASE days WHEN 0 THEN ' today' WHEN 1 THEN ' yesterday'
                                            ELSE ' ' || days || ' days ago' END AS reason
    FROM interest
    UNION ALL
    SELECT held.customer_id, r.content_id, $holding_weight, 'holds ' || held.code
    FROM held JOIN related r USING (code)
    UNION ALL
    SELECT s.customer_id, f.content_id, 0.0, NULL
    FROM _wd_scope s JOIN _wd_tolerance t USING (customer_id)
    JOIN fitting f ON f.tolerance_id = t.tolerance_id AND f.stage = s.lifecycle_stage AND f.n <= $stage_candidates)
SELECT customer_id, content_id, sum(points) AS points,
       list(DISTINCT reason ORDER BY reason) FILTER (WHERE reason IS NOT NULL) AS reasons
FROM pairs GROUP BY ALL
"""

_SCORED_SQL = """
CREATE OR REPLACE TEMP TABLE _wd_scored AS
SELECT c.customer_id, c.content_id, x.title, x.content_type, x.risk_level, x.publish_date,
       c.points + $stage_weight * coalesce(a.fit, 0)
           + $fresh_weight * exp(-ln(2) / 30 * greatest(date_diff('day', x.publish_date, $as_of::DATE), 0)) AS score,
       coalesce(c.reasons, []) || CASE WHEN a.fit > 0 THEN ['fits the ' || s.lifecycle_stage || ' stage'] ELSE [] END
           AS reasons,
       d.allowed, d.reason AS refusal
FROM _wd_candidates c JOIN _wd_contents x USING (content_id) JOIN _wd_scope s USING (customer_id)
LEFT JOIN _wd_affinity a ON a.stage = s.lifecycle_stage AND a.content_type = x.content_type
JOIN _wd_tolerance t USING (customer_id)
JOIN _wd_decisions d ON d.tolerance_id = t.tolerance_id AND d.risk_level IS NOT DISTINCT FROM x.risk_level
ANTI JOIN _wd_read USING (customer_id, content_id)
"""

_RANKED_SQL = """
SELECT customer_id, rank::INTEGER AS rank, content_id, title, content_type, risk_level, round(score, 4) AS score,
       array_to_string(reasons, '; ') AS reasons
FROM (SELECT *, row_number() OVER (PARTITION BY customer_id ORDER BY score DESC, publish_date DESC, content_id) AS rank
      FROM _wd_scored WHERE allowed)
WHERE rank <= $top ORDER BY customer_id, rank
"""

_REFUSED_SQL = """
SELECT customer_id, content_id, risk_level, refusal AS reason FROM _wd_scored WHERE NOT allowed
ORDER BY customer_id, content_id
"""


def client_recommendations(con: duckdb.DuckDBPyConnection, customer_id: str, top: int = 5) -> dict[str, Any]:
    """One client's recommendations as the API and the sidebar show them, and how many unsuitable contents the
    rule held back (the content ids of refusals stay out: an advisor needs no list of what not to send)."""
    found = match(con, [customer_id], rules=MatchRules(top=top))
    rows = [{k: v for k, v in r.items() if k != "customer_id"} for r in found.recommendations.to_pylist()]
    reasons = found.refused.column("reason").to_pylist()
    return {
        "as_of": found.as_of,
        "recommendations": rows,
        "unsuitable_held_back": len(reasons),  # among the candidates: contents the client had a reason for
        "held_back_because": reasons[0] if reasons else None,
    }
