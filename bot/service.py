"""The one entry point for the CLI, the UI, the API and the evaluation: ask, stream, manage docs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from bot.answer_types import Answer
from ingest.kb import KnowledgeBase
from ingest.pipeline import Ingestor, IngestReport
from ingest.settings import Settings


class QAService:
    """Holds the knowledge base and the answering chain; safe to share between threads."""

    def __init__(self, settings: Settings, kb: KnowledgeBase | None = None) -> None:
        from bot.chain import build_chain

        self.settings = settings
        self.kb = kb or KnowledgeBase(settings)
        self.chain = build_chain(settings, self.kb)

    def ask(
        self, question: str, history: list[dict] | None = None, region: str | None = None
    ) -> Answer:
        """Answer one question (with the conversation so far) through the chain."""
        return self.chain.invoke({"question": question, "history": history or [], "region": region})

    def stream(
        self, question: str, history: list[dict] | None = None, region: str | None = None
    ) -> Iterator[str | Answer]:
        """Text pieces of the answer as they come, then the final Answer."""
        yield from self.chain.stream_answer(
            {"question": question, "history": history or [], "region": region}
        )

    def ingest(self, paths: list[Path] | None = None) -> IngestReport:
        """Index files (default: the corpus folder); searchable as soon as this returns."""
        return Ingestor(self.kb, progress=False).run(paths)

    def documents(self) -> list[dict]:
        """Every indexed document: metadata, chunk count, ingest time, and its sections."""
        docs: dict[str, dict] = {}
        for chunk_id, text, meta in self.kb.store.records(include_documents=True):
            doc = docs.setdefault(
                meta["doc_id"],
                {
                    k: meta.get(k, "")
                    for k in (
                        "doc_id",
                        "source",
                        "title",
                        "issuer",
                        "doc_number",
                        "province",
                        "city",
                        "date",
                    )
                }
                | {
                    "chunks": 0,
                    "sections": [],
                    "ingested_at": meta.get("ingested_at", ""),
                    "parts": [],
                },
            )
            doc["chunks"] += 1
            doc["parts"].append((int(meta["start"]), chunk_id, meta["section"], text))
        for doc in docs.values():
            doc["parts"].sort()
            doc["sections"] = list(dict.fromkeys(p[2] for p in doc["parts"]))
        return sorted(docs.values(), key=lambda d: d["doc_id"])

    def delete_source(self, source: str) -> int:
        """Remove every chunk of one source file; returns how many were removed."""
        ids = [cid for cid, _, meta in self.kb.store.records() if meta["source"] == source]
        if ids:
            self.kb.store.delete(ids)
            self.kb.store.bump_version()
        return len(ids)
