"""docs/profiles.md, generated from the profile contract, the lifecycle rules and the default tags."""

from __future__ import annotations

from wealthdesk.profiles.columns import PROFILES
from wealthdesk.profiles.lifecycle import LifecycleRules, describe_rules
from wealthdesk.schema.docs import table_section
from wealthdesk.suitability.rules import ASSESSMENT_VALID_DAYS
from wealthdesk.tags.dictionary import load_keyword_dictionary
from wealthdesk.tags.matcher import AFTER, BEFORE, CLAUSE_BREAKS
from wealthdesk.tags.rules import load_tag_rules

NOTE = "<!-- Generated from src/wealthdesk/profiles/ and tags/ by `wealthdesk docs`; do not edit by hand. -->"


def render_profiles_markdown() -> str:
    """The profile columns (what tags and segments may use), the lifecycle rules and the default tags."""
    book = load_tag_rules()
    lines = [
        "# Customer 360: profiles, lifecycle and rule tags",
        "",
        NOTE,
        "",
        "`wealthdesk run` rebuilds the `profiles` table as of a date (default: the latest holdings snapshot),",
        "extends `profile_stage_history` (one row per client and lifecycle spell: `valid_from`, `valid_to`) and",
        "rebuilds `customer_tags` from the tag file. Only data dated on or before the as-of date counts. Windows",
        "(7/30/90 days) end on the as-of date and include it. A risk assessment is valid for",
        f"{ASSESSMENT_VALID_DAYS} days. WeCom message times are UTC and are dated in China time (UTC+8).",
        "",
        "`wealthdesk run --engine spark` runs the same stages on Apache Spark (the store's tables are published",
        "to a Parquet lake, chat keyword matching runs as a `mapInArrow` stage) and copies the outputs back into",
        "the store; a parity test compares every output table of both engines row for row. On Spark every chat",
        "message is re-tagged on each run; on DuckDB only new ones.",
        "",
        "## Near real time",
        "",
        "`wealthdesk.pipeline.live.LiveUpdater(con).feed(table, records)` takes chat messages (`wecom_messages`,",
        "in the archive's JSON shape) or app events (`app_events`) as they arrive. The records go through the",
        "same contract as files (bad ones are quarantined with their reasons; a record already stored changes",
        "nothing). Then, in one transaction, the client's chat messages are tagged and their `keyword_tags`",
        "rows refreshed, and their profile's activity columns take the new rows in: `last_*_date` moves",
        "forward, the 7/30/90-day counts grow (windows ending on the later of the as-of date and the newest",
        "event's day) and `days_since_last_*` follows (0 for an event after the as-of date). The lifecycle",
        "stage and all other columns change only with the next `wealthdesk run`, which recomputes the activity",
        "as of its own date and re-tags live messages without counting them twice.",
        "",
        "## Lifecycle stages",
        "",
        'Evaluated in this order; the first rule that matches gives the stage. "No activity" means no trade',
        "and no app login (for a client who never did either: days since registration).",
        "",
        *describe_rules(LifecycleRules()),
        "",
        "## Profile columns",
        "",
        "Rule tags and segments are expressions over these columns.",
        "",
        *table_section(PROFILES)[2:],
        "## Rule tags",
        "",
        "Tags are written in a small expression language (see `wealthdesk.tags.expression`): comparisons",
        "`== != < <= > >=`, `and`, `or`, `not`, `+ - * /`, `column in ['a', 'b']`, `missing(column)`,",
        "`present(column)`, numbers (`1_000_000`), `'text'`, `'YYYY-MM-DD'` dates, `true`/`false`. A tag holds",
        "where its expression is true; a comparison with an unknown value is not true. Anything else —",
        "function calls, attributes, indexing, unknown columns — is refused with its position.",
        "",
        f"The default tag file (`default_tags.yaml`, version {book.version}); pass your own with `--tags`:",
        "",
        "| tag | label | category | when | description |",
        "| --- | --- | --- | --- | --- |",
    ]
    for rule in book.rules:
        when = rule.expression.text.replace("|", "\\|")
        lines.append(f"| `{rule.name}` | {rule.label} | {rule.category} | `{when}` | {rule.description} |")
    return "\n".join(lines + _chat_tag_lines()) + "\n"


def _chat_tag_lines() -> list[str]:
    dictionary = load_keyword_dictionary()
    breaks = " ".join(repr(c)[1:-1] for c in CLAUSE_BREAKS)
    lines = [
        "",
        "## Chat keyword tags (数据回传)",
        "",
        "Every text message a client sent on WeCom (a message whose sender is an external contact matched to a",
        "client; advisors' messages never count) is scanned for the dictionary's keywords, in simplified and",
        "traditional spelling (the traditional one is derived with OpenCC). Each mention is kept in",
        "`keyword_tag_evidence` (msgid, China time, keyword, a snippet with phone and ID numbers masked);",
        "`keyword_tags` has one row per client and tag with the mentions and the first and last time seen.",
        "Runs are incremental: only messages loaded since the last run are read, unless `--full` is given or",
        "the dictionary's version changed. Chat tags follow every message loaded so far: unlike the profile, they",
        "are not cut at the as-of date (each tag's first and last time seen tell when).",
        "",
        "**Negation rule.** A mention is negated — kept as evidence, but giving no tag — when a negation cue",
        f"stands in the same clause (no {breaks} in between) and either ends at most {BEFORE} characters before",
        f"the keyword (不想买创业板, 别再给我推创业板) or starts at most {AFTER} characters after it",
        "(我对创业板没兴趣, 创业板就算了). Double negations (不是不想买) and cues that are not refusals",
        "(不想错过创业板) are read as refusals.",
        "",
        f"Negation cues: {', '.join(dictionary.negations)}.",
        "",
        f"The default dictionary (`default_keywords.yaml`, version {dictionary.version}, "
        f"{dictionary.keyword_count} keywords); pass your own with `--keywords`:",
        "",
        "| tag | label | keywords |",
        "| --- | --- | --- |",
    ]
    for tag in dictionary.tags:
        lines.append(f"| `{tag.name}` | {tag.label} | {', '.join(tag.keywords)} |")
    return lines
