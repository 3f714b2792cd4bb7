"""How answers and sources are shown: the asker's script, comparison tables, quotation marks,
heading paths, repeal notes, and the library's filters (rules as tables; answers on the seeds)."""

from __future__ import annotations

import pytest

from bot.answer_types import Layout
from bot.cite import SILENT, compose
from bot.cli import _print_answer, quoted
from bot.sentences import split_sentences
from bot.service import QAService
from bot.ui_render import ALL_KINDS, ALL_REGIONS, ALL_YEARS, answer_markup, library_view
from ingest.articles import Article
from ingest.kb import KnowledgeBase
from ingest.meta import DocKind, doc_kind, extract_meta, repealed_in, short_section
from ingest.normalize import is_traditional
from ingest.schema import Chunk, DocMeta, Evidence


@pytest.fixture(scope="module")
def service(seed_kb: KnowledgeBase) -> QAService:
    return QAService(seed_kb.settings, kb=seed_kb)


@pytest.mark.parametrize(
    ("line", "named"),
    [
        ("本条例自2021年9月1日起施行，《广州市募捐条例》同时废止。", ["《广州市募捐条例》"]),
        (
            "2012年1月10日印发的《社区矫正实施办法》（司发通〔2012〕12号）同时废止。",
            ["《社区矫正实施办法》（司发通〔2012〕12号）"],
        ),
        ("本规定自发布之日起施行，原《甲市社工补贴办法》予以废止。", ["《甲市社工补贴办法》"]),
        ("本办法代替《乙省社会工作者登记规定》。", ["《乙省社会工作者登记规定》"]),
        ("不得以新闻发布、广告推广等形式代替应当履行的信息公开义务。", []),
        ("根据《中华人民共和国慈善法》，制定本条例。", []),
    ],
)
def test_what_a_text_repeals_is_read_from_its_wording(line: str, named: list[str]) -> None:
    assert repealed_in([line]) == named


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("中华人民共和国社区矫正法", DocKind.LAW),
        ("中华人民共和国社区矫正法实施办法", DocKind.RULES),
        ("社会工作者职业水平证书登记办法（2023年修正）", DocKind.RULES),
        ("广州市慈善促进条例", DocKind.REGULATION),
        ("关于加强禁毒社会工作者队伍建设的意见", DocKind.POLICY),
        ("宜昌市民政局关于印发《宜昌市社会工作人才激励办法》的通知", DocKind.POLICY),
        ("贵州黔西南州乡镇社工站覆盖率达 72%", DocKind.OTHER),
    ],
)
def test_a_documents_kind_comes_from_how_its_title_ends(title: str, kind: DocKind) -> None:
    assert doc_kind(title) is kind


@pytest.mark.parametrize(
    ("section", "meta", "shown"),
    [
        ("《社区矫正法》 > 第五章 监督管理 > 第二十五条", DocMeta(title="中华人民共和国社区矫正法"),
         "第五章 监督管理 > 第二十五条"),
        ("《社区矫正法》", DocMeta(title="中华人民共和国社区矫正法"), ""),
        ("甘民发〔2021〕97号 > 二、任务", DocMeta(title="意见", doc_number="甘民发〔2021〕97号"),
         "二、任务"),
        ("一、总体要求 > (三)主要目标", DocMeta(title="意见"), "一、总体要求 > (三)主要目标"),
    ],
)  # fmt: skip
def test_a_heading_path_does_not_repeat_the_documents_name(
    section: str, meta: DocMeta, shown: str
) -> None:
    assert short_section(section, meta) == shown


@pytest.mark.parametrize(
    ("paragraphs", "issuer"),
    [
        (["宜昌市民政局关于印发《宜昌市社会工作人才激励办法》的通知", "第一条 为……制定本办法。"],
         "宜昌市民政局"),
        (["关于做好社工工作的通知", "各区：", "现通知如下。", "青山市民政局", "2024年3月15日"],
         "青山市民政局"),
        (["关于做好社工工作的通知", "各区：", "现通知如下。", "2024年3月15日"], ""),
    ],
)  # fmt: skip
def test_a_notices_issuer_is_read_from_its_title_or_signature(
    paragraphs: list[str], issuer: str
) -> None:
    article = Article(paragraphs=paragraphs, title=paragraphs[0], credit="")
    assert extract_meta(article, {}, single=True).issuer == issuer


