"""The opt-in ONNX int8 embedding backend, and the guard against mixing vectors of two
embedders in one index."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import copy_seeds, forget_chroma_clients, run_shegong, subprocess_env

from ingest.embed import Embedder
from ingest.kb import KnowledgeBase
from ingest.pipeline import EmbedderMismatch, Ingestor

pytestmark = pytest.mark.slow

TANGSHAN = "baozhi-heilongjiang-jiangsu-tangshan.txt"
BEIJING = "baozhi-beijing-kunming-guandu.txt"


@pytest.fixture(scope="module")
def int8_embedder(models_dir) -> Embedder:
    """The e5 model through ONNX Runtime, int8 (exported next to the model on first use)."""
    return Embedder(models_dir=models_dir, backend="onnx-int8")


def test_int8_vectors_stay_close_to_the_torch_ones(seed_kb, shared_embedder, int8_embedder):
    texts = seed_kb.lexical().texts[:40]
    torch_vectors = shared_embedder.embed_passages(texts)
    int8_vectors = int8_embedder.embed_passages(texts)
    assert int8_vectors.shape == torch_vectors.shape
    assert np.allclose(np.linalg.norm(int8_vectors, axis=1), 1.0, atol=1e-3)
    cosines = (int8_vectors * torch_vectors).sum(axis=1)
    assert cosines.min() > 0.97, cosines.min()
    assert int8_embedder.model_id.endswith("#onnx-int8")
    assert shared_embedder.model_id == shared_embedder.model_name


def test_index_of_another_embedder_asks_for_a_rebuild(
    tmp_path, make_settings, shared_embedder, int8_embedder
):
    corpus = copy_seeds(tmp_path / "corpus", [TANGSHAN, BEIJING])
    settings = make_settings(corpus_dir=corpus)
    Ingestor(KnowledgeBase(settings, embedder=shared_embedder), progress=False).run()

    int8_kb = KnowledgeBase(settings, embedder=int8_embedder)
    with pytest.raises(EmbedderMismatch, match="--rebuild"):
        Ingestor(int8_kb, progress=False).run()
    env = subprocess_env(settings.data_dir, corpus, SHEGONG_EMBED_BACKEND="onnx-int8")
    forget_chroma_clients()
    cli = run_shegong(["ingest", "--quiet"], env, cwd=tmp_path)
    assert cli.returncode == 2 and "shegong ingest --rebuild" in cli.stderr, cli.stderr

    forget_chroma_clients()
    int8_kb = KnowledgeBase(settings, embedder=int8_embedder)
    report = Ingestor(int8_kb, progress=False).run(rebuild=True)
    assert report.count("indexed") == 2 and not report.failed
    assert int8_kb.store.embedder_id() == int8_embedder.model_id
    hits = int8_kb.search("唐山工会社会工作者证书补贴多少", k=3, mode="dense")
    assert hits[0].chunk.doc_id == f"{TANGSHAN}#3"
