"""Question-and-answer pages, numbered items of notices, and documents covering several regions.

The pages in tests/data/faq are invented (see the README there); the 行动方案 is a real document
read from ../shared/real-docs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.ui_render import library_view, region_choices
from ingest.headings import NUMBERED, QUESTION, parse_heading
from ingest.lexical import LexicalIndex
from ingest.load import load_file
from ingest.parse import parse_text
from ingest.regions import covered_regions
from ingest.schema import Chunk, DocMeta, Document
from ingest.split import split_document
from ingest.store import chunk_metadata

ROOT = Path(__file__).resolve().parent.parent
FAQ = ROOT / "tests" / "data" / "faq"
REAL_DOCS = ROOT.parent / "shared" / "real-docs"


def _documents(path: Path) -> list[Document]:
    return parse_text(path.name, load_file(path, 10**7).text, "hash", {})


def _chunks(path: Path) -> list[Chunk]:
    return [c for d in _documents(path) for c in split_document(d, 320, 60)]


@pytest.mark.parametrize(
    ("line", "level", "title"),
    [
        ("问：社会工作者职业水平证书取得后需要登记吗？", QUESTION, None),
        ("问题3．登记到哪里办理？", QUESTION, None),
        ("Q4：证书遗失了怎么办？", QUESTION, None),
        ("社工证多久要再登记?", QUESTION, None),
        ("1.制定专项规划。各地根据经济社会发展实际，制定规划。", NUMBERED, "1.制定专项规划"),
        ("2、建设支持平台", NUMBERED, "2、建设支持平台"),
        # Not headings: a long paragraph ending in a question, a decimal, a dated line, an item
        # with no short title of its own, an answer.
        ("为什么" + "社会工作人才队伍建设需要各方面共同努力" * 4 + "？", None, None),
        ("1.5万名社会工作者参加了培训。", None, None),
        ("2021.3.1起施行。", None, None),
        ("1.对符合条件的社区社会组织，通过政府购买服务等方式给予支持和扶持。", None, None),
        ("答：需要。取得证书的人员应当在一年内申请登记。", None, None),
    ],
)
def test_faq_questions_and_short_numbered_items_are_headings(line, level, title):
    heading = parse_heading(line)
    assert (heading.level if heading else None) == level
    if heading and title:
        assert heading.title == title


def test_each_faq_pair_is_a_section_of_its_own_named_by_its_question():
    chunks = _chunks(FAQ / "shegong-zheng-wenda.html")
    questions = [c.section.rsplit(" > ", 1)[-1] for c in chunks]
    assert questions == [
        "问：社会工作者职业水平证书取得后需要登记吗？",
        "问：再登记需要满足什么条件？",
        "问：登记到哪里办理？",
        "Q4：证书遗失了怎么办？",
    ]
    # Each chunk holds its question and its whole answer, never the next pair.
    for chunk, question in zip(chunks, questions, strict=True):
        assert question in chunk.text
        assert chunk.text.count("问：") + chunk.text.count("Q4：") == 1
    assert "九十小时" in chunks[1].text
    # The site chrome is left out of what is indexed.
    assert not any("当前位置" in c.text or "字号" in c.text or "责任编辑" in c.text for c in chunks)


def test_faq_page_metadata_comes_from_its_own_title_and_date_not_the_site():
    (doc,) = _documents(FAQ / "shegong-zheng-wenda.html")
    assert doc.meta.title == "社会工作者职业水平证书登记常见问题解答"
    assert doc.meta.date == "2024-03-15"


@pytest.mark.skipif(not REAL_DOCS.is_dir(), reason=f"{REAL_DOCS} is absent")
def test_numbered_items_of_a_real_notice_head_their_own_chunks():
    chunks = _chunks(REAL_DOCS / "shequ-shehui-zuzhi-xingdong-fangan-2021-2023.md")
    item = [c for c in chunks if c.section.endswith(" > 1.制定专项规划")]
    assert item and item[0].section == (
        "《培育发展社区社会组织专项行动方案》 > 三、工作任务 > "
        "（一）实施社区社会组织培育发展计划。 > 1.制定专项规划"
    )
    assert "2.建设支持平台" not in item[0].text


def test_a_page_on_several_provinces_covers_each_and_is_about_none_alone():
    (doc,) = _documents(FAQ / "gedi-shegongzhan-wenda.md")
    assert (doc.meta.province, doc.meta.city) == ("", "")
    assert doc.meta.region_names == ["甘肃", "四川", "湖北"]
    assert doc.meta.region == "甘肃、四川、湖北"


@pytest.mark.parametrize(
    ("paragraphs", "own", "covered"),
    [
        # Its own province, and a second one named often enough.
        (
            ["台州市民政局报告", "台州市" * 4 + "。", "资阳市" * 3 + "。"],
            ("浙江", "台州"),
            ["浙江", "台州", "四川", "资阳"],
        ),
        # A place named twice in passing is not covered.
        (["甘肃省通知", "甘肃省" * 4, "学习山东省、山东省的经验。"], ("甘肃", ""), ["甘肃"]),
        # A place named once, but in a heading, is.
        (["各地问答", "一、甘肃省", "兰州已经覆盖。"], ("", ""), ["甘肃"]),
        (["没有地名的通知"], (NATIONAL := "全国", ""), [NATIONAL]),
    ],
)
def test_covered_regions(paragraphs, own, covered):
    assert covered_regions(paragraphs, *own) == covered


def _meta_row(doc_id: str, meta: DocMeta) -> dict:
    chunk = Chunk(f"{doc_id}-0", doc_id, doc_id, "文本", "文本", "标题", 0, 2, meta)
    return chunk_metadata(chunk, "hash", 1)


def test_region_filters_find_every_document_covering_the_region():
    metas = {
        "faq": DocMeta(title="各地问答", regions="甘肃；四川；湖北"),
        "gansu": DocMeta(title="甘肃通知", province="甘肃", regions="甘肃"),
        "law": DocMeta(title="慈善法", province="全国", regions="全国"),
    }
    rows = [_meta_row(doc_id, meta) for doc_id, meta in metas.items()]
    index = LexicalIndex([r["doc_id"] for r in rows], ["文本"] * 3, rows, "v1")
    gansu = [rows[i]["doc_id"] for i in index.allowed({"region": "甘肃"}).nonzero()[0]]
    assert gansu == ["faq", "gansu"]
    assert index.values("region") == {"甘肃", "四川", "湖北", "全国"}
    library = [
        {"doc_id": r["doc_id"], "title": r["title"], "province": r["province"],
         "city": r["city"], "date": "", "regions": r.get("regions", [])}
        for r in rows
    ]  # fmt: skip
    assert [d["doc_id"] for d in library_view(library, region="湖北")] == ["faq"]
    assert region_choices(library)[1:] == ["全国", "四川", "湖北", "甘肃"]


@pytest.mark.slow
def test_a_question_naming_a_province_finds_the_page_covering_it(
    tmp_path, make_settings, shared_embedder
):
    from conftest import copy_seeds

    from bot.question import analyse
    from bot.retrieve import retrieve
    from ingest.kb import KnowledgeBase
    from ingest.pipeline import Ingestor

    corpus = copy_seeds(tmp_path / "corpus", ["gansu-ganminfa-2021-97.txt"])
    (corpus / "gedi.md").write_bytes((FAQ / "gedi-shegongzhan-wenda.md").read_bytes())
    kb = KnowledgeBase(make_settings(corpus_dir=corpus), embedder=shared_embedder)
    Ingestor(kb, progress=False).run()
    for mode in ("hybrid", "dense", "lexical"):
        evidence = retrieve(kb, analyse("甘肃的乡镇社工站建到什么程度了？"), k=4, mode=mode)
        assert evidence[0].chunk.doc_id == "gedi.md#1", mode
        assert "全覆盖" in evidence[0].chunk.text
        # The 甘肃 filter keeps the page covering 甘肃 beside the 甘肃 notice.
        kept = retrieve(kb, analyse("社工站"), k=20, region="甘肃", mode=mode)
        assert {e.chunk.doc_id for e in kept} == {"gedi.md#1", "gansu-ganminfa-2021-97.txt#1"}
