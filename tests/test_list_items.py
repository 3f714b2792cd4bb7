"""A list whose items are sections of their own ((四)…(七) under "二、明确…职责任务") is answered
with every item's opening sentence, in order, from the real 禁毒社会工作者 opinion."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.extractive import extract
from bot.question import analyse
from ingest.parse import parse_text
from ingest.schema import Evidence
from ingest.split import split_document

REAL_DOCS = Path(__file__).resolve().parents[2] / "shared" / "real-docs"
OPINION = REAL_DOCS / "jindu-shegong-duiwu-yijian-2017.md"
DUTIES = "二、明确禁毒社会工作者的职责任务"

pytestmark = pytest.mark.skipif(not OPINION.is_file(), reason=f"{OPINION} is absent")


def _chunks():
    (doc,) = parse_text(OPINION.name, OPINION.read_text("utf-8"), "hash", {})
    return split_document(doc, 320, 60)


def test_a_list_question_gets_every_item_of_the_section_in_order():
    chunks = _chunks()
    items = [c for c in chunks if f"> {DUTIES} > " in c.section]
    assert len({c.section for c in items}) == 4, "the opinion lists four duties"
    # Retrieval found the sixth and seventh items; the fourth and fifth come as siblings.
    later = [c for c in items if "（六）" in c.section or "（七）" in c.section]
    retrieved = [Evidence(c, 1.0, i) for i, c in enumerate(later, start=1)]
    siblings = [Evidence(c, 0.0, 10 + i) for i, c in enumerate(items) if c not in later]
    found = extract(analyse("禁毒社会工作者的职责任务主要有哪几项？"), retrieved, 0.2, siblings)
    ((_, sentences),) = found.parts
    assert [s.text[:3] for s in sentences] == ["（四）", "（五）", "（六）", "（七）"]
    assert sentences[0].text == "（四）提供戒毒康复服务。"


def test_a_question_that_is_not_a_list_keeps_its_one_item():
    chunks = _chunks()
    item = next(c for c in chunks if c.section.endswith("（五）开展帮扶救助服务"))
    found = extract(analyse("禁毒社会工作者怎么开展帮扶救助服务？"), [Evidence(item, 1.0, 1)], 0.2)
    assert not found.refused
    texts = [s.text for _, sentences in found.parts for s in sentences]
    assert not any(t.startswith(("（四）", "（六）")) for t in texts)


ASSISTANCE = REAL_DOCS / "zhejiang-shehui-jiuzhu-tiaoli-2020.md"


@pytest.mark.skipif(not ASSISTANCE.is_file(), reason=f"{ASSISTANCE} is absent")
def test_a_list_question_is_answered_by_the_lead_in_and_its_items():
    """ "有下列情形之一的，应当停止救助：" with (一)…(五) answers "哪些情形…停止救助", even when a
    sentence of another article shares more words with the question."""
    (doc,) = parse_text(ASSISTANCE.name, ASSISTANCE.read_text("utf-8"), "hash", {})
    chunks = split_document(doc, 320, 60)
    report = next(c for c in chunks if c.section.endswith("第四十八条"))
    stop = next(c for c in chunks if c.section.endswith("第五十一条"))
    evidence = [Evidence(stop, 1.0, 1), Evidence(report, 1.0, 2)]
    found = extract(analyse("领着社会救助的家庭碰到哪些情形会被停止救助？"), evidence, 0.2)
    ((_, sentences),) = found.parts
    assert sentences[0].text.endswith("有下列情形之一的，应当停止救助：")
    assert [s.text[:3] for s in sentences[1:6]] == [
        "（一）",
        "（二）",
        "（三）",
        "（四）",
        "（五）",
    ]
