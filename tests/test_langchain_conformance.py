"""LangChain's own standard conformance suites, run against our retriever and embeddings."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.documents import Document
from langchain_tests.integration_tests import (
    EmbeddingsIntegrationTests,
    RetrieversIntegrationTests,
)

from bot.retrieve import HybridRetriever
from ingest.embed import Embedder
from ingest.kb import KnowledgeBase

pytestmark = pytest.mark.slow


class TestHybridRetrieverConformance(RetrieversIntegrationTests):
    """The hybrid retriever behaves as any LangChain retriever (k, invoke, ainvoke)."""

    kb: KnowledgeBase | None = None

    @pytest.fixture(autouse=True)
    def _seed_index(self, seed_kb: KnowledgeBase) -> None:
        type(self).kb = seed_kb

    @property
    def retriever_constructor(self) -> type[HybridRetriever]:
        return HybridRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return {"kb": self.kb, "k": 4}

    @property
    def retriever_query_example(self) -> str:
        return "甘肃省持证社工的目标是多少?"


def test_retriever_documents_carry_source_and_section(seed_kb: KnowledgeBase) -> None:
    docs = HybridRetriever(kb=seed_kb, k=3).invoke("唐山工会社会工作者证书补贴")
    assert all(isinstance(d, Document) for d in docs)
    assert docs[0].metadata["source"] == "baozhi-heilongjiang-jiangsu-tangshan.txt"
    assert "唐山" in docs[0].metadata["section"]


class TestEmbedderConformance(EmbeddingsIntegrationTests):
    """The e5 embedder behaves as any LangChain Embeddings (query, documents, async)."""

    @pytest.fixture(autouse=True)
    def _models(self, models_dir: Path) -> None:
        type(self).models = models_dir

    @property
    def embeddings_class(self) -> type[Embedder]:
        return Embedder

    @property
    def embedding_model_params(self) -> dict:
        return {"models_dir": self.models}
