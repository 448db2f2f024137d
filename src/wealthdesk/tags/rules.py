"""Rule tags: a versioned, human-editable YAML file of named boolean expressions.

The file is checked as a whole before anything runs: every tag needs a
snake_case name (unique), a label, a known category, a description and a
``when`` expression that :mod:`wealthdesk.tags.expression` accepts. Every
problem is reported with the tag it belongs to, so a typo in tag 27 of 40
says so instead of failing the nightly run half-way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from wealthdesk.errors import WealthdeskError
from wealthdesk.profiles.columns import PROFILES
from wealthdesk.tags.expression import Expression, ExpressionError, parse_expression

CATEGORIES = ("value", "activity", "preference", "risk", "lifecycle")
_NAME = re.compile(r"^[a-z][a-z0-9_]{1,62}$")
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
    if not _NAME.match(name):
        problems.append(f"{where}: name must be snake_case (a-z, 0-9, _), 2-63 characters")
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
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise TagRuleError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("tags"), list):
        raise TagRuleError(f"{source}: expected a mapping with 'version' and a list 'tags'")
    problems: list[str] = []
    version = document.get("version")
    if not isinstance(version, int | str) or isinstance(version, bool) or str(version).strip() == "":
        problems.append("version: required (a number or text), bump it whenever a rule changes")
    extra = sorted(set(map(str, document)) - {"version", "tags"})
    if extra:
        problems.append(f"unknown top-level key(s) {', '.join(extra)}")
    seen: set[str] = set()
    rules = [_check_rule(entry, i, seen, problems) for i, entry in enumerate(document["tags"])]
    if not document["tags"]:
        problems.append("tags: the list is empty")
    if problems:
        raise TagRuleError(f"{source}: {len(problems)} problem(s):\n" + "\n".join(f"- {p}" for p in problems))
    return TagBook(version=str(version), rules=tuple(r for r in rules if r is not None), source=source)


def default_tag_file() -> str:
    """Text of the tag file shipped with wealthdesk."""
    return resources.files("wealthdesk.tags").joinpath("default_tags.yaml").read_text(encoding="utf-8")


def load_tag_rules(path: Path | None = None) -> TagBook:
    """The tag file at ``path``, or the shipped default; checked."""
    if path is None:
        return parse_tag_rules(default_tag_file(), "default_tags.yaml")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise TagRuleError(f"cannot read tag file {path}: {exc.strerror or exc}") from None
    return parse_tag_rules(text, str(path))
