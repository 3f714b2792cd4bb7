"""The naive baseline: what a plain LangChain tutorial pipeline does on the same corpus.

RecursiveCharacterTextSplitter over the raw files (no cleaning, no structure), dense-only
Chroma search with the same embedding model, and the retrieved sentence that shares the most
character bigrams with the question as the answer (no refusal). Comparing with it shows what
cleaning, structure-aware splitting, hybrid search and the answerer buy.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.documents import Document
from langchain_text_splitters import RecursiveCharacterTextSplitter

from ingest.embed import Embedder
from ingest.lexical import tokenize
from ingest.punct import SENTENCE


class NaiveBaseline:
    """Split raw files, embed, search densely, answer with the closest retrieved sentence."""

    def __init__(self, corpus_dir: Path, embedder: Embedder, k: int = 8) -> None:
        splitter = RecursiveCharacterTextSplitter(chunk_size=320, chunk_overlap=60)
        docs: list[Document] = []
        for path in sorted(corpus_dir.glob("*")):
            if path.suffix in (".txt", ".md"):
                text = path.read_text(encoding="utf-8", errors="replace")
                docs += splitter.create_documents([text], metadatas=[{"source": path.name}])
        client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
        self.store = Chroma(
            collection_name=f"baseline-{uuid.uuid4().hex[:8]}",
            embedding_function=embedder,
            client=client,
        )
        self.store.add_documents(docs)
        self.k = k

    def ask(self, question: str) -> dict:
        """An answer object with the fields of `shegong ask --json` that the metrics read."""
        started = time.perf_counter()
        hits = self.store.similarity_search(question, k=self.k)
        q = set(tokenize(question))
        best, best_doc, best_score = "", None, -1.0
        for doc in hits:
            for sentence in (m.group() for m in SENTENCE.finditer(doc.page_content)):
                score = len(q & set(tokenize(sentence))) / (1 + len(q))
                if score > best_score:
                    best, best_doc, best_score = sentence.strip(), doc, score
        citations = (
            [
                {
                    "n": 1,
                    "text": best_doc.page_content,
                    "quote": best,
                    "source": best_doc.metadata["source"],
                }
            ]
            if best_doc
            else []
        )
        return {
            "question": question,
            "answer": best,
            "refused": False,
            "citations": citations,
            "retrieved": [
                {"rank": i, "text": d.page_content, "source": d.metadata["source"]}
                for i, d in enumerate(hits, start=1)
            ],
            "timings_ms": {"total": (time.perf_counter() - started) * 1000},
        }
