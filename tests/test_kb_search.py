"""KnowledgeBase.search over the indexed seeds: dense, lexical and hybrid, with filters."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow

BEIJING = "baozhi-beijing-kunming-guandu.txt"
TANGSHAN = "baozhi-heilongjiang-jiangsu-tangshan.txt"
GANSU = "gansu-ganminfa-2021-97.txt"
GUIZHOU = "guizhou-qianxinan-shegongzhan.md"
SEED_002 = "mianyang-rencai-duiwu-wupian.txt"
MODES = ("dense", "lexical", "hybrid")

# question -> (doc_id it must find, a phrase the right chunk contains)
QUESTIONS = {
    "唐山工会社会工作者证书补贴多少": (f"{TANGSHAN}#3", "补贴,从200至600元不等"),
    # Simplified questions about the traditional-Chinese seed 002.
    "台州市社会工作人才队伍建设对策": (f"{SEED_002}#3", "臺州"),
    "全省民政系统社会工作人才队伍建设调研提纲": (f"{SEED_002}#2", "調研提綱"),
    "黔西南州乡镇社工站覆盖率达到多少": (f"{GUIZHOU}#1", "72%"),
    "昆明市官渡区社会工作服务项目管理平台": (f"{BEIJING}#2", "官渡区"),
    "甘肃社会工作者职业水平考试怎么组织": (f"{GANSU}#1", "社会工作者职业水平考试"),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("question", list(QUESTIONS))
def test_each_mode_finds_the_right_chunk(seed_kb, question, mode):
    doc_id, phrase = QUESTIONS[question]
    hits = seed_kb.search(question, k=5, mode=mode)
    assert hits, (question, mode)
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    top3 = hits[:3]
    assert hits[0].chunk.doc_id == doc_id, [(h.chunk.doc_id, h.chunk.section) for h in hits]
    assert any(h.chunk.doc_id == doc_id and phrase in h.chunk.text for h in top3), [
        h.chunk.text[:50] for h in top3
    ]


def test_gansu_question_lands_in_its_section(seed_kb):
    hits = seed_kb.search("推行社会工作者职业水平评价制度", k=3, mode="hybrid")
    assert "(六)推行社会工作者职业水平评价制度" in hits[0].chunk.section
    assert hits[0].chunk.meta.doc_number == "甘民发〔2021〕97号"


def test_hybrid_records_both_ranks(seed_kb):
    hits = seed_kb.search("唐山工会社会工作者证书补贴多少", k=5, mode="hybrid")
    assert hits[0].dense_rank >= 1 and hits[0].lexical_rank >= 1
    dense = seed_kb.search("唐山工会社会工作者证书补贴多少", k=5, mode="dense")
    lexical = seed_kb.search("唐山工会社会工作者证书补贴多少", k=5, mode="lexical")
    assert all(h.lexical_rank == 0 and h.dense_rank == h.rank for h in dense)
    assert all(h.dense_rank == 0 and h.lexical_rank == h.rank for h in lexical)


def test_traditional_and_simplified_queries_search_alike(seed_kb):
    simplified = seed_kb.search("台州市社会工作人才队伍建设", k=5, mode="lexical")
    traditional = seed_kb.search("臺州市社會工作人才隊伍建設", k=5, mode="lexical")
    assert [h.chunk.chunk_id for h in simplified] == [h.chunk.chunk_id for h in traditional]
    assert [h.score for h in simplified] == pytest.approx([h.score for h in traditional])


@pytest.mark.parametrize("mode", MODES)
def test_region_filter_restricts_results(seed_kb, mode):
    question = "社工站建设和社会工作人才队伍"
    unfiltered = seed_kb.search(question, k=10, mode=mode)
    assert {h.chunk.meta.province for h in unfiltered} - {"甘肃"}, "the test needs other regions"
    gansu = seed_kb.search(question, k=10, filters={"region": "甘肃"}, mode=mode)
    assert gansu and all(h.chunk.meta.province == "甘肃" for h in gansu)
    # A city matches too: only the 唐山 report is about 唐山.
    tangshan = seed_kb.search(question, k=10, filters={"region": "唐山"}, mode=mode)
    assert tangshan and {h.chunk.doc_id for h in tangshan} == {f"{TANGSHAN}#3"}
    # A document covering a second region is found under it too: 台州's report has a part on
    # 资阳 (四川), named five times.
    ziyang = seed_kb.search(question, k=10, filters={"region": "资阳"}, mode=mode)
    assert ziyang and {h.chunk.doc_id for h in ziyang} == {f"{SEED_002}#3"}
    sichuan = {h.chunk.doc_id for h in seed_kb.search(question, k=30, filters={"region": "四川"})}
    assert f"{SEED_002}#3" in sichuan and f"{SEED_002}#1" in sichuan
    # A region nobody wrote about gives nothing rather than other regions.
    assert seed_kb.search(question, k=10, filters={"region": "西藏"}, mode=mode) == []


def test_doc_filter_and_empty_query(seed_kb):
    hits = seed_kb.search("社会工作", k=8, filters={"doc_id": f"{SEED_002}#5"})
    assert hits and {h.chunk.doc_id for h in hits} == {f"{SEED_002}#5"}
    assert seed_kb.search("   ", k=5) == []


def test_evidence_carries_source_offsets_and_metadata(seed_kb):
    (hit,) = seed_kb.search("唐山工会社会工作者证书补贴多少", k=1)
    chunk = hit.chunk
    assert chunk.source == TANGSHAN
    assert (chunk.meta.province, chunk.meta.city) == ("河北", "唐山")
    assert chunk.end - chunk.start == len(chunk.text)
    # The same chunk is in the lexical index, identical to what Chroma returned.
    lex = seed_kb.lexical()
    row = lex.ids.index(chunk.chunk_id)
    assert lex.chunk(row) == chunk


def test_following_gives_the_next_chunks_of_the_same_document_in_order(seed_kb):
    lex = seed_kb.lexical()
    doc = f"{GANSU}#1"
    in_doc = sorted((int(m["start"]), row) for row, m in enumerate(lex.metas) if m["doc_id"] == doc)
    first = lex.chunk(in_doc[0][1])
    nxt = seed_kb.following(first, 3)
    assert [c.chunk_id for c in nxt] == [lex.ids[row] for _, row in in_doc[1:4]]
    assert all(c.doc_id == doc and c.start >= first.end - 1 for c in nxt)
    last = lex.chunk(in_doc[-1][1])
    assert seed_kb.following(last, 3) == []


def test_unknown_filter_field_is_an_error_not_an_empty_result(seed_kb):
    with pytest.raises(ValueError, match="cannot filter"):
        seed_kb.search("社会工作", k=3, filters={"colour": "red"}, mode="lexical")


def test_lexical_index_saved_by_older_code_is_rebuilt(tmp_path, seed_kb):
    from ingest.lexical import LexicalIndex

    saved = tmp_path / "lexical.pkl"
    index = seed_kb.lexical()
    index.save(saved)
    assert LexicalIndex.load(saved) is not None
    index.format = LexicalIndex.FORMAT - 1
    try:
        index.save(saved)
    finally:
        index.format = LexicalIndex.FORMAT
    assert LexicalIndex.load(saved) is None


def test_bm25_scores_equal_those_of_the_bm25s_library(seed_kb):
    import bm25s

    from ingest.lexical import _query_keys, tokenize

    lex = seed_kb.lexical()
    reference = bm25s.BM25()  # Lucene's BM25, k1 1.5, b 0.75, over the same tokens
    reference.index([tokenize(m["search_text"]) or ["<empty>"] for m in lex.metas])
    for question in [*QUESTIONS, "社工社工站社工", "2021年 CBD 3.91万 社区"]:  # repeats, words
        tokens = [t for t in tokenize(question) if t in reference.vocab_dict]
        ours = lex._bm25.scores(lex._bm25.terms(_query_keys(question, lex._words)))
        assert ours == pytest.approx(reference.get_scores(tokens), abs=1e-5), question


def test_index_keys_are_the_tokens_of_tokenize(seed_kb, monkeypatch):
    from collections import Counter

    import ingest.lexical
    from ingest.lexical import _corpus_keys, tokenize

    monkeypatch.setattr(ingest.lexical, "_BATCH", 7)  # texts go through in several batches

    def key(token: str, words: dict[str, int]) -> int:
        if "\u3400" <= token[0] <= "\u9fff":
            return ord(token[0]) if len(token) == 1 else ord(token[0]) * 0x110000 + ord(token[1])
        return -1 - words[token]

    texts = [m["search_text"] for m in seed_kb.lexical().metas] + ["ABC 12 社", "", "。"]
    words: dict[str, int] = {}
    docs, keys = _corpus_keys(texts, words)
    for i, text in enumerate(texts):
        expected = Counter(key(t, words) for t in tokenize(text)) or Counter({0: 1})
        assert Counter(keys[docs == i].tolist()) == expected, text[:30]


class _NearestSpy:
    """Records which Chroma filter each nearest-neighbour call of a store used."""

    def __init__(self, store):
        self.store, self.calls = store, []
        self.nearest = store.nearest

    def __call__(self, vector, k, ids=None, where=None):
        self.calls.append("ids" if ids is not None else "where" if where else "none")
        return self.nearest(vector, k, ids=ids, where=where)


@pytest.mark.parametrize(
    ("oversample", "max_ids", "path"),
    [(5, 20_000, ["none"]), (1, 20_000, ["none", "ids"]), (1, 0, ["none", "where"])],
)
@pytest.mark.parametrize("region", ["甘肃", "唐山", "资阳"])
def test_filtered_dense_search_equals_chromas_filtered_query(
    seed_kb, monkeypatch, oversample, max_ids, path, region
):
    import ingest.kb as kb_module

    monkeypatch.setattr(kb_module, "OVERSAMPLE", oversample)
    monkeypatch.setattr(kb_module, "MAX_ID_FILTER", max_ids)
    spy = _NearestSpy(seed_kb.store)
    monkeypatch.setattr(seed_kb.store, "nearest", spy)
    question = "社会工作专业人才队伍建设的目标"
    hits = seed_kb.search(question, k=10, filters={"region": region}, mode="dense")
    assert spy.calls == path
    vector = seed_kb.embedder.embed_query(question)
    where = kb_module._where({"region": region})
    expected = spy.nearest(vector, len(hits), where=where)
    assert hits and [h.chunk.chunk_id for h in hits] == [cid for cid, _ in expected]
    assert [h.score for h in hits] == pytest.approx([sim for _, sim in expected])


def test_dense_hits_newer_than_the_chunk_table_come_from_chroma(seed_kb):
    import time

    from ingest.kb import KnowledgeBase
    from ingest.lexical import LexicalIndex

    full = seed_kb.lexical()
    question = "唐山工会社会工作者证书补贴多少"
    expected = seed_kb.search(question, k=5, mode="dense")
    kb = KnowledgeBase(seed_kb.settings, embedder=seed_kb.embedder)
    # A table as another process would hold it just before this one's ingest: the hits missing.
    keep = [
        row for row in range(len(full)) if full.ids[row] not in {h.chunk.chunk_id for h in expected}
    ]
    kb._lexical = LexicalIndex(
        [full.ids[r] for r in keep],
        [full.texts[r] for r in keep],
        [full.metas[r] for r in keep],
        full.version,
    )
    kb._checked_at = time.monotonic()
    got = kb.search(question, k=5, mode="dense")
    assert [(h.chunk, h.score) for h in got] == [(h.chunk, h.score) for h in expected]


def test_filtered_dense_search_survives_chunks_deleted_by_another_process(seed_kb, monkeypatch):
    import time

    import ingest.kb as kb_module
    from ingest.kb import KnowledgeBase
    from ingest.lexical import LexicalIndex

    monkeypatch.setattr(kb_module, "OVERSAMPLE", 1)
    full = seed_kb.lexical()
    question, filters = "社会工作专业人才队伍建设的目标", {"region": "唐山"}
    expected = seed_kb.search(question, k=5, filters=filters, mode="dense")
    kb = KnowledgeBase(seed_kb.settings, embedder=seed_kb.embedder)
    # The table still holds a 唐山 chunk that Chroma no longer has; Chroma refuses unknown ids.
    ghost = full.metas[full.ids.index(expected[0].chunk.chunk_id)]
    kb._lexical = LexicalIndex(
        [*full.ids, "deleted-elsewhere"],
        [*full.texts, "已删除"],
        [*full.metas, ghost],
        full.version,
    )
    kb._checked_at = time.monotonic()
    got = kb.search(question, k=5, filters=filters, mode="dense")
    assert [h.chunk.chunk_id for h in got] == [h.chunk.chunk_id for h in expected]


def test_questions_are_answered_from_the_old_table_while_a_change_is_indexed(
    make_settings, shared_embedder, tmp_path, monkeypatch
):
    import threading
    import time

    from conftest import copy_seeds

    from ingest.kb import KnowledgeBase
    from ingest.pipeline import Ingestor

    corpus = copy_seeds(tmp_path / "corpus", [TANGSHAN, GANSU])
    writer = KnowledgeBase(make_settings(corpus_dir=corpus), embedder=shared_embedder)
    Ingestor(writer, progress=False).run()
    reader = KnowledgeBase(writer.settings, embedder=shared_embedder)  # another process
    old = reader.lexical()
    copy_seeds(corpus, [GUIZHOU])
    Ingestor(writer, progress=False).run()
    writer.lexical_path.unlink()  # as in server mode: the reader has to build its own
    started, release = threading.Event(), threading.Event()
    rebuild = reader.rebuild_lexical

    def slow_rebuild(version=None):
        started.set()
        assert release.wait(60)
        return rebuild(version)

    monkeypatch.setattr(reader, "rebuild_lexical", slow_rebuild)
    reader._checked_at = 0.0  # the next search checks the version
    question = "黔西南州乡镇社工站覆盖率达到多少"
    hits = reader.search(question, k=3, mode="lexical")
    assert started.wait(10), "the changed collection is being indexed"
    assert GUIZHOU not in {h.chunk.source for h in hits}
    assert reader.search(question, k=3, mode="lexical") == hits  # not waiting for the build
    release.set()
    deadline = time.monotonic() + 60
    while reader.lexical() is old and time.monotonic() < deadline:
        time.sleep(0.05)
    assert reader.search(question, k=1, mode="lexical")[0].chunk.source == GUIZHOU
    assert reader.lexical().version == writer.store.version()


def test_an_empty_lexical_index_finds_nothing():
    from ingest.lexical import LexicalIndex

    empty = LexicalIndex([], [], [], "0")
    assert len(empty) == 0 and empty.search("社工站 2021", 5) == []
