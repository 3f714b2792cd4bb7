"""The Gradio app (社工政策问答): chat with cited sources, the document library, staff tools.

All answering goes through `QAService`; this module only lays out, escapes and wires events.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import html
import itertools
import json
import re
import shutil
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

import gradio as gr

from bot.answer_types import Answer
from bot.feedback import FeedbackStore
from bot.service import QAService

TITLE = "社工政策问答"
ALL_REGIONS = "全部"
UPLOAD_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")
NO_PASSWORD_NOTE = "设置环境变量 SHEGONG_ADMIN_PASSWORD 后可上传/删除文档"
REFUSAL_TITLE = "资料中没有找到能回答这个问题的依据"
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
_MARKER = re.compile(r"\[(\d{1,2})\]")
_MD_SPECIAL = re.compile(r"[\\`*_\[\]#+\-!|~$]")

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


def esc(value: Any) -> str:
    """HTML-escape any value (quotes included)."""
    return html.escape(str(value if value is not None else ""), quote=True)


def chat_text(text: str) -> str:
    """Plain text for the chat (which renders Markdown): Markdown and HTML both escaped."""
    return esc(_MD_SPECIAL.sub(r"\\\g<0>", text))


def answer_markup(text: str, n_citations: int) -> str:
    """Answer text for the chat: escaped, each valid [n] a superscript link to card #cite-n."""
    out, last = [], 0
    for m in _MARKER.finditer(text):
        n = int(m.group(1))
        if 1 <= n <= n_citations:
            out.append(chat_text(text[last : m.start()]))
            out.append(f'<sup><a class="cite-ref" href="#cite-{n}">[{n}]</a></sup>')
            last = m.end()
    out.append(chat_text(text[last:]))
    return "".join(out)


def highlight(text: str, quote: str, mark_id: str = "") -> str:
    """Escaped text with the first occurrence of `quote` wrapped in <mark>."""
    pos = text.find(quote) if quote else -1
    if pos < 0:
        return esc(text)
    ident = f' id="{esc(mark_id)}"' if mark_id else ""
    end = pos + len(quote)
    return f"{esc(text[:pos])}<mark{ident}>{esc(quote)}</mark>{esc(text[end:])}"


def source_items(answer: Answer) -> list[dict]:
    """The cards to show for an answer: its citations as plain dicts."""
    return [
        {
            "n": c.n,
            "doc_id": c.doc_id,
            "title": c.title,
            "source": c.source,
            "section": c.section,
            "text": c.text,
            "quote": c.quote,
            "region": c.region,
            "doc_number": c.doc_number,
        }
        for c in answer.citations
    ]


def _card(item: dict, index: int) -> str:
    meta = " · ".join(esc(v) for v in (item.get("region"), item.get("doc_number")) if v)
    section = esc(item.get("section") or "")
    title = esc(item.get("title") or item.get("source") or "")
    return (
        f'<div class="sg-card" id="cite-{item["n"]}">'
        f'<div class="sg-card-head"><span class="sg-n">[{item["n"]}]</span>'
        f"<span>{title}</span></div>"
        + (f'<div class="sg-meta">{meta}</div>' if meta else "")
        + (f'<div class="sg-section">章节:{section}</div>' if section else "")
        + f'<div class="sg-text">{highlight(item["text"], item["quote"])}</div>'
        f'<button class="sg-open" data-index="{index}">在原文中查看 ›</button>'
        "</div>"
    )


def sources_html(answer: Answer | None, items: list[dict]) -> str:
    """The sources panel: one card per citation, or a refusal card and the nearest clauses."""
    if answer is None:
        return '<div class="sg-empty">提问后,这里会列出回答所引用的原文。</div>'
    cards = "".join(_card(item, i) for i, item in enumerate(items))
    if answer.refused:
        related = (
            f'<div class="sg-meta">最接近的相关条文(仅供参考):</div>'
            f'<div class="sg-cards sg-related">{cards}</div>'
            if items
            else ""
        )
        return (
            f'<div class="sg-refusal">{REFUSAL_TITLE}'
            "<small>可以换个说法、指定地区,或在「文档库」查看现有文件。</small></div>" + related
        )
    if not items:
        return '<div class="sg-empty">这个回答没有引用来源。</div>'
    warn = "".join(f'<div class="sg-warn">注意:{esc(w)}</div>' for w in answer.warnings)
    return f'{warn}<div class="sg-cards">{cards}</div>'


