"""Cleaning, article splitting, metadata and chunking: on small inline texts and on the seeds."""

from __future__ import annotations

import itertools
import re
from functools import cache
from pathlib import Path

import pytest

from ingest.articles import split_articles
from ingest.clean import clean_lines, join_paragraphs
from ingest.headings import HeadingTracker
from ingest.lexical import tokenize
from ingest.load import load_file
from ingest.meta import load_manifest
from ingest.normalize import PINYIN_ARTIFACT, normalize, remove_pinyin_artifacts, to_simplified
from ingest.parse import parse_text
from ingest.schema import Document
from ingest.split import split_document

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
BEIJING = "baozhi-beijing-kunming-guandu.txt"
TANGSHAN = "baozhi-heilongjiang-jiangsu-tangshan.txt"
GANSU = "gansu-ganminfa-2021-97.txt"
GUIZHOU = "guizhou-qianxinan-shegongzhan.md"
SEED_002 = "mianyang-rencai-duiwu-wupian.txt"  # the traditional-Chinese seed with five 篇

# Headlines of other pages that the newspaper files list above their page markers.
OTHER_PAGES = [
    "焦作市多措并举推进乡镇",
    "开展五大类服务",
    "900名深圳社工助力儿童福祉提升",
    "社工考证热来临",
    "农民工走上“社工路”",
    "江苏:深化“五社联动”机制",
    "建立健全三级社会工作服务体系",
    "宁夏:完善“五社联动”机制",
    "创新基层治理新格局",
    "打破“隔离带”融入“朋友圈”",
    "未成年人检察社会支持体系聚力保护涉罪未成年人",
]
PAGE_MARKER = re.compile(r"(^|\s)\d{1,2}版(\s|$)", re.M)


def paragraphs(raw: str) -> list[str]:
    return join_paragraphs(clean_lines(raw))


@cache
def seed_docs(name: str) -> tuple[Document, ...]:
    """The cleaned documents of one seed file, as the ingest pipeline makes them."""
    manifest = load_manifest(CORPUS)
    text = load_file(CORPUS / name, 50 * 1024 * 1024).text
    return tuple(parse_text(name, text, "0" * 64, manifest.get(name, {})))


def all_seed_docs() -> list[Document]:
    return [d for name in (BEIJING, TANGSHAN, GANSU, GUIZHOU, SEED_002) for d in seed_docs(name)]


# --- inline texts ----------------------------------------------------------------------------


def test_page_marker_and_other_pages_headlines_dropped():
    raw = (
        "\n\n河南:焦作市多措并举推进乡镇\n(街道)社工站建设\n\n09版\n\n开展五大类服务\n\n"
        "900名深圳社工助力儿童福祉提升\n\n10版\n\n黑龙江:\n\n"
        "推动社会工作人才融入全省人才队伍建设大局\n\n"
        "社会工作人才是黑龙江省委确定的六类人才之一。\n"
    )
    assert paragraphs(raw) == [
        "黑龙江:",
        "推动社会工作人才融入全省人才队伍建设大局",
        "社会工作人才是黑龙江省委确定的六类人才之一。",
    ]


def test_marker_ending_a_headline_drops_that_headline():
    raw = (
        "江苏:深化“五社联动”机制\n建立健全三级社会工作服务体系 08版\n\n"
        "北京:深化联席会议机制\n\n会议提出,北京将发挥联席会议机制统筹作用。\n"
    )
    text = "\n".join(paragraphs(raw))
    assert "08版" not in text
    assert "江苏" not in text and "三级社会工作服务体系" not in text
    assert text.endswith("会议提出,北京将发挥联席会议机制统筹作用。")


