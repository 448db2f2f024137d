"""The tag file: the shipped defaults, and the errors a person editing it gets."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from wealthdesk.tags.rules import CATEGORIES, TagRuleError, load_tag_rules, parse_tag_rules


def test_default_tags_cover_every_category() -> None:
    book = load_tag_rules()
    assert len(book.rules) >= 25
    per_category = Counter(rule.category for rule in book.rules)
    assert set(per_category) == set(CATEGORIES)
    assert min(per_category.values()) >= 4, per_category
    assert all(rule.label and rule.description for rule in book.rules)
    assert book.version == "1"


def test_a_file_on_disk_is_read(tmp_path: Path) -> None:
    path = tmp_path / "tags.yaml"
    path.write_text(
        "version: 3\ntags:\n  - {name: rich, label: 富, category: value, description: d, when: aum > 1}\n",
        encoding="utf-8",
    )
    book = load_tag_rules(path)
    assert book.version == "3"
    assert book.rule("rich").expression.columns == {"aum"}


def problems(text: str) -> str:
    with pytest.raises(TagRuleError) as caught:
        parse_tag_rules(text, "my_tags.yaml")
    return str(caught.value)


def test_every_problem_is_reported_with_its_tag() -> None:
    text = """
version: 2
tags:
  - {name: rich, label: 富, category: value, description: d, when: aum >= 1_000_000}
  - {name: rich, label: 富2, category: value, description: d, when: aum > 2}
  - {name: Bad-Name, label: x, category: value, description: d, when: aum > 2}
  - {name: typo, label: x, category: vaule, description: d, when: aum > 2}
  - {name: broken, label: x, category: risk, description: d, when: "aum >"}
  - {name: nolabel, category: risk, description: d, when: aum > 1}
  - {name: extra, label: x, category: risk, description: d, when: aum > 1, sql: DROP}
  - just a string
"""
    message = problems(text)
    assert message.startswith("my_tags.yaml: 7 problem(s)")
    assert "tag #2 (rich): the name 'rich' is used twice" in message
    assert "tag #3 (Bad-Name): name must be snake_case" in message
    assert "tag #4 (typo): category 'vaule' is not one of value, activity" in message
    assert "tag #5 (broken): when: column 6: invalid syntax: the expression ends too early" in message
    assert "tag #6 (nolabel): missing or empty label" in message
    assert "tag #7 (extra): unknown field(s) sql" in message
    assert "tag #8: expected a mapping" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("version: 1\ntags: [\n", "not valid YAML"),
        ("- a\n- b\n", "expected a mapping with 'version' and a list 'tags'"),
        ("version: 1\ntags: []\n", "tags: the list is empty"),
        ("tags:\n  - {name: a1, label: x, category: risk, description: d, when: aum > 1}\n", "version: required"),
        ("version: 1\nrules: []\ntags: []\n", "unknown top-level key(s) rules"),
        ("version: 1\ntags: !!python/object/apply:os.system ['echo pwned']\n", "not valid YAML"),
    ],
)
def test_file_level_errors(text: str, expected: str) -> None:
    assert expected in problems(text)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TagRuleError, match=r"cannot read tag file .*nope\.yaml"):
        load_tag_rules(tmp_path / "nope.yaml")
