"""The ingest pipeline against real embedded Chroma and the real model: incremental runs, changed,
deleted and duplicate files, bad inputs with named reasons and exit codes, and `check_index`."""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import pytest
from conftest import copy_seeds, forget_chroma_clients, run_shegong, subprocess_env
from hostile_inputs import (
    ENCODED,
    UTF8_TEXT,
    encoded_bytes,
    scanned_pdf,
    zip_bomb_docx,
)

from ingest.check import check_index
from ingest.kb import KnowledgeBase
from ingest.pipeline import Ingestor, IngestReport

pytestmark = pytest.mark.slow

BEIJING = "baozhi-beijing-kunming-guandu.txt"
TANGSHAN = "baozhi-heilongjiang-jiangsu-tangshan.txt"
OLD_PHRASE = "从200至600元不等"
NEW_PHRASE = "从300至900元不等"


def statuses(report: IngestReport) -> dict[str, str]:
    return {f.source: f.status for f in report.files}


def texts_by_id(kb: KnowledgeBase, source: str | None = None) -> dict[str, str]:
    """{chunk id: text} in Chroma, optionally of one source file."""
    return {
        i: text
        for i, text, meta in kb.store.records(include_documents=True)
        if source is None or meta["source"] == source
    }


def in_chroma(kb: KnowledgeBase, ids: set[str]) -> set[str]:
    return set(kb.store.collection.get(ids=sorted(ids))["ids"]) if ids else set()


def searched_ids(kb: KnowledgeBase, query: str, k: int = 20) -> set[str]:
    """Chunk ids that any search mode returns for a query."""
    modes = ("dense", "lexical", "hybrid")
    return {h.chunk.chunk_id for mode in modes for h in kb.search(query, k=k, mode=mode)}


def ingest(kb: KnowledgeBase) -> IngestReport:
    return Ingestor(kb, progress=False).run()


def test_check_index_finds_nothing_on_a_clean_build(seed_kb, shared_embedder):
    assert check_index(seed_kb.settings, embedder=shared_embedder) == []
    # ...and the lexical index holds exactly Chroma's chunks, at Chroma's version.
    lexical = seed_kb.lexical(force_check=True)
    assert set(lexical.ids) == set(texts_by_id(seed_kb))
    assert lexical.version == seed_kb.store.version()


def test_incremental_runs(tmp_path, make_settings, shared_embedder):
    corpus = copy_seeds(tmp_path / "corpus", [BEIJING, TANGSHAN])
    settings = make_settings(corpus_dir=corpus)
    kb = KnowledgeBase(settings, embedder=shared_embedder)

    first = ingest(kb)
    assert statuses(first) == {BEIJING: "indexed", TANGSHAN: "indexed"}
    assert not first.failed
    before = texts_by_id(kb)
    assert len(before) == sum(f.chunks for f in first.files)
    assert check_index(settings, embedder=shared_embedder) == []

    # A second run skips everything and changes nothing, not even the version.
    version = kb.store.version()
    second = ingest(kb)
    assert statuses(second) == {BEIJING: "skipped", TANGSHAN: "skipped"}
    assert texts_by_id(kb) == before
    assert kb.store.version() == version

    # A changed file replaces exactly its changed chunks; the other file is untouched.
    path = corpus / TANGSHAN
    path.write_text(path.read_text(encoding="utf-8").replace(OLD_PHRASE, NEW_PHRASE), "utf-8")
    old_tangshan = texts_by_id(kb, TANGSHAN)
    third = ingest(kb)
    assert statuses(third) == {BEIJING: "skipped", TANGSHAN: "indexed"}
    assert kb.store.version() != version
    new_tangshan = texts_by_id(kb, TANGSHAN)
    gone = set(old_tangshan) - set(new_tangshan)
    added = set(new_tangshan) - set(old_tangshan)
    assert gone and added
    assert all(OLD_PHRASE in old_tangshan[i] for i in gone)
    assert all(NEW_PHRASE in new_tangshan[i] for i in added)
    assert texts_by_id(kb, BEIJING) == {i: before[i] for i in texts_by_id(kb, BEIJING)}
    assert in_chroma(kb, gone) == set()
    assert not gone & set(kb.lexical().ids)
    assert not gone & searched_ids(kb, "唐山工会社会工作者证书补贴从200至600元不等")
    hits = kb.search("唐山工会社会工作者证书补贴从300至900元", k=3, mode="lexical")
    assert hits[0].chunk.chunk_id in added and NEW_PHRASE in hits[0].chunk.text
    assert check_index(settings, embedder=shared_embedder) == []

    # A deleted file's chunks leave Chroma, the lexical index and the search results.
    beijing_ids = set(texts_by_id(kb, BEIJING))
    (corpus / BEIJING).unlink()
    fourth = ingest(kb)
    assert statuses(fourth) == {TANGSHAN: "skipped", BEIJING: "removed"}
    assert in_chroma(kb, beijing_ids) == set()
    assert not beijing_ids & set(kb.lexical().ids)
    hits = kb.search("北京市已有920家社会工作服务机构,持证社工3.91万", k=10)
    assert hits and all(h.chunk.source != BEIJING for h in hits)
    assert check_index(settings, embedder=shared_embedder) == []