def document_text(parts: list) -> str:
    """A document's cleaned text, rebuilt by placing each chunk's text at its start offset."""
    size = max((int(p[0]) + len(p[3]) for p in parts), default=0)
    chars = [" "] * size
    for start, _cid, _section, text in parts:
        chars[int(start) : int(start) + len(text)] = list(text)
    return "".join(chars)


def _region(doc: dict) -> str:
    province, city = doc.get("province") or "", doc.get("city") or ""
    return province + (city if city and city not in province else "")


def _short_section(section: str, title: str) -> str:
    """A heading path without its first segment when that is the document's own name."""
    head, sep, rest = section.partition(" > ")
    return rest if sep and rest and (head in title or len(head) <= 16) else section


def document_html(
    doc: dict, quote_at: tuple[str, str] | None = None, outline_panel: bool = True
) -> str:
    """A whole cleaned document with its metadata and outline; `quote_at` (chunk text, quote)
    marks where a citation points and gives the mark id `sg-doc-hit`."""
    text = document_text(doc["parts"])
    rows = [
        ("标题", doc.get("title")),
        ("发文机关", doc.get("issuer")),
        ("文号", doc.get("doc_number")),
        ("地区", _region(doc)),
        ("日期", doc.get("date")),
        ("来源文件", doc.get("source")),
        ("片段数", doc.get("chunks")),
    ]
    meta = "".join(f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in rows if v)
    # Section marks go where each new section's first chunk begins.
    marks: dict[int, tuple[int, str]] = {}
    seen: list[str] = []
    for start, _cid, section, _text in doc["parts"]:
        if section and section not in seen:
            seen.append(section)
            marks.setdefault(int(start), (len(seen) - 1, section))
    hit: tuple[int, int] | None = None
    if quote_at:
        chunk_text, quote = quote_at
        base = text.find(chunk_text)
        inner = chunk_text.find(quote) if quote else -1
        if base >= 0:
            hit = (
                base + max(inner, 0),
                base + (inner + len(quote) if inner >= 0 else len(chunk_text)),
            )
    cuts = sorted(set(marks) | ({hit[0], hit[1]} if hit else set()) | {0, len(text)})
    body = []
    for a, b in itertools.pairwise(cuts):
        if a in marks:
            i, section = marks[a]
            short = _short_section(section, doc.get("doc_number") or doc.get("title") or "")
            body.append(f'<span class="sg-sec-mark" id="sg-sec-{i}">§ {esc(short)}</span>')
        piece = esc(text[a:b])
        if hit and hit[0] <= a < hit[1]:
            ident = ' id="sg-doc-hit"' if a == hit[0] else ""
            piece = f"<mark{ident}>{piece}</mark>"
        body.append(piece)
    name = doc.get("doc_number") or doc.get("title") or ""
    outline = "".join(
        f'<li><a class="sg-jump" href="#sg-sec-{i}">{esc(_short_section(s, name))}</a></li>'
        for i, s in enumerate(seen)
    )
    text_html = f'<div class="sg-doc-body">{"".join(body)}</div>'
    if outline_panel and len(seen) > 1:
        text_html = (
            f'<div class="sg-doc-grid"><nav class="sg-outline"><b>章节({len(seen)})</b>'
            f"<ol>{outline}</ol></nav>{text_html}</div>"
        )
    return (
        f'<div class="sg-doc"><h3>{esc(doc.get("title") or doc.get("source"))}</h3>'
        f'<table class="sg-doc-meta">{meta}</table>{text_html}</div>'
    )


