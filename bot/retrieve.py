"""Retrieval that understands the question: region and document filters over hybrid search."""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from bot.question import Question, analyse
from ingest.kb import KnowledgeBase, Mode
from ingest.schema import Evidence


def retrieve(
    kb: KnowledgeBase, question: Question, k: int, region: str | None = None, mode: Mode = "hybrid"
) -> list[Evidence]:
    """Evidence for a question: an explicit region filters; a named region or number boosts."""
    base = {"region": region} if region else {}
    results = kb.search(question.search, k=k, filters=base or None, mode=mode)
    preferred: list[Evidence] = []
    known = kb.known_values()
    if question.doc_number and question.doc_number in known["doc_number"]:
        preferred = kb.search(
            question.search, k=k, filters=base | {"doc_number": question.doc_number}, mode=mode
        )
    elif not region and question.provinces:
        # Each region named gets its own share of the evidence (comparisons need all of them).
        share = max(2, k // len(question.provinces))
        for name in question.provinces:
            if name in known["province"] or name in known["city"]:
                preferred += kb.search(
                    question.search, k=share, filters={"region": name}, mode=mode
                )
    return _merge(preferred, results, k)


def _merge(first: list[Evidence], rest: list[Evidence], k: int) -> list[Evidence]:
    """Preferred hits first, then the rest, without repeats, re-ranked 1..k."""
    seen: set[str] = set()
    merged: list[Evidence] = []
    for e in first + rest:
        if e.chunk.chunk_id not in seen:
            seen.add(e.chunk.chunk_id)
            merged.append(e)
    return [
        Evidence(e.chunk, e.score, i, e.dense_rank, e.lexical_rank)
        for i, e in enumerate(merged[:k], start=1)
    ]


class HybridRetriever(BaseRetriever):
    """The hybrid retriever as a LangChain retriever: chunks as Documents, evidence in metadata."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    kb: KnowledgeBase
    k: int = 8
    region: str | None = None
    mode: Mode = "hybrid"

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, k: int | None = None
    ) -> list[LCDocument]:
        evidence = retrieve(self.kb, analyse(query), k or self.k, self.region, self.mode)
        return [
            LCDocument(
                id=e.chunk.chunk_id,
                page_content=e.chunk.text,
                metadata={
                    "doc_id": e.chunk.doc_id,
                    "source": e.chunk.source,
                    "section": e.chunk.section,
                    "title": e.chunk.meta.title,
                    "province": e.chunk.meta.province,
                    "rank": e.rank,
                    "score": e.score,
                },
            )
            for e in evidence
        ]
