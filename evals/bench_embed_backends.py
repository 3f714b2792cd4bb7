"""Is the faster CPU embedding path worth it? torch fp32 (the default) against the onnx-int8
backend, on the seed corpus and the gold questions. A script that prints figures, not a test.

Run: python -m evals.bench_embed_backends. Per backend: passages/s embedding the seed chunks
from an empty cache (model loaded beforehand), the lowest cosine to the torch vectors, and the
evaluation's metrics on all gold items (dense retrieval alone, and the product's hybrid).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from evals.gold import load_gold
from evals.metrics import summarise
from evals.runner import run_system
from ingest.embed import Embedder
from ingest.kb import KnowledgeBase
from ingest.offline import go_offline
from ingest.pipeline import Ingestor
from ingest.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[1]


def evaluate(embedder: Embedder, data_dir: Path, items: list[dict]) -> dict:
    """Embed the seed corpus from an empty cache, then run the gold items; figures for one row."""
    settings = Settings(data_dir=data_dir, corpus_dir=REPO_ROOT / "corpus")
    kb = KnowledgeBase(settings, embedder)
    embedder.embed_query("预热")  # load (and for onnx-int8 export) outside the timing
    started = time.perf_counter()
    Ingestor(kb, progress=False).run(rebuild=True)
    seconds = time.perf_counter() - started
    got = kb.store.collection.get(include=["embeddings"])
    row = {
        "passages/s": kb.store.count() / seconds,
        "vectors": dict(zip(got["ids"], np.array(got["embeddings"]), strict=True)),
    }
    for system in ("dense", "ours"):
        results = run_system(system, items, settings, kb, progress=False)
        row[system] = summarise([r["scores"] for r in results])
    return row


def main() -> None:
    """Print one row per backend."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=Path, default=REPO_ROOT / "artifacts" / "embed-backends")
    parser.add_argument("--qa", type=Path, default=REPO_ROOT / "evals" / "qa.jsonl")
    args = parser.parse_args()
    go_offline()
    items = load_gold(args.qa)
    models = Settings().models_dir
    rows = {
        name: evaluate(Embedder(models_dir=models, backend=backend), args.work / backend, items)
        for name, backend in (("torch fp32", "torch"), ("onnx int8", "onnx-int8"))
    }
    reference = rows["torch fp32"]["vectors"]
    print(f"\n{len(items)} gold items (dev and test); seed corpus, {len(reference)} chunks")
    head = f"{'backend':<12}{'pass/s':>8}{'min cos':>9}{'dense MRR':>11}{'hit@5':>7}"
    print(head + f"{'ours MRR':>10}{'key facts':>11}{'refusal':>9}")
    for name, row in rows.items():
        cos = min(float(row["vectors"][i] @ reference[i]) for i in reference)
        dense, ours = row["dense"], row["ours"]
        print(
            f"{name:<12}{row['passages/s']:>8.1f}{cos:>9.4f}{dense['mrr']:>11.3f}"
            f"{dense['hit@5']:>7.3f}{ours['mrr']:>10.3f}{ours['key_fact_accuracy']:>11.3f}"
            f"{ours['refusal_recall']:>9.3f}"
        )


if __name__ == "__main__":
    main()
