"""Saved segment definitions: a name, a label and an expression over profile columns and tags.

Definitions live in the store's ``segments`` table. An expression is checked
when the segment is saved — against the profile columns and the tags known
at that moment (rule tags of the tag file, chat tags of the dictionary) — so
a typo is refused at ``segment create``, never at the nightly run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from wealthdesk.errors import WealthdeskError
from wealthdesk.profiles.columns import PROFILES
from wealthdesk.tags.dictionary import KeywordDictionary, load_keyword_dictionary
from wealthdesk.tags.expression import Expression, parse_expression
from wealthdesk.tags.rules import TagBook, load_tag_rules
from wealthdesk.tags.yamlfile import NAME, NAME_RULE

SEGMENTS_TABLE = "segments"
_DDL = f"""CREATE TABLE IF NOT EXISTS {SEGMENTS_TABLE} (
    name VARCHAR NOT NULL, label VARCHAR NOT NULL, expression VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL)"""


class SegmentError(WealthdeskError):
    """A segment that cannot be saved, found or computed."""


class SegmentNotFound(SegmentError):
    """No saved segment of that name."""


@dataclass(frozen=True)
class Segment:
    """A saved segment and its checked expression."""

    name: str
    label: str
    expression: Expression
    created_at: datetime


def tag_names(book: TagBook, dictionary: KeywordDictionary) -> frozenset[str]:
    """Every tag a segment may test: the rule tags and the chat keyword tags."""
    return frozenset({rule.name for rule in book.rules} | {tag.name for tag in dictionary.tags})


def known_tags(tags_path: Path | None = None, keywords_path: Path | None = None) -> frozenset[str]:
    """:func:`tag_names` of the tag file and the dictionary at these paths (default: the shipped ones)."""
    return tag_names(load_tag_rules(tags_path), load_keyword_dictionary(keywords_path))


def check_expression(text: str, tags: frozenset[str]) -> Expression:
    return parse_expression(text, PROFILES.columns, tags)


def save_segment(
    con: duckdb.DuckDBPyConnection, name: str, expression: str, label: str | None, tags: frozenset[str]
) -> Segment:
    """Check and save a new segment; a name already taken is an error (delete it first to redefine)."""
    if not NAME.match(name or ""):
        raise SegmentError(f"segment name {name!r} {NAME_RULE}")
    checked = check_expression(expression, tags)
    con.execute(_DDL)
    if con.execute(f"SELECT count(*) FROM {SEGMENTS_TABLE} WHERE name = ?", [name]).fetchall()[0][0]:
        raise SegmentError(f"a segment named {name!r} exists already; `wealthdesk segment delete {name}` first")
    created = datetime.now().replace(microsecond=0)
    con.execute(f"INSERT INTO {SEGMENTS_TABLE} VALUES (?, ?, ?, ?)", [name, label or name, expression, created])
    return Segment(name, label or name, checked, created)


def delete_segment(con: duckdb.DuckDBPyConnection, name: str) -> None:
    _saved(con, name)
    con.execute(f"DELETE FROM {SEGMENTS_TABLE} WHERE name = ?", [name])


def list_segments(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, datetime]]:
    """(name, label, expression, created_at) of every saved segment, by name."""
    try:
        return con.execute(f"SELECT * FROM {SEGMENTS_TABLE} ORDER BY name").fetchall()
    except duckdb.CatalogException:
        return []


def _saved(con: duckdb.DuckDBPyConnection, name: str) -> tuple[str, str, str, datetime]:
    saved = list_segments(con)
    found = [row for row in saved if row[0] == name]
    if not found:
        names = ", ".join(row[0] for row in saved) or "none yet"
        raise SegmentNotFound(f"no segment named {name!r}; saved segments: {names}")
    return found[0]


def get_segment(con: duckdb.DuckDBPyConnection, name: str, tags: frozenset[str]) -> Segment:
    """A saved segment, its expression checked again against today's columns and tags."""
    _, label, text, created = _saved(con, name)
    return Segment(name, label, check_expression(text, tags), created)
