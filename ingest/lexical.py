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
from ingest.schema import Chunk
from ingest.store import chunk_from_record

_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?%?")


def tokenize(text: str) -> list[str]:
    """Tokens of a text for BM25: bigrams of each Chinese run (or the lone character) and words."""
    return _tokens(normalize(text))


def _tokens(normalized: str) -> list[str]:
    """tokenize() of a text already normalised (a chunk's search_text); a third of the time."""
    text = normalized.lower()
    tokens: list[str] = []
    for run in _CJK_RUN.findall(text):
        tokens.extend([run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)])
    tokens.extend(_WORD.findall(text))
    return tokens


# Metadata fields searches filter on; each gets a value -> rows map when the index is built.
FILTER_KEYS = ("province", "city", "doc_id", "doc_number", "source")


class LexicalIndex:
    """BM25 over chunks, built from what Chroma stores (ids, texts, metadata); saved atomically.

    Also the in-memory chunk table a search needs at 100k chunks without scanning every row or
    asking Chroma for texts: chunks by id, rows by metadata value, a document's chunks in order,
    and the regions and numbers present.
    """

    # Bump when the pickled attributes change: an index saved by older code is then rebuilt.
    FORMAT = 3

    def __init__(self, ids: list[str], texts: list[str], metas: list[dict], version: str) -> None:
        self.format = self.FORMAT
        self.ids = ids
        self.texts = texts  # original chunk texts, for display
        self.metas = metas
        self.version = version
        self._row_of = {chunk_id: row for row, chunk_id in enumerate(ids)}
        self._rows: dict[str, dict[str, np.ndarray]] = {}
        for key in FILTER_KEYS:
            by_value: dict[str, list[int]] = {}
            for row, meta in enumerate(metas):
                by_value.setdefault(str(meta.get(key, "")), []).append(row)
            self._rows[key] = {v: np.array(rows) for v, rows in by_value.items()}
        self._by_doc = {
            doc: sorted(rows, key=lambda row: int(metas[row]["start"]))
            for doc, rows in self._rows["doc_id"].items()
        }
        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs each build at DEBUG
        self._bm25 = bm25s.BM25()
        corpus = [_tokens(m["search_text"]) or ["<empty>"] for m in metas]
        if corpus:
            self._bm25.index(corpus, show_progress=False)

    def __len__(self) -> int:
        return len(self.ids)

    def row(self, chunk_id: str) -> int | None:
        """The row of a chunk id; None for a chunk this index does not hold (yet)."""
        return self._row_of.get(chunk_id)

    def chunk(self, row: int) -> Chunk:
        """The chunk at a row."""
        return chunk_from_record(self.ids[row], self.texts[row], self.metas[row])

    def values(self, key: str) -> set[str]:
        """The non-empty values of a filter field, e.g. every province present."""
        return set(self._rows[key]) - {""}

    def allowed(self, filters: dict[str, str]) -> np.ndarray:
        """A row mask for filters like {"region": "甘肃"} (province or city) or {"doc_id": …}."""
        mask = np.ones(len(self.ids), dtype=bool)
        empty = np.array([], dtype=int)
        for key, value in filters.items():
            if not value:
                continue
            keys = ("province", "city") if key == "region" else (key,)
            if any(k not in self._rows for k in keys):
                raise ValueError(f"cannot filter on {key!r}; known: {FILTER_KEYS}")
            hit = np.zeros(len(self.ids), dtype=bool)
            for k in keys:
                hit[self._rows[k].get(value, empty)] = True
            mask &= hit
        return mask

    def doc_rows(self, doc_id: str) -> list[int]:
        """Rows of a document's chunks in text order; none for an unknown document."""
        return self._by_doc.get(doc_id, [])

    def following(self, doc_id: str, position: int, n: int) -> list[int]:
        """Rows of up to n chunks of a document that start at or after a character position."""
        rows = self.doc_rows(doc_id)
        return [row for row in rows if int(self.metas[row]["start"]) >= position][:n]

    def search(
        self, query: str, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """(row, score) of the best k rows, optionally only among rows where `allowed` is true."""
        vocab = self._bm25.vocab_dict
        tokens = [t for t in tokenize(query) if t in vocab]
        if not self.ids or not tokens or k < 1:
            return []
        scores = self.scores(tokens)
        if allowed is not None:
            scores[~allowed] = 0.0
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.lexsort((top, -scores[top]))]  # by score, ties by row: deterministic
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]

    def scores(self, tokens: list[str]) -> np.ndarray:
        """The BM25 score of every row for known query tokens (a repeated token counts twice).

        The sum of each token's precomputed column of bm25s' index. bm25s' own get_scores adds
        them with np.add.at, which took 15 ms a query at 70k chunks; one bincount over the
        concatenated posting lists takes 1 ms and gives the same sums (a test compares them).
        """
        csc = self._bm25.scores
        indptr, indices, data = csc["indptr"], csc["indices"], csc["data"]
        postings = np.concatenate(
            [np.arange(indptr[t], indptr[t + 1]) for t in self._bm25.get_tokens_ids(tokens)]
        )
        return np.bincount(indices[postings], weights=data[postings], minlength=len(self.ids))

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
        if not isinstance(index, LexicalIndex):
            return None
        return index if getattr(index, "format", 0) == LexicalIndex.FORMAT else None
