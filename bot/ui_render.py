"""HTML and table rendering for the Gradio app: answers with [n] links, source cards, documents.

Pure functions of the service's data; everything user- or document-supplied is escaped here.
"""

from __future__ import annotations

import html
import itertools
import json
import re
import unicodedata
from typing import Any

from bot.answer_types import SOURCE_FIELDS, Answer
from bot.audit import AuditEntry
from bot.cite import MARKER
from ingest.meta import DocKind, doc_kind, short_section
from ingest.regions import PROVINCES
from ingest.schema import LIST_SEP, DocMeta
from ingest.store import REGIONS_KEY

ALL_REGIONS = "全部"
ALL_KINDS = "全部类型"
ALL_YEARS = "全部年份"
LIBRARY_HEADERS = ["标题", "类型", "文号", "发文机关", "地区", "日期", "来源文件", "片段数"]
REFUSAL_TITLE = "资料中没有找到能回答这个问题的依据"
_MD_SPECIAL = re.compile(r"[\\`*_\[\]#+\-!|~$]")


def esc(value: Any) -> str:
    """HTML-escape any value (quotes included)."""
    return html.escape(str(value if value is not None else ""), quote=True)


def chat_text(text: str) -> str:
    """Plain text for the chat (which renders Markdown): Markdown and HTML both escaped."""
    return esc(_MD_SPECIAL.sub(r"\\\g<0>", text))


def answer_markup(text: str, n_citations: int) -> str:
    """Answer text for the chat: escaped, each valid [n] a superscript link to card #cite-n, and
    a Markdown table (a comparison) as an HTML table."""
    out: list[str] = []
    for is_table, lines in itertools.groupby(text.split("\n"), key=_is_table_line):
        block = list(lines)
        if is_table:
            out.append(_table_html(block, n_citations))
        else:
            out.append(_linked("\n".join(block), n_citations))
    return "\n\n".join(out)  # an HTML block in the chat's Markdown needs blank lines around it


def _is_table_line(line: str) -> bool:
    return line.startswith("|") and line.endswith("|")


def _table_html(lines: list[str], n_citations: int) -> str:
    """A Markdown table (head, --- row, body rows) as an HTML table with escaped cells."""
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in lines]
    rows = [r for r in rows if not all(set(c) <= set("-: ") for c in r)]
    if not rows:
        return ""
    head = "".join(f"<th>{esc(c)}</th>" for c in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{_linked(c, n_citations)}</td>" for c in r) + "</tr>"
        for r in rows[1:]
    )
    return f'<table class="sg-compare"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _linked(text: str, n_citations: int) -> str:
    """Escaped text with each valid [n] a superscript link to its source card."""
    out, last = [], 0
    for m in MARKER.finditer(text):
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


def _card(item: dict, index: int) -> str:
    meta = " · ".join(esc(item[k]) for k in SOURCE_FIELDS if item.get(k))
    section = esc(_section_of(item.get("section") or "", item))
    title = esc(item.get("title") or item.get("source") or "")
    return (
        f'<div class="sg-card" id="cite-{item["n"]}">'
        f'<div class="sg-card-head"><span class="sg-n">[{item["n"]}]</span>'
        f"<span>{title}</span></div>"
        + (f'<div class="sg-meta">{meta}</div>' if meta else "")
        + (
            f'<div class="sg-repealed">{esc(item["repealed_by"])}</div>'
            if item.get("repealed_by")
            else ""
        )
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
    """A library document's region as citations show it ("浙江台州、四川资阳")."""
    regions = LIST_SEP.join(doc.get(REGIONS_KEY) or [])
    own = {"province": doc.get("province") or "", "city": doc.get("city") or ""}
    return DocMeta(**own, regions=regions).region


def _section_of(section: str, doc: dict) -> str:
    """A heading path as shown under a document's own title (a document, a citation): without
    the document's name; "" when the path is only that name."""
    meta = DocMeta(**{k: str(doc.get(k) or "") for k in ("title", "doc_number")})
    return short_section(section, meta)


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
            short = _section_of(section, doc) or section
            body.append(f'<span class="sg-sec-mark" id="sg-sec-{i}">§ {esc(short)}</span>')
        piece = esc(text[a:b])
        if hit and hit[0] <= a < hit[1]:
            ident = ' id="sg-doc-hit"' if a == hit[0] else ""
            piece = f"<mark{ident}>{piece}</mark>"
        body.append(piece)
    outline = "".join(
        f'<li><a class="sg-jump" href="#sg-sec-{i}">{esc(_section_of(s, doc) or s)}</a></li>'
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


def _region_names(doc: dict) -> list[str]:
    """Every province and city a library document covers, its own first."""
    return [doc.get("province") or "", doc.get("city") or "", *(doc.get(REGIONS_KEY) or [])]


def region_choices(documents: list[dict]) -> list[str]:
    """全部 plus every province present in the documents, or covered by one of them."""
    named = {d.get("province") or "" for d in documents}
    named |= {r for d in documents for r in d.get(REGIONS_KEY) or [] if r in PROVINCES}
    return [ALL_REGIONS, *sorted(named - {""})]


def kind_choices() -> list[str]:
    """全部类型 plus every kind of document."""
    return [ALL_KINDS, *(kind.label for kind in DocKind)]


def year_choices(documents: list[dict]) -> list[str]:
    """全部年份 plus the year of every dated document, newest first."""
    years = {str(d.get("date") or "")[:4] for d in documents} - {""}
    return [ALL_YEARS, *sorted(years, reverse=True)]


def library_view(
    documents: list[dict],
    region: str = ALL_REGIONS,
    kind: str = ALL_KINDS,
    year: str = ALL_YEARS,
) -> list[dict]:
    """The documents of one region (any province or city they cover), kind and year; newest
    first, undated last."""
    kept = [
        d
        for d in documents
        if (region in (ALL_REGIONS, "", None) or region in _region_names(d))
        and kind in (ALL_KINDS, "", None, doc_kind(d.get("title") or "").label)
        and year in (ALL_YEARS, "", None, str(d.get("date") or "")[:4])
    ]
    return sorted(kept, key=lambda d: str(d.get("date") or ""), reverse=True)


def document_rows(documents: list[dict]) -> list[list]:
    """One table row per document (in LIBRARY_HEADERS order)."""
    return [
        [
            d.get("title") or "",
            doc_kind(d.get("title") or "").label,
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


def audit_rows(entries: list[AuditEntry]) -> list[list]:
    """Audit-log entries as table rows (the hash shortened; the whole one is in the file)."""
    rows = []
    for e in entries:
        when = e.at.replace("T", " ")[:19]
        rows.append([when, e.action.label, e.client, e.file_name, e.sha256[:16], e.outcome])
    return rows