@pytest.mark.parametrize(
    ("text", "shown"),
    [("持证社工达到1万人。", "“持证社工达到1万人。”"), ("“要涨工资了……”", "“要涨工资了……”")],
)
def test_a_cli_quote_has_one_pair_of_quotation_marks(text: str, shown: str) -> None:
    assert quoted(text) == shown


def _evidence(text: str, region: str, date: str, number: str) -> Evidence:
    meta = DocMeta(title="意见", doc_number=number, province=region, date=date)
    chunk = Chunk(f"{number}#0", number, "a.txt", text, text, number, 0, len(text), meta)
    return Evidence(chunk, 1.0, 1)


def test_a_comparison_is_a_table_with_sources_dates_and_the_silent_side_named() -> None:
    gansu = split_sentences(
        _evidence("持证社工达到1万人。", "甘肃", "2021-11-11", "甘民发〔2021〕97号")
    )
    text, citations = compose([("甘肃", gansu), ("北京", [])], Layout.COMPARISON)
    head, rule, row_gansu, row_beijing = text.split("\n")
    assert head == "| 地区 | 规定或数据 | 来源 |" and set(rule) <= set("|- ")
    assert row_gansu == "| 甘肃 | 持证社工达到1万人。 | [1] 甘民发〔2021〕97号 2021-11-11 |"
    assert row_beijing == f"| 北京 | {SILENT} | — |"
    assert [c.quote for c in citations] == ["持证社工达到1万人。"]


def test_a_table_in_an_answer_is_shown_as_an_escaped_html_table_with_links() -> None:
    text = "| 地区 | 规定或数据 | 来源 |\n| --- | --- | --- |\n| 甘肃 | <b>1万人</b> | [1] 2021 |"
    html = answer_markup(text, 1)
    assert '<table class="sg-compare">' in html and "<th>地区</th>" in html
    assert "&lt;b&gt;" in html and "<b>" not in html
    assert '<a class="cite-ref" href="#cite-1">[1]</a>' in html
    assert "---" not in html


def test_the_library_filters_by_region_kind_and_year_newest_first() -> None:
    docs = [
        {"title": "甲市社工条例", "province": "甘肃", "city": "", "date": "2019-01-01"},
        {"title": "关于社工站的通知", "province": "甘肃", "city": "兰州", "date": "2023-05-01"},
        {"title": "社区矫正法", "province": "全国", "city": "", "date": "2019-12-28"},
        {"title": "社工新闻", "province": "北京", "city": "", "date": ""},
    ]
    titles = [d["title"] for d in library_view(docs)]
    assert titles == ["关于社工站的通知", "社区矫正法", "甲市社工条例", "社工新闻"]
    assert [d["title"] for d in library_view(docs, "甘肃")] == ["关于社工站的通知", "甲市社工条例"]
    assert [d["title"] for d in library_view(docs, "兰州")] == ["关于社工站的通知"]
    assert [d["title"] for d in library_view(docs, ALL_REGIONS, "法规")] == ["甲市社工条例"]
    assert [d["title"] for d in library_view(docs, ALL_REGIONS, ALL_KINDS, "2019")] == [
        "社区矫正法",
        "甲市社工条例",
    ]
    assert library_view(docs, "北京", ALL_KINDS, ALL_YEARS)[0]["title"] == "社工新闻"


def test_a_traditional_question_may_be_answered_in_traditional(service: QAService) -> None:
    answer = service.ask("綿陽在地震災區的哪幾個鎮設立了社會工作服務站？")
    assert not answer.refused and is_traditional(answer.answer)


def test_the_cli_prints_dates_and_issuers_and_no_doubled_quotes(
    service: QAService, capsys: pytest.CaptureFixture[str]
) -> None:
    _print_answer(service.ask("唐山工会社会工作者每月工资能涨多少?").to_json())
    out = capsys.readouterr().out
    assert "““" not in out and "””" not in out
    sources = out.split("来源:")[1]
    assert "2022" in sources or "2021" in sources
