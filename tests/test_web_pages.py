"""Texts copied from web pages: the page's chrome is dropped, the document's own title, date
and issuer are read, and a notice's sub-heading never opens a fake second document.

The pages are written for these tests in the layouts that the real-documents issue describes
(exam-site breadcrumbs, 来源/编辑 lines, share widgets, forum anti-copy strings, a reporter's
byline); none of the rules was fitted to them."""

from __future__ import annotations

import pytest

from ingest.parse import parse_text

EXAM_SITE_PAGE = """您现在的位置：考试网 > 社会工作者 > 报考指南
社会工作者职业水平证书登记服务管理办法_考试网
发布时间：2013-04-07 来源：民政部网站 编辑：小王
【字体：大 中 小】【打印】【关闭】
第一条 为加强社会工作者职业水平证书登记管理，制定本办法。
第二条 取得证书的人员，每3年进行再登记。再登记S" `1 ^% Y3 {0 w应当提交继续教育证明。
分享到：微信 微博 QQ空间
"""

NOTICE_WITH_REQUIREMENTS = """关于开展2024年社会工作宣传周活动的通知
各市（州）民政局：
现就开展宣传周活动有关事项通知如下。
一、活动时间
2024年3月18日至3月24日。
二、活动内容
组织开展社会工作进社区活动，到2025年实现全覆盖。
工作要求：
各地要高度重视，精心组织，确保活动取得实效。
某省民政厅
2024年3月1日
"""

NEWS_PAGE = """當前位置：首頁 > 新聞 > 正文
社工站建設穩步推進
本报记者皮磊
截至2023年底，全省已建成社工站1200个，覆盖率达到95%。
责任编辑：张三
"""


def _docs(raw: str):
    return parse_text("page.txt", raw, "hash", {})


def test_exam_site_page_keeps_its_document_and_drops_the_site() -> None:
    (doc,) = _docs(EXAM_SITE_PAGE)
    assert doc.meta.title == "社会工作者职业水平证书登记服务管理办法"
    assert doc.meta.date == "2013-04-07"  # the page's own date, its line dropped from the text
    for chrome in ("您现在的位置", "来源", "【打印】", "分享到"):
        assert chrome not in doc.text
    assert "再登记应当提交继续教育证明" in doc.text  # the anti-copy string is gone


def test_a_notices_subheading_does_not_open_a_second_document() -> None:
    docs = _docs(NOTICE_WITH_REQUIREMENTS)
    assert len(docs) == 1
    assert docs[0].meta.date == "2024-03-01"  # signed, not the target year 2025


def test_a_reporter_is_never_the_issuer_and_breadcrumbs_are_never_the_title() -> None:
    (doc,) = _docs(NEWS_PAGE)
    assert doc.meta.title == "社工站建設穩步推進"
    assert "记者" not in doc.meta.issuer
    assert "當前位置" not in doc.text and "责任编辑" not in doc.text


@pytest.mark.parametrize(
    ("line", "chrome"),
    [
        ("您现在的位置:233网校 >社会工作者 > 报考指南", True),
        ("當前位置:首頁 > 新聞 > 正文", True),
        ("来源：民政部网站 作者：张三", True),
        ("打印本页 | 关闭窗口", True),
        ("来源于群众的意见，应当重视。", False),
        ("时间安排如下：", False),
        ("工作要求：", False),
    ],
)
def test_page_chrome_lines(line: str, chrome: bool) -> None:
    from ingest.noise import is_page_chrome

    assert is_page_chrome(line) is chrome


def test_what_the_text_does_not_say_is_named_for_the_report() -> None:
    from ingest.meta import not_understood

    docs = _docs("各地要高度重视，精心组织，确保活动取得实效。各级民政部门要加强指导。\n")
    assert not_understood([d.meta for d in docs]) == ("未找到标题", "未识别出日期", "未识别出地区")
    (exam,) = _docs(EXAM_SITE_PAGE)
    assert "未找到标题" not in not_understood([exam.meta])
