"""The chat keyword dictionary and matcher: spellings, longest match, the negation rule, masked evidence."""

from __future__ import annotations

import pyarrow as pa
import pytest

from wealthdesk.governance.masking import mask_free_text
from wealthdesk.tags.dictionary import KeywordDictionaryError, load_keyword_dictionary, parse_keyword_dictionary
from wealthdesk.tags.matcher import KeywordMatcher


@pytest.fixture(scope="module")
def matcher() -> KeywordMatcher:
    return KeywordMatcher(load_keyword_dictionary())


def found(matcher: KeywordMatcher, text: str) -> list[tuple[str, str, bool]]:
    result = matcher.match([text])
    names = [t.name for t in matcher.dictionary.tags]
    return [(names[t], k, bool(n)) for t, k, n in zip(result.tag, result.keyword, result.negated, strict=True)]


def test_default_dictionary_size() -> None:
    dictionary = load_keyword_dictionary()
    assert dictionary.keyword_count >= 200
    assert len(dictionary.tags) >= 25
    assert "不想" in dictionary.negations


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("最近创业板行情怎么样？", [("kw_chinext", "创业板", False)]),
        ("最近創業板行情怎麼樣？", [("kw_chinext", "创业板", False)]),  # traditional spelling, canonical keyword
        ("上證50和滬深300哪個好", [("kw_sse50", "上证50", False), ("kw_csi300", "沪深300", False)]),
        ("基金定投怎么设置", [("kw_regular_investing", "基金定投", False)]),  # longest match wins over 基金
        ("想开通Level-2看十档行情", [("kw_level2", "Level-2", False), ("kw_level2", "十档行情", False)]),
        ("好的，谢谢", []),
        ("", []),
    ],
)
def test_matches(matcher: KeywordMatcher, text: str, expected: list) -> None:
    assert found(matcher, text) == expected


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        ("不想买创业板", True),  # cue ends 1 character before
        ("别再给我推创业板了", True),  # 3 characters between: within BEFORE = 4
        ("我对创业板没兴趣", True),  # cue right after
        ("创业板就算了，我不考虑", True),
        ("不想買創業板", True),  # traditional cue and keyword
        ("我不想买股票，想了解一下创业板", False),  # the cue is in another clause
        ("不想了，我们聊聊创业板", False),
        ("不想在这个时候错过这么好的创业板", False),  # too far before (more than 4 characters)
        ("创业板的股票我现在真的很看好不想卖", False),  # too far after (more than 6 characters)
        ("想了解一下创业板", False),
        ("要不要买创业板？", False),  # A-not-A questions are interest, not refusal
        ("需不需要开通创业板", False),
        ("买不买创业板ETF呢", False),
        ("不要买创业板", True),
    ],
)
def test_negation_rule(matcher: KeywordMatcher, text: str, negated: bool) -> None:
    (tag, _, is_negated), *_ = found(matcher, text)
    assert tag == "kw_chinext"
    assert is_negated is negated


def test_rows_and_positions(matcher: KeywordMatcher) -> None:
    texts = pa.array(["好的", None, "电话13812345678，想买创业板", "科创板"])
    result = matcher.match(texts)
    assert result.row.tolist() == [2, 3]
    assert (result.start.tolist(), result.end.tolist()) == ([16, 0], [19, 3])  # 电话 + 11 digits + ， + 想买


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("13812345678", "***********"),
        ("+8613812345678创业板开户", "+*************创业板开户"),
        ("电话 138-1234-5678 谢谢", "电话 ***-****-**** 谢谢"),
        ("138 1234 5678", "*** **** ****"),
        ("１３８１２３４５６７８", "***********"),
        ("ID 11010519491231002X.", "ID *****************X."),
        ("老身份证110105491231002", "老身份证***************"),
        ("上证50和沪深300，买1000股", "上证50和沪深300，买1000股"),  # short numbers are not personal data
        ("我是孙想，想开创业板", "我是孙*，想开创业板"),
        ("我叫欧阳小明，小明想买", "我叫欧***，小*想买"),
    ],
)
def test_free_text_masking_keeps_lengths(text: str, masked: str) -> None:
    names = ["孙想", "欧阳小明"]
    assert mask_free_text(text, names) == masked
    assert len(mask_free_text(text, names)) == len(text)


def test_dictionary_errors_name_every_problem() -> None:
    text = """
version: 2
negations: [不想]
tags:
  - {name: a1, label: A, keywords: [创业板]}
  - {name: b2, label: B, keywords: [創業板]}
  - {name: Bad, label: C, keywords: [x]}
  - {name: c3, label: '', keywords: []}
  - {name: d4, label: D, keywords: [y], extra: 1}
"""
    with pytest.raises(KeywordDictionaryError) as caught:
        parse_keyword_dictionary(text, "kw.yaml")
    message = str(caught.value)
    assert "tag #2 (b2): keyword '創業板' is also a keyword of a1" in message
    assert "tag #3 (Bad): name must be snake_case" in message
    assert "tag #4 (c3): label is required" in message
    assert "tag #4 (c3): keywords: expected a non-empty list of words" in message
    assert "tag #5 (d4): unknown field(s) extra" in message
