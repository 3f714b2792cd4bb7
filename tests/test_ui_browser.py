"""The Gradio UI in a real headless Chromium, plus its pure rendering and safety helpers."""

from __future__ import annotations

import os
import signal
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

import gradio as gr
import pytest
from conftest_ui import launch_app
from playwright.sync_api import expect, sync_playwright

from bot.answer_types import Answer, Citation
from bot.audit import file_sha256
from bot.ui import NO_PASSWORD_NOTE, PENDING, _App, build_ui
from bot.ui_render import (
    answer_markup,
    document_html,
    document_text,
    sanitize_filename,
    sources_html,
)
from ingest.normalize import is_traditional
from ingest.settings import Settings

if TYPE_CHECKING:
    from conftest_ui import LiveApp
    from playwright.sync_api import Browser, Page

pytest_plugins = ["conftest_ui"]

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
FACT = "青山市社工站每年培训时长不少于88学时。"


# ---------------------------------------------------------------- helpers without a browser


def _citation(n: int, text: str, quote: str, **kw: str) -> Citation:
    fields = {"doc_id": "d#1", "title": "标题", "source": "a.txt", "section": "一、总则"} | kw
    return Citation(n=n, text=text, quote=quote, **fields)


def test_sanitize_filename_keeps_chinese_and_drops_paths() -> None:
    """Basename only, no "..", no leading dots, Chinese kept, suffix lower-cased."""
    assert sanitize_filename("青山市 社工站办法.DOCX") == "青山市_社工站办法.docx"
    assert sanitize_filename("../../etc/passwd") == "passwd"
    assert sanitize_filename("..\\..\\win.ini") == "win.ini"
    assert sanitize_filename("/abs/path/.hidden.md") == "hidden.md"
    assert sanitize_filename("a..b...txt") == "a.b.txt"
    assert sanitize_filename("....") == "upload"
    assert "/" not in sanitize_filename("x/<y>:z?.pdf")


def test_answer_markup_escapes_and_links_markers() -> None:
    """HTML in the text is escaped; [n] within range becomes a link to #cite-n, others stay."""
    out = answer_markup("<img src=x onerror=alert(1)>达到1万人[1]。[7]", 1)
    assert "<img" not in out and "&lt;img" in out
    assert '<a class="cite-ref" href="#cite-1">[1]</a>' in out
    assert "#cite-7" not in out


def test_sources_html_escapes_and_marks_quote() -> None:
    """Card text is escaped, the quote is in <mark>, the card has id cite-n."""
    text = "第一句<script>alert(1)</script>。持证社工达到1万人。"
    answer = Answer(
        "q", "持证社工达到1万人。[1]", False, [_citation(1, text, "持证社工达到1万人。")], []
    )

    page = sources_html(answer, answer.citation_dicts())
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<mark>持证社工达到1万人。</mark>" in page and 'id="cite-1"' in page
    refused = Answer("q", "资料中没有找到", True, [], [])
    assert "资料中没有找到能回答这个问题的依据" in sources_html(refused, [])


def test_document_text_and_hit_mark() -> None:
    """Parts placed at their offsets rebuild the text; the cited quote gets the hit mark."""
    parts = [(0, "c1", "一", "甲乙丙丁"), (2, "c2", "二", "丙丁戊己<b>")]
    assert document_text(parts) == "甲乙丙丁戊己<b>"
    doc = {"doc_id": "d", "source": "a.txt", "title": "T", "chunks": 2, "parts": parts}
    page = document_html(doc, ("丙丁戊己<b>", "戊己"))
    assert '<mark id="sg-doc-hit">戊己</mark>' in page and "&lt;b&gt;" in page


class _FakeService:
    """Just enough of QAService for building the UI without an index."""

    def __init__(self, tmp: Path, password: str | None) -> None:
        self.settings = Settings(
            data_dir=tmp, corpus_dir=tmp / "corpus", admin_password=password, max_upload_mb=1.0
        )
        self.ingested: list[Path] = []

    def documents(self) -> list[dict]:
        return []

    def ingest(self, paths: list[Path]):
        self.ingested += paths
        return SimpleNamespace(files=[], summary=lambda: "ok")


