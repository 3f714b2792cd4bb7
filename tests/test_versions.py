"""Answers over documents of different dates: newest first, older named with its year, repealed
documents marked, a year asked for used alone (tests/data/versions: four notices written for
these tests, indexed beside the seeds)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import copy_seeds

from bot.service import QAService
from bot.versions import repeal_map, same_lineage
from ingest.kb import KnowledgeBase
from ingest.pipeline import Ingestor
from ingest.schema import DocMeta

VERSIONS = Path(__file__).parent / "data" / "versions"


@pytest.fixture(scope="module")
def service(make_settings, shared_embedder, tmp_path_factory) -> QAService:
    corpus = copy_seeds(tmp_path_factory.mktemp("corpus"))
    for path in VERSIONS.glob("*.txt"):
        shutil.copy2(path, corpus / path.name)
    settings = make_settings(corpus_dir=corpus)
    kb = KnowledgeBase(settings, embedder=shared_embedder)
    report = Ingestor(kb, progress=False).run()
    assert not report.failed, report.files
    return QAService(settings, kb=kb)


def _doc_of(service: QAService, source: str) -> str:
    return next(d["doc_id"] for d in service.documents() if d["source"] == source)


def test_the_repealing_notice_is_linked_to_the_notice_it_repeals(service: QAService) -> None:
    lex = service.kb.lexical()
    repeals = repeal_map(lex.doc_metas())
    old = _doc_of(service, "yichang-chizheng-jiangli-2019.txt")
    new = _doc_of(service, "yichang-chizheng-jiangli-2023.txt")
    assert set(repeals) == {old}
    assert repeals[old].by_doc_id == new
    assert "宜民发〔2023〕12号" in repeals[old].note and "2023-04-10" in repeals[old].note


def test_a_newer_figure_leads_and_the_older_is_named_with_its_year(service: QAService) -> None:
    answer = service.ask("襄阳社区专职社会工作者月工资不低于多少?")
    assert not answer.refused
    first, second = answer.answer.split("\n")[:2]
    assert first.startswith("2024年的材料(最新)") and "3500元" in first
    assert second.startswith("2020年的材料") and "2800元" in second
    dates = [c.date for c in answer.citations]
    assert dates[0] == "2024-03-15" and "2020-06-08" in dates
    assert all(c.issuer == "襄阳市民政局" for c in answer.citations)
    assert not any(c.repealed_by for c in answer.citations)  # the newer one repeals nothing


def test_a_repealed_rule_is_named_after_the_rule_that_replaced_it(service: QAService) -> None:
    answer = service.ask("宜昌取得助理社会工作师证书的一次性奖励多少钱?")
    assert not answer.refused
    first, second = answer.answer.split("\n")[:2]
    assert first.startswith("2023年的材料(最新)") and "2000元" in first
    assert second.startswith("2019年的材料(已被宜民发〔2023〕12号") and "1000元" in second
    old = [c for c in answer.citations if c.source == "yichang-chizheng-jiangli-2019.txt"]
    new = [c for c in answer.citations if c.source == "yichang-chizheng-jiangli-2023.txt"]
    assert old and all(c.repealed_by.startswith("已被宜民发〔2023〕12号") for c in old)
    assert new and not any(c.repealed_by for c in new)
    assert any("请以新文件为准" in w for w in answer.warnings)


def test_a_question_naming_a_year_is_answered_from_that_years_document(
    service: QAService,
) -> None:
    answer = service.ask("2019年宜昌取得助理社会工作师证书奖励多少钱?")
    assert not answer.refused
    assert "1000元" in answer.answer and "2023年的材料" not in answer.answer
    assert {c.source for c in answer.citations} == {"yichang-chizheng-jiangli-2019.txt"}
    # The document is repealed: its citation says so even when it is the one asked for.
    assert answer.citations[0].repealed_by


def test_versions_are_only_documents_of_the_same_place(service: QAService) -> None:
    answer = service.ask("北京有多少持证社工?")
    assert "年的材料" not in answer.answer
    assert len({c.region for c in answer.citations}) == 1


_NOTICE = DocMeta(
    title="襄阳市民政局关于做好社工薪酬保障工作的通知",
    issuer="襄阳市民政局",
    province="湖北",
    city="襄阳",
    date="2020-06-08",
)


@pytest.mark.parametrize(
    ("other", "versions"),
    [
        (replace(_NOTICE, title="襄阳市民政局关于提高社工薪酬的通知", date="2024-03-15"), True),
        (replace(_NOTICE, date="2020-06-08"), False),  # the same date
        (replace(_NOTICE, city="宜昌", issuer="宜昌市民政局", date="2024-03-15"), False),
        (replace(_NOTICE, issuer="襄阳市财政局", date="2024-03-15"), False),
        (replace(_NOTICE, title="襄阳市社会工作促进条例", date="2024-03-15"), False),
        (replace(_NOTICE, date=""), False),
    ],
)
def test_only_the_same_bodys_documents_of_one_kind_and_place_are_versions(
    other: DocMeta, versions: bool
) -> None:
    assert same_lineage(_NOTICE, other) is versions


def test_a_law_and_its_implementing_rules_are_not_versions_of_each_other() -> None:
    law = DocMeta(title="中华人民共和国社区矫正法", issuer="全国人民代表大会常务委员会",
                  province="全国", date="2019-12-28")  # fmt: skip
    rules = replace(law, title="中华人民共和国社区矫正法实施办法", date="2020-07-01")
    assert not same_lineage(law, rules)
