"""The Gradio app (社工政策问答): chat with cited sources, the document library, staff tools.

All answering goes through `QAService`; this module only lays out, escapes and wires events.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import shutil
import tempfile
from pathlib import Path

import gradio as gr

from bot.answer_types import Answer
from bot.audit import AuditAction, AuditLog, file_sha256
from bot.feedback import FeedbackStore
from bot.http_guard import key_matches
from bot.login_guard import LoginGuard
from bot.service import QAService, QuestionTooLong
from bot.ui_render import (
    ALL_KINDS,
    ALL_REGIONS,
    ALL_YEARS,
    LIBRARY_HEADERS,
    answer_markup,
    audit_rows,
    chat_text,
    document_choices,
    document_html,
    document_rows,
    esc,
    feedback_rows,
    kind_choices,
    library_view,
    region_choices,
    sanitize_filename,
    sources_html,
    year_choices,
)

TITLE = "社工政策问答"
UPLOAD_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")
NO_PASSWORD_NOTE = "设置环境变量 SHEGONG_ADMIN_PASSWORD 后可上传/删除文档"
LOGIN_FIRST = "请先在「文档库 → 管理文档」用工作人员密码登录。"
PENDING = "正在查找相关政策原文……"
CANDIDATE_EXAMPLES = [
    "考了社工证在唐山工会每月能多拿多少?",
    "甘肃对社会工作者职业水平评价有什么规定?",
    "社会工作者职业资格证书有什么用?",
]
STAFF_EXAMPLES = [
    "社工站要达到哪些要求?",
    "甘肃和黑龙江的持证社工目标分别是多少?",
    "甘民发〔2021〕97号对社会工作服务站建设有什么要求?",
]
STATUS_NAMES = {
    "indexed": "已入库",
    "skipped": "未变,跳过",
    "removed": "已删除",
    "failed": "失败",
    "duplicate": "重复",
}

UI_CSS = """
.sg-cards { display: flex; flex-direction: column; gap: 10px; }
.sg-card { border: 1px solid var(--border-color-primary); border-left: 4px solid #3b6fd8;
  border-radius: 8px; padding: 10px 12px; background: var(--background-fill-primary);
  transition: box-shadow .3s; }
