"""The one entry point for the CLI, the UI, the API and the evaluation: ask, stream, manage docs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from bot.answer_types import Answer
from ingest.kb import KnowledgeBase
from ingest.lexical import LexicalIndex
from ingest.pipeline import Ingestor, IngestReport
from ingest.settings import Settings
from ingest.store import META_FIELDS, REGIONS_KEY


class QuestionTooLong(ValueError):
    """A question over `Settings.max_question_chars`; its message is for the asker."""

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"问题过长({length} 字),请精简到 {limit} 字以内再问。")


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
        self.check_question(question)
        return self.chain.invoke({"question": question, "history": history or [], "region": region})

    def stream(
        self, question: str, history: list[dict] | None = None, region: str | None = None
    ) -> Iterator[str | Answer]:
        """Text pieces of the answer as they come, then the final Answer."""
        self.check_question(question)
        yield from self.chain.stream_answer(
            {"question": question, "history": history or [], "region": region}
        )

    def check_question(self, question: str) -> None:
        """Refuse a question longer than the configured limit (raises QuestionTooLong)."""
        limit = self.settings.max_question_chars
        if len(question) > limit:
            raise QuestionTooLong(len(question), limit)

    def ingest(self, paths: list[Path] | None = None) -> IngestReport:
        """Index files (default: the corpus folder); searchable as soon as this returns."""
        return Ingestor(self.kb, progress=False).run(paths)

    def documents(self) -> list[dict]:
        """Every indexed document: its metadata, chunk count, sections and chunks in order.

        From the knowledge base's in-memory chunk table, not Chroma: reading every chunk from
        Chroma took 12 s at 71k chunks, on each 文档库 refresh. Checked against Chroma's
        version first, so a change just made anywhere is listed.
        """
        lex = self.kb.lexical(force_check=True)
        return [_document(lex, doc_id) for doc_id in sorted(lex.values("doc_id"))]

    def document(self, doc_id: str) -> dict | None:
        """One indexed document as in `documents`, or None when it is not (or no longer) there.

        From the table as it is: a source card's document came from it.
        """
        lex = self.kb.lexical()
        return _document(lex, doc_id) if lex.doc_rows(doc_id) else None

    def delete_source(self, source: str) -> int:
        """Remove every chunk of one source file; returns how many were removed."""
        lex = self.kb.lexical(force_check=True)  # the table as Chroma holds it now
        ids = [lex.ids[row] for row in np.flatnonzero(lex.allowed({"source": source}))]
        if ids:
            self.kb.store.delete(ids)
            self.kb.store.bump_version()
            self.kb.lexical(force_check=True)  # this process stops citing it at once
        return len(ids)


_DOC_FIELDS = ("doc_id", "source", *META_FIELDS)


def _document(lex: LexicalIndex, doc_id: str) -> dict:
    """A document for the library: metadata, chunk count, sections, and its chunks as parts."""
    rows = lex.doc_rows(doc_id)
    parts = [
        (int(lex.metas[r]["start"]), lex.ids[r], lex.metas[r]["section"], lex.texts[r])
        for r in rows
    ]
    first = lex.metas[rows[0]]
    return {k: first.get(k, "") for k in _DOC_FIELDS} | {
        REGIONS_KEY: list(first.get(REGIONS_KEY) or []),
        "chunks": len(rows),
        "sections": list(dict.fromkeys(section for _, _, section, _ in parts)),
        "parts": parts,
    }
