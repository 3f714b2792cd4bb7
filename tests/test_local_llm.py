"""The packaged local model (Qwen2.5-Coder-1.5B-Instruct Q4_K_M, run in-process by llama.cpp)
answering three seed questions: every citation is an exact span of retrieved evidence, and no
number reaches the answer that its cited chunks do not hold. Minutes on 2 cores."""

from __future__ import annotations

import pytest
from llm_server import llama_cpp_installed

from bot.answer_types import Answer
from bot.cite import MARKER
from bot.grounding import numbers_in
from bot.service import QAService
from ingest.kb import KnowledgeBase
from ingest.settings import AnswererKind

pytestmark = [pytest.mark.local_llm, pytest.mark.slow]

QUESTIONS = [
    "甘肃省到2025年持证社工的目标是多少?",
    "唐山市工会社会工作者每月工资能涨多少?",
    "甘肃和黑龙江的持证社工目标分别是多少?",  # a comparison
]


@pytest.fixture(scope="module")
def answers(seed_kb: KnowledgeBase) -> list[Answer]:
    if not llama_cpp_installed():
        pytest.skip("llama-cpp-python is not installed (run `make llm`)")
    settings = seed_kb.settings.model_copy(
        update={"answerer": AnswererKind.LLM, "llm_base_url": None, "llm_timeout_s": 240}
    )
    service = QAService(settings, kb=seed_kb)
    found = [service.ask(q) for q in QUESTIONS]
    for a in found:
        print(f"\n{a.question}\n{a.answer}\n{a.timings_ms}\n{a.warnings}")
    return found


def _from_llm(answer: Answer) -> bool:
    return not any("摘录式回答" in w for w in answer.warnings)


def test_the_local_model_writes_answers_with_exact_citations(answers: list[Answer]) -> None:
    written = [a for a in answers if _from_llm(a)]
    assert written, [a.warnings for a in answers]  # at least one answer is the model's own
    for a in answers:
        assert not a.refused and a.citations, a.answer
        n_evidence = len(a.evidence)
        assert all(1 <= int(n) <= n_evidence for n in MARKER.findall(a.answer)), a.answer
        for c in a.citations:
            assert c.text == a.evidence[c.n - 1].chunk.text
            assert c.quote and c.quote in c.text


def test_no_number_reaches_an_answer_that_its_cited_chunks_lack(answers: list[Answer]) -> None:
    """Nor does the quoted comparison table's source column state any but its documents'
    numbers and dates."""
    for a in answers:
        cited = " ".join(" ".join([c.text, c.title, c.doc_number, c.date]) for c in a.citations)
        assert numbers_in(a.answer) <= numbers_in(cited), (a.answer, numbers_in(a.answer))


def test_the_model_answer_streams_before_it_is_complete(answers: list[Answer]) -> None:
    for a in filter(_from_llm, answers):
        assert a.timings_ms["first_sentence"] < a.timings_ms["total"], a.timings_ms
