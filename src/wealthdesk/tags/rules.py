"""Rule tags: a versioned, human-editable YAML file of named boolean expressions.

The file is checked as a whole before anything runs: every tag needs a
snake_case name (unique), a label, a known category, a description and a
``when`` expression that :mod:`wealthdesk.tags.expression` accepts. Every
problem is reported with the tag it belongs to, so a typo in tag 27 of 40
says so instead of failing the nightly run half-way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wealthdesk.errors import WealthdeskError
from wealthdesk.profiles.columns import PROFILES
from wealthdesk.tags.expression import Expression, ExpressionError, parse_expression
from wealthdesk.tags.yamlfile import NAME, NAME_RULE, check_version, raise_problems, read_document, read_text

CATEGORIES = ("value", "activity", "preference", "risk", "lifecycle")
_FIELDS = ("name", "label", "category", "description", "when")


class TagRuleError(WealthdeskError):
    """A tag file that cannot be used; lists every problem found."""


@dataclass(frozen=True)
class TagRule:
    """One rule tag: who gets it is decided by ``expression`` over the profile."""

    name: str
    label: str
    category: str
    description: str
    expression: Expression


@dataclass(frozen=True)
class TagBook:
    """A checked tag file: its version and its rules, in file order."""

    version: str
    rules: tuple[TagRule, ...]
    source: str

    def rule(self, name: str) -> TagRule:
        for rule in self.rules:
            if rule.name == name:
                return rule
        raise KeyError(f"no tag {name!r} in {self.source}")


def _check_rule(entry: Any, index: int, seen: set[str], problems: list[str]) -> TagRule | None:
    where = f"tag #{index + 1}"
    if not isinstance(entry, dict):
        problems.append(f"{where}: expected a mapping with {', '.join(_FIELDS)}")
        return None
    name = entry.get("name")
    if isinstance(name, str):
        where = f"tag #{index + 1} ({name})"
    unknown = sorted(set(map(str, entry)) - set(_FIELDS))
    if unknown:
        problems.append(f"{where}: unknown field(s) {', '.join(unknown)}; the fields are {', '.join(_FIELDS)}")
    missing = [f for f in _FIELDS if not isinstance(entry.get(f), str) or not entry[f].strip()]
    if missing:
        problems.append(f"{where}: missing or empty {', '.join(missing)} (text)")
        return None
    if not NAME.match(name):
        problems.append(f"{where}: name {NAME_RULE}")
    elif name in seen:
        problems.append(f"{where}: the name {name!r} is used twice")
    seen.add(name)
    if entry["category"] not in CATEGORIES:
        problems.append(f"{where}: category {entry['category']!r} is not one of {', '.join(CATEGORIES)}")
    try:
        expression = parse_expression(entry["when"], PROFILES.columns)
    except ExpressionError as exc:
        problems.append(f"{where}: when: {exc}")
        return None
    return TagRule(name, entry["label"].strip(), entry["category"], entry["description"].strip(), expression)


def parse_tag_rules(text: str, source: str = "tags.yaml") -> TagBook:
    """Check a tag file's text; raise :class:`TagRuleError` listing every problem."""
    document = read_document(text, source, TagRuleError, ("version", "tags"))
    problems: list[str] = []
    version = check_version(document, "a rule", problems)
    extra = sorted(set(map(str, document)) - {"version", "tags"})
    if extra:
        problems.append(f"unknown top-level key(s) {', '.join(extra)}")
    seen: set[str] = set()
    rules = [_check_rule(entry, i, seen, problems) for i, entry in enumerate(document["tags"])]
    if not document["tags"]:
        problems.append("tags: the list is empty")
    raise_problems(TagRuleError, source, problems)
    return TagBook(version=version, rules=tuple(r for r in rules if r is not None), source=source)


def load_tag_rules(path: Path | None = None) -> TagBook:
    """The tag file at ``path``, or the shipped default; checked."""
    text, source = read_text(path, "default_tags.yaml", TagRuleError, "tag file")
    return parse_tag_rules(text, source)