.sg-card.sg-flash { box-shadow: 0 0 0 3px #f5c542; }
.sg-card-head { display: flex; gap: 8px; align-items: baseline; font-weight: 600; }
.sg-n { background: #3b6fd8; color: #fff; border-radius: 4px; padding: 0 6px;
  font-size: 0.85em; flex: none; }
.sg-meta { color: var(--body-text-color-subdued); font-size: 0.85em; margin: 4px 0; }
.sg-section { color: var(--body-text-color-subdued); font-size: 0.85em; }
.sg-text { font-size: 0.92em; line-height: 1.65; margin-top: 6px; white-space: pre-wrap; }
.sg-text mark, .sg-doc mark { background: #ffe58a; color: inherit; padding: 0 1px; }
.sg-open { margin-top: 6px; font-size: 0.85em; cursor: pointer; border: 1px solid #3b6fd8;
  color: #3b6fd8; background: transparent; border-radius: 6px; padding: 2px 10px; }
.sg-open:hover { background: #3b6fd8; color: #fff; }
.sg-refusal { border: 1px solid #d9822b; border-left: 6px solid #d9822b; border-radius: 8px;
  padding: 10px 12px; background: #fff6ec; color: #7a3e00; font-weight: 600; }
.sg-refusal small { display: block; font-weight: 400; margin-top: 4px; }
.sg-related .sg-card { border-left-color: #9aa3b2; }
.sg-related .sg-n { background: #9aa3b2; }
.sg-empty { color: var(--body-text-color-subdued); padding: 8px; }
.sg-doc { line-height: 1.75; white-space: pre-wrap; font-size: 0.95em; }
.sg-doc h3 { margin: 0 0 6px 0; }
.sg-doc-meta { white-space: normal; font-size: 0.88em; margin-bottom: 8px; }
.sg-doc-meta td { padding: 1px 10px 1px 0; vertical-align: top; }
.sg-doc-grid { display: grid; grid-template-columns: minmax(180px, 30%) 1fr; gap: 18px; }
.sg-outline { white-space: normal; font-size: 0.85em; position: sticky; top: 0;
  align-self: start; max-height: 560px; overflow: auto; border-right: 1px solid
  var(--border-color-primary); padding-right: 8px; }
.sg-outline ol { padding-left: 20px; margin: 4px 0; }
.sg-outline li { margin: 3px 0; }
.sg-doc-meta { border-collapse: collapse; }
.sg-doc-meta td:first-child { color: var(--body-text-color-subdued); white-space: nowrap; }
.sg-sec-mark { display: block; color: #3b6fd8; font-size: 0.8em; margin-top: 8px; }
.cite-ref { text-decoration: none; font-weight: 600; color: #3b6fd8; }
.sg-warn { color: #a15c00; font-size: 0.88em; margin-bottom: 6px; }
.sg-repealed { color: #b42318; font-size: 0.85em; font-weight: 600; margin: 4px 0; }
table.sg-compare { border-collapse: collapse; margin: 6px 0; font-size: 0.92em; }
table.sg-compare th, table.sg-compare td {
  border: 1px solid var(--border-color-primary); padding: 4px 8px; vertical-align: top;
}
table.sg-compare th { background: var(--background-fill-secondary); }
table.sg-compare td:first-child { white-space: nowrap; }
"""

# Clicking [n] in an answer scrolls to its source card (a document-level listener, installed once).
UI_HEAD = """
<script>
(() => {
  if (window.__sgCiteHook) return;
  window.__sgCiteHook = true;
  document.addEventListener('click', (ev) => {
    const a = ev.target.closest && ev.target.closest('a[href^="#cite-"], a.sg-jump');
    if (!a) return;
    const id = (a.getAttribute('href') || '').slice(1);
    const el = document.getElementById(id);
    if (!el) return;
    ev.preventDefault();
    ev.stopPropagation();
    el.scrollIntoView({behavior: 'smooth', block: 'center'});
    el.classList.add('sg-flash');
    setTimeout(() => el.classList.remove('sg-flash'), 1600);
  }, true);
})();
</script>
"""

_SOURCES_JS = """
element.addEventListener('click', (ev) => {
  const b = ev.target.closest('.sg-open');
  if (b) trigger('open_source', {index: Number(b.dataset.index)});
});
"""
_SCROLL_TO_HIT_JS = """
() => { setTimeout(() => {
  const hit = document.getElementById('sg-doc-hit');
  if (hit) hit.scrollIntoView({block: 'center'});
}, 150); }
"""


# ---------------------------------------------------------------- rendering (pure functions)


def _previous(upload: Path) -> Path:
    """Where an upload's earlier version waits while its replacement is indexed."""
    return upload.with_name(f".{upload.name}.previous")


def _settle_uploads(saved: list[Path], failed: set[Path]) -> None:
    """Keep the uploads that were indexed; drop the failed ones (they would fail every later
    ingest too) and bring back the earlier version of the same name, if there was one."""
    for target in saved:
        previous = _previous(target)
        if target in failed:
            target.unlink(missing_ok=True)
            if previous.exists():
                os.replace(previous, target)
        else:
            previous.unlink(missing_ok=True)


class _App:
    """Event handlers bound to one service; holds no per-user state (that lives in gr.State)."""

    def __init__(self, service: QAService) -> None:
        self.service = service
        self.settings = service.settings
        self.feedback = FeedbackStore(Path(self.settings.data_dir) / "feedback.sqlite")
        self.audit = AuditLog(self.settings.audit_path)
        self.guard = LoginGuard(
            self.settings.admin_password,
            self.audit,
            self.settings.login_max_failures,
            self.settings.login_cooloff_s,
        )

    # -- helpers
    @property
    def password_set(self) -> bool:
        """Whether staff upload/delete is enabled at all."""
        return bool(self.settings.admin_password)

    def documents(self) -> list[dict]:
        """Every indexed document, from the service."""
        return self.service.documents()

    @staticmethod
    def _region(region: str | None) -> str | None:
        """The service's region filter: None for 全部."""
        return None if not region or region == ALL_REGIONS else region

    # -- chat
    def respond(
        self,
        question: str,
        chat: list,
        history: list[dict],
        turns: dict,
        region: str,
    ):
        """Stream one answer into the chat, then show its sources."""
        question = (question or "").strip()
        if not question:
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        chat = [
            *(chat or []),
            {"role": "user", "content": chat_text(question)},
            {"role": "assistant", "content": PENDING},
        ]
        yield "", chat, gr.skip(), gr.skip(), gr.skip(), gr.skip()
        text, answer = "", None
        try:
            self.service.check_question(question)
            for piece in self.service.stream(question, list(history or []), self._region(region)):
                if isinstance(piece, Answer):
                    answer = piece
                    break
                text += piece
                chat[-1] = {"role": "assistant", "content": chat_text(text)}
                yield gr.skip(), chat, gr.skip(), gr.skip(), gr.skip(), gr.skip()
        except QuestionTooLong as err:
            chat[-1] = {"role": "assistant", "content": chat_text(str(err))}
            yield gr.skip(), chat, gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        except Exception as err:  # shown to the user instead of a stuck spinner
            chat[-1] = {"role": "assistant", "content": chat_text(f"出错了:{err}")}
            yield gr.skip(), chat, gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        if answer is None:
            return
        items = answer.citation_dicts()
        chat[-1] = {"role": "assistant", "content": answer_markup(answer.answer, len(items))}
        history = [
            *(history or []),
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer.answer},
        ]
        turns = dict(turns or {})
        turns[str(len(chat) - 1)] = {
            "question": question,
            "answer": answer.answer,
            "refused": answer.refused,
            "citations": items,
        }
        yield "", chat, sources_html(answer, items), history, turns, items

    def clear(self) -> tuple:
        """Forget the conversation."""
        hidden = gr.update(visible=False)
        return (
            [],
            [],
            {},
            [],
            sources_html(None, []),
            gr.update(value="", visible=False),
            hidden,
            "",
        )

    def like(self, turns: dict, comment: str, data: gr.LikeData) -> tuple[str, str]:
        """Store 👍/👎 (and the optional comment) for the answer that was rated."""
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        turn = (turns or {}).get(str(index))
        if not turn:
            return "没有找到这条回答的记录,未保存。", comment
        liked = data.liked is True or data.liked == "Like"
        row = self.feedback.add(
            turn["question"],
            turn["answer"],
            json.dumps(turn["citations"], ensure_ascii=False),
            liked,
            (comment or "").strip(),
        )
        mark = "赞" if liked else "踩"
        return f"已记录反馈:{mark}(编号 {row}),谢谢!", ""

    def open_source(self, items: list[dict], data: gr.EventData) -> tuple:
        """Show the whole cleaned document of one source card, scrolled to the quote."""
        try:
            item = (items or [])[int(data.index)]
        except (AttributeError, IndexError, TypeError, ValueError):
            return gr.skip(), gr.skip()
        doc = self.service.document(item["doc_id"])
        if doc is None:
            body = '<div class="sg-empty">这份文档已不在库中。</div>'
        else:
            body = document_html(doc, (item["text"], item["quote"]), outline_panel=False)
        head = f"<div class='sg-meta'>原文全文 · 引用 [{item['n']}]</div>"
        return gr.update(value=head + body, visible=True), gr.update(visible=True)

    # -- library
    def show_document(self, doc_id: str | None) -> str:
        """The selected document, in full."""
        doc = self.service.document(doc_id) if doc_id else None
        if doc is None:
            return '<div class="sg-empty">请选择一份文档。</div>'
        return document_html(doc)

    def filter_library(self, region: str, kind: str, year: str) -> tuple:
        """The library table for one region, kind and year (newest first), and its label."""
        docs = self.documents()
        shown = library_view(docs, region, kind, year)
        label = f"已入库文档({len(docs)} 份)"
        if len(shown) != len(docs):
            label += f",筛选出 {len(shown)} 份"
        return gr.update(value=document_rows(shown), label=label)

    def refresh_library(self, region: str, kind: str, year: str) -> tuple:
        """Updated table, pickers and filters after a change."""
        docs = self.documents()
        sources = sorted({d["source"] for d in docs})
        return (
            self.filter_library(region, kind, year),
            gr.update(choices=document_choices(docs)),
            gr.update(choices=sources, value=None),
            gr.update(choices=region_choices(docs)),
            gr.update(choices=region_choices(docs)),
            gr.update(choices=year_choices(docs)),
        )

    def login(self, password: str, request: gr.Request | None = None) -> tuple:
        """Check the staff password (with the per-address lockout); unlock staff controls."""
        result = self.guard.attempt(_client(request), password)
        if result.ok:
            note = "**已登录**,可以上传和删除文档、查看反馈和操作日志。"
        else:
            note = f"**{result.message()}**"
        return result.ok, note, "", *self._staff_updates(result.ok)

    def _staff_updates(self, ok: bool) -> tuple:
        """Enable (or keep disabled) the four staff controls."""
        return tuple(gr.update(interactive=ok) for _ in range(4))

    def upload(
        self, files: list[str] | None, staff: bool, request: gr.Request | None = None
    ) -> tuple[list[list], str]:
        """The upload button: staff only."""
        if not (staff and self.password_set):
            return [], "请先用工作人员密码登录。"
        return self._upload(files, _client(request))

    def _upload(self, files: list[str] | None, client: str) -> tuple[list[list], str]:
        """Check, save under corpus/uploads and index uploaded files; one report row each, and
        one audit-log row each."""
        if not files:
            return [], "请先选择文件。"
        folder = Path(self.settings.corpus_dir) / "uploads"
        folder.mkdir(parents=True, exist_ok=True)
        limit = self.settings.max_upload_mb * 1024 * 1024
        rows: list[list] = []
        saved: dict[Path, tuple[AuditAction, str]] = {}  # target -> (upload or replace, hash)
        for tmp in files:
            tmp_path = Path(tmp if isinstance(tmp, str) else getattr(tmp, "name", str(tmp)))
            name = sanitize_filename(Path(tmp_path).name)
            suffix = Path(name).suffix.lower()
            digest = file_sha256(tmp_path)
            target = (folder / name).resolve()
            if suffix not in UPLOAD_SUFFIXES:
                allowed = "、".join(UPLOAD_SUFFIXES)
                reason = f"不支持的文件类型 {suffix or '(无)'},支持 {allowed}"
            elif (size := tmp_path.stat().st_size) > limit:
                reason = f"文件 {size / 1048576:.1f} MB,超过上限 {self.settings.max_upload_mb:g} MB"
            elif target.parent != folder.resolve():
                reason = "文件名不合法"
            else:
                action = AuditAction.REPLACE if target.exists() else AuditAction.UPLOAD
                if target.exists():  # kept aside (hidden: ingest skips it) until the new one is in
                    os.replace(target, _previous(target))
                shutil.copyfile(tmp_path, target)
                saved[target] = (action, digest)
                continue
            rows.append([name, "失败", 0, reason, ""])
            self.audit.record(AuditAction.UPLOAD, client, name, digest, f"拒收:{reason}")
        if not saved:
            return rows, "没有文件入库。"
        try:
            report = self.service.ingest(list(saved))
        except Exception as err:  # e.g. the Chroma server is down: put every file back
            _settle_uploads(list(saved), failed=set(saved))
            for target, (action, digest) in saved.items():
                self.audit.record(action, client, target.name, digest, f"失败:{err}"[:300])
            return rows, f"入库失败,上传的文件未保存:{esc(str(err))[:300]}"
        failed = {(Path(self.settings.corpus_dir) / f.source).resolve() for f in report.failed}
        _settle_uploads(list(saved), failed)
        for f in report.files:
            target = (Path(self.settings.corpus_dir) / f.source).resolve()
            if target in saved:
                action, digest = saved[target]
                status = STATUS_NAMES.get(f.status, f.status)
                outcome = f"{status}({f.chunks} 个片段)" if f.chunks else status
                if f.reason:
                    outcome += f":{f.reason}"
                self.audit.record(action, client, f.source, digest, outcome[:300])
        rows += [
            [
                f.source,
                STATUS_NAMES.get(f.status, f.status),
                f.chunks,
                f"{f.reason}(未保存)" if f.status == "failed" else f.reason,
                f"{f.seconds:.1f}",
            ]
            for f in report.files
        ]
        return rows, report.summary()

    def delete(self, source: str | None, staff: bool, request: gr.Request | None = None) -> str:
        """Remove one source file's chunks (and the file itself when it was uploaded here)."""
        if not (staff and self.password_set):
            return "请先用工作人员密码登录。"
        if not source:
            return "请先选择要删除的文件。"
        path = (Path(self.settings.corpus_dir) / source).resolve()
        digest = file_sha256(path)
        removed = self.service.delete_source(source)
        note = f"已从索引中删除 {esc(source)} 的 {removed} 个片段。"
        outcome = f"删除 {removed} 个片段"
        uploads = (Path(self.settings.corpus_dir) / "uploads").resolve()
        if path.parent == uploads and path.is_file():
            path.unlink()
            note += "上传的文件也已删除。"
            outcome += ",上传的文件已删除"
        elif removed:
            note += "原文件仍在资料目录中,重新入库时会再次加入。"
        self.audit.record(AuditAction.DELETE, _client(request), source, digest, outcome)
        return note

    def recent_feedback(self, staff: bool) -> tuple[list[list], str]:
        """Recent feedback rows, for staff only."""
        if not (staff and self.password_set):
            return [], LOGIN_FIRST
        rows = self.feedback.recent(100)
        return feedback_rows(rows), f"最近 {len(rows)} 条反馈。"

    def recent_audit(self, staff: bool) -> tuple[list[list], str]:
        """The newest audit-log rows, for staff only."""
        if not (staff and self.password_set):
            return [], LOGIN_FIRST
        entries = self.audit.recent(200)
        where = self.settings.audit_path
        return audit_rows(entries), f"最近 {len(entries)} 条操作(完整记录在 `{where}`)。"

    # -- the named API
    def ask_api(self, question: str, history: str | list | None = None, region: str = "") -> dict:
        """Answer a question; history is a list (or JSON list) of {"role", "content"}."""
        if isinstance(history, str):
            history = json.loads(history) if history.strip() else []
        try:
            answer = self.service.ask(question, list(history or []), self._region(region))
        except QuestionTooLong as err:
            raise gr.Error(str(err)) from None
        return answer.to_json()

    def ingest_api(
        self,
        password: str,
        file_name: str,
        content_base64: str,
        request: gr.Request | None = None,
    ) -> dict:
        """Staff: index one document sent as base64 (same checks as the upload button).

        With SHEGONG_API_KEY set, the caller must also send `Authorization: Bearer <key>`."""
        keys = self.settings.api_keys
        headers = getattr(request, "headers", None) or {}
        if keys and not key_matches(headers.get("authorization"), keys):
            return {"ok": False, "summary": "缺少或错误的 API 密钥(Authorization: Bearer …)。"}
        client = _client(request)
        login = self.guard.attempt(client, password, sanitize_filename(file_name))
        if not login.ok:
            return {"ok": False, "summary": login.message()}
        limit = self.settings.max_upload_mb * 1024 * 1024
        if len(content_base64) > limit * 4 / 3 + 4:  # refuse before decoding into memory
            return {"ok": False, "summary": f"文件超过上限 {self.settings.max_upload_mb:g} MB"}
        try:
            data = base64.b64decode(content_base64, validate=True)
        except binascii.Error:
            return {"ok": False, "summary": "文件内容不是有效的 base64 编码"}
        safe = sanitize_filename(file_name)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / safe
            path.write_bytes(data)
            rows, summary = self._upload([str(path)], client)
        if safe != file_name:
            summary = f"文件名「{file_name}」含路径或不允许的字符,已改为「{safe}」。{summary}"
        return {"ok": True, "files": rows, "summary": summary}

    def documents_api(self) -> list[dict]:
        """Every indexed document's metadata (without its text)."""
        return [{k: v for k, v in d.items() if k != "parts"} for d in self.documents()]


def build_ui(service: QAService) -> gr.Blocks:
    """The whole Gradio app over one service. Mount with `UI_CSS` and `UI_HEAD` (see server)."""
    app = _App(service)
    docs = app.documents()
    locked = not app.password_set

    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        history = gr.State([])  # plain {"role", "content"} turns for follow-up questions
        turns = gr.State({})  # chat message index -> the answer record (for feedback)
        shown = gr.State([])  # the source cards now on screen
        staff = gr.State(False)  # held on the server, per session

        gr.Markdown(f"# {TITLE}\n从政策原文中查找答案,每句回答都标注出处 [n],点击可对照原文。")
        with gr.Tabs():
            with gr.Tab("问答", id="chat"), gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=360):
                    chatbot = gr.Chatbot(
                        label="对话",
                        height=520,
                        buttons=[],
                        feedback_options=["Like", "Dislike"],
                        placeholder="请输入关于社会工作政策的问题,例如持证补贴、社工站建设要求。",
                        elem_id="sg-chat",
                    )
                    with gr.Row():
                        question = gr.Textbox(
                            placeholder="输入问题,按回车发送",
                            show_label=False,
                            max_length=service.settings.max_question_chars,
                            scale=5,
                            elem_id="sg-question",
                        )
                        send = gr.Button("发送", variant="primary", scale=1, min_width=80)
                    with gr.Row():
                        region = gr.Dropdown(
                            region_choices(docs),
                            value=ALL_REGIONS,
                            label="地区筛选",
                            scale=2,
                            elem_id="sg-region",
                        )
                        clear = gr.Button("清空对话", scale=1, elem_id="sg-clear")
                    gr.Examples(CANDIDATE_EXAMPLES, inputs=question, label="考生常问")
                    gr.Examples(STAFF_EXAMPLES, inputs=question, label="工作人员常用")
                    with gr.Row():
                        comment = gr.Textbox(
                            label="评论(可选):先写评论,再点回答下方的 赞/踩 按钮",
                            lines=1,
                            scale=4,
                            elem_id="sg-comment",
                        )
                    feedback_note = gr.Markdown("", elem_id="sg-feedback-note")
                with gr.Column(scale=2, min_width=320):
                    gr.Markdown("### 引用来源")
                    sources = gr.HTML(
                        sources_html(None, []),
                        js_on_load=_SOURCES_JS,
                        elem_id="sg-sources",
                        max_height=720,
                    )
                    close_doc = gr.Button("关闭原文", size="sm", visible=False)
                    doc_view = gr.HTML("", visible=False, elem_id="sg-docview", max_height=560)

            with gr.Tab("文档库", id="library"):
                with gr.Row():
                    lib_region = gr.Dropdown(
                        region_choices(docs),
                        value=ALL_REGIONS,
                        label="按地区",
                        elem_id="sg-lib-region",
                    )
                    lib_kind = gr.Dropdown(
                        kind_choices(), value=ALL_KINDS, label="按类型", elem_id="sg-lib-kind"
                    )
                    lib_year = gr.Dropdown(
                        year_choices(docs), value=ALL_YEARS, label="按年份", elem_id="sg-lib-year"
                    )
                doc_table = gr.Dataframe(
                    document_rows(library_view(docs)),
                    headers=LIBRARY_HEADERS,
                    interactive=False,
                    wrap=True,
                    label=f"已入库文档({len(docs)} 份)",
                    column_widths=["27%", "8%", "12%", "17%", "8%", "8%", "13%", "7%"],
                    max_height=420,
                    elem_id="sg-doc-table",
                )
                doc_pick = gr.Dropdown(
                    document_choices(docs), label="选择文档查看全文与章节", elem_id="sg-doc-pick"
                )
                doc_full = gr.HTML('<div class="sg-empty">请选择一份文档。</div>', max_height=640)
                with gr.Accordion("管理文档(工作人员)", open=not locked, elem_id="sg-admin"):
                    if locked:
                        gr.Markdown(f"**{NO_PASSWORD_NOTE}**", elem_id="sg-locked")
                    with gr.Row():
                        password = gr.Textbox(
                            label="工作人员密码",
                            type="password",
                            interactive=not locked,
                            scale=3,
                            elem_id="sg-password",
                        )
                        login = gr.Button("登录", interactive=not locked, scale=1)
                    login_note = gr.Markdown("")
                    upload_files = gr.File(
                        label="上传文档(txt、md、html、pdf、docx)",
                        file_count="multiple",
                        file_types=list(UPLOAD_SUFFIXES),
                        interactive=False,
                        height=110,
                        elem_id="sg-upload",
                    )
                    upload_btn = gr.Button("上传并入库", variant="primary", interactive=False)
                    upload_note = gr.Markdown("")
                    upload_report = gr.Dataframe(
                        headers=["文件", "状态", "片段数", "原因", "用时(秒)"],
                        interactive=False,
                        wrap=True,
                        label="入库报告",
                        elem_id="sg-upload-report",
                    )
                    with gr.Row():
                        delete_pick = gr.Dropdown(
                            sorted({d["source"] for d in docs}),
                            value=None,
                            label="删除来源文件",
                            elem_id="sg-delete-pick",
                            interactive=False,
                            scale=3,
                        )
                        delete_btn = gr.Button("删除", variant="stop", interactive=False, scale=1)
                    delete_note = gr.Markdown("")

            with gr.Tab("反馈记录", id="feedback"):
                fb_refresh = gr.Button("刷新反馈", size="sm")
                fb_note = gr.Markdown(LOGIN_FIRST)
                fb_table = gr.Dataframe(
                    headers=["时间(UTC)", "评价", "问题", "回答", "评论", "引用数"],
                    interactive=False,
                    wrap=True,
                    elem_id="sg-feedback-table",
                )

            with gr.Tab("操作日志", id="audit"):
                audit_refresh = gr.Button("刷新操作日志", size="sm")
                audit_note = gr.Markdown(LOGIN_FIRST)
                audit_table = gr.Dataframe(
                    headers=["时间(UTC)", "操作", "客户端地址", "文件", "SHA-256(前16位)", "结果"],
                    interactive=False,
                    wrap=True,
                    elem_id="sg-audit-table",
                )

        # -- chat events
        chat_io = dict(
            fn=app.respond,
            inputs=[question, chatbot, history, turns, region],
            outputs=[question, chatbot, sources, history, turns, shown],
            api_visibility="private",
        )
        question.submit(**chat_io)
        send.click(**chat_io)
        clear_io = dict(
            fn=app.clear,
            outputs=[chatbot, history, turns, shown, sources, doc_view, close_doc, feedback_note],
            api_visibility="private",
        )
        clear.click(**clear_io)
        chatbot.clear(**clear_io)  # the chat's own 🗑 button forgets the conversation too
        chatbot.like(app.like, [turns, comment], [feedback_note, comment], api_visibility="private")
        sources.open_source(
            app.open_source, [shown], [doc_view, close_doc], api_visibility="private"
        ).then(None, js=_SCROLL_TO_HIT_JS)
        close_doc.click(
            lambda: (gr.update(visible=False), gr.update(visible=False)),
            outputs=[doc_view, close_doc],
            api_visibility="private",
        )

        # -- library events
        doc_pick.change(app.show_document, doc_pick, doc_full, api_visibility="private")
        filters = [lib_region, lib_kind, lib_year]
        for box in filters:
            box.change(app.filter_library, filters, doc_table, api_visibility="private")
        library_outputs = [doc_table, doc_pick, delete_pick, region, lib_region, lib_year]
        login.click(
            app.login,
            password,
            [staff, login_note, password, upload_files, upload_btn, delete_pick, delete_btn],
            api_visibility="private",
        )
        upload_btn.click(
            app.upload,
            [upload_files, staff],
            [upload_report, upload_note],
            api_visibility="private",
        ).then(app.refresh_library, filters, library_outputs, api_visibility="private")
        delete_btn.click(
            app.delete, [delete_pick, staff], delete_note, api_visibility="private"
        ).then(app.refresh_library, filters, library_outputs, api_visibility="private")
        fb_refresh.click(app.recent_feedback, staff, [fb_table, fb_note], api_visibility="private")
        audit_refresh.click(
            app.recent_audit, staff, [audit_table, audit_note], api_visibility="private"
        )

        # -- named endpoints for gradio_client
        gr.api(app.ask_api, api_name="ask")
        gr.api(app.documents_api, api_name="documents")
        gr.api(app.ingest_api, api_name="ingest")

    demo.queue(default_concurrency_limit=2)
    return demo


def _client(request: gr.Request | None) -> str:
    """The caller's address (the proxy's X-Forwarded-For when uvicorn trusts that proxy)."""
    client = getattr(request, "client", None)
    return str(getattr(client, "host", "") or "unknown")