def sanitize_filename(name: str) -> str:
    """A safe file name: basename only, no "..", no leading dots or separators; keeps Chinese."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", str(name)))[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*')
    base = re.sub(r"\s+", "_", base.strip())
    base = re.sub(r"\.{2,}", ".", base).lstrip(".-_ ")
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = stem[:80] or "upload"
    return f"{stem}.{suffix.lower()}" if suffix else stem


def region_choices(documents: list[dict]) -> list[str]:
    """全部 plus every province present in the documents."""
    provinces = sorted({d.get("province") or "" for d in documents} - {""})
    return [ALL_REGIONS, *provinces]


def document_rows(documents: list[dict]) -> list[list]:
    """One table row per document."""
    return [
        [
            d.get("title") or "",
            d.get("doc_number") or "",
            d.get("issuer") or "",
            _region(d),
            d.get("date") or "",
            d.get("source") or "",
            d.get("chunks", 0),
        ]
        for d in documents
    ]


def document_choices(documents: list[dict]) -> list[tuple[str, str]]:
    """(label, doc_id) for the document picker."""
    return [
        (f"{d.get('title') or d.get('source')} ({d.get('source')})", d["doc_id"]) for d in documents
    ]


def feedback_rows(rows: list[dict]) -> list[list]:
    """Feedback records as table rows."""
    out = []
    for r in rows:
        try:
            n = len(json.loads(r["citations_json"] or "[]"))
        except ValueError:
            n = 0
        out.append(
            [
                r["created_at"],
                "赞" if r["liked"] else "踩",
                r["question"],
                r["answer"][:120],
                r["comment"],
                n,
            ]
        )
    return out


# ---------------------------------------------------------------- the app


class _App:
    """Event handlers bound to one service; holds no per-user state (that lives in gr.State)."""

    def __init__(self, service: QAService) -> None:
        self.service = service
        self.settings = service.settings
        self.feedback = FeedbackStore(Path(self.settings.data_dir) / "feedback.sqlite")

    # -- helpers
    @property
    def password_set(self) -> bool:
        """Whether staff upload/delete is enabled at all."""
        return bool(self.settings.admin_password)

    def check_password(self, given: str) -> bool:
        """Constant-time comparison with the configured admin password."""
        expected = self.settings.admin_password or ""
        return bool(expected) and hmac.compare_digest(
            (given or "").encode("utf-8"), expected.encode("utf-8")
        )

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
            for piece in self.service.stream(question, list(history or []), self._region(region)):
                if isinstance(piece, Answer):
                    answer = piece
                    break
                text += piece
                chat[-1] = {"role": "assistant", "content": chat_text(text)}
                yield gr.skip(), chat, gr.skip(), gr.skip(), gr.skip(), gr.skip()
        except Exception as err:  # shown to the user instead of a stuck spinner
            chat[-1] = {"role": "assistant", "content": chat_text(f"出错了:{err}")}
            yield gr.skip(), chat, gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        if answer is None:
            return
        items = source_items(answer)
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
        doc = next((d for d in self.documents() if d["doc_id"] == item["doc_id"]), None)
        if doc is None:
            body = '<div class="sg-empty">这份文档已不在库中。</div>'
        else:
            body = document_html(doc, (item["text"], item["quote"]), outline_panel=False)
        head = f"<div class='sg-meta'>原文全文 · 引用 [{item['n']}]</div>"
        return gr.update(value=head + body, visible=True), gr.update(visible=True)

    # -- library
    def show_document(self, doc_id: str | None) -> str:
        """The selected document, in full."""
        doc = next((d for d in self.documents() if d["doc_id"] == doc_id), None)
        if doc is None:
            return '<div class="sg-empty">请选择一份文档。</div>'
        return document_html(doc)

    def refresh_library(self) -> tuple:
        """Updated table, pickers and region filter after a change."""
        docs = self.documents()
        sources = sorted({d["source"] for d in docs})
        return (
            document_rows(docs),
            gr.update(choices=document_choices(docs)),
            gr.update(choices=sources, value=None),
            gr.update(choices=region_choices(docs)),
        )

    def login(self, password: str) -> tuple:
        """Check the staff password; unlock the staff controls on success."""
        ok = self.check_password(password)
        note = "**已登录**,可以上传和删除文档、查看反馈。" if ok else "**密码不正确。**"
        return ok, note, "", *self._staff_updates(ok)

    def _staff_updates(self, ok: bool) -> tuple:
        """Enable (or keep disabled) the four staff controls."""
        return tuple(gr.update(interactive=ok) for _ in range(4))

    def upload(self, files: list[str] | None, staff: bool) -> tuple[list[list], str]:
        """Check, save under corpus/uploads and index uploaded files; one report row each."""
        if not (staff and self.password_set):
            return [], "请先用工作人员密码登录。"
        if not files:
            return [], "请先选择文件。"
        folder = Path(self.settings.corpus_dir) / "uploads"
        folder.mkdir(parents=True, exist_ok=True)
        limit = self.settings.max_upload_mb * 1024 * 1024
        rows: list[list] = []
        saved: list[Path] = []
        for tmp in files:
            tmp_path = Path(tmp if isinstance(tmp, str) else getattr(tmp, "name", str(tmp)))
            name = sanitize_filename(Path(tmp_path).name)
            suffix = Path(name).suffix.lower()
            if suffix not in UPLOAD_SUFFIXES:
                allowed = "、".join(UPLOAD_SUFFIXES)
                rows.append(
                    [name, "失败", 0, f"不支持的文件类型 {suffix or '(无)'},支持 {allowed}", ""]
                )
                continue
            size = tmp_path.stat().st_size
            if size > limit:
                reason = f"文件 {size / 1048576:.1f} MB,超过上限 {self.settings.max_upload_mb:g} MB"
                rows.append([name, "失败", 0, reason, ""])
                continue
            target = (folder / name).resolve()
            if target.parent != folder.resolve():
                rows.append([name, "失败", 0, "文件名不合法", ""])
                continue
            shutil.copyfile(tmp_path, target)
            saved.append(target)
        if not saved:
            return rows, "没有文件入库。"
        report = self.service.ingest(saved)
        rows += [
            [f.source, STATUS_NAMES.get(f.status, f.status), f.chunks, f.reason, f"{f.seconds:.1f}"]
            for f in report.files
        ]
        return rows, report.summary()

    def delete(self, source: str | None, staff: bool) -> str:
        """Remove one source file's chunks (and the file itself when it was uploaded here)."""
        if not (staff and self.password_set):
            return "请先用工作人员密码登录。"
        if not source:
            return "请先选择要删除的文件。"
        removed = self.service.delete_source(source)
        note = f"已从索引中删除 {esc(source)} 的 {removed} 个片段。"
        uploads = (Path(self.settings.corpus_dir) / "uploads").resolve()
        path = (Path(self.settings.corpus_dir) / source).resolve()
        if path.parent == uploads and path.is_file():
            path.unlink()
            note += "上传的文件也已删除。"
        elif removed:
            note += "原文件仍在资料目录中,重新入库时会再次加入。"
        return note

    def recent_feedback(self, staff: bool) -> tuple[list[list], str]:
        """Recent feedback rows, for staff only."""
        if not (staff and self.password_set):
            return [], "请先在「文档库 → 管理文档」用工作人员密码登录。"
        rows = self.feedback.recent(100)
        return feedback_rows(rows), f"最近 {len(rows)} 条反馈。"

    # -- the named API
    def ask_api(self, question: str, history: str | list | None = None, region: str = "") -> dict:
        """Answer a question; history is a list (or JSON list) of {"role", "content"}."""
        if isinstance(history, str):
            history = json.loads(history) if history.strip() else []
        answer = self.service.ask(question, list(history or []), self._region(region))
        return answer.to_json()

    def ingest_api(self, password: str, file_name: str, content_base64: str) -> dict:
        """Staff: index one document sent as base64 (same checks as the upload button)."""
        if not self.check_password(password):
            return {"ok": False, "summary": "工作人员密码不正确,或未设置 SHEGONG_ADMIN_PASSWORD。"}
        limit = self.settings.max_upload_mb * 1024 * 1024
        if len(content_base64) > limit * 4 / 3 + 4:  # refuse before decoding into memory
            return {"ok": False, "summary": f"文件超过上限 {self.settings.max_upload_mb:g} MB"}
        try:
            data = base64.b64decode(content_base64, validate=True)
        except binascii.Error:
            return {"ok": False, "summary": "文件内容不是有效的 base64 编码"}
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / sanitize_filename(file_name)
            path.write_bytes(data)
            rows, summary = self.upload([str(path)], staff=True)
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
                doc_table = gr.Dataframe(
                    document_rows(docs),
                    headers=["标题", "文号", "发文机关", "地区", "日期", "来源文件", "片段数"],
                    interactive=False,
                    wrap=True,
                    label=f"已入库文档({len(docs)} 份)",
                    column_widths=["30%", "13%", "20%", "8%", "5%", "17%", "7%"],
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
                fb_note = gr.Markdown("请先在「文档库 → 管理文档」用工作人员密码登录。")
                fb_table = gr.Dataframe(
                    headers=["时间(UTC)", "评价", "问题", "回答", "评论", "引用数"],
                    interactive=False,
                    wrap=True,
                    elem_id="sg-feedback-table",
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
        library_outputs = [doc_table, doc_pick, delete_pick, region]
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
        ).then(app.refresh_library, outputs=library_outputs, api_visibility="private")
        delete_btn.click(
            app.delete, [delete_pick, staff], delete_note, api_visibility="private"
        ).then(app.refresh_library, outputs=library_outputs, api_visibility="private")
        fb_refresh.click(app.recent_feedback, staff, [fb_table, fb_note], api_visibility="private")

        # -- named endpoints for gradio_client
        gr.api(app.ask_api, api_name="ask")
        gr.api(app.documents_api, api_name="documents")
        gr.api(app.ingest_api, api_name="ingest")

    demo.queue(default_concurrency_limit=2)
    return demo
