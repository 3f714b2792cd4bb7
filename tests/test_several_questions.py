"""A message that asks several things ("…要向谁报送？不按规定报送会怎样？"): each question is
answered, the later ones from their own evidence."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REAL_DOCS = Path(__file__).resolve().parents[2] / "shared" / "real-docs"


@pytest.fixture(scope="module")
def charity_chain(make_settings, shared_embedder, tmp_path_factory):
    """The answer chain over the real 慈善法 alone."""
    from bot.chain import AnswerChain
    from ingest.kb import KnowledgeBase
    from ingest.pipeline import Ingestor

    corpus = tmp_path_factory.mktemp("charity") / "corpus"
    corpus.mkdir()
    shutil.copy2(REAL_DOCS / "cishan-fa-2023.md", corpus)
    settings = make_settings(corpus_dir=corpus)
    kb = KnowledgeBase(settings, embedder=shared_embedder)
    assert not Ingestor(kb, progress=False).run().failed
    return AnswerChain(settings, kb)


@pytest.mark.slow
@pytest.mark.skipif(not REAL_DOCS.is_dir(), reason=f"{REAL_DOCS} is absent")
@pytest.mark.parametrize(
    ("question", "first", "later"),
    [
        # The duty stands in one article, the sanction for breaking it in the penalty chapter.
        (
            "慈善组织的年度工作报告要向谁报送？不按规定报送会怎样？",
            "报送年度工作报告和财务会计报告",
            "未依法报送年度工作报告",
        ),
        # One question: the answer is its own article, nothing from the penalty chapter.
        ("慈善组织的年度工作报告要向谁报送？", "报送年度工作报告和财务会计报告", ""),
    ],
)
def test_each_question_of_a_message_is_answered(charity_chain, question, first, later) -> None:
    answer = charity_chain.invoke({"question": question})
    assert not answer.refused
    assert first in answer.answer
    if later:
        assert later in answer.answer
        assert any(later in c.text for c in answer.citations)
    else:
        assert "未依法报送年度工作报告" not in answer.answer
