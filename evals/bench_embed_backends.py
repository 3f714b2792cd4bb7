"""Is a faster CPU embedding path worth it? torch fp32 (the product) against ONNX Runtime fp32
and int8, on the seed corpus and the gold questions. A script that prints figures, not a test.

Run: python -m evals.bench_embed_backends [--work artifacts/onnx]. Exports the e5 model to ONNX
(and a dynamically quantised int8 copy) once, then per backend: passages/s embedding the seed
chunks from an empty cache, cosine to the torch vectors, and the evaluation's retrieval and
answer metrics on all gold items (dense retrieval alone, and the product's hybrid).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from evals.gold import load_gold
from evals.metrics import summarise
from evals.runner import run_system
from ingest.e5_convert import ensure_e5_model
from ingest.embed import Embedder
from ingest.kb import KnowledgeBase
from ingest.offline import go_offline
from ingest.pipeline import Ingestor
from ingest.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[1]


def export_onnx(model_dir: Path, out: Path) -> tuple[Path, Path]:
    """The model as ONNX (mean pooling and normalisation inside) and its int8 quantisation."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from sentence_transformers import SentenceTransformer

    fp32, int8 = out / "model.onnx", out / "model.int8.onnx"
    if not fp32.exists():
        out.mkdir(parents=True, exist_ok=True)
        st = SentenceTransformer(str(model_dir), device="cpu")

        class Pooled(torch.nn.Module):
            def __init__(self, model: torch.nn.Module) -> None:
                super().__init__()
                self.model = model

            def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor):
                hidden = self.model(input_ids=input_ids, attention_mask=attention_mask)
                mask = attention_mask.unsqueeze(-1).to(hidden.last_hidden_state.dtype)
                mean = (hidden.last_hidden_state * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                return torch.nn.functional.normalize(mean, dim=-1)

        sample = st.tokenizer(["passage: 社工站"], return_tensors="pt")
        axes = {0: "batch", 1: "tokens"}
        torch.onnx.export(
            Pooled(st[0].auto_model.eval()),
            (sample["input_ids"], sample["attention_mask"]),
            str(fp32),
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes},
            opset_version=17,
            dynamo=False,
        )
    if not int8.exists():
        quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
    return fp32, int8


class OnnxEmbedder(Embedder):
    """The same embedder (prefixes, cache, batching) with an ONNX Runtime session doing the math."""

    def __init__(self, onnx_path: Path, tokenizer_dir: Path, **kwargs) -> None:
        super().__init__(**kwargs)
        import onnxruntime as ort
        from transformers import AutoTokenizer

        self._tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))
        options = ort.SessionOptions()
        self._session = ort.InferenceSession(str(onnx_path), options)

    def _encode(self, texts: list[str], progress: Callable[[int], None] | None = None):
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # less padding
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for start in range(0, len(order), self._batch_size):
            rows = order[start : start + self._batch_size]
            batch = self._tokenizer(
                [texts[i] for i in rows], padding=True, truncation=True, return_tensors="np"
            )
            feed = {k: batch[k].astype(np.int64) for k in ("input_ids", "attention_mask")}
            out[rows] = self._session.run(None, feed)[0]
            if progress:
                progress(len(rows))
        return out


def evaluate(name: str, embedder: Embedder, work: Path, items: list[dict]) -> dict:
    """Embed the seed corpus from an empty cache, then run the gold items; figures for one row."""
    settings = Settings(data_dir=work / f"data-{name}", corpus_dir=REPO_ROOT / "corpus")
    kb = KnowledgeBase(settings, embedder)
    embedder.embed_query("预热")  # load outside the timing
    started = time.perf_counter()
    Ingestor(kb, progress=False).run()
    seconds = time.perf_counter() - started
    ids, _, _ = zip(*kb.store.records(), strict=True)
    got = kb.store.collection.get(ids=list(ids), include=["embeddings"])
    vectors = dict(zip(got["ids"], np.array(got["embeddings"]), strict=True))
    row = {"passages/s": kb.store.count() / seconds, "vectors": vectors}
    for system in ("dense", "ours"):
        summary = summarise([r["scores"] for r in run_system(system, items, settings, kb, False)])
        row[system] = summary
    return row


def main() -> None:
    """Print one row per backend."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=Path, default=REPO_ROOT / "artifacts" / "onnx")
    parser.add_argument("--qa", type=Path, default=REPO_ROOT / "evals" / "qa.jsonl")
    args = parser.parse_args()
    go_offline()
    work = args.work.resolve()
    model_dir = ensure_e5_model(Settings().models_dir)
    fp32, int8 = export_onnx(model_dir, work)
    items = load_gold(args.qa)
    common = {"models_dir": Settings().models_dir}
    rows = {
        "torch fp32": evaluate("torch", Embedder(**common), work, items),
        "onnx fp32": evaluate("onnx", OnnxEmbedder(fp32, model_dir, **common), work, items),
        "onnx int8": evaluate("int8", OnnxEmbedder(int8, model_dir, **common), work, items),
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
