"""Keyword matching over a batch of chat messages: one automaton pass, then numpy.

Calling a matcher once per message costs more than the matching itself, so a
batch of messages is joined into one string (separated by a newline) and
scanned once by an Aho-Corasick automaton (ahocorasick-rs, leftmost-longest:
"基金定投" wins over "基金"); match positions are mapped back to messages
with ``searchsorted``. The same function serves DuckDB (in-process, batch by
batch) and Spark (``mapInArrow``).

Negation rule (plain refusals such as "不想买创业板"): a keyword is *negated*
when a negation cue from the dictionary stands in the same clause — no
``，,。！？!?；;`` or line break in between — and either ends at most
``BEFORE`` (4) characters before the keyword ("不想买创业板", "别再给我推创业板")
or starts at most ``AFTER`` (6) characters after it ("我对创业板没兴趣",
"创业板就算了"). A negated mention is kept as evidence with ``negated = true``
but gives no tag. A cue inside an A-not-A question is no refusal: when the
character before a cue's 不 or 没 repeats the one after it ("要不要买创业板",
"需不需要开通创业板", "买不买创业板ETF"), the cue is ignored. Known limits:
double negations ("不是不想买") and cues that are not refusals
("不想错过创业板") are read as refusals.
"""

from __future__ import annotations

from dataclasses import dataclass

import ahocorasick_rs
import numpy as np
import pyarrow as pa

from wealthdesk.tags.dictionary import KeywordDictionary, spellings

BEFORE = 4
AFTER = 6
CLAUSE_BREAKS = "，,。！？!?；;\n"
_IS_BREAK = np.zeros(0x110000, dtype=bool)  # a lookup table over all code points: faster than np.isin
_IS_BREAK[[ord(c) for c in CLAUSE_BREAKS]] = True


@dataclass(frozen=True)
class BatchMatches:
    """Matches in a batch, one entry per match: which row, which tag and keyword, where, negated or not.

    No snippet is cut here: the evidence keeps the position, and views cut
    the context from the (masked) message when they show it.
    """

    row: np.ndarray
    tag: np.ndarray
    keyword: list[str]
    start: np.ndarray  # character offsets within the row's text
    end: np.ndarray
    negated: np.ndarray


def _scan(automaton: ahocorasick_rs.AhoCorasick, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    found = automaton.find_matches_as_indexes(text)
    if not found:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    array = np.array(found, dtype=np.int64)
    return array[:, 0], array[:, 1], array[:, 2]


def _breaks_between(breaks: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Whether a clause break lies in [lo, hi) for each pair."""
    return np.searchsorted(breaks, hi, side="left") > np.searchsorted(breaks, lo, side="left")


_NOT = np.array([ord("不"), ord("没"), ord("沒")], dtype=np.uint32)


def _a_not_a(codes: np.ndarray, cue_start: np.ndarray) -> np.ndarray:
    """Cues that open with 不/没 inside an A-not-A question (要不要, 需不需要, 买不买)."""
    inside = (cue_start > 0) & (cue_start + 1 < len(codes))
    at = np.clip(cue_start, 1, max(len(codes) - 2, 1))
    return inside & np.isin(codes[at], _NOT) & (codes[at - 1] == codes[at + 1])


class KeywordMatcher:
    """Finds the dictionary's keywords (both spellings) and negation cues in batches of text."""

    def __init__(self, dictionary: KeywordDictionary) -> None:
        self.dictionary = dictionary
        patterns: list[str] = []
        tag_of: list[int] = []
        self._keyword_of: list[str] = []
        for index, tag in enumerate(dictionary.tags):
            for word in tag.keywords:
                for spelling in spellings(word):
                    patterns.append(spelling)
                    tag_of.append(index)
                    self._keyword_of.append(word)
        self._tag_of = np.asarray(tag_of, dtype=np.int64)
        kind = ahocorasick_rs.MatchKind.LeftmostLongest
        self._keywords = ahocorasick_rs.AhoCorasick(patterns, matchkind=kind)
        cues = sorted({s for cue in dictionary.negations for s in spellings(cue)})
        self._cues = ahocorasick_rs.AhoCorasick(cues, matchkind=kind) if cues else None

    def match(self, texts: pa.Array | pa.ChunkedArray | list[str | None]) -> BatchMatches:
        """Every keyword match in ``texts`` (nulls count as empty)."""
        values = texts.to_pylist() if isinstance(texts, pa.Array | pa.ChunkedArray) else texts
        values = [v or "" for v in values]
        big = "\n".join(values)
        lengths = np.fromiter((len(v) for v in values), dtype=np.int64, count=len(values))
        row_start = np.concatenate(([0], np.cumsum(lengths + 1)[:-1])) if len(values) else lengths
        pattern, start, end = _scan(self._keywords, big)
        row = np.searchsorted(row_start, start, side="right") - 1
        negated = self._negated(big, start, end)
        offset = row_start[row] if len(row) else start
        start, end = start - offset, end - offset
        return BatchMatches(
            row=row,
            tag=self._tag_of[pattern] if len(pattern) else pattern,
            keyword=[self._keyword_of[p] for p in pattern.tolist()],
            start=start,
            end=end,
            negated=negated,
        )

    def _negated(self, big: str, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        negated = np.zeros(len(start), dtype=bool)
        if self._cues is None or not len(start):
            return negated
        _, cue_start, cue_end = _scan(self._cues, big)
        if not len(cue_start):
            return negated
        codes = np.frombuffer(big.encode("utf-32-le"), dtype=np.uint32)
        question = _a_not_a(codes, cue_start)
        cue_start, cue_end = cue_start[~question], cue_end[~question]
        if not len(cue_start):
            return negated
        breaks = np.flatnonzero(_IS_BREAK[codes])
        # the nearest cue ending at or before the keyword starts
        before = np.searchsorted(cue_end, start, side="right") - 1
        ok = before >= 0
        gap_end = np.where(ok, cue_end[np.maximum(before, 0)], 0)
        negated |= ok & (start - gap_end <= BEFORE) & ~_breaks_between(breaks, gap_end, start)
        # the nearest cue starting at or after the keyword ends
        after = np.searchsorted(cue_start, end, side="left")
        ok = after < len(cue_start)
        gap_start = np.where(ok, cue_start[np.minimum(after, len(cue_start) - 1)], 0)
        negated |= ok & (gap_start - end <= AFTER) & ~_breaks_between(breaks, end, gap_start)
        return negated
