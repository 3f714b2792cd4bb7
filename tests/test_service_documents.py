"""The document library behind the 文档库 tab and /documents: listing, opening, deleting."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import copy_seeds

from bot.service import QAService

pytestmark = pytest.mark.slow

TANGSHAN = "baozhi-heilongjiang-jiangsu-tangshan.txt"


def _chroma_documents(kb) -> dict[str, list[tuple]]:
    """doc_id -> its (start, id, section, text) parts in text order, read from Chroma itself."""
    docs: dict[str, list[tuple]] = {}
    for cid, text, meta in kb.store.records(include_documents=True):
        docs.setdefault(meta["doc_id"], []).append((meta["start"], cid, meta["section"], text))
    return {doc: sorted(parts) for doc, parts in docs.items()}


def test_library_lists_every_document_with_its_chunks_in_text_order(seed_kb):
    service = QAService(seed_kb.settings, kb=seed_kb)
    expected = _chroma_documents(seed_kb)
    docs = service.documents()
    assert [d["doc_id"] for d in docs] == sorted(expected)
    for doc in docs:
        assert doc["parts"] == expected[doc["doc_id"]]
        assert doc["chunks"] == len(doc["parts"])
        assert doc["sections"] == list(dict.fromkeys(p[2] for p in doc["parts"]))
    tangshan = next(d for d in docs if d["doc_id"] == f"{TANGSHAN}#3")
    assert (tangshan["province"], tangshan["city"]) == ("河北", "唐山")
    assert service.document(tangshan["doc_id"]) == tangshan
    assert service.document("no-such-document#1") is None


def test_deleting_a_source_removes_its_chunks_and_nothing_else(
    make_settings, shared_embedder, tmp_path: Path
):
    from ingest.kb import KnowledgeBase
    from ingest.pipeline import Ingestor

    kb = KnowledgeBase(
        make_settings(corpus_dir=copy_seeds(tmp_path / "corpus")), embedder=shared_embedder
    )
    Ingestor(kb, progress=False).run()
    service = QAService(kb.settings, kb=kb)
    service.documents()  # the table is built before the delete, as in a running app
    before = _chroma_documents(kb)
    ids = {c for doc, parts in before.items() if doc.startswith(TANGSHAN) for _, c, _, _ in parts}
    assert service.delete_source(TANGSHAN) == len(ids) > 0
    after = _chroma_documents(kb)
    assert set(after) == {doc for doc in before if not doc.startswith(TANGSHAN)}
    assert after == {doc: parts for doc, parts in before.items() if doc in after}
    assert all(d["source"] != TANGSHAN for d in service.documents())