def test_same_file_under_two_names_is_indexed_once(tmp_path, make_settings, shared_embedder):
    corpus = copy_seeds(tmp_path / "corpus", [TANGSHAN])
    shutil.copy(corpus / TANGSHAN, corpus / "zz-copy.txt")
    settings = make_settings(corpus_dir=corpus)
    kb = KnowledgeBase(settings, embedder=shared_embedder)

    report = ingest(kb)
    assert statuses(report) == {TANGSHAN: "indexed", "zz-copy.txt": "duplicate"}
    (dup,) = [f for f in report.files if f.status == "duplicate"]
    assert TANGSHAN in dup.reason
    assert not report.failed
    assert {m["source"] for _, _, m in kb.store.records()} == {TANGSHAN}
    assert check_index(settings, embedder=shared_embedder) == []
    # Unchanged, the copy stays a duplicate on the next run.
    assert statuses(ingest(kb)) == {TANGSHAN: "skipped", "zz-copy.txt": "duplicate"}


@pytest.mark.parametrize("copy_name", ["aa-copy.txt", "zz-copy.txt"])
def test_duplicate_whose_twin_changes_gets_indexed(
    tmp_path, make_settings, shared_embedder, copy_name
):
    """When the indexed twin changes, the copy is the only holder of that content left: whichever
    order the two files come in, the same run must index the copy."""
    corpus = copy_seeds(tmp_path / "corpus", [TANGSHAN])
    shutil.copy(corpus / TANGSHAN, corpus / copy_name)
    settings = make_settings(corpus_dir=corpus)
    kb = KnowledgeBase(settings, embedder=shared_embedder)
    first = ingest(kb)
    assert sorted(statuses(first).values()) == ["duplicate", "indexed"]
    twin = next(f.source for f in first.files if f.status == "indexed")
    path = corpus / twin
    path.write_text(path.read_text(encoding="utf-8").replace(OLD_PHRASE, NEW_PHRASE), "utf-8")

    # The twin is reindexed with its new text; the copy now holds the old text on its own.
    second = ingest(kb)
    assert statuses(second) == {TANGSHAN: "indexed", copy_name: "indexed"}
    other = copy_name if twin == TANGSHAN else TANGSHAN
    assert any(OLD_PHRASE in t for t in texts_by_id(kb, other).values())
    assert not any(OLD_PHRASE in t for t in texts_by_id(kb, twin).values())
    assert {m["source"] for _, _, m in kb.store.records()} == {TANGSHAN, copy_name}
    assert check_index(settings, embedder=shared_embedder) == []


# --- bad inputs, through the command line ----------------------------------------------------

# name -> (status, reason code) after the first run
EXPECTED = {
    "plain-utf8.txt": ("已入库", ""),
    "gb18030.txt": ("已入库", ""),
    "big5.txt": ("已入库", ""),
    "utf16.txt": ("已入库", ""),
    "empty.txt": ("失败", "empty"),
    "random.pdf": ("失败", "corrupt"),
    "random.docx": ("失败", "corrupt"),
    "too-big.txt": ("失败", "too_large"),
    "scanned.pdf": ("失败", "no_text_layer"),
    "bomb.docx": ("失败", "zip_bomb"),
}
LIMIT_MB = 2.0  # the zip bomb (300 MB inflated) is under 2 MB on disk


def write_inputs(corpus: Path) -> None:
    corpus.mkdir(parents=True)
    rng = random.Random(7)
    (corpus / "plain-utf8.txt").write_text(UTF8_TEXT, encoding="utf-8")
    for name, _, _ in ENCODED:
        (corpus / name).write_bytes(encoded_bytes(name))
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "random.pdf").write_bytes(rng.randbytes(3000))
    (corpus / "random.docx").write_bytes(rng.randbytes(3000))
    (corpus / "too-big.txt").write_text(UTF8_TEXT * 30_000, encoding="utf-8")
    (corpus / "scanned.pdf").write_bytes(scanned_pdf())
    zip_bomb_docx(corpus / "bomb.docx")
    assert (corpus / "too-big.txt").stat().st_size > LIMIT_MB * 1024 * 1024
    assert all(
        p.stat().st_size < LIMIT_MB * 1024 * 1024
        for p in corpus.iterdir()
        if p.name != "too-big.txt"
    )


