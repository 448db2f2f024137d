"""The byte-level matcher finds exactly what the straightforward string matcher found.

``ReferenceMatcher`` is the earlier implementation, kept as the
specification: Python strings joined by newlines, character offsets from
ahocorasick-rs, code points for the negation rule. The fast matcher must give
the same rows, tags, keywords, character positions and negation flags on
realistic messages (the demo generator's) and on adversarial ones (emoji,
traditional spellings, empty and null messages, keywords and cues at the
edges of messages, cues in the previous message, A-not-A questions).
"""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass
from pathlib import Path

import ahocorasick_rs
import duckdb
import ibis
import numpy as np
import pyarrow as pa
import pytest

from wealthdesk.tags import matcher as matcher_module
from wealthdesk.tags.chat_tags import (
    ChatTagReport,
    client_messages,
    evidence_batch,
    messages_query,
    run_chat_tags,
    sql,
    tag_messages,
)
from wealthdesk.tags.dictionary import KeywordDictionary, KeywordTag, load_keyword_dictionary, spellings
from wealthdesk.tags.matcher import AFTER, BEFORE, CLAUSE_BREAKS, KeywordMatcher
from wealthdesk.testing import DemoStore

_IS_BREAK = np.zeros(0x110000, dtype=bool)
_IS_BREAK[[ord(c) for c in CLAUSE_BREAKS]] = True
_NOT = np.array([ord("不"), ord("没"), ord("沒")], dtype=np.uint32)


@dataclass(frozen=True)
class Found:
    row: list[int]
    tag: list[int]
    keyword: list[str]
    start: list[int]
    end: list[int]
    negated: list[bool]


