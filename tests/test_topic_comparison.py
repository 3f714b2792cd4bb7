"""Two things asked about side by side ("A和B分别…"): each side answered from its own evidence."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.question import topic_sides

REAL_DOCS = Path(__file__).resolve().parents[2] / "shared" / "real-docs"


@pytest.mark.parametrize(
    ("question", "sides"),
    [
        (
            "设立慈善组织和登记民办非企业单位，登记机关分别要在多少日内作出决定？",
            [
                ("设立慈善组织", "设立慈善组织，登记机关要在多少日内作出决定？"),
                ("登记民办非企业单位", "登记民办非企业单位，登记机关要在多少日内作出决定？"),
            ],
        ),
        (
            "到2020年，社会工作专业人才和禁毒社会工作者的总量目标各是多少？",
            [
                ("社会工作专业人才", "到2020年，社会工作专业人才的总量目标是多少？"),
                ("禁毒社会工作者", "到2020年，禁毒社会工作者的总量目标是多少？"),
            ],
        ),
        ("助理社会工作师与社会工作师的继续教育分别要多少小时？", [
            ("助理社会工作师", "助理社会工作师的继续教育要多少小时？"),
            ("社会工作师", "社会工作师的继续教育要多少小时？"),
        ]),
        # Not two sides: one thing asked, or two things without 分别/各.
        ("特困人员供养标准由哪一级政府来定？", []),
        ("慈善组织和志愿服务组织有什么关系？", []),
    ],
)  # fmt: skip
def test_the_sides_of_a_question_that_asks_about_two_things(question, sides):
    assert topic_sides(question) == sides


@pytest.mark.slow
@pytest.mark.skipif(not REAL_DOCS.is_dir(), reason=f"{REAL_DOCS} is absent")
def test_each_side_is_answered_from_its_own_document(make_settings, shared_embedder, tmp_path):
    from bot.chain import AnswerChain
    from ingest.kb import KnowledgeBase
    from ingest.pipeline import Ingestor

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("cishan-fa-2023.md", "minban-feiqiye-danwei-dengji-tiaoli-1998.md"):
        shutil.copy2(REAL_DOCS / name, corpus / name)
    settings = make_settings(corpus_dir=corpus)
    kb = KnowledgeBase(settings, embedder=shared_embedder)
    assert not Ingestor(kb, progress=False).run().failed
    answer = AnswerChain(settings, kb).invoke(
        {"question": "设立慈善组织和登记民办非企业单位，登记机关分别要在多少日内作出决定？"}
    )
    assert not answer.refused
    rows = answer.answer.splitlines()
    assert rows[0] == "| 所问 | 规定或数据 | 来源 |"
    charity = next(r for r in rows if r.startswith("| 设立慈善组织 |"))
    civil = next(r for r in rows if r.startswith("| 登记民办非企业单位 |"))
    assert "三十日内" in charity and "《慈善法》" in charity
    assert "60日内" in civil and "民办非企业单位登记管理暂行条例" in civil
    assert {c.source for c in answer.citations} == {
        "cishan-fa-2023.md",
        "minban-feiqiye-danwei-dengji-tiaoli-1998.md",
    }
