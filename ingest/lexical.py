"""The lexical index: BM25 over character bigrams (and Latin/number words) of normalised text,
and the chunk table searches read texts and metadata from."""

from __future__ import annotations

import os
import pickle
import re
from pathlib import Path

import numpy as np

from ingest.bm25 import BM25
from ingest.headings import article_of
from ingest.normalize import normalize
from ingest.schema import Chunk, DocMeta
from ingest.store import REGIONS_KEY, chunk_from_record

# The characters that make Chinese tokens, in tokenize()'s regex and in the index's numpy pass.
_CJK_FIRST, _CJK_LAST = 0x3400, 0x9FFF
_CJK_RUN = re.compile(f"[{chr(_CJK_FIRST)}-{chr(_CJK_LAST)}]+")
_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?%?")


def tokenize(text: str) -> list[str]:
    """Tokens of a text for BM25: bigrams of each Chinese run (or the lone character) and words."""
    text = normalize(text).lower()
    tokens: list[str] = []
    for run in _CJK_RUN.findall(text):
        tokens.extend([run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)])
    tokens.extend(_WORD.findall(text))
    return tokens


# tokenize()'s tokens as integer keys, for the index: a Chinese bigram "ab" is
# ord(a) * _PAIR + ord(b), a lone character its code point, a word _word_key(its number in a
# per-index word list), and a text without tokens gets _EMPTY once. A test holds the two together.
_PAIR = 0x110000
_EMPTY = 0
_BATCH = 2000  # texts tokenised per numpy pass


def _word_key(number: int) -> int:
    """The key of the word numbered `number`: negative, so apart from every Chinese key."""
    return -1 - number


def _cjk_keys(text: str) -> tuple[np.ndarray, np.ndarray]:
    """(position, key) of each Chinese token of a lower-cased normalised text, in text order."""
    cp = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    cp = cp.astype(np.int64)
    cjk = (cp >= _CJK_FIRST) & (cp <= _CJK_LAST)
    before, after, following = np.zeros_like(cjk), np.zeros_like(cjk), np.zeros_like(cp)
    before[1:], after[:-1], following[:-1] = cjk[:-1], cjk[1:], cp[1:]
    pair = cjk & after  # a bigram starts here
    alone = cjk & ~before & ~after  # a run of one character
    at = np.flatnonzero(pair | alone)
    return at, np.where(pair, cp * _PAIR + following, cp)[at]


