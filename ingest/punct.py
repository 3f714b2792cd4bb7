"""Punctuation of Chinese text, in both widths, defined once for every stage.

Real documents write ，：；（）？ (full width); the seed texts and some web copies write the ASCII
forms. Every rule that looks at punctuation takes its character class from here, so a text reads
the same whichever width it uses. Full-width marks come from `zhon`; their ASCII twins are their
NFKC folds.
"""

from __future__ import annotations

import re
import unicodedata

from zhon import hanzi


def _both_widths(marks: str) -> str:
    """The marks and their NFKC (ASCII) twins, without repeats, in a stable order."""
    folded = (unicodedata.normalize("NFKC", ch) for ch in marks)
    return "".join(dict.fromkeys(marks + "".join(ch for ch in folded if len(ch) == 1)))


def char_class(marks: str) -> str:
    """A regex character class matching any of `marks`, e.g. "[。!]"."""
    return "[" + "".join(re.escape(ch) for ch in marks) + "]"


# The Chinese character blocks used throughout: CJK Extension A and the Unified Ideographs.
CJK = "\u3400-\u9fff"
# Sentence ends: zhon's stops (。！？｡．) less the full-width full stop, which also writes decimals
# in some web copies, plus the semicolon, which ends a clause of a law as a full stop would.
SENTENCE_END = _both_widths(hanzi.stops.replace("．", "") + "；")
# Clause separators inside a sentence: commas, the enumeration comma and colons.
CLAUSE_SEP = _both_widths("，、：")
COLON = _both_widths("：")
COMMA = _both_widths("，")
OPEN_BRACKET = _both_widths("（〔【")
CLOSE_BRACKET = _both_widths("）〕】")
CLOSING_QUOTES = "”’」』"
OPENING_QUOTES = "“‘「『"
# A line ending in one of these is complete: a layout break after it is a real paragraph end.
LINE_COMPLETE = SENTENCE_END + COLON + CLOSING_QUOTES + CLOSE_BRACKET + "…"

SENTENCE_END_CLASS = char_class(SENTENCE_END)
CLAUSE_SEP_CLASS = char_class(CLAUSE_SEP)
COLON_CLASS = char_class(COLON)
OPEN_BRACKET_CLASS = char_class(OPEN_BRACKET)
CLOSE_BRACKET_CLASS = char_class(CLOSE_BRACKET)

# What may follow a sentence's end marks and still belong to it: closing quotes and brackets.
SENTENCE_TAIL_CLASS = char_class(CLOSING_QUOTES + CLOSE_BRACKET)
NOT_SENTENCE_END = rf"[^{re.escape(SENTENCE_END)}\n]"
# One sentence: text up to and including its end marks and any closing quotes or brackets.
SENTENCE = re.compile(rf"{NOT_SENTENCE_END}+(?:{SENTENCE_END_CLASS}+{SENTENCE_TAIL_CLASS}*)?")

# Full width → ASCII for the marks that have an ASCII twin (、。 have none and stay).
_TO_ASCII = {ord(ch): unicodedata.normalize("NFKC", ch) for ch in hanzi.punctuation}
_TO_ASCII = {k: v for k, v in _TO_ASCII.items() if len(v) == 1 and v.isascii() and v != " "}
# ASCII → the full-width form real documents use (not "." : a decimal point far more often).
_TO_FULL = str.maketrans(",:;!?()", "，：；！？（）")


def to_ascii_punctuation(text: str) -> str:
    """The text with every full-width mark that has an ASCII twin written in ASCII."""
    return text.translate(_TO_ASCII)


def to_full_punctuation(text: str) -> str:
    """The text with ASCII , : ; ! ? ( ) written full width (what real documents use)."""
    return text.translate(_TO_FULL)