def test_without_password_staff_controls_are_disabled(tmp_path: Path) -> None:
    """No admin password: the note is shown, controls are not interactive, uploads refused."""
    service = _FakeService(tmp_path, None)
    demo = build_ui(service)  # type: ignore[arg-type]
    config = demo.get_config_file()
    texts = [c.get("props", {}).get("value") for c in config["components"]]
    assert any(NO_PASSWORD_NOTE in str(t) for t in texts)
    by_label = {c["props"].get("label"): c["props"] for c in config["components"]}
    assert by_label["工作人员密码"]["interactive"] is False
    app = _App(service)  # type: ignore[arg-type]
    upload = tmp_path / "x.txt"
    upload.write_text("社工站", encoding="utf-8")
    assert "登录" in app.upload([str(upload)], True)[1]
    assert service.ingested == []
    assert not app.guard.attempt("127.0.0.1", "").ok


def test_upload_checks_suffix_and_size(tmp_path: Path) -> None:
    """Wrong suffix and oversize files are refused before anything is saved or indexed."""
    service = _FakeService(tmp_path, "pw")
    app = _App(service)  # type: ignore[arg-type]
    bad = tmp_path / "evil.exe"
    bad.write_bytes(b"MZ")
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * (1024 * 1024 + 1))
    rows, _ = app.upload([str(bad), str(big)], True)
    assert [r[1] for r in rows] == ["失败", "失败"]
    assert "不支持" in rows[0][3] and "超过上限" in rows[1][3]
    assert service.ingested == [] and not (tmp_path / "corpus" / "uploads" / "big.txt").exists()


def test_login_box_pauses_after_wrong_passwords_and_names_the_wait(tmp_path: Path) -> None:
    """Six wrong passwords from one address: the sixth and the right one get the pause message."""
    app = _App(_FakeService(tmp_path, "pw"))  # type: ignore[arg-type]
    request = gr.Request(client=SimpleNamespace(host="192.0.2.5"), headers={})
    notes = [app.login(f"guess-{i}", request)[1] for i in range(6)]
    assert notes[0] == "**密码不正确。**" and "登录已暂停" in notes[5]
    staff, note, *_ = app.login("pw", request)
    assert staff is False and "5 分钟后再试" in note
    other = gr.Request(client=SimpleNamespace(host="192.0.2.6"), headers={})
    assert app.login("pw", other)[0] is True


