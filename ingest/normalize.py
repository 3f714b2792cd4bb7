"""The one text normalisation used at index and at query time (and by the evaluation metrics)."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from ingest.punct import CJK, CLOSE_BRACKET_CLASS, OPEN_BRACKET

# A converter left pinyin after characters it could not map: "系統(tǒng)". Real pinyin in these
# texts always carries a tone mark, which keeps ordinary parenthesised Latin ("(AI)") intact.
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
# Where the converter also mangled the bracket, a "?" stands in for it: "總?cè)藬".
PINYIN_ARTIFACT = re.compile(
    rf"(?<=[{CJK}])[{re.escape(OPEN_BRACKET)}?？][a-zü]*[{_TONED}][a-zü]*{CLOSE_BRACKET_CLASS}?"
)
_SPACES = re.compile(r"\s+")
# Everything that is not a letter or digit of any script: punctuation, symbols, spaces.
_NOT_WORD = re.compile(r"[\W_]+")


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


def normalize(text: str) -> str:
    """Search form of a text: NFKC, artifacts removed, simplified script, whitespace collapsed."""
    text = remove_pinyin_artifacts(text)
    text = unicodedata.normalize("NFKC", text)
    text = to_simplified(text)
    return _SPACES.sub(" ", text).strip()


def compact(text: str) -> str:
    """normalize() without whitespace and punctuation: for matching quotes and key facts."""
    return _NOT_WORD.sub("", normalize(text)).lower()
