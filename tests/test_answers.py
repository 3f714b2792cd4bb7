"""Behaviour of the answering chain on the seed corpus: grounded answers, citations, refusals."""

from __future__ import annotations

import json
import re

import pytest

from bot.service import QAService, QuestionTooLong
from ingest.kb import KnowledgeBase
from ingest.normalize import compact

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def service(seed_kb: KnowledgeBase) -> QAService:
    return QAService(seed_kb.settings, kb=seed_kb)


def test_number_question_is_answered_with_the_exact_cited_sentence(service: QAService) -> None:
    answer = service.ask("考了社工证在唐山工会每月能多拿多少?")
    assert not answer.refused
    assert "200至600元" in answer.answer
    assert re.search(r"\[1\]", answer.answer)
    cite = answer.citations[0]
    assert cite.source == "baozhi-heilongjiang-jiangsu-tangshan.txt"
    assert cite.quote in cite.text  # the quote is an exact span of the cited chunk
    retrieved = [e.chunk.text for e in answer.evidence]
    assert cite.text in retrieved  # and the chunk was retrieved


def test_unanswerable_question_is_refused_with_related_clauses(service: QAService) -> None:
    answer = service.ask("广东省社工站覆盖率是多少?")
    assert answer.refused
    assert answer.answer.startswith("资料中没有找到")
    assert answer.citations, "a refusal still shows the nearest related clauses"


def test_comparison_answers_each_region_with_its_own_citation(service: QAService) -> None:
    answer = service.ask("甘肃和黑龙江的持证社工目标分别是多少?")
    assert not answer.refused
    rows = answer.answer.splitlines()[2:]  # below the table's head and rule
    assert rows[0].startswith("| 甘肃 |") and "1万" in rows[0] and "[1]" in rows[0]
    assert rows[1].startswith("| 黑龙江 |") and "三万" in rows[1] and "[2]" in rows[1]
    assert {c.source for c in answer.citations} == {
        "gansu-ganminfa-2021-97.txt",
        "baozhi-heilongjiang-jiangsu-tangshan.txt",
    }


def test_comparison_says_which_region_the_documents_are_silent_about(service: QAService) -> None:
    answer = service.ask("甘肃和广东的持证社工目标分别是多少?")
    assert not answer.refused
    rows = answer.answer.splitlines()[2:]
    assert rows[0].startswith("| 甘肃 |") and "1万" in rows[0]
    assert rows[1] == "| 广东 | 资料未提及 | — |"
    assert all(c.source == "gansu-ganminfa-2021-97.txt" for c in answer.citations)


def test_follow_up_is_condensed_with_the_earlier_question(service: QAService) -> None:
    history = [{"role": "user", "content": "甘肃的持证社工目标是多少?"}]
    answer = service.ask("那黑龙江呢?", history=history)
    assert "黑龙江" in answer.standalone_question
    assert "三万" in answer.answer


def test_simplified_question_about_the_traditional_text_is_answered_in_simplified_quoting_it(
    service: QAService,
) -> None:
    answer = service.ask("社会工作的定义是什么?")
    assert "帮助人和解决社会问题" in answer.answer  # the asker's script
    cited = answer.citations[0]
    assert cited.source == "mianyang-rencai-duiwu-wupian.txt"
    assert "幫助人和解決社會問題" in cited.quote and cited.quote in cited.text  # the document's


def test_traditional_question_finds_the_simplified_text(service: QAService) -> None:
    answer = service.ask("甘肅省持證社工的目標是多少?")
    assert "1万" in compact(answer.answer)


def test_list_question_gathers_the_items_that_follow_an_opening_sentence(
    service: QAService,
) -> None:
    answer = service.ask("江苏社工站党建示范点要从哪五个方面建设?")
    for item in ("组织建设有力", "制度机制健全", "先锋力量集聚"):
        assert item in answer.answer


def test_json_object_follows_the_design_contract(service: QAService) -> None:
    data = service.ask("甘民发〔2021〕97号对社会工作服务站建设有什么要求?").to_json()
    assert {"question", "answer", "refused", "citations", "retrieved", "timings_ms"} <= set(data)
    assert len(data["retrieved"]) >= 5
    assert [r["rank"] for r in data["retrieved"]] == sorted(r["rank"] for r in data["retrieved"])
    for c in data["citations"]:
        assert {"n", "doc_id", "title", "source", "section", "text", "quote"} <= set(c)
        assert c["quote"] in c["text"]
    assert {"retrieve", "answer", "total"} <= set(data["timings_ms"])
    assert data["retrieved"][0]["source"] == "gansu-ganminfa-2021-97.txt"
    json.dumps(data, ensure_ascii=False)


@pytest.mark.parametrize("question", ["", "   ", "?!。,,", "🙂🙂🙂"])
def test_questions_without_words_get_a_clear_message(service: QAService, question: str) -> None:
    answer = service.ask(question)
    assert answer.refused
    assert "请输入" in answer.answer


@pytest.mark.parametrize(
    "question",
    [
        "社工站" * 300,  # 900 characters, just under the default limit
        "<script>alert(1)</script>社工站要达到哪些要求?",
        "'; DROP TABLE chunks; -- 社工证补贴多少",
        "What is the 社工站 coverage in 黔西南州?",
    ],
)
def test_odd_questions_are_answered_or_refused_without_error(
    service: QAService, question: str
) -> None:
    answer = service.ask(question)
    assert isinstance(answer.answer, str) and answer.answer
    for c in answer.citations:
        assert c.quote in c.text


def test_a_question_over_the_length_limit_is_refused_with_its_length_and_the_limit(
    service: QAService,
) -> None:
    with pytest.raises(QuestionTooLong) as raised:
        service.ask("社工站" * 3400)
    assert "10200" in str(raised.value)
    assert str(service.settings.max_question_chars) in str(raised.value)


def test_chain_works_as_a_langchain_runnable(service: QAService) -> None:
    chain = service.chain
    one = chain.invoke({"question": "北京有多少持证社工?"})
    many = chain.batch([{"question": "北京有多少持证社工?"}, {"question": "广东社工站有多少?"}])
    streamed = list(chain.stream({"question": "北京有多少持证社工?"}))
    assert "3.91万" in one.answer
    assert [a.refused for a in many] == [False, True]
    assert streamed[-1].answer == one.answer


def test_stream_yields_text_then_the_final_answer(service: QAService) -> None:
    pieces = list(service.stream("北京有多少持证社工?"))
    assert all(isinstance(p, str) for p in pieces[:-1])
    assert "".join(pieces[:-1]) == pieces[-1].answer
