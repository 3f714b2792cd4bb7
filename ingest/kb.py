"""The knowledge base: the one interface the rest of the program searches through."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Literal

import numpy as np
from chromadb.errors import ChromaError

from ingest.embed import Embedder
from ingest.lexical import LexicalIndex
from ingest.schema import Chunk, Evidence
from ingest.settings import Settings
from ingest.store import REGIONS_KEY, VectorStore

Mode = Literal["hybrid", "dense", "lexical"]
# Reciprocal-rank fusion: score = sum over retrievers of weight / (RRF_K + rank).
RRF_K = 60
CANDIDATES = 40
# A filtered dense search first takes this many times CANDIDATES unfiltered and keeps the allowed
# ones; when too few are allowed it asks Chroma again among the allowed ids (about 1 ms per
# thousand ids at 70k chunks), or with a metadata `where` (35-60 ms) above MAX_ID_FILTER ids.
OVERSAMPLE = 5
MAX_ID_FILTER = 20_000
# How often a process looks whether another one changed the collection.
REFRESH_SECONDS = 2.0


def _where(filters: dict[str, str] | None) -> dict | None:
    """Chroma `where` for our filters; "region" matches any province or city a document covers."""
    clauses = []
    for key, value in (filters or {}).items():
        if not value:
            continue
        if key == "region":
            clauses.append({REGIONS_KEY: {"$contains": value}})
        else:
            clauses.append({key: value})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class KnowledgeBase:
    """Dense (Chroma), lexical (BM25) and fused search over the indexed chunks."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or Embedder.from_settings(settings)
        self.store = VectorStore(settings, self.embedder)
        self._lexical: LexicalIndex | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()  # guards the time of the last version check
        self._build_lock = threading.Lock()  # one table build at a time
        self.weights = {"dense": 1.0, "lexical": settings.lexical_weight}

    @property
    def lexical_path(self) -> Path:
        """Where this collection's lexical index is cached on disk."""
        return self.settings.index_dir / f"lexical-{self.settings.collection}.pkl"

    def lexical(self, force_check: bool = False) -> LexicalIndex:
        """The lexical index and chunk table, following the collection's version.

        Once a process has a table, a change made elsewhere is picked up in the background and
        searches go on from the old table meanwhile: a rebuild takes about 30 s at 100k chunks,
        which would otherwise stall every question. `force_check` waits for the current table.
        """
        with self._lock:
            current, now = self._lexical, time.monotonic()
            if current and not force_check and now - self._checked_at < REFRESH_SECONDS:
                return current
            self._checked_at = now
        if current and current.version == self.store.version():
            return current
        if current and not force_check:
            self._refresh_in_background()
            return current
        return self._install()

    def _install(self) -> LexicalIndex:
        """Load or build the table of the collection's current version and serve from it.

        One build at a time; the version is read inside, so a later build never installs an
        older table.
        """
        with self._build_lock:
            version = self.store.version()
            current = self._lexical
            if current and current.version == version:
                return current  # built by whoever held the lock before
            table = LexicalIndex.load(self.lexical_path)
            if table is None or table.version != version:
                table = None  # a stale table let go before building: 1 GiB at 100k chunks
                table = self.rebuild_lexical(version)
            self._lexical = table
            return table

    def _refresh_in_background(self) -> None:
        """Start building the new table in a thread unless a build is under way."""
        if self._build_lock.locked():
            return

        def refresh() -> None:
            try:
                self._install()
            except Exception:  # the next check tries again; searches keep the old table
                logging.getLogger(__name__).exception("lexical index refresh failed")

        threading.Thread(target=refresh, name="lexical-refresh", daemon=True).start()

    def rebuild_lexical(self, version: str | None = None) -> LexicalIndex:
        """Derive the lexical index from what Chroma stores, and save it."""
        version = version or self.store.version()
        ids, texts, metas = [], [], []
        for chunk_id, text, meta in self.store.records(include_documents=True):
            ids.append(chunk_id)
            texts.append(text)
            metas.append(meta)
        index = LexicalIndex(ids, texts, metas, version)
        index.save(self.lexical_path)
        return index

    def known_values(self) -> dict[str, set[str]]:
        """The provinces, cities, regions covered and document numbers present in the index."""
        lex = self.lexical()
        return {key: lex.values(key) for key in ("province", "city", "region", "doc_number")}

    def article_chunks(self, article: str) -> list[Chunk]:
        """The chunks of every law article headed `article` ("第二十五条"), in any document."""
        lex = self.lexical()
        return [lex.chunk(row) for row in lex.article_rows(article)]

    def following(self, chunk: Chunk, n: int) -> list[Chunk]:
        """Up to n chunks that come right after `chunk` in its document (a list continuing)."""
        lex = self.lexical()
        return [lex.chunk(row) for row in lex.following(chunk.doc_id, chunk.end - 1, n)]

    def siblings(self, chunk: Chunk, n: int) -> list[Chunk]:
        """Up to n chunks of `chunk`'s document, in order, under the same parent heading as it
        ("… > 二、职责任务 > （四）…" and "… > 二、职责任务 > （五）…"): the other items of a list
        whose items are sections of their own. None when the chunk has no parent heading."""
        parent, sep, _ = chunk.section.rpartition(" > ")
        if not sep or " > " not in parent:
            return []
        lex = self.lexical()
        rows = lex.doc_rows(chunk.doc_id)
        return [
            lex.chunk(row)
            for row in rows
            if str(lex.metas[row]["section"]).rpartition(" > ")[0] == parent
        ][:n]

    def search(
        self,
        query: str,
        k: int = 8,
        filters: dict[str, str] | None = None,
        mode: Mode = "hybrid",
        more_words: str = "",
    ) -> list[Evidence]:
        """The k best chunks for a query; `filters` like {"region": "甘肃"} or {"doc_id": …};
        `more_words` are searched lexically only (formal names of the query's everyday words)."""
        if not query.strip():
            return []
        lex = self.lexical()
        allowed = lex.allowed(filters) if filters else None
        dense: list[tuple[Chunk, float]] = []
        lexical: list[tuple[Chunk, float]] = []
        # Chroma's count takes 13 ms at 70k chunks: asked only while the table is empty.
        if mode in ("hybrid", "dense") and (len(lex) or self.store.count()):
            dense = self._dense(lex, self.embedder.embed_query(query), allowed, filters)
        if mode in ("hybrid", "lexical"):
            words = f"{query} {more_words}" if more_words else query
            lexical = [(lex.chunk(row), s) for row, s in lex.search(words, CANDIDATES, allowed)]
        return self._fuse(dense, lexical, k, mode)

    def _dense(
        self,
        lex: LexicalIndex,
        vector: list[float],
        allowed: np.ndarray | None,
        filters: dict[str, str] | None,
    ) -> list[tuple[Chunk, float]]:
        """The CANDIDATES nearest chunks among the allowed rows, without Chroma's slow filters."""
        if allowed is None:
            hits = self.store.nearest(vector, CANDIDATES)
        else:
            n_allowed = int(allowed.sum())
            if not n_allowed:
                return []
            hits = [
                (cid, sim)
                for cid, sim in self.store.nearest(vector, CANDIDATES * OVERSAMPLE)
                if (row := lex.row(cid)) is not None and allowed[row]
            ][:CANDIDATES]
            if len(hits) < min(CANDIDATES, n_allowed):
                hits = self._nearest_among(lex, vector, allowed, filters)
        return self._chunks(lex, hits)

    def _nearest_among(
        self,
        lex: LexicalIndex,
        vector: list[float],
        allowed: np.ndarray,
        filters: dict[str, str] | None,
    ) -> list[tuple[str, float]]:
        """Chroma's nearest among the allowed ids, or by metadata when they are many."""
        if allowed.sum() <= MAX_ID_FILTER:
            ids = [lex.ids[row] for row in np.flatnonzero(allowed)]
            try:
                return self.store.nearest(vector, CANDIDATES, ids=ids)
            except ChromaError:
                # Chroma refuses ids it does not hold: another process deleted some since this
                # process built its table. The metadata filter gives the same answer, slower.
                pass
        return self.store.nearest(vector, CANDIDATES, where=_where(filters))

    def _chunks(
        self, lex: LexicalIndex, hits: list[tuple[str, float]]
    ) -> list[tuple[Chunk, float]]:
        """Chunks of dense hits from the in-memory table; from Chroma for any it lacks.

        The table lags Chroma by up to REFRESH_SECONDS after another process ingests.
        """
        rows = {cid: lex.row(cid) for cid, _ in hits}
        missing = [cid for cid, row in rows.items() if row is None]
        fetched = self.store.chunks(missing) if missing else {}
        return [
            (lex.chunk(rows[cid]) if rows[cid] is not None else fetched[cid], sim)
            for cid, sim in hits
            if rows[cid] is not None or cid in fetched
        ]

    def _fuse(
        self,
        dense: list[tuple[Chunk, float]],
        lexical: list[tuple[Chunk, float]],
        k: int,
        mode: Mode,
    ) -> list[Evidence]:
        """Reciprocal-rank fusion; a single-retriever mode keeps that retriever's own score."""
        chunks: dict[str, Chunk] = {}
        score: dict[str, float] = {}
        ranks: dict[str, dict[str, int]] = {}
        for name, hits in (("dense", dense), ("lexical", lexical)):
            for rank, (chunk, raw) in enumerate(hits, start=1):
                chunks[chunk.chunk_id] = chunk
                ranks.setdefault(chunk.chunk_id, {})[name] = rank
                gain = raw if mode != "hybrid" else self.weights[name] / (RRF_K + rank)
                score[chunk.chunk_id] = score.get(chunk.chunk_id, 0.0) + gain
        best = sorted(score, key=score.get, reverse=True)[:k]
        return [
            Evidence(
                chunk=chunks[cid],
                score=score[cid],
                rank=i,
                dense_rank=ranks[cid].get("dense", 0),
                lexical_rank=ranks[cid].get("lexical", 0),
            )
            for i, cid in enumerate(best, start=1)
        ]