def _scan(automaton: ahocorasick_rs.AhoCorasick, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    found = automaton.find_matches_as_indexes(text)
    if not found:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    array = np.array(found, dtype=np.int64)
    return array[:, 0], array[:, 1], array[:, 2]


def _breaks_between(breaks: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return np.searchsorted(breaks, hi, side="left") > np.searchsorted(breaks, lo, side="left")


def _a_not_a(codes: np.ndarray, cue_start: np.ndarray) -> np.ndarray:
    inside = (cue_start > 0) & (cue_start + 1 < len(codes))
    at = np.clip(cue_start, 1, max(len(codes) - 2, 1))
    return inside & np.isin(codes[at], _NOT) & (codes[at - 1] == codes[at + 1])


class ReferenceMatcher:
    """The matcher as it was: one Python string per batch, character offsets throughout."""

    def __init__(self, dictionary: KeywordDictionary) -> None:
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

    def match(self, texts: list[str | None]) -> Found:
        values = [v or "" for v in texts]
        big = "\n".join(values)
        lengths = np.fromiter((len(v) for v in values), dtype=np.int64, count=len(values))
        row_start = np.concatenate(([0], np.cumsum(lengths + 1)[:-1])) if len(values) else lengths
        pattern, start, end = _scan(self._keywords, big)
        row = np.searchsorted(row_start, start, side="right") - 1
        negated = self._negated(big, start, end)
        offset = row_start[row] if len(row) else start
        return Found(
            row=row.tolist(),
            tag=self._tag_of[pattern].tolist(),
            keyword=[self._keyword_of[p] for p in pattern.tolist()],
            start=(start - offset).tolist(),
            end=(end - offset).tolist(),
            negated=negated.tolist(),
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
        before = np.searchsorted(cue_end, start, side="right") - 1
        ok = before >= 0
        gap_end = np.where(ok, cue_end[np.maximum(before, 0)], 0)
        negated |= ok & (start - gap_end <= BEFORE) & ~_breaks_between(breaks, gap_end, start)
        after = np.searchsorted(cue_start, end, side="left")
        ok = after < len(cue_start)
        gap_start = np.where(ok, cue_start[np.minimum(after, len(cue_start) - 1)], 0)
        negated |= ok & (gap_start - end <= AFTER) & ~_breaks_between(breaks, end, gap_start)
        return negated


@pytest.fixture(scope="module")
def dictionary() -> KeywordDictionary:
    return load_keyword_dictionary()


@pytest.fixture(scope="module")
def matcher(dictionary: KeywordDictionary) -> KeywordMatcher:
    return KeywordMatcher(dictionary)


@pytest.fixture(scope="module")
def reference(dictionary: KeywordDictionary) -> ReferenceMatcher:
    return ReferenceMatcher(dictionary)


def fast(
    matcher: KeywordMatcher, texts: pa.Array | pa.ChunkedArray | list[str | None], terminated: bool = False
) -> Found:
    result = matcher.match(texts, terminated=terminated)
    return Found(
        row=result.row.tolist(),
        tag=result.tag.tolist(),
        keyword=result.keyword,
        start=result.start.tolist(),
        end=result.end.tolist(),
        negated=result.negated.tolist(),
    )


def adversarial_messages(dictionary: KeywordDictionary, count: int, seed: int) -> list[str | None]:
    """Messages stitched from keywords, cues, clause breaks, A-not-A pieces and characters of every UTF-8 width."""
    rng = random.Random(seed)
    keywords = [s for tag in dictionary.tags for word in tag.keywords for s in spellings(word)]
    cues = [s for cue in dictionary.negations for s in spellings(cue)]
    filler = [*"的了我想买看一下吗好", "a", "Z", "9", " ", "é", "ß", "😀", "🚀", "𠀋", "\t", "要", "需", "買"]
    pieces = [
        lambda: rng.choice(keywords),
        lambda: rng.choice(cues),
        lambda: rng.choice(CLAUSE_BREAKS),
        lambda: rng.choice(filler),
        lambda: "".join(rng.choice(filler) for _ in range(rng.randint(1, 8))),
        lambda: rng.choice(["要不要", "需不需要", "买不买", "没没", "不不", "沒沒", "是不是", "好不", "😀不😀", "不"]),
    ]
    messages: list[str | None] = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.03:
            messages.append(None)
        elif roll < 0.06:
            messages.append("")
        else:
            messages.append("".join(rng.choice(pieces)() for _ in range(rng.randint(1, 12))))
    return messages


EDGE_CASES: list[list[str | None]] = [
    [],
    [""],
    [None],
    ["", "", ""],
    ["创业板"],
    ["不想", "创业板"],  # the cue is in the previous message
    ["创业板", "就算了"],  # the cue is in the next message
    ["不想买创业板"],
    ["😀😀不想买创业板😀"],  # 4-byte characters around
    ["不想😀😀😀創業板"],  # 3 four-byte characters between: within BEFORE
    ["不想😀😀😀😀😀创业板"],  # 5 characters: too far
    ["创业板😀😀😀😀😀😀没兴趣", "创业板😀😀😀😀😀😀😀没兴趣"],  # AFTER = 6 at the limit, then beyond
    ["要不要买创业板", "需不需要开通创业板", "买不买创业板ETF", "不要买创业板"],
    ["不", "不要买创业板"],
    ["要", "不要买创业板"],  # the character before 不 is in the previous message (a newline apart)
    ["不要买创业板要"],
    ["创业板\n不想"],  # a line break inside a message
    ["不想，创业板", "不想;创业板", "创业板！不考虑", "创业板?不考虑"],
    ["科创板创业板不想", "不想科创板创业板"],  # the nearest cue only
    ["a" * 50 + "创业板", "创业板" + "b" * 50],
]


def lines(texts: list[str | None]) -> list[str]:
    """The texts as messages_query gives them: each with a newline at the end."""
    return [(t or "") + "\n" for t in texts]


@pytest.mark.parametrize("texts", EDGE_CASES)
def test_edge_cases_match_the_reference(matcher: KeywordMatcher, reference: ReferenceMatcher, texts: list) -> None:
    expected = reference.match(texts)
    assert fast(matcher, texts) == expected
    assert fast(matcher, pa.array(texts, pa.string())) == expected
    assert fast(matcher, pa.array(lines(texts), pa.string()), terminated=True) == expected


@pytest.mark.parametrize("seed", range(6))
def test_generated_messages_match_the_reference(
    dictionary: KeywordDictionary, matcher: KeywordMatcher, reference: ReferenceMatcher, seed: int
) -> None:
    texts = adversarial_messages(dictionary, 3_000, seed)
    expected = reference.match(texts)
    assert 500 < sum(expected.negated) < len(expected.row) - 500  # the test exercises the rule
    assert fast(matcher, pa.array(texts, pa.string())) == expected
    assert fast(matcher, pa.array(texts, pa.large_string())) == expected
    assert fast(matcher, texts) == expected
    # a slice (Arrow offset) and a chunked array
    assert fast(matcher, pa.array(texts, pa.string()).slice(1000, 500)) == reference.match(texts[1000:1500])
    chunked = pa.chunked_array([pa.array(texts[:1000], pa.string()), pa.array(texts[1000:], pa.string())])
    assert fast(matcher, chunked) == expected
    # each text ending with the newline already, as messages_query gives them
    assert fast(matcher, pa.array(lines(texts), pa.string()), terminated=True) == expected
    assert fast(matcher, pa.array(lines(texts), pa.large_string()).slice(1000, 500), terminated=True) == (
        reference.match(texts[1000:1500])
    )


@pytest.mark.parametrize("piece", [1, 7, 64, 1_000])
def test_scanning_piece_by_piece_changes_nothing(
    dictionary: KeywordDictionary, reference: ReferenceMatcher, monkeypatch: pytest.MonkeyPatch, piece: int
) -> None:
    """The automaton runs over pieces of the text cut at message starts: the same matches as one pass."""
    monkeypatch.setattr(matcher_module, "_SCAN_PIECE", piece)
    small = KeywordMatcher(dictionary)
    texts = adversarial_messages(dictionary, 2_000, seed=piece)
    texts[5] = "创业板不想" * 300  # a message longer than a piece
    expected = reference.match(texts)
    assert fast(small, texts) == expected
    assert fast(small, pa.array(lines(texts), pa.string()), terminated=True) == expected


def test_a_keyword_across_lines_is_scanned_in_one_piece(monkeypatch: pytest.MonkeyPatch) -> None:
    """A (strange) keyword holding a newline could match across messages, as it did: no cutting then."""
    monkeypatch.setattr(matcher_module, "_SCAN_PIECE", 1)
    odd = KeywordDictionary("1", (KeywordTag("kw_odd", "Odd", ("业\n创", "创业板")),), ("不想",), "test")
    texts = ["不想创业", "创业板", "创业", "创业"]
    expected = ReferenceMatcher(odd).match(texts)
    assert expected.keyword == ["业\n创", "业\n创"]  # across messages
    assert fast(KeywordMatcher(odd), texts) == expected


@pytest.mark.parametrize("texts", [["创业板"], ["创业板\n", ""], ["创业板\n", "不想"]])
def test_terminated_texts_must_end_with_a_newline(matcher: KeywordMatcher, texts: list[str]) -> None:
    with pytest.raises(ValueError, match="newline"):
        matcher.match(pa.array(texts, pa.string()), terminated=True)


def test_other_arrow_inputs(matcher: KeywordMatcher, reference: ReferenceMatcher) -> None:
    texts = ["不想买创业板", None, "科创板😀", ""]
    assert fast(matcher, pa.chunked_array([], pa.string())) == reference.match([])
    assert fast(matcher, pa.array([], pa.large_string())) == reference.match([])
    assert fast(matcher, pa.array(texts, pa.string_view())) == reference.match(texts)
    assert fast(matcher, pa.array(texts, pa.string()).dictionary_encode()) == reference.match(texts)


def test_demo_messages_match_the_reference(
    demo: DemoStore, matcher: KeywordMatcher, reference: ReferenceMatcher
) -> None:
    with duckdb.connect(str(demo.settings.store), read_only=True) as con:
        texts = con.sql("SELECT content FROM wecom_messages ORDER BY msgid").to_arrow_table().column("content")
    expected = reference.match(texts.to_pylist())
    assert sum(expected.negated) > 10 and len(expected.row) > 1_000
    assert fast(matcher, texts) == expected
    assert fast(matcher, pa.array(lines(texts.to_pylist()), pa.string()), terminated=True) == expected


def test_evidence_batch_columns(matcher: KeywordMatcher) -> None:
    texts = ["好的", "不想買創業板", "科创板和创业板", None]
    batch = pa.record_batch(
        {
            "msgid": pa.array(["m1", "m2", "m3", "m4"]),
            "msgtime": pa.array([1, 2, 3, 4], pa.timestamp("s")),
            "content": pa.array(texts, pa.string()),
            "customer_id": pa.array(["a", "b", "c", "d"]),
        }
    )
    evidence = evidence_batch(batch, matcher)
    assert evidence.column_names == [
        "customer_id",
        "tag",
        "keyword",
        "msgid",
        "msgtime",
        "position",
        "length",
        "negated",
        "dictionary_version",
    ]
    assert evidence.to_pylist() == [
        {
            "customer_id": customer,
            "tag": tag,
            "keyword": keyword,
            "msgid": msgid,
            "msgtime": batch.column("msgtime")[int(msgid[1]) - 1].as_py(),
            "position": position,
            "length": length,
            "negated": negated,
            "dictionary_version": matcher.dictionary.version,
        }
        for customer, tag, keyword, msgid, position, length, negated in [
            ("b", "kw_chinext", "创业板", "m2", 3, 3, True),
            ("c", "kw_star", "科创板", "m3", 0, 3, False),
            ("c", "kw_chinext", "创业板", "m3", 4, 3, False),
        ]
    ]
    empty = evidence_batch(batch.slice(0, 1), matcher)
    assert empty.num_rows == 0 and empty.schema == evidence.schema
    terminated = batch.set_column(2, "content", pa.array(lines(texts), pa.string()))
    assert evidence_batch(terminated, matcher, terminated=True).equals(evidence)
    encoded = evidence_batch(terminated, matcher, terminated=True, encoded=True)
    assert pa.types.is_dictionary(encoded.schema.field("msgid").type)
    decoded = [c.chunk(0).dictionary_decode() if pa.types.is_dictionary(c.type) else c for c in encoded.columns]
    assert pa.Table.from_arrays(decoded, names=encoded.column_names).equals(evidence)


def reference_evidence(con: duckdb.DuckDBPyConnection, dictionary: KeywordDictionary) -> list[tuple]:
    """(msgid, tag, keyword, position, length, negated) of every mention, by the reference matcher."""
    messages = client_messages(ibis.duckdb.from_connection(con))
    rows = con.execute(sql(messages.select("msgid", "content"))).fetchall()
    found = ReferenceMatcher(dictionary).match([content for _, content in rows])
    names = [t.name for t in dictionary.tags]
    return sorted(
        (rows[r][0], names[t], k, s, e - s, n)
        for r, t, k, s, e, n in zip(
            found.row, found.tag, found.keyword, found.start, found.end, found.negated, strict=True
        )
    )


def stored_evidence(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    query = "SELECT msgid, tag, keyword, position, length, negated FROM keyword_tag_evidence"
    return sorted(con.execute(query).fetchall())


def test_tagging_a_store_gives_the_reference_evidence(demo: DemoStore, tmp_path: Path) -> None:
    """End to end on DuckDB (messages_query ends each message with a newline): the reference's mentions."""
    store = tmp_path / "store.duckdb"
    shutil.copy(demo.settings.store, store)
    dictionary = load_keyword_dictionary()
    with duckdb.connect(str(store)) as con:
        expected = reference_evidence(con, dictionary)
        assert len(expected) > 500 and sum(e[-1] for e in expected) > 10
        report = run_chat_tags(con, dictionary, full=True, batch_rows=1_000)
        assert stored_evidence(con) == expected
        assert (report.mentions, report.negated) == (len(expected), sum(e[-1] for e in expected))
        # read whole on this connection (the near-real-time path), in other batch sizes
        query = messages_query(client_messages(ibis.duckdb.from_connection(con)))
        tag_messages(con, query, KeywordMatcher(dictionary), ChatTagReport(), batch_rows=777, stream=False)
        assert stored_evidence(con) == expected