def test_page_marker_does_not_eat_body_text():
    raw = "社会工作者在基层治理中发挥着积极作用。\n\n09版\n\n下一版继续报道。\n"
    assert paragraphs(raw) == [
        "社会工作者在基层治理中发挥着积极作用。",
        "下一版继续报道。",
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "社会工作作为现代社会服\n\n务体系的重要组成部分,专业社会工作者发挥作用。",
            "社会工作作为现代社会服务体系的重要组成部分,专业社会工作者发挥作用。",
        ),
        (
            "北京市已有920家社会工作服务机构,专业社工人才7.68万,持证\n\n"
            "社工3.91万;拓展了医疗卫生领域。",
            "北京市已有920家社会工作服务机构,专业社工人才7.68万,持证社工3.91万;"
            "拓展了医疗卫生领域。",
        ),
        (
            "设置宣传展示区域,按照布局合理、节\n\n约实用原则,党建氛围浓厚。",
            "设置宣传展示区域,按照布局合理、节约实用原则,党建氛围浓厚。",
        ),
    ],
)
def test_lines_broken_mid_sentence_are_rejoined(raw, expected):
    assert paragraphs(raw) == [expected]


def test_complete_sentences_stay_separate_paragraphs():
    raw = "第一段说完了。\n\n第二段也说完了。\n一、总体要求\n坚持党的领导。"
    assert paragraphs(raw) == [
        "第一段说完了。",
        "第二段也说完了。",
        "一、总体要求",
        "坚持党的领导。",
    ]


def test_pinyin_artifacts_removed():
    assert remove_pinyin_artifacts("系統(tǒng)") == "系統"
    assert remove_pinyin_artifacts("融入到當(dāng)?shù)卣") == "融入到當卣"
    assert clean_lines("全市民政系統(tǒng)社會工作人才隊伍建設(shè)") == [
        "全市民政系統社會工作人才隊伍建設"
    ]
    # Ordinary parenthesised Latin without tone marks is text, not an artifact.
    assert clean_lines("人工智能(AI)和 (ABC) 应用") == ["人工智能(AI)和 (ABC) 应用"]


def test_articles_split_at_credit_lines():
    raw = (
        "黑龙江:\n\n推动社会工作人才融入全省人才队伍建设大局\n\n"
        "社会工作人才是黑龙江省委确定的六类人才之一。\n\n(据黑龙江省民政厅)\n\n"
        "河北:\n\n《唐山市工会社会工作岗位管理办法》出台\n\n唐山市总工会出台办法。\n\n(据中工网)\n"
    )
    articles = split_articles(clean_lines(raw))
    assert [a.title for a in articles] == [
        "黑龙江:推动社会工作人才融入全省人才队伍建设大局",
        "河北:《唐山市工会社会工作岗位管理办法》出台",
    ]
    assert [a.credit for a in articles] == ["黑龙江省民政厅", "中工网"]
    assert [a.paragraphs[-1] for a in articles] == ["(据黑龙江省民政厅)", "(据中工网)"]


def test_normalize_maps_traditional_to_simplified():
    assert to_simplified("社會工作人才隊伍建設") == "社会工作人才队伍建设"
    assert normalize("臺州市民政局  關於\n加強社會工作") == "台州市民政局 关于 加强社会工作"
    # Full-width forms and pinyin artifacts are folded too; simplified text stays as it is.
    assert normalize("系統(tǒng)ＡＢＣ１２３") == "系统ABC123"
    assert normalize("社会工作人才队伍建设") == "社会工作人才队伍建设"


def test_query_time_uses_the_same_normalisation():
    # The lexical index tokenises through normalize(), so both scripts give the same tokens.
    assert tokenize("台州市社会工作人才队伍建设") == tokenize("臺州市社會工作人才隊伍建設")
    assert tokenize("系統(tǒng)建設") == tokenize("系统建设")
    # What a chunk is indexed by is normalize(section + text): simplified even for 002.
    for doc in seed_docs(SEED_002):
        for chunk in split_document(doc, 320, 60):
            assert chunk.search_text == normalize(f"{chunk.section}\n{chunk.text}")
            assert to_simplified(chunk.search_text) == chunk.search_text
            # The displayed text keeps the source script.
    assert "隊伍" in seed_docs(SEED_002)[0].text


