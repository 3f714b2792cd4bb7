"""The vector store: Chroma (embedded or a `chroma run` server) through langchain-chroma."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import urlparse

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma

from ingest.embed import Embedder
from ingest.offline import go_offline
from ingest.schema import LIST_SEP, Chunk, DocMeta
from ingest.settings import Settings

# Document metadata stored with each chunk.
META_FIELDS = ("title", "issuer", "doc_number", "province", "city", "date", "repeals")
# Stored as a list (Chroma filters it with $contains; an empty list is not allowed, so a document
# covering no known place has no such key).
REGIONS_KEY = "regions"
VERSION_KEY = "shegong_version"
EMBEDDER_KEY = "shegong_embedder"  # which model (and backend) made the stored vectors
PAGE = 2000
# Records read per call: reading 99k chunks took 19 s in pages of 2,000 and 14 s in pages of
# 10,000; 50,000 exceeds SQLite's limit on query variables.
READ_PAGE = 10_000


def chunk_metadata(chunk: Chunk, file_hash: str, n_chunks: int) -> dict:
    """What Chroma stores beside a chunk's text: enough to rebuild the chunk and its file state."""
    meta = {name: getattr(chunk.meta, name) for name in META_FIELDS}
    if regions := chunk.meta.region_names:
        meta[REGIONS_KEY] = regions
    return meta | {
        "doc_id": chunk.doc_id,
        "source": chunk.source,
        "section": chunk.section,
        "start": chunk.start,
        "end": chunk.end,
        "search_text": chunk.search_text,
        "file_hash": file_hash,
        "n_chunks": n_chunks,
    }


def chunk_from_record(chunk_id: str, text: str, meta: dict) -> Chunk:
    """Rebuild a Chunk from what Chroma returns."""
    return Chunk(
        chunk_id=chunk_id,
        doc_id=meta["doc_id"],
        source=meta["source"],
        text=text,
        search_text=meta["search_text"],
        section=meta["section"],
        start=int(meta["start"]),
        end=int(meta["end"]),
        meta=DocMeta(
            **{name: str(meta.get(name, "")) for name in META_FIELDS},
            regions=LIST_SEP.join(meta.get(REGIONS_KEY) or []),
        ),
    )


def make_client(settings: Settings) -> chromadb.ClientAPI:
    """An embedded persistent client, or an HTTP client when SHEGONG_CHROMA_URL is set."""
    go_offline()
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        return chromadb.HttpClient(
            host=url.hostname or "127.0.0.1",
            port=url.port or 8000,
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(
        path=str(settings.index_dir / "chroma"), settings=chroma_settings
    )


class VectorStore:
    """Chunks and their vectors in one Chroma collection, plus a version that bumps on change."""

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.client = make_client(settings)
        self.langchain = Chroma(
            collection_name=settings.collection,
            embedding_function=embedder,
            client=self.client,
            collection_configuration={"hnsw": {"space": "cosine"}},
        )
        # The wrapper has no call for collection metadata (our change version) or paged gets of
        # raw records; those go to chromadb's collection directly.
        self.collection = self.langchain._collection

    def add(self, chunks: list[Chunk], vectors: list[list[float]], metas: list[dict]) -> None:
        """Upsert chunks with precomputed vectors; idempotent, as ids are content hashes.

        chromadb directly: the wrapper's add_texts embeds by itself, but we embed beforehand in
        batches (with a progress bar and the vector cache) and pass the vectors in.
        """
        for i in range(0, len(chunks), PAGE):
            part = slice(i, i + PAGE)
            self.collection.upsert(
                ids=[c.chunk_id for c in chunks[part]],
                documents=[c.text for c in chunks[part]],
                embeddings=vectors[part],
                metadatas=metas[part],
            )

    def update_metadata(self, ids: list[str], metas: list[dict]) -> None:
        """Replace the metadata of stored chunks, leaving their text and vectors alone.

        chromadb directly: the wrapper has no metadata-only update.
        """
        for i in range(0, len(ids), PAGE):
            self.collection.update(ids=ids[i : i + PAGE], metadatas=metas[i : i + PAGE])

    def delete(self, ids: list[str]) -> None:
        """Remove chunks by id."""
        for i in range(0, len(ids), PAGE):
            self.langchain.delete(ids=ids[i : i + PAGE])

    def records(self, include_documents: bool = False) -> Iterator[tuple[str, str, dict]]:
        """Every (id, text, metadata) in the collection, page by page."""
        include = ["metadatas", "documents"] if include_documents else ["metadatas"]
        offset = 0
        while True:
            got = self.collection.get(include=include, limit=READ_PAGE, offset=offset)
            if not got["ids"]:
                return
            docs = got["documents"] if include_documents else [""] * len(got["ids"])
            yield from zip(got["ids"], docs, got["metadatas"], strict=True)
            offset += len(got["ids"])

    def _metadata(self) -> dict:
        """The collection's metadata as stored now: a fresh read sees what any process wrote."""
        return dict(self.client.get_collection(self.collection.name).metadata or {})

    def _record(self, key: str, value: str) -> None:
        """Set one collection-metadata entry, keeping the others."""
        self.collection.modify(metadata=self._metadata() | {key: value})

    def version(self) -> str:
        """The collection's change version."""
        return str(self._metadata().get(VERSION_KEY, "0"))

    def bump_version(self) -> str:
        """Record that the collection changed, so every process rebuilds its lexical index."""
        version = uuid.uuid4().hex
        self._record(VERSION_KEY, version)
        return version

    def embedder_id(self) -> str | None:
        """Which embedder made the stored vectors; None for an index older than this record."""
        value = self._metadata().get(EMBEDDER_KEY)
        return str(value) if value else None

    def set_embedder_id(self, model_id: str) -> None:
        """Record which embedder made the stored vectors."""
        self._record(EMBEDDER_KEY, model_id)

    def count(self) -> int:
        """How many chunks the collection holds."""
        return self.collection.count()

    def nearest(
        self, vector: list[float], k: int, ids: list[str] | None = None, where: dict | None = None
    ) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the k nearest chunks, optionally among `ids` only.

        chromadb directly, asking for distances only: the wrapper also fetches every hit's text
        and metadata, which cost 10 of the 11 ms of a query at 70k chunks; the caller has them
        in memory (the lexical index's chunk table).
        """
        got = self.collection.query(
            query_embeddings=[vector], n_results=k, ids=ids, where=where, include=["distances"]
        )
        return [(cid, 1.0 - d) for cid, d in zip(got["ids"][0], got["distances"][0], strict=True)]

    def chunks(self, ids: list[str]) -> dict[str, Chunk]:
        """The stored chunks of these ids, by id (ids not stored are left out)."""
        got = self.collection.get(ids=ids, include=["documents", "metadatas"])
        return {
            cid: chunk_from_record(cid, text, meta)
            for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        }
