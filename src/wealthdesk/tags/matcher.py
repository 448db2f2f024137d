"""Keyword matching over a batch of chat messages: one automaton pass over the bytes, then numpy.

Calling a matcher once per message costs more than the matching itself, and so
does turning Arrow strings into Python strings, so a batch stays in Arrow's
UTF-8 buffers: the messages are joined with a newline (Arrow's
``binary_join``; no copy at all when the SQL already ended each message with
one, ``terminated``) and scanned once by an Aho-Corasick automaton over bytes
(ahocorasick-rs, leftmost-longest: "基金定投" wins over "基金"). UTF-8 is
self-synchronising, so matching the patterns' UTF-8 bytes finds exactly the
matches a scan of the decoded text would. Byte offsets are mapped back to
messages with ``searchsorted`` and to character offsets (what the evidence
keeps) with Arrow's ``utf8_length``; the negation rule below counts
characters by decoding only the few bytes between a keyword and a cue. The
same function serves DuckDB (in-process, batch by batch) and Spark
(``mapInArrow``).

Negation rule (plain refusals such as "不想买创业板"): a keyword is *negated*
when a negation cue from the dictionary stands in the same clause — no
``，,。！？!?；;`` or line break in between — and either ends at most
``BEFORE`` (4) characters before the keyword ("不想买创业板", "别再给我推创业板")
or starts at most ``AFTER`` (6) characters after it ("我对创业板没兴趣",
"创业板就算了"). Only the nearest cue on each side counts, and a cue never
reaches into another message (messages are joined by a line break). A negated
mention is kept as evidence with ``negated = true`` but gives no tag. A cue
inside an A-not-A question is no refusal: when a cue opens with 不 or 没 (沒)
and the character before it repeats the one after that 不/没 ("要不要买创业板",
"需不需要开通创业板", "买不买创业板ETF"), the cue is ignored. Known limits: double negations
("不是不想买") and cues that are not refusals ("不想错过创业板") are read as
refusals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

import ahocorasick_rs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from wealthdesk.tags.dictionary import KeywordDictionary, spellings

BEFORE = 4
AFTER = 6
CLAUSE_BREAKS = "，,。！？!?；;\n"
_IS_BREAK = np.zeros(0x110000, dtype=bool)  # a lookup table over all code points: faster than np.isin
_IS_BREAK[[ord(c) for c in CLAUSE_BREAKS]] = True
_NOT = np.array([ord("不"), ord("没"), ord("沒")], dtype=np.int64)
_SEPARATOR = "\n"  # joins the messages of a batch; a clause break, so no cue reaches into another message
_MAX_CHAR_BYTES = 4  # the longest UTF-8 character
_SCAN_PIECE = 1 << 19  # bytes of text per automaton call (see _scan)


# Arrow <-> numpy through buffers: ``pa.array`` and ``Array.to_numpy`` import pandas on first use, which
# costs more than a second of a short run (the batch job, a CLI command).


def string_array(values: Sequence[str]) -> pa.Array:
    """A (small) Arrow string array built from its buffers."""
    encoded = [v.encode() for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]
    return pa.Array.from_buffers(pa.string(), len(encoded), buffers)


def numeric_array(values: np.ndarray, kind: pa.DataType) -> pa.Array:
    """A numpy array as an Arrow array of ``kind`` (an integer type or boolean)."""
    if pa.types.is_boolean(kind):
        data = np.packbits(values.astype(bool), bitorder="little")
    else:
        data = np.ascontiguousarray(values, dtype=f"<i{kind.bit_width // 8}")
    return pa.Array.from_buffers(kind, len(values), [None, pa.py_buffer(data)])


def numpy_view(array: pa.Array) -> np.ndarray:
    """An Arrow integer array without nulls as numpy, zero copy."""
    data = array.buffers()[1]
    dtype = np.dtype(f"<i{array.type.bit_width // 8}")
    values = np.frombuffer(data, dtype=dtype) if data is not None else np.zeros(0, dtype=dtype)
    return values[array.offset : array.offset + len(array)]


@dataclass(frozen=True)
class BatchMatches:
    """Matches in a batch, one entry per match: which row, which tag and keyword, where, negated or not.

    Tags and keywords are indexes (into ``tag_names`` and ``words``), so
    :meth:`columns` builds Arrow columns with ``take`` rather than a Python
    string per match. No snippet is cut here: the evidence keeps the position,
    and views cut the context from the (masked) message when they show it.
    """

    row: np.ndarray
    tag: np.ndarray  # index into tag_names (the dictionary's tags)
    word: np.ndarray  # index into words
    start: np.ndarray  # character offsets within the row's text
    end: np.ndarray
    negated: np.ndarray
    tag_names: tuple[str, ...]
    words: tuple[str, ...]  # the dictionary's keywords as written, whichever spelling matched
    version: str  # the dictionary's

    @property
    def keyword(self) -> list[str]:
        """The keyword of every match, as Python strings (for tests and small batches)."""
        return [self.words[w] for w in self.word.tolist()]

    def columns(self) -> dict[str, pa.Array]:
        """The matches as Arrow columns: row (int64), tag, keyword, position, length, negated, dictionary_version.

        Tag, keyword and dictionary version are dictionary-encoded (indexes
        into the names): ``dictionary_decode()`` gives plain strings.
        """

        def encoded(index: np.ndarray, names: Sequence[str]) -> pa.DictionaryArray:
            return pa.DictionaryArray.from_arrays(numeric_array(index, pa.int32()), string_array(names))

        return {
            "row": numeric_array(self.row, pa.int64()),
            "tag": encoded(self.tag, self.tag_names),
            "keyword": encoded(self.word, self.words),
            "position": numeric_array(self.start, pa.int32()),
            "length": numeric_array(self.end - self.start, pa.int32()),
            "negated": numeric_array(self.negated, pa.bool_()),
            "dictionary_version": encoded(np.zeros(len(self.row), dtype=np.int32), [self.version]),
        }


def _utf8_array(texts: pa.Array | pa.ChunkedArray | Sequence[str | None], null: str) -> pa.Array:
    """``texts`` as one Arrow string or large_string array, nulls replaced by ``null`` (an empty message)."""
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks() if texts.num_chunks != 1 else texts.chunk(0)
    elif not isinstance(texts, pa.Array):
        texts = pa.array(list(texts), pa.string())
    if not (pa.types.is_string(texts.type) or pa.types.is_large_string(texts.type)):
        texts = texts.cast(pa.large_string())
    return pc.fill_null(texts, null) if texts.null_count else texts


def _value_offsets(texts: pa.Array) -> np.ndarray:
    """Where each string of ``texts`` starts in its data buffer, and where the last ends (int64, len + 1)."""
    if not len(texts):
        return np.zeros(1, dtype=np.int64)
    width = np.int64 if pa.types.is_large_string(texts.type) else np.int32
    offsets = np.frombuffer(texts.buffers()[1], dtype=width)
    return offsets[texts.offset : texts.offset + len(texts) + 1].astype(np.int64)


def _joined(texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The messages' UTF-8 bytes joined by newlines, and the byte offset where each message starts.

    Arrow's ``binary_join`` copies the bytes once, faster than inserting the newlines with numpy.
    """
    count = len(texts)
    offsets = _value_offsets(texts)
    size = offsets[-1] - offsets[0] + max(count - 1, 0)
    if pa.types.is_string(texts.type) and size > np.iinfo(np.int32).max:
        texts = texts.cast(pa.large_string())  # the joined text would overflow 32-bit offsets
    whole = pa.ListArray.from_arrays(numeric_array(np.array([0, count]), pa.int32()), texts)
    joined = pc.binary_join(whole, string_array([_SEPARATOR]).cast(texts.type))
    start = _value_offsets(joined)[0]
    data = joined.buffers()[2]
    text = np.frombuffer(data, dtype=np.uint8)[start : start + size] if size else np.zeros(0, dtype=np.uint8)
    return text, offsets[:-1] - offsets[0] + np.arange(count)