# --- the seeds -------------------------------------------------------------------------------


def test_seed_texts_have_no_page_debris_or_artifacts():
    for doc in all_seed_docs():
        assert not PAGE_MARKER.search(doc.text), doc.doc_id
        assert not PINYIN_ARTIFACT.search(doc.text), doc.doc_id
        for headline in OTHER_PAGES:
            assert headline not in doc.text, (doc.doc_id, headline)


def test_seed_broken_lines_rejoined():
    tangshan = "\n".join(d.text for d in seed_docs(TANGSHAN))
    beijing = "\n".join(d.text for d in seed_docs(BEIJING))
    assert "社会工作作为现代社会服务体系的重要组成部分" in tangshan
    assert "持证社工3.91万" in beijing
    assert "按照布局合理、节约实用原则" in tangshan
    # No paragraph of a seed ends in the middle of a word broken across a blank line.
    assert "社会服\n" not in tangshan and "持证\n" not in beijing


def test_002_splits_into_five_documents():
    docs = seed_docs(SEED_002)
    assert len(docs) == 5
    for n, (doc, chapter) in enumerate(zip(docs, "一二三四五", strict=True), start=1):
        assert doc.doc_id == f"{SEED_002}#{n}"
        assert doc.text.startswith(f"第{chapter}篇")
        assert f"第{chapter}篇" not in "".join(d.text for d in docs if d is not doc)
    assert docs[1].meta.title == "全省民政系統社會工作人才隊伍建設調研提綱"
    assert docs[2].meta.city == "台州"


@pytest.mark.parametrize(
    ("name", "titles"),
    [
        (
            TANGSHAN,
            [
                "黑龙江:推动社会工作人才融入全省人才队伍建设大局",
                "江苏:开展党建引领社会工作服务示范点创建工作",
                "河北:《唐山市工会社会工作岗位管理办法》出台",
            ],
        ),
        (
            BEIJING,
            [
                "北京:深化联席会议机制联动推进城乡社区社工“优才计划”与社工站建设",
                "云南:昆明市官渡区社会工作服务项目管理平台发布",
            ],
        ),
    ],
)
def test_newspaper_files_split_into_their_reports(name, titles):
    docs = seed_docs(name)
    assert [d.meta.title for d in docs] == titles
    raw = (CORPUS / name).read_text(encoding="utf-8")
    credits = re.findall(r"^[((]据.+?[))]$", raw, re.M)
    assert credits, name
    # Every "(据…)" line closes a report: it is the last line of exactly one document.
    endings = [d.text.rsplit("\n", 1)[-1] for d in docs]
    for credit in credits:
        assert endings.count(credit) == 1, (credit, endings)
        assert sum(credit in d.text for d in docs) == 1
    # And each report holds only its own text: the next report's kicker opens the next document.
    for doc, title in zip(docs, titles, strict=True):
        kicker = title.split(":")[0] + ":"
        assert doc.text.startswith(kicker)
        others = [t.split(":")[0] + ":" for t in titles if t != title]
        assert not any(f"\n{k}\n" in doc.text for k in others)


def test_guizhou_md_splits_into_four_articles():
    docs = seed_docs(GUIZHOU)
    assert [d.meta.title for d in docs] == [
        "贵州黔西南州乡镇社工站覆盖率达 72%",
        "黑龙江齐齐哈尔市民政局加强社工站建设",
        "湖北宜昌西陵区:构建“五社联动”新机制,增添基层治理新动能",
        "四川雅安雨城区:多措并举建强社工人才队伍",
    ]
    assert [d.meta.province for d in docs] == ["贵州", "黑龙江", "湖北", "四川"]
    assert all(d.text.rsplit("\n", 1)[-1].startswith("(据") for d in docs)