def test_bad_inputs_named_others_indexed_and_exit_codes(tmp_path, make_settings, shared_embedder):
    corpus = tmp_path / "corpus"
    write_inputs(corpus)
    settings = make_settings(corpus_dir=corpus, max_file_mb=LIMIT_MB)
    env = subprocess_env(settings.data_dir, corpus, SHEGONG_MAX_FILE_MB=str(LIMIT_MB))

    run = run_shegong(["ingest", "--quiet"], env, cwd=tmp_path)
    assert run.returncode == 1, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    for name, (label, code) in EXPECTED.items():
        (line,) = [x for x in lines if re.search(rf"\s{re.escape(name)}(\s|$)", x)]
        assert line.split()[0] == label, line
        if code:
            # Each failure is named with its reason: a code and a Chinese explanation.
            assert f"{code}: " in line, line
            assert re.search(r"[\u4e00-\u9fff]", line.split(f"{code}: ", 1)[1]), line
    assert "失败 6 个" in lines[-1] and "入库 4 个" in lines[-1]

    forget_chroma_clients()
    kb = KnowledgeBase(settings, embedder=shared_embedder)
    assert {m["source"] for _, _, m in kb.store.records()} == {
        "plain-utf8.txt",
        "gb18030.txt",
        "big5.txt",
        "utf16.txt",
    }
    # Each encoding was read correctly: the text is in the index and found by its content.
    for source, text, query in ENCODED:
        stored = "\n".join(texts_by_id(kb, source).values())
        assert text.splitlines()[0] in stored, (source, stored[:80])
        for mode in ("lexical", "dense", "hybrid"):
            assert kb.search(query, k=1, mode=mode)[0].chunk.source == source, (source, mode)
    assert check_index(settings, embedder=shared_embedder) == []

    # Without the bad files every file is indexed: exit code 0, nothing redone.
    for name, (_, code) in EXPECTED.items():
        if code:
            (corpus / name).unlink()
    run = run_shegong(["ingest", "--quiet", "--verbose"], env, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "失败 0 个" in run.stdout and "未变跳过 4 个" in run.stdout
    assert check_index(settings, embedder=shared_embedder) == []


# --- check_index finds and repairs problems --------------------------------------------------


def test_check_index_reports_and_repairs(tmp_path, make_settings, shared_embedder):
    corpus = copy_seeds(tmp_path / "corpus", [BEIJING, TANGSHAN])
    settings = make_settings(corpus_dir=corpus)
    kb = KnowledgeBase(settings, embedder=shared_embedder)
    ingest(kb)
    clean = texts_by_id(kb)
    assert check_index(settings, embedder=shared_embedder) == []

    # Break it in every way the check looks for.
    beijing = sorted(texts_by_id(kb, BEIJING))
    kb.store.delete(beijing[:2])  # chunks lost (a killed run, a manual delete)
    orphan_source = "gone-file.txt"
    got = kb.store.collection.get(limit=1, include=["metadatas", "embeddings"])
    kb.store.collection.upsert(
        ids=["orphan0000"],
        documents=["孤立分段"],
        embeddings=[list(got["embeddings"][0])],
        metadatas=[got["metadatas"][0] | {"source": orphan_source}],
    )
    path = corpus / TANGSHAN
    path.write_text(path.read_text(encoding="utf-8").replace(OLD_PHRASE, NEW_PHRASE), "utf-8")
    shutil.copy(corpus / BEIJING, corpus / "new-file.md")
    (corpus / BEIJING).write_text("", encoding="utf-8")  # now fails to load: old chunks stale
    kb.lexical_path.unlink()

    problems = check_index(settings, embedder=shared_embedder)
    text = "\n".join(problems)
    assert f"{TANGSHAN}:文件已修改" in text
    assert f"{orphan_source}:文件已不存在" in text
    assert f"{BEIJING}:文件现已无法入库" in text and "empty" in text
    assert "new-file.md:未入库" in text
    assert "词法索引文件" in text

    assert check_index(settings, repair=True, embedder=shared_embedder) == []
    assert check_index(settings, embedder=shared_embedder) == []
    repaired = KnowledgeBase(settings, embedder=shared_embedder)
    sources = {m["source"] for _, _, m in repaired.store.records()}
    assert sources == {TANGSHAN, "new-file.md"}
    assert set(repaired.lexical().ids) == set(texts_by_id(repaired))
    # The repaired file's chunks are today's; none of the old ids of changed files survive.
    assert not (set(texts_by_id(repaired)) & (set(clean) - set(texts_by_id(repaired, TANGSHAN))))


def test_check_index_sees_a_stale_lexical_index(tmp_path, make_settings, shared_embedder):
    corpus = copy_seeds(tmp_path / "corpus", [TANGSHAN])
    settings = make_settings(corpus_dir=corpus)
    kb = KnowledgeBase(settings, embedder=shared_embedder)
    ingest(kb)
    saved = kb.lexical()
    # Chroma changes behind the saved index's back (another writer died before bumping).
    victim = saved.ids[0]
    kb.store.delete([victim])
    problems = check_index(settings, embedder=shared_embedder)
    assert any("词法索引中有 1 段在 Chroma 中不存在" in p for p in problems), problems
    assert any(f"{TANGSHAN}:缺少 1 段" in p for p in problems), problems
    assert check_index(settings, repair=True, embedder=shared_embedder) == []