def _lines(texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """What :func:`_joined` gives, for messages that each end with the newline already: a view, no copy.

    Arrow keeps the strings back to back, so their buffer is the joined text
    (less the last newline, which the joined text does not have).
    """
    offsets = _value_offsets(texts)
    data = texts.buffers()[2]
    text = np.frombuffer(data, dtype=np.uint8)[offsets[0] : offsets[-1]] if len(texts) else np.zeros(0, np.uint8)
    last = offsets[1:] - offsets[0] - 1  # the last byte of each text
    if not ((np.diff(offsets) > 0).all() and (text[last] == ord(_SEPARATOR)).all()):
        raise ValueError("terminated texts must each end with a newline")
    return text[:-1], offsets[:-1] - offsets[0]


def _pieces(row_start: np.ndarray, size: int) -> np.ndarray:
    """Byte offsets that cut the joined text into pieces of about ``size`` bytes, each at a message start."""
    if not len(row_start):
        return np.zeros(1, dtype=np.int64)
    wanted = np.arange(0, row_start[-1] + 1, size)
    return np.unique(row_start[np.searchsorted(row_start, wanted)])


def _scan(automaton: ahocorasick_rs.BytesAhoCorasick, text: np.ndarray, cuts: np.ndarray) -> tuple[np.ndarray, ...]:
    """(pattern, start, end) of every leftmost-longest match, byte offsets; scanned piece by piece.

    The automaton returns a Python tuple per match: a piece's worth of them is
    converted and freed before the next, so their memory is reused rather than
    mapped afresh (whole-batch lists made page faults a fifth of the scan's
    time). Cutting at message starts changes nothing when no pattern holds a
    newline: a match never spans one, so the automaton starts afresh after
    each anyway (the matcher scans in one piece otherwise).
    """
    parts = []
    for lo, hi in zip(cuts.tolist(), [*cuts[1:].tolist(), len(text)], strict=True):
        found = automaton.find_matches_as_indexes(text[lo:hi])
        flat = np.fromiter(chain.from_iterable(found), dtype=np.int64, count=3 * len(found)).reshape(-1, 3)
        flat[:, 1:] += lo
        parts.append(flat)
    flat = np.concatenate(parts) if parts else np.zeros((0, 3), dtype=np.int64)
    return flat[:, 0], flat[:, 1], flat[:, 2]


def _char_offsets(text: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """The character offset of each (sorted) byte offset in ``text``.

    Counts characters segment by segment between consecutive positions with
    Arrow's ``utf8_length``, over ``text`` itself: no per-byte array.
    """
    bounds = np.zeros(len(positions) + 1, dtype=np.int64)
    bounds[1:] = positions
    segments = pa.Array.from_buffers(
        pa.large_string(), len(positions), [None, pa.py_buffer(bounds), pa.py_buffer(text)]
    )
    return np.cumsum(numpy_view(pc.utf8_length(segments)))


def _char_size(lead: np.ndarray) -> np.ndarray:
    """The UTF-8 length of the characters whose first bytes are ``lead``."""
    return np.select([lead < 0x80, lead < 0xE0, lead < 0xF0], [1, 2, 3], _MAX_CHAR_BYTES)


def _decode_at(text: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The code point of the UTF-8 character that starts at each byte offset ``at``."""
    last = len(text) - 1
    b = [text[np.minimum(at + i, last)].astype(np.int64) for i in range(_MAX_CHAR_BYTES)]
    size = _char_size(b[0])
    tail = [x & 0x3F for x in b[1:]]
    return np.select(
        [size == 1, size == 2, size == 3],
        [b[0], (b[0] & 0x1F) << 6 | tail[0], (b[0] & 0x0F) << 12 | tail[0] << 6 | tail[1]],
        (b[0] & 0x07) << 18 | tail[0] << 12 | tail[1] << 6 | tail[2],
    )


def _previous_char(text: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Where the character ending at each byte offset ``at`` (> 0) starts: step back over continuation bytes."""
    start = at - 1
    for _ in range(_MAX_CHAR_BYTES - 1):
        start = np.where((start > 0) & ((text[start] & 0xC0) == 0x80), start - 1, start)
    return start


def _a_not_a(text: np.ndarray, cue_start: np.ndarray) -> np.ndarray:
    """Cues that open with 不/没 inside an A-not-A question (要不要, 需不需要, 买不买)."""
    after = cue_start + _char_size(text[cue_start])
    inside = (cue_start > 0) & (after < len(text))
    before = _decode_at(text, _previous_char(text, np.maximum(cue_start, 1)))
    repeated = _decode_at(text, np.minimum(after, len(text) - 1))
    return inside & np.isin(_decode_at(text, cue_start), _NOT) & (before == repeated)


def _near_in_clause(text: np.ndarray, lo: np.ndarray, hi: np.ndarray, limit: int) -> np.ndarray:
    """Whether the bytes [lo, hi) hold at most ``limit`` characters and no clause break, for each pair.

    Only gaps short enough in bytes are decoded, in a window of ``limit``
    characters' worth of bytes: the rest are too far apart anyway.
    """
    width = hi - lo
    near = width <= limit * _MAX_CHAR_BYTES
    pick = np.flatnonzero(near)
    column = np.arange(limit * _MAX_CHAR_BYTES)
    window = np.minimum(lo[pick, None] + column, len(text) - 1)
    char_start = (column < width[pick, None]) & ((text[window] & 0xC0) != 0x80)
    broken = np.zeros(len(pick), dtype=bool)
    broken[np.nonzero(char_start)[0][_IS_BREAK[_decode_at(text, window[char_start])]]] = True
    near[pick] = (char_start.sum(axis=1) <= limit) & ~broken
    return near


class KeywordMatcher:
    """Finds the dictionary's keywords (both spellings) and negation cues in batches of text."""

    def __init__(self, dictionary: KeywordDictionary) -> None:
        self.dictionary = dictionary
        patterns: list[bytes] = []
        tag_of: list[int] = []
        word_of: list[int] = []
        words: dict[str, int] = {}
        for index, tag in enumerate(dictionary.tags):
            for word in tag.keywords:
                for spelling in spellings(word):
                    patterns.append(spelling.encode())
                    tag_of.append(index)
                    word_of.append(words.setdefault(word, len(words)))
        self.words = tuple(words)
        self._tag_of = np.asarray(tag_of, dtype=np.int64)
        self._word_of = np.asarray(word_of, dtype=np.int64)
        kind = ahocorasick_rs.MatchKind.LeftmostLongest
        dfa = ahocorasick_rs.Implementation.DFA  # about twice as fast as the default on Chinese text
        self._keywords = ahocorasick_rs.BytesAhoCorasick(patterns, matchkind=kind, implementation=dfa)
        cues = sorted({s.encode() for cue in dictionary.negations for s in spellings(cue)})
        self._cues = ahocorasick_rs.BytesAhoCorasick(cues, matchkind=kind, implementation=dfa) if cues else None
        newline = any(_SEPARATOR.encode() in p for p in [*patterns, *cues])
        self._piece = np.iinfo(np.int64).max if newline else _SCAN_PIECE  # a match across lines: scan whole

    def match(self, texts: pa.Array | pa.ChunkedArray | Sequence[str | None], terminated: bool = False) -> BatchMatches:
        """Every keyword match in ``texts`` (nulls count as empty).

        ``terminated``: every text ends with a newline that is not part of the
        message (the SQL added it, :func:`~wealthdesk.tags.chat_tags.messages_query`),
        so Arrow's buffer is scanned as it is; positions are the same as
        without the newline.
        """
        array = _utf8_array(texts, _SEPARATOR if terminated else "")
        joined, row_start = _lines(array) if terminated else _joined(array)
        cuts = _pieces(row_start, self._piece)
        pattern, start, end = _scan(self._keywords, joined, cuts)
        row = np.searchsorted(row_start, start, side="right") - 1
        negated = self._negated(joined, cuts, start, end)
        chars = _char_offsets(joined, np.stack([start, end], axis=1).ravel())
        row_chars = np.zeros(len(array) + 1, dtype=np.int64)  # where each row starts, in characters
        np.cumsum(numpy_view(pc.utf8_length(array)) + (0 if terminated else 1), out=row_chars[1:])
        offset = row_chars[row]
        return BatchMatches(
            row=row,
            tag=self._tag_of[pattern],
            word=self._word_of[pattern],
            start=chars[0::2] - offset,
            end=chars[1::2] - offset,
            negated=negated,
            tag_names=tuple(t.name for t in self.dictionary.tags),
            words=self.words,
            version=self.dictionary.version,
        )

    def _negated(self, text: np.ndarray, cuts: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """The negation rule for keyword matches at byte offsets [start, end) of the joined text."""
        negated = np.zeros(len(start), dtype=bool)
        if self._cues is None or not len(start):
            return negated
        _, cue_start, cue_end = _scan(self._cues, text, cuts)
        question = _a_not_a(text, cue_start)
        cue_start, cue_end = cue_start[~question], cue_end[~question]
        if not len(cue_start):
            return negated
        # the nearest cue ending at or before the keyword starts
        before = np.searchsorted(cue_end, start, side="right") - 1
        has = np.flatnonzero(before >= 0)
        negated[has] |= _near_in_clause(text, cue_end[before[has]], start[has], BEFORE)
        # the nearest cue starting at or after the keyword ends
        after = np.searchsorted(cue_start, end, side="left")
        has = np.flatnonzero(after < len(cue_start))
        negated[has] |= _near_in_clause(text, end[has], cue_start[after[has]], AFTER)
        return negated
