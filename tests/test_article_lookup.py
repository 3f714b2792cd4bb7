"""A question naming an article of a law ("第二十五条", "第25条") finds that article first."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.question import analyse, article_named
from bot.retrieve import retrieve

REAL_DOCS = Path(__file__).resolve().parent.parent.parent / "shared" / "real-docs"
# Two laws that share article numbers with a third text about the same subject, and a fourth.
LAWS = (
    "shequ-jiaozheng-fa-2019.md",
    "shequ-jiaozheng-fa-shishi-banfa-2020.md",
    "cishan-fa-2023.md",
    "fan-jiating-baoli-fa-2015.md",
)


@pytest.mark.parametrize(
    ("question", "article"),
    [
        ("社区矫正法第二十五条怎么规定的?", "第二十五条"),
        ("第25条说了什么", "第二十五条"),
        ("慈善法第 101 条", "第一百零一条"),
        ("第一百一十条", "第一百一十条"),
        ("社工站有哪些条件?", ""),
    ],
)
def test_the_article_a_question_names_is_read_in_either_numerals(question: str, article: str):
    assert article_named(question) == article


@pytest.fixture(scope="module")
def law_kb(make_settings, shared_embedder, tmp_path_factory: pytest.TempPathFactory):
    from ingest.kb import KnowledgeBase
    from ingest.pipeline import Ingestor

    corpus = tmp_path_factory.mktemp("laws")
    for name in LAWS:
        shutil.copy2(REAL_DOCS / name, corpus / name)
    kb = KnowledgeBase(make_settings(corpus_dir=corpus), embedder=shared_embedder)
    assert not Ingestor(kb, progress=False).run().failed
    return kb


@pytest.mark.slow
@pytest.mark.skipif(not REAL_DOCS.is_dir(), reason=f"{REAL_DOCS} is absent")
@pytest.mark.parametrize(
    ("question", "law", "article"),
    [
        ("社区矫正法第二十五条怎么规定的?", "社区矫正法", "第二十五条"),
        ("社区矫正法第25条", "社区矫正法", "第二十五条"),
        ("社区矫正法实施办法第十条是什么内容", "社区矫正法实施办法", "第十条"),
        ("社区矫正法实施办法第30条", "社区矫正法实施办法", "第三十条"),
        ("慈善法第六十一条", "慈善法", "第六十一条"),
        ("慈善法第8条讲的是什么", "慈善法", "第八条"),
        ("慈善法第一百零一条", "慈善法", "第一百零一条"),
        ("反家庭暴力法第二十三条", "反家庭暴力法", "第二十三条"),
        ("反家暴法第2条", "反家庭暴力法", "第二条"),
        ("反家庭暴力法第十六条是怎么规定的?", "反家庭暴力法", "第十六条"),
    ],
)
def test_an_article_number_question_ranks_that_article_first(law_kb, question, law, article):
    top = retrieve(law_kb, analyse(question), k=8)[0].chunk
    assert top.section.startswith(f"《{law}》") and top.section.endswith(f" > {article}")
