"""The word lists of question analysis, read from bot/data/words.toml (which says where each
entry comes from)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_WORDS = Path(__file__).with_name("data") / "words.toml"


@cache
def _data() -> dict:
    with _WORDS.open("rb") as f:
        return tomllib.load(f)


@cache
def stopwords() -> frozenset[str]:
    """Words that never name what a question is about."""
    return frozenset(w for group in _data()["stopwords"].values() for w in group.split())


@cache
def short_forms() -> dict[str, tuple[str, ...]]:
    """Short form or everyday word -> the formal names a law uses (searched with a question)."""
    return {k: tuple(v) for k, v in _data()["short_forms"].items()}


@cache
def synonyms() -> dict[str, tuple[str, ...]]:
    """Plain word -> the formal names a document may use for it (short forms included)."""
    return {k: tuple(v) for k, v in _data()["synonyms"].items()} | short_forms()


@cache
def lone_one() -> re.Pattern[str]:
    """一 that is a word's character, not the number one: no numeral beside it, not after 第,
    not before a measure word or unit."""
    numeral = "零〇一二两三四五六七八九十百千万亿"
    units = _data()["numerals"]["one_before"]
    return re.compile(f"(?<![第{numeral}])一(?![{numeral}{units}])")


@cache
def roles() -> re.Pattern[str]:
    """Role names, longest first: "助理社会工作师" is found as itself, not as 社会工作师."""
    names = sorted(_data()["roles"]["names"], key=len, reverse=True)
    return re.compile("|".join(map(re.escape, names)))


@dataclass(frozen=True)
class AskedUnit:
    """A kind of quantity: how a question asks for it, and what states it (None: anything)."""

    kind: str
    asks: re.Pattern[str]
    states: re.Pattern[str] | None


@cache
def asked_units() -> tuple[AskedUnit, ...]:
    """The kinds of quantity, in the order they are tried."""
    return tuple(
        AskedUnit(
            u["kind"], re.compile(u["asks"]), re.compile(u["states"]) if u["states"] else None
        )
        for u in _data()["asked_units"]
    )


@cache
def measure_words() -> dict[str, tuple[str, ...]]:
    """Measure word a count is asked with -> the measure words that answer it."""
    return {k: tuple(v) for k, v in _data()["measure_words"].items()}


@cache
def money_kinds() -> tuple[tuple[str, ...], ...]:
    """Groups of words for one kind of money (pay, subsidy, funds, …)."""
    return tuple(tuple(words) for words in _data()["money_kinds"].values())


@dataclass(frozen=True)
class Tense:
    """How a question asks about the present, and how a sentence states a goal or a fact."""

    now: re.Pattern[str]
    target: re.Pattern[str]
    achieved: re.Pattern[str]


@cache
def tense() -> Tense:
    """The present-tense question words and the target / achieved sentence markers."""
    t = _data()["tense"]
    return Tense(re.compile(t["now"]), re.compile(t["target"]), re.compile(t["achieved"]))


@dataclass(frozen=True)
class Consequence:
    """How a question asks what follows a breach, and how a text states a sanction."""

    asks: re.Pattern[str]
    states: re.Pattern[str]


@cache
def consequence() -> Consequence:
    """The consequence-asking words and the sanction words (bot/data/words.toml)."""
    c = _data()["consequence"]
    return Consequence(re.compile(c["asks"]), re.compile(c["states"]))


@dataclass(frozen=True)
class Change:
    """How a question asks for a change, and how a sentence states an amount of change."""

    asks: re.Pattern[str]
    states: re.Pattern[str]
    amount: re.Pattern[str]


@cache
def change() -> Change:
    """The change-asking words, the change words of a sentence and the change-amount pattern."""
    c = _data()["change"]
    return Change(re.compile(c["asks"]), re.compile(c["states"]), re.compile(c["amount"]))


@dataclass(frozen=True)
class Polarity:
    """How a phrase says its subject lacks something, and how it says it has it."""

    negated: str
    affirmed: str


@cache
def polarity() -> Polarity:
    """The negated and affirmed verbs of having (alternations, for building patterns)."""
    p = _data()["polarity"]
    return Polarity(p["negated"], p["affirmed"])