# ---------------------------------------------------------------- the real app in Chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright."""
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser, live_app: LiveApp) -> Iterator[Page]:
    """A fresh session on the app, loaded and ready."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(90_000)
    pg.goto(live_app.url + "/", wait_until="load")
    pg.locator("#sg-question textarea").wait_for()
    yield pg
    context.close()


def _ask(pg: Page, question: str) -> None:
    """Type a question, send it, and wait until the answer and its sources (or refusal) show."""
    bots = "#sg-chat [data-testid='bot']"
    before = pg.locator(bots).count()
    box = pg.locator("#sg-question textarea")
    box.fill(question)
    box.press("Enter")
    pg.wait_for_function(
        """([sel, n, pending]) => {
            const bots = document.querySelectorAll(sel);
            return bots.length > n && !bots[bots.length - 1].innerText.includes(pending);
        }""",
        arg=[bots, before, PENDING[:6]],
    )
    pg.locator("#sg-sources .sg-card, #sg-sources .sg-refusal").first.wait_for()


def _like_last_answer(pg: Page, comment: str) -> None:
    """👍 on the last answer with a comment, and wait until the app says it is recorded."""
    pg.locator("#sg-comment textarea").fill(comment)
    pg.locator("#sg-chat").locator(
        "button[aria-label='赞'], button[aria-label='Like']"
    ).last.click()
    pg.get_by_text("已记录反馈").wait_for()


def _screenshot(pg: Page, name: str, settle_ms: int) -> None:
    """A full-page screenshot in artifacts/screenshots, once animations have settled."""
    pg.wait_for_timeout(settle_ms)
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SHOTS / name), full_page=True)


def _bot_text(pg: Page) -> str:
    return pg.locator("#sg-chat [data-testid='bot']").last.inner_text()


@pytest.mark.browser
@pytest.mark.server
@pytest.mark.slow
def test_chat_answer_with_source_cards_and_document_view(page: Page) -> None:
    """An answer appears with [n] links; each has a card; a card opens the document at the quote."""
    _ask(page, "甘肃和黑龙江的持证社工目标分别是多少?")
    text = _bot_text(page)
    assert "1万人" in text and "三万" in text
    assert page.locator("#sg-chat a.cite-ref").count() >= 2
    cards = page.locator("#sg-sources .sg-card")
    assert cards.count() >= 2
    assert "甘肃" in cards.nth(0).inner_text() and cards.nth(0).locator("mark").count() == 1
    page.locator("#sg-chat a.cite-ref").nth(1).click()
    page.locator("#cite-2.sg-flash").wait_for(timeout=5_000)
    quote = cards.nth(0).locator("mark").inner_text()
    cards.nth(0).locator(".sg-open").click()
    hit = page.locator("#sg-docview #sg-doc-hit")
    hit.wait_for()
    assert hit.inner_text() == quote
    _screenshot(page, "chat.png", settle_ms=600)


@pytest.mark.browser
@pytest.mark.server
@pytest.mark.slow
def test_like_is_stored_with_comment(page: Page, live_app: LiveApp) -> None:
    """👍 on an answer stores question, answer, citations and the comment in SQLite."""
    question = "考了社工证在唐山工会每月能多拿多少?"
    _ask(page, question)
    _like_last_answer(page, "补贴数字很清楚")
    with sqlite3.connect(live_app.feedback_db) as con:
        rows = con.execute(
            "SELECT question, answer, citations_json, liked, comment, created_at FROM feedback"
            " WHERE question = ? ORDER BY id DESC",
            (question,),
        ).fetchall()
    assert rows, "no feedback row"
    _q, answer, cites, liked, comment, created = rows[0]
    assert liked == 1 and comment == "补贴数字很清楚" and "600" in answer
    assert "tangshan" in cites and created
    # Staff see it in the feedback tab once logged in.
    page.get_by_role("tab", name="文档库").click()
    page.locator("#sg-password input").fill(live_app.password)
    page.get_by_role("button", name="登录").click()
    page.get_by_text("已登录").first.wait_for()
    page.get_by_role("tab", name="反馈记录").click()
    page.get_by_role("button", name="刷新反馈").click()
    expect(page.locator("#sg-feedback-table")).to_contain_text("补贴数字很清楚")


@pytest.mark.browser
@pytest.mark.server
@pytest.mark.slow
def test_acknowledged_feedback_survives_kill_9_of_the_app(
    browser: Browser, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """👍 shown as recorded, then SIGKILL of the whole app: the row is in SQLite afterwards."""
    question = "甘肃的持证社工目标是多少?"
    with launch_app(tmp_path / "app", request) as app:
        context = browser.new_context(locale="zh-CN")
        pg = context.new_page()
        pg.set_default_timeout(90_000)
        pg.goto(app.url + "/", wait_until="load")
        _ask(pg, question)
        _like_last_answer(pg, "随后进程被杀")
        os.kill(app.pid, signal.SIGKILL)  # no shutdown hook runs, nothing is flushed on exit
        context.close()
    with sqlite3.connect(app.feedback_db) as con:
        rows = con.execute(
            "SELECT liked, comment FROM feedback WHERE question = ?", (question,)
        ).fetchall()
    assert rows == [(1, "随后进程被杀")]


@pytest.mark.browser
@pytest.mark.server
@pytest.mark.slow
def test_refusal_is_shown_as_refusal(page: Page) -> None:
    """An unanswerable question shows the refusal card, not source cards of an answer."""
    _ask(page, "广东省社工站覆盖率是多少?")
    refusal = page.locator("#sg-sources .sg-refusal")
    refusal.wait_for()
    assert "资料中没有找到能回答这个问题的依据" in refusal.inner_text()
    assert page.locator("#sg-sources .sg-related .sg-card").count() >= 1
    assert "没有找到" in _bot_text(page)


@pytest.mark.browser
@pytest.mark.server
@pytest.mark.slow
def test_a_comparison_is_shown_as_a_table_with_sources_and_dates(page: Page) -> None:
    """Two regions compared: an HTML table, one row per region, its source's date and a link."""
    _ask(page, "甘肃和黑龙江的持证社工目标分别是多少?")
    table = page.locator("#sg-chat [data-testid='bot']").last.locator("table.sg-compare")
    expect(table).to_be_visible()
    rows = table.locator("tbody tr")
    assert rows.count() == 2
    gansu, heilongjiang = rows.nth(0).inner_text(), rows.nth(1).inner_text()
    assert gansu.startswith("甘肃") and "1万人" in gansu and "2021" in gansu
    assert heilongjiang.startswith("黑龙江") and "2022" in heilongjiang
    assert table.locator("a.cite-ref").count() >= 2
    _screenshot(page, "comparison.png", settle_ms=400)


