"""The word lists of question analysis, read from bot/data/words.toml (which says where each
entry comes from)."""

from __future__ import annotations

import tomllib
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
def synonyms() -> dict[str, tuple[str, ...]]:
    """Plain word -> the formal names a document may use for it."""
    return {k: tuple(v) for k, v in _data()["synonyms"].items()}