def test_metadata_of_seeds():
    (gansu,) = seed_docs(GANSU)
    assert gansu.meta.doc_number == "甘民发〔2021〕97号"
    assert gansu.meta.province == "甘肃"
    tangshan = seed_docs(TANGSHAN)[2]
    assert "唐山" in tangshan.meta.title
    assert (tangshan.meta.province, tangshan.meta.city) == ("河北", "唐山")
    assert tangshan.meta.region == "河北唐山"
    assert tangshan.meta.issuer == "中工网"
    kunming = seed_docs(BEIJING)[1]
    assert (kunming.meta.province, kunming.meta.city) == ("云南", "昆明")


# --- chunks ----------------------------------------------------------------------------------


def heading_offsets(doc: Document) -> dict[int, str]:
    """Offset of every paragraph that is a heading in the document's numbering -> its text."""
    tracker = HeadingTracker()
    found: dict[int, str] = {}
    pos = 0
    for paragraph in doc.text.split("\n"):
        if tracker.accept(paragraph):
            found[pos] = paragraph
        pos += len(paragraph) + 1
    return found


@pytest.mark.parametrize(("size", "overlap"), [(80, 20), (200, 60), (320, 60), (600, 100)])
def test_chunks_keep_offsets_size_and_sections(size, overlap):
    for doc in all_seed_docs():
        chunks = split_document(doc, size, overlap)
        assert chunks, doc.doc_id
        headings = heading_offsets(doc)
        paragraph_starts = [0] + [m.end() for m in re.finditer("\n", doc.text)]
        assert len({c.chunk_id for c in chunks}) == len(chunks)
        for c in chunks:
            assert doc.text[c.start : c.end] == c.text
            assert c.text == c.text.strip() and c.text
            assert len(c.text) <= size + 2, (doc.doc_id, len(c.text))
            # A heading may sit inside a chunk only when nothing but headings precedes it there:
            # body text of one section never shares a chunk with the next section.
            inner = [o for o in headings if c.start < o < c.end]
            if inner:
                before = [p for p in paragraph_starts if c.start <= p < max(inner)]
                assert c.start in headings and all(p in headings for p in before), (
                    doc.doc_id,
                    c.section,
                    c.text[:60],
                )
        # Chunks come in document order and together cover every non-blank character.
        starts = [c.start for c in chunks]
        assert starts == sorted(starts)
        covered = [False] * len(doc.text)
        for c in chunks:
            covered[c.start : c.end] = [True] * (c.end - c.start)
        missed = [i for i, ch in enumerate(doc.text) if not ch.isspace() and not covered[i]]
        assert not missed, (doc.doc_id, doc.text[missed[0] : missed[0] + 30])


def test_gansu_heading_path():
    (gansu,) = seed_docs(GANSU)
    chunks = split_document(gansu, 320, 60)
    path = "二、加强社会工作专业人才队伍建设 > (六)推行社会工作者职业水平评价制度"
    hits = [c for c in chunks if path in c.section]
    assert hits
    assert all(c.section.startswith("甘民发〔2021〕97号 > ") for c in hits)
    assert any("社会工作者职业水平考试" in c.text for c in hits)
    # Neighbouring sections keep their own paths.
    assert any(c.section.endswith("(五)加大社会工作专业人才培养力度") for c in chunks)
    assert any(c.section.endswith("(七)分类推进社会工作专业岗位开发") for c in chunks)
    assert not any(path in c.section and "(七)分类推进" in c.text for c in chunks)


def test_overlap_repeats_text_between_neighbouring_chunks():
    (gansu,) = seed_docs(GANSU)
    chunks = split_document(gansu, 200, 80)
    same_section = [(a, b) for a, b in itertools.pairwise(chunks) if a.section == b.section]
    assert same_section
    assert any(b.start < a.end for a, b in same_section)
    # Without overlap no two chunks share text.
    plain = split_document(gansu, 200, 0)
    assert all(b.start >= a.end for a, b in itertools.pairwise(plain))
