"""The chat keyword dictionary (数据回传): interest tags, their keywords and the negation cues.

A versioned YAML file (``default_keywords.yaml`` ships with wealthdesk).
Keywords are written in simplified Chinese; the traditional spelling of
every keyword and cue is added here with OpenCC, once, so matching runs on
the raw text without converting every message.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from wealthdesk.errors import WealthdeskError
from wealthdesk.tags.yamlfile import NAME, NAME_RULE, check_version, raise_problems, read_document, read_text


class KeywordDictionaryError(WealthdeskError):
    """A keyword dictionary that cannot be used; lists every problem found."""


@dataclass(frozen=True)
class KeywordTag:
    """An interest tag and the keywords (simplified Chinese) that give it."""

    name: str
    label: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class KeywordDictionary:
    """A checked dictionary: version, tags in file order, negation cues."""

    version: str
    tags: tuple[KeywordTag, ...]
    negations: tuple[str, ...]
    source: str

    @property
    def keyword_count(self) -> int:
        return sum(len(t.keywords) for t in self.tags)


@cache
def _to_traditional() -> Any:
    import opencc

    return opencc.OpenCC("s2t")


def spellings(word: str) -> tuple[str, ...]:
    """The word as written and its traditional spelling (one entry when they are the same)."""
    traditional = _to_traditional().convert(word)
    return (word,) if traditional == word else (word, traditional)


def _words(value: Any, where: str, problems: list[str]) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        problems.append(f"{where}: expected a non-empty list of words")
        return ()
    words = tuple(str(w).strip() for w in value if w is not None)
    if any(not w for w in words) or len(words) != len(value):
        problems.append(f"{where}: contains an empty word")
    return tuple(w for w in words if w)


def parse_keyword_dictionary(text: str, source: str = "keywords.yaml") -> KeywordDictionary:
    """Check a dictionary's text; raise :class:`KeywordDictionaryError` listing every problem."""
    document = read_document(text, source, KeywordDictionaryError, ("version", "negations", "tags"))
    problems: list[str] = []
    version = check_version(document, "the dictionary", problems)
    negations = _words(document.get("negations"), "negations", problems)
    tags: list[KeywordTag] = []
    owner: dict[str, str] = {}
    for index, entry in enumerate(document["tags"]):
        where = f"tag #{index + 1}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: expected a mapping with name, label and keywords")
            continue
        name, label = entry.get("name"), entry.get("label")
        where = f"tag #{index + 1} ({name})" if isinstance(name, str) else where
        unknown = sorted(set(map(str, entry)) - {"name", "label", "keywords"})
        if unknown:
            problems.append(f"{where}: unknown field(s) {', '.join(unknown)}")
        if not isinstance(name, str) or not NAME.match(name):
            problems.append(f"{where}: name {NAME_RULE}")
            continue
        if not isinstance(label, str) or not label.strip():
            problems.append(f"{where}: label is required")
        keywords = _words(entry.get("keywords"), f"{where}: keywords", problems)
        for word in keywords:
            for spelling in spellings(word):
                if owner.get(spelling, name) != name:
                    problems.append(f"{where}: keyword {word!r} is also a keyword of {owner[spelling]}")
                owner[spelling] = name
        if any(t.name == name for t in tags):
            problems.append(f"{where}: the name {name!r} is used twice")
        tags.append(KeywordTag(name, str(label or "").strip(), keywords))
    if not document["tags"]:
        problems.append("tags: the list is empty")
    raise_problems(KeywordDictionaryError, source, problems)
    return KeywordDictionary(version, tuple(tags), negations, source)


def load_keyword_dictionary(path: Path | None = None) -> KeywordDictionary:
    """The dictionary at ``path``, or the shipped default; checked."""
    text, source = read_text(path, "default_keywords.yaml", KeywordDictionaryError, "keyword dictionary")
    return parse_keyword_dictionary(text, source)
