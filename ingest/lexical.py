"""The lexical index: BM25 over character bigrams (and Latin/number words) of normalised text."""

from __future__ import annotations

import logging
import os
import pickle
import re
from pathlib import Path

import bm25s
import numpy as np

from ingest.normalize import normalize

_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?%?")


def tokenize(text: str) -> list[str]:
    """Tokens of a text for BM25: bigrams of each Chinese run (or the lone character) and words."""
    text = normalize(text).lower()
    tokens: list[str] = []
    for run in _CJK_RUN.findall(text):
        tokens.extend([run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)])
    tokens.extend(_WORD.findall(text))
    return tokens


class LexicalIndex:
    """BM25 over chunks, built from what Chroma stores (ids, texts, metadata); saved atomically."""

    def __init__(self, ids: list[str], texts: list[str], metas: list[dict], version: str) -> None:
        self.ids = ids
        self.texts = texts  # original chunk texts, for display
        self.metas = metas
        self.version = version
        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs each build at DEBUG
        self._bm25 = bm25s.BM25()
        corpus = [tokenize(m["search_text"]) or ["<empty>"] for m in metas]
        if corpus:
            self._bm25.index(corpus, show_progress=False)

    def __len__(self) -> int:
        return len(self.ids)

    def search(
        self, query: str, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """(row, score) of the best k rows, optionally only among rows where `allowed` is true."""
        tokens = tokenize(query)
        if not self.ids or not tokens:
            return []
        vocab = self._bm25.vocab_dict
        tokens = [t for t in tokens if t in vocab]
        if not tokens:
            return []
        scores = self._bm25.get_scores(tokens)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        top = np.argsort(-scores)[:k]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]

    def save(self, path: Path) -> None:
        """Write to `path` atomically (a killed write leaves the old file or none)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as f:
            pickle.dump(self, f, protocol=pickle.HIGHEST_PROTOCOL)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    @staticmethod
    def load(path: Path) -> LexicalIndex | None:
        """The saved index, or None when missing or unreadable (it is rebuilt from Chroma then)."""
        try:
            with path.open("rb") as f:
                index = pickle.load(f)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            return None
        return index if isinstance(index, LexicalIndex) else None