@pytest.mark.browser
@pytest.mark.server
@pytest.mark.slow
def test_the_traditional_text_is_answered_in_simplified_and_quoted_as_written(
    page: Page,
) -> None:
    """A simplified question about the traditional-script seed: a simplified answer, and the
    card quotes the document in its own traditional script."""
    _ask(page, "绵阳在地震灾区的哪几个镇设立了社会工作服务站?")
    answer = _bot_text(page)
    assert "擂鼓镇" in answer and not is_traditional(answer)
    mark = page.locator("#sg-sources .sg-card").first.locator("mark").inner_text()
    assert "擂鼓鎮" in mark and is_traditional(mark)
    assert "2010" in page.locator("#sg-sources .sg-card .sg-meta").first.inner_text()
    _screenshot(page, "traditional.png", settle_ms=400)


@pytest.mark.browser
@pytest.mark.server
@pytest.mark.slow
def test_the_library_filters_by_region_and_kind(page: Page) -> None:
    """文档库: choosing a region lists only its documents, newest first; a kind narrows it."""
    page.get_by_role("tab", name="文档库").click()
    table = page.locator("#sg-doc-table")
    page.locator("#sg-lib-region input").click()
    page.get_by_role("option", name="黑龙江", exact=True).click()
    expect(table).to_contain_text("筛选出")
    expect(table).not_to_contain_text("甘肃省关于加快推进社会工作发展的意见")
    regions = table.locator("[role=gridcell][data-col='4']").all_inner_texts()
    assert len(regions) == 2 and all("黑龙江" in r for r in regions), regions
    _screenshot(page, "library-region.png", settle_ms=400)
    page.locator("#sg-lib-kind input").click()
    page.get_by_role("option", name="法律", exact=True).click()
    expect(table).to_contain_text("筛选出 0 份")


@pytest.mark.browser
@pytest.mark.server
@pytest.mark.slow
def test_region_filter_and_clear(page: Page) -> None:
    """With region 甘肃 every card is from Gansu; 清空对话 empties chat and sources."""
    page.locator("#sg-region input").click()
    page.get_by_role("option", name="甘肃", exact=True).click()
    _ask(page, "持证社工的目标是多少?")
    metas = page.locator("#sg-sources .sg-card .sg-meta").all_inner_texts()
    assert metas and all("甘肃" in m for m in metas)
    page.locator("#sg-clear").click()
    page.wait_for_function("() => !document.querySelector('#sg-sources .sg-card')")
    assert page.locator("#sg-chat [data-testid='bot']").count() == 0


@pytest.mark.browser
@pytest.mark.server
@pytest.mark.slow
def test_followup_uses_the_conversation(page: Page) -> None:
    """The follow-up "那黑龙江呢?" after a Gansu question is answered about Heilongjiang."""
    _ask(page, "甘肃的持证社工目标是多少?")
    assert "1万人" in _bot_text(page)
    _ask(page, "那黑龙江呢?")
    assert "三万" in _bot_text(page)
    assert "黑龙江" in page.locator("#sg-sources .sg-card").first.inner_text()


