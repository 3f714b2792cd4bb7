"""The faster CPU path: the e5 model exported to ONNX and quantised to int8, run by ONNX Runtime.

Measured on 2 AVX2 cores (`python -m evals.bench_embed_backends`): about 1.2-1.6x torch's
passages/s, min cosine 0.98 to the torch vectors on the seed chunks, and the evaluation's
retrieval and answer metrics unchanged.
Opt-in (SHEGONG_EMBED_BACKEND=onnx-int8): torch stays the default the gates were set with.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

INT8_NAME = "model.int8.onnx"


def export_int8(model_dir: Path) -> Path:
    """The int8 ONNX file of a sentence-transformers model dir (mean pooling and normalisation
    inside the graph), exported once next to the model and reused."""
    target = model_dir / "onnx" / INT8_NAME
    if target.exists():
        return target
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(model_dir), device="cpu")

    class Pooled(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask)
            states = hidden.last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(states.dtype)
            mean = (states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, dim=-1)

    target.parent.mkdir(parents=True, exist_ok=True)
    fp32 = target.with_name(f"fp32-{os.getpid()}.onnx")
    partial = target.with_name(f"int8-{os.getpid()}.onnx")
    sample = st.tokenizer(["passage: 社工站"], return_tensors="pt")
    axes = {0: "batch", 1: "tokens"}
    try:
        with warnings.catch_warnings():
            # The tracer warns of shapes it freezes; batch and token axes stay dynamic (above).
            warnings.simplefilter("ignore")
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
        quantize_dynamic(str(fp32), str(partial), weight_type=QuantType.QInt8)
        os.replace(partial, target)  # a killed export leaves no half-written model behind
    finally:
        fp32.unlink(missing_ok=True)
        partial.unlink(missing_ok=True)
    return target


class OnnxEncoder:
    """`encode()` like sentence-transformers' for the exported model: unit vectors of texts."""

    def __init__(self, model_dir: Path, threads: int = 0) -> None:
        import onnxruntime as ort
        from transformers import AutoTokenizer

        self._tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self._session = ort.InferenceSession(
            str(export_int8(model_dir)), options, providers=["CPUExecutionProvider"]
        )

    def encode(
        self, texts: list[str], batch_size: int = 16, normalize_embeddings: bool = True
    ) -> np.ndarray:
        """Vectors in the order of `texts`; batches are formed by length to waste less on padding.

        The graph normalises already, so `normalize_embeddings` is accepted and always true.
        """
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        parts = []
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            batch = self._tokenizer(
                [texts[i] for i in rows], padding=True, truncation=True, return_tensors="np"
            )
            feed = {k: batch[k].astype(np.int64) for k in ("input_ids", "attention_mask")}
            parts.append(self._session.run(None, feed)[0])
        if not parts:
            return np.zeros((0, 0), dtype=np.float32)
        out = np.empty((len(texts), parts[0].shape[1]), dtype=np.float32)
        out[order] = np.vstack(parts)
        return out
