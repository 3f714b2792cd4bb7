"""The one text normalisation used at index and at query time (and by the evaluation metrics)."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import cn2an

from ingest.punct import CJK, CLOSE_BRACKET_CLASS, OPEN_BRACKET

# A converter left pinyin after characters it could not map: "系統(tǒng)". Real pinyin in these
# texts always carries a tone mark, which keeps ordinary parenthesised Latin ("(AI)") intact.
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
# Where the converter also mangled the bracket, a "?" stands in for it: "總?cè)藬".
PINYIN_ARTIFACT = re.compile(
    rf"(?<=[{CJK}])[{re.escape(OPEN_BRACKET)}?？][a-zü]*[{_TONED}][a-zü]*{CLOSE_BRACKET_CLASS}?"
)
_SPACES = re.compile(r"\s+")
# A Chinese numeral and what it counts. Units: time, people, money, parts of a law, and
# measure words; "分" is left out ("十分重要").
_NUMERAL = "零〇○一二两三四五六七八九十百千"
_UNITS = (
    "周岁|岁|日|天|年|月|周|小时|学时|课时|个|条|款|项|章|节|篇|人|名|位|元|万|亿|倍|次|"
    "家|户|所|类|种|级|批|届|期|平方米|公里|米|张|份|本|套|台"
)
_COUNTED = re.compile(rf"(?:(?<=第)|(?<![{_NUMERAL}]))(?P<n>[{_NUMERAL}]+)(?P<unit>{_UNITS})")
_PLACE_VALUE = re.compile("[十百千]")
_DETERMINER_UNITS = frozenset("种类批份张本套台项位名家所支级期届篇节章条款")
_DIGITS = str.maketrans("零〇○一二两三四五六七八九", "0001223456789")
# Everything that is not a letter or digit of any script: punctuation, symbols, spaces.
_NOT_WORD = re.compile(r"[\W_]+")
# A text counts as traditional script when conversion to simplified changes this share of its
# Chinese characters (simplified texts change almost none; the traditional seed changes ~20%).
TRADITIONAL_SHARE = 0.05


@cache
def _t2s():
    import opencc  # imported lazily: loading its dictionaries costs ~50 ms

    return opencc.OpenCC("t2s")


def remove_pinyin_artifacts(text: str) -> str:
    """Drop the "(tǒng)" pinyin that a traditional-Chinese converter left after characters."""
    # In "當(dāng)?shù)" the second artifact follows the first one's bracket, not a character:
    # it only matches once the first is gone, so repeat until nothing changes.
    while (cleaned := PINYIN_ARTIFACT.sub("", text)) != text:
        text = cleaned
    return text


def to_simplified(text: str) -> str:
    """Traditional → simplified Chinese (a no-op on simplified text)."""
    return _t2s().convert(text)


def is_traditional(text: str) -> bool:
    """Whether a text is written in traditional script, judged by conversion to simplified."""
    chinese = [ch for ch in text if "\u4e00" <= ch <= "\u9fff"]
    if not chinese:
        return False
    simplified = to_simplified("".join(chinese))
    changed = sum(a != b for a, b in zip(chinese, simplified, strict=False))
    return changed / len(chinese) >= TRADITIONAL_SHARE


def fold_numbers(text: str) -> str:
    """Chinese numerals that count or order something written in Arabic digits, so that both
    forms match: "六十日" -> "60日", "第二十五条" -> "第25条", "二〇一〇年" -> "2010年".

    Only a numeral right after 第 or right before a unit is folded: "统一", "一般" stay."""
    return _COUNTED.sub(_fold, text)


def _fold(m: re.Match[str]) -> str:
    numeral, unit = m.group("n"), m.group("unit")
    # "一种", "一项", "一家": 一 before a measure word is mostly "a", not a count.
    if numeral == "一" and unit in _DETERMINER_UNITS and not m.string[: m.start()].endswith("第"):
        return m.group()
    return _arabic(numeral) + unit


def _arabic(numeral: str) -> str:
    if not _PLACE_VALUE.search(numeral) and len(numeral) > 1:  # digit by digit: 二〇一〇
        return numeral.translate(_DIGITS)
    try:
        return str(cn2an.cn2an(numeral, "normal"))
    except ValueError:  # not a well-formed numeral ("百" alone, "十百"): leave it as written
        return numeral


def normalize(text: str) -> str:
    """Search form of a text: NFKC, artifacts removed, simplified script, numbers in Arabic
    digits where they count something, whitespace collapsed."""
    text = remove_pinyin_artifacts(text)
    text = unicodedata.normalize("NFKC", text)
    text = fold_numbers(to_simplified(text))
    return _SPACES.sub(" ", text).strip()


def compact(text: str) -> str:
    """normalize() without whitespace and punctuation: for matching quotes and key facts."""
    return _NOT_WORD.sub("", normalize(text)).lower()