@pytest.mark.browser
@pytest.mark.server
@pytest.mark.slow
def test_wrong_password_keeps_upload_locked(page: Page) -> None:
    """A wrong password leaves the upload button disabled."""
    page.get_by_role("tab", name="文档库").click()
    page.locator("#sg-password input").fill("not-the-password")
    page.get_by_role("button", name="登录").click()
    page.get_by_text("密码不正确").wait_for()
    assert page.get_by_role("button", name="上传并入库").is_disabled()


def _make_docx(path: Path) -> None:
    from docx import Document

    doc = Document()
    doc.add_heading("青山市社会工作服务站管理办法", level=1)
    doc.add_paragraph("第一条 为规范青山市社会工作服务站建设,制定本办法。")
    doc.add_paragraph(f"第二条 {FACT}培训内容包括政策法规、专业方法和督导实务。")
    doc.save(str(path))


@pytest.mark.browser
@pytest.mark.server
@pytest.mark.slow
def test_staff_upload_then_answer_cites_it_then_delete(
    page: Page, live_app: LiveApp, tmp_path: Path
) -> None:
    """Log in, upload a .docx, see it indexed and listed, get an answer citing it, delete it."""
    upload = tmp_path / "青山市社工站办法.docx"
    _make_docx(upload)
    page.get_by_role("tab", name="文档库").click()
    page.locator("#sg-password input").fill(live_app.password)
    page.get_by_role("button", name="登录").click()
    page.get_by_text("已登录").wait_for()
    page.locator("#sg-upload input[type=file]").set_input_files(str(upload))
    page.locator("#sg-upload").get_by_text("青山市社工站办法").first.wait_for()
    page.get_by_role("button", name="上传并入库").click()
    report = page.locator("#sg-upload-report")
    expect(report).to_contain_text("已入库", timeout=120_000)
    assert "uploads/青山市社工站办法.docx" in report.inner_text()
    assert (live_app.corpus_dir / "uploads" / "青山市社工站办法.docx").is_file()
    # Newest first: the undated upload is listed last, out of view; its kind finds it.
    page.locator("#sg-lib-kind input").click()
    page.get_by_role("option", name="规章与办法", exact=True).click()
    expect(page.locator("#sg-doc-table")).to_contain_text("青山市社会工作服务站管理办法")
    page.locator("#sg-doc-pick input").click()
    page.get_by_role("option", name="青山市社会工作服务站管理办法", exact=False).first.click()
    page.get_by_text("88学时").first.wait_for()
    _screenshot(page, "library.png", settle_ms=500)

    page.get_by_role("tab", name="问答").click()
    _ask(page, "青山市社工站每年培训时长不少于多少学时?")
    assert "88" in _bot_text(page)
    card = page.locator("#sg-sources .sg-card").first
    assert "青山市" in card.inner_text() and "88学时" in card.locator("mark").inner_text()

    page.get_by_role("tab", name="文档库").click()
    page.locator("#sg-delete-pick input").click()
    page.get_by_role("option", name="uploads/青山市社工站办法.docx").click()
    page.get_by_role("button", name="删除").click()
    page.get_by_text("上传的文件也已删除").wait_for()
    assert not (live_app.corpus_dir / "uploads" / "青山市社工站办法.docx").exists()

    # Both actions are in the audit log, and staff see them in 操作日志.
    page.get_by_role("tab", name="操作日志").click()
    page.get_by_role("button", name="刷新操作日志").click()
    table = page.locator("#sg-audit-table")
    expect(table).to_contain_text("删除")
    text = table.inner_text()
    assert "上传" in text and "uploads/青山市社工站办法.docx" in text and "127.0.0.1" in text
    assert file_sha256(upload)[:16] in text
    _screenshot(page, "audit.png", settle_ms=300)
