"""docs/profiles.md, generated from the profile contract, the lifecycle rules and the default tags."""

from __future__ import annotations

from wealthdesk.profiles.build import ASSESSMENT_VALID_DAYS
from wealthdesk.profiles.columns import PROFILES
from wealthdesk.profiles.lifecycle import LifecycleRules, describe_rules
from wealthdesk.schema.docs import table_section
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
    return "\n".join(lines) + "\n"
