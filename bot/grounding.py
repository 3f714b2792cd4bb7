"""Generated sentences checked against the chunks they cite, one sentence at a time as the model
streams: a sentence reaches the asker only when its numbers, names and words are in what it
cites. A number that no cited chunk holds never reaches the user."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import cn2an

from bot.cite import MARKER
from bot.extractive import names_a_neighbour_role
from bot.wordlists import lone_one, roles
from ingest import gazetteer
from ingest.lexical import tokenize
from ingest.normalize import normalize
from ingest.punct import CJK, SENTENCE_END_CLASS, SENTENCE_TAIL_CLASS
from ingest.schema import Evidence

# A sentence and the [n] markers right after it: complete once something else follows.
_DONE = re.compile(rf"^(.*?{SENTENCE_END_CLASS}+{SENTENCE_TAIL_CLASS}*(?:\s*\[\d{{1,2}}\])*)", re.S)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_HANZI = re.compile(f"[{CJK}]")
# How often: 每年, 每半年, 每季度, 每月, 每两周… (a frequency is not a digit but is a figure).
_PERIOD = re.compile(r"每(?:[一两二三四五六七八九十半]|\d+)?(?:个)?(?:年|季度|月|周|星期|日|天)")
_DOC_NAME = re.compile(r"《([^《》]{2,60})》")
_ADMIN_SUFFIX = re.compile(r"(?<=..)(特别行政区|自治区|自治州|自治县|省|市|州|盟|地区|县|区|旗)$")
# A generated sentence must share this share of its character bigrams with what it cites (the
# same bar check_llm_citations flags at; set by reading SmolLM2 and Qwen answers on the seed dev
# split, not on the test or held-out sets).
MIN_SHARED_WORDS = 0.3


@dataclass(frozen=True)
class Checked:
    """One generated sentence (markers included) and why it is not supported ("" when it is)."""

    text: str
    problem: str

    @property
    def supported(self) -> bool:
        return not self.problem


def sentences(pieces: Iterator[str]) -> Iterator[str]:
    """Whole sentences with their [n] markers, from streamed text pieces as they complete; a
    line break also ends one, and a table row ("| 甘肃 | … | [1] |") is one unit."""
    buffer = ""
    for piece in pieces:
        buffer += piece
        while unit := _next_unit(buffer):
            yield unit
            buffer = buffer[len(unit) :]
    if buffer.strip():
        yield buffer


def with_inherited_markers(units: Iterator[str]) -> Iterator[str]:
    """Sentences without [n] cite what the next marked sentence of their paragraph cites: a
    model often marks only the last item of a list ("(一)…；(二)…；(三)…。[1]"). Each sentence
    is still checked on its own against what it then cites. Table lines pass as they come; a
    sentence with no marker after it in its paragraph passes unmarked (and fails its check)."""
    waiting: list[str] = []
    for unit in units:
        markers = "".join(f"[{n}]" for n in dict.fromkeys(MARKER.findall(unit)))
        if not unit.strip() or unit.lstrip().startswith("|"):  # a blank line ends a paragraph
            yield from waiting
            waiting = []
            yield unit
        elif not markers:
            waiting.append(unit)
        else:
            for held in waiting:
                body = held.rstrip()
                yield body + markers + held[len(body) :]
            waiting = []
            yield unit
    yield from waiting


def _next_unit(buffer: str) -> str:
    """The first complete sentence, line or table row of the buffer; "" while none is."""
    line_end = buffer.find("\n")
    if buffer.lstrip().startswith("|"):
        return buffer[: line_end + 1] if line_end >= 0 else ""
    m = _DONE.match(buffer)
    if m and (line_end < 0 or m.end() <= line_end) and _complete(buffer, m.end()):
        return m.group(1)
    return buffer[: line_end + 1] if line_end >= 0 else ""


def _complete(buffer: str, end: int) -> bool:
    """A sentence is complete once text other than its markers follows it (a "[" may still
    open a marker, a space may precede one)."""
    rest = buffer[end:]
    return bool(rest.strip()) and not re.fullmatch(r"\s*\[?\d{0,2}", rest)


def numbers_in(text: str) -> set[str]:
    """The numbers a text states, in Arabic digits whichever numerals it uses (六十日 -> 60,
    百分之七十 -> 70); markers [n] are not numbers, nor the 一 of 一般 or 统一."""
    text = lone_one().sub(" ", normalize(MARKER.sub(" ", text)))  # 一般, 一样: no 1
    try:
        with warnings.catch_warnings():  # cn2an warns about each numeral it leaves as written
            warnings.simplefilter("ignore")
            text = cn2an.transform(text, "cn2an")
    except (ValueError, KeyError):  # a malformed numeral: compare the digits as written
        pass
    return {n.rstrip("0").rstrip(".") if "." in n else n for n in _NUMBER.findall(text)}


def check_sentence(sentence: str, evidence: list[Evidence]) -> Checked:
    """Whether a generated sentence is supported by the chunks its [n] cite: it cites one,
    every number and every place and document name in it is there, no role in it is one whose
    neighbour alone the chunks name, and it shares enough of its words with them."""
    cited = sorted({int(n) for n in MARKER.findall(sentence) if 1 <= int(n) <= len(evidence)})
    if not sentence.strip() or _is_table_frame(sentence):
        return Checked(sentence, "")
    if not cited:
        return Checked(sentence, "没有标注所依据的资料")
    chunks = [evidence[n - 1].chunk for n in cited]
    # Numbers and shared words from the chunks' own text: a heading path's "二、" is no figure,
    # and a long title shares words with almost anything said about its subject.
    said = " ".join(c.text for c in chunks)
    stated = numbers_in(said)
    source = " ".join(" ".join([c.text, c.section, c.meta.title, c.meta.region]) for c in chunks)
    claim = MARKER.sub("", sentence).strip()
    if missing := sorted(numbers_in(claim) - stated):
        return Checked(sentence, f"数字 {'、'.join(missing)} 不在所引资料中")
    plain = normalize(source)
    for name in _names(claim):
        if normalize(name) not in plain:
            return Checked(sentence, f"“{name}”不在所引资料中")
    # A role the cited chunks name only a neighbour of (社会工作师 for 助理社会工作师).
    for role in {m.group() for m in roles().finditer(claim)}:
        if names_a_neighbour_role(role, plain):
            return Checked(sentence, f"所引资料说的不是“{role}”")
    grams = set(tokenize(claim))
    if not _HANZI.search(claim):  # "1. [1]": a marker with nothing to say
        return Checked(sentence, "没有内容")
    if len(grams & set(tokenize(said))) / len(grams) < MIN_SHARED_WORDS:
        return Checked(sentence, "与所引资料的用词重合太少")
    return Checked(sentence, "")


def _is_table_frame(line: str) -> bool:
    """A table's head, rule or silent row ("| 北京 | 资料未提及 | — |"): no fact to check."""
    line = line.strip()
    if not (line.startswith("|") and line.endswith("|")) or re.search(r"\d", line):
        return False
    cells = [c.strip() for c in line.strip("|").split("|")]
    return all(len(c) <= 8 for c in cells) or "资料未提及" in line


def _names(text: str) -> list[str]:
    """Place and document names and how often something happens in a sentence: they must be in
    what it cites (a place without its 省/市/县… suffix: "甘肃省" is there when the chunk says
    甘肃; "每月" is a rule as much as a number is)."""
    places = [_ADMIN_SUFFIX.sub("", found) for found, _ in gazetteer.places_in(text, False)]
    return places + _DOC_NAME.findall(text) + _PERIOD.findall(text)