def _corpus_keys(texts: list[str], words: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """(text number, key) of every token of normalised texts; numbers new words in `words`.

    Numpy over batches of texts: tokenising 99k chunks into Python strings took most of a
    minute and gigabytes; one pass over all of them at once still took a gigabyte.
    """
    docs, keys = [], []
    for first in range(0, len(texts), _BATCH):
        lowered = [t.lower() for t in texts[first : first + _BATCH]]
        starts = np.cumsum([0] + [len(t) + 1 for t in lowered[:-1]])
        # A newline ends a Chinese run, so no bigram spans two texts.
        at, cjk = _cjk_keys("\n".join(lowered))
        word_docs, word_keys = [], []
        for i, text in enumerate(lowered, start=first):
            for word in _WORD.findall(text):
                word_docs.append(i)
                word_keys.append(_word_key(words.setdefault(word, len(words))))
        docs += [
            np.searchsorted(starts, at, side="right") - 1 + first,
            np.array(word_docs, dtype=np.int64),
        ]
        keys += [cjk, np.array(word_keys, dtype=np.int64)]
    none = [np.zeros(0, dtype=np.int64)]  # no texts at all
    doc, key = np.concatenate(docs or none), np.concatenate(keys or none)
    empty = np.flatnonzero(np.bincount(doc, minlength=len(texts)) == 0)
    return np.concatenate([doc, empty]), np.concatenate([key, np.full(len(empty), _EMPTY)])


def _query_keys(query: str, words: dict[str, int]) -> np.ndarray:
    """Keys of a query's tokens (repeats kept); words the index never saw are left out."""
    text = normalize(query).lower()
    known = [_word_key(words[w]) for w in _WORD.findall(text) if w in words]
    return np.concatenate([_cjk_keys(text)[1], np.array(known, dtype=np.int64)])


# Metadata fields searches filter on; each gets a value -> rows map when the index is built.
FILTER_KEYS = ("province", "city", "doc_id", "doc_number", "source")


class LexicalIndex:
    """BM25 over chunks, built from what Chroma stores (ids, texts, metadata); saved atomically.

    Also the in-memory chunk table a search needs at 100k chunks without scanning every row or
    asking Chroma for texts: chunks by id, rows by metadata value, a document's chunks in order,
    and the regions and numbers present.
    """

    # Bump when the pickled attributes change: an index saved by older code is then rebuilt.
    FORMAT = 6

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
        # Rows by every province and city their document covers (the "region" filter).
        by_region: dict[str, list[int]] = {}
        for row, meta in enumerate(metas):
            names = [meta.get("province"), meta.get("city"), *(meta.get(REGIONS_KEY) or [])]
            for name in dict.fromkeys(n for n in names if n):
                by_region.setdefault(str(name), []).append(row)
        self._rows["region"] = {v: np.array(rows) for v, rows in by_region.items()}
        self._by_doc = {
            doc: sorted(rows, key=lambda row: int(metas[row]["start"]))
            for doc, rows in self._rows["doc_id"].items()
        }
        # Rows of each law article by its heading ("第二十五条"), for article-number questions.
        self._by_article: dict[str, list[int]] = {}
        for row, meta in enumerate(metas):
            if article := article_of(str(meta.get("section", ""))):
                self._by_article.setdefault(article, []).append(row)
        self._words: dict[str, int] = {}
        docs, keys = _corpus_keys([m["search_text"] for m in metas], self._words)
        self._bm25 = BM25(docs, keys, len(ids))

    def __len__(self) -> int:
        return len(self.ids)

    def row(self, chunk_id: str) -> int | None:
        """The row of a chunk id; None for a chunk this index does not hold (yet)."""
        return self._row_of.get(chunk_id)

    def chunk(self, row: int) -> Chunk:
        """The chunk at a row."""
        return chunk_from_record(self.ids[row], self.texts[row], self.metas[row])

    def doc_metas(self) -> dict[str, DocMeta]:
        """Each document's metadata, read from its first chunk."""
        return {doc: self.chunk(rows[0]).meta for doc, rows in self._by_doc.items() if rows}

    def values(self, key: str) -> set[str]:
        """The non-empty values of a filter field, e.g. every province present."""
        return set(self._rows[key]) - {""}

    def allowed(self, filters: dict[str, str]) -> np.ndarray:
        """A row mask for filters like {"region": "甘肃"} (any province or city a document
        covers) or {"doc_id": …}."""
        mask = np.ones(len(self.ids), dtype=bool)
        empty = np.array([], dtype=int)
        for key, value in filters.items():
            if not value:
                continue
            if key not in self._rows:
                raise ValueError(f"cannot filter on {key!r}; known: {sorted(self._rows)}")
            hit = np.zeros(len(self.ids), dtype=bool)
            hit[self._rows[key].get(value, empty)] = True
            mask &= hit
        return mask

    def doc_rows(self, doc_id: str) -> list[int]:
        """Rows of a document's chunks in text order; none for an unknown document."""
        return self._by_doc.get(doc_id, [])

    def article_rows(self, article: str) -> list[int]:
        """Rows of the chunks of every article with this heading ("第二十五条"), any document."""
        return self._by_article.get(article, [])

    def following(self, doc_id: str, position: int, n: int) -> list[int]:
        """Rows of up to n chunks of a document that start at or after a character position."""
        rows = self.doc_rows(doc_id)
        return [row for row in rows if int(self.metas[row]["start"]) >= position][:n]

    def search(
        self, query: str, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """(row, score) of the best k rows, optionally only among rows where `allowed` is true."""
        terms = self._bm25.terms(_query_keys(query, self._words))
        if not self.ids or not len(terms) or k < 1:
            return []
        scores = self._bm25.scores(terms)
        if allowed is not None:
            scores[~allowed] = 0.0
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.lexsort((top, -scores[top]))]  # by score, ties by row: deterministic
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
        if not isinstance(index, LexicalIndex):
            return None
        return index if getattr(index, "format", 0) == LexicalIndex.FORMAT else None
