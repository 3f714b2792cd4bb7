"""Citations: number the chunks an answer quotes, and check the [n] markers an LLM wrote."""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.answer_types import Citation, Layout, source_fields
from bot.sentences import Sentence, split_sentences
from ingest.lexical import tokenize
from ingest.meta import section_label
from ingest.punct import SENTENCE
from ingest.schema import Evidence

# An answer's [n]: the number of the evidence a sentence rests on.
MARKER = re.compile(r"\[(\d{1,2})\]")
# An answer sentence: a sentence and the [n] markers after it.
_ANSWER_SENTENCE = re.compile(rf"{SENTENCE.pattern}(?:\s*\[\d{{1,2}}\])*")
# An LLM sentence whose bigrams overlap a cited chunk less than this is flagged as unsupported.
MIN_SUPPORT = 0.3


NOT_FOUND = "资料中没有找到相关内容。"
INVALID_MARKERS = "已删除指向不存在来源的引用标记"
SILENT = "资料未提及"
TABLE_HEAD = ("地区", "规定或数据", "来源")
TOPIC_TABLE_HEAD = ("所问", "规定或数据", "来源")


def citation(n: int, evidence: Evidence, quote: str) -> Citation:
    """Citation [n] of a chunk, quoting `quote` (an exact substring of the chunk's text)."""
    chunk = evidence.chunk
    return Citation(
        n=n,
        doc_id=chunk.doc_id,
        title=chunk.meta.title,
        source=chunk.source,
        section=chunk.section,
        text=chunk.text,
        quote=quote,
        **source_fields(chunk.meta),
    )


def compose(
    parts: list[tuple[str, list[Sentence]]],
    layout: Layout = Layout.PLAIN,
    number: Callable[[Evidence], int] | None = None,
) -> tuple[str, list[Citation]]:
    """Answer text with [n] after each quoted sentence, and one citation per sentence quoted;
    a comparison is a Markdown table (region | rule | source [n]) with the silent side named.
    `number` gives a sentence's [n] by its chunk instead (an LLM answer's own numbering)."""
    citations: list[Citation] = []

    def cite(sentences: list[Sentence]) -> list[str]:
        markers = []
        for s in sentences:
            n = number(s.evidence) if number else len(citations) + 1
            citations.append(citation(n, s.evidence, s.text))
            markers.append(f"[{n}]")
        return markers

    if layout in (Layout.COMPARISON, Layout.TOPICS):
        head = TABLE_HEAD if layout is Layout.COMPARISON else TOPIC_TABLE_HEAD
        rows = [_row(head), _row(("---",) * len(head))]
        for heading, sentences in parts:
            markers = cite(sentences)
            if not sentences:
                rows.append(_row((heading, SILENT, "—")))
                continue
            meta = sentences[0].evidence.chunk.meta
            source = " ".join([*markers, section_label(meta), meta.date]).strip()
            rows.append(_row((heading, "".join(s.text for s in sentences), source)))
        return "\n".join(rows), citations
    lines: list[str] = []
    for heading, sentences in parts:
        markers = cite(sentences)
        body = "".join(f"{s.text}{m}" for s, m in zip(sentences, markers, strict=True))
        body = body or NOT_FOUND
        lines.append(f"{heading}:{body}" if heading else body)
    return "\n".join(lines), citations


def _row(cells: tuple[str, ...]) -> str:
    """One Markdown table row; a "|" or line break inside a cell would break the table."""
    clean = (" ".join(c.split()).replace("|", "｜") for c in cells)
    return "| " + " | ".join(clean) + " |"


def _overlap(a: str, b: str) -> float:
    grams = set(tokenize(a))
    return len(grams & set(tokenize(b))) / max(1, len(grams))


def without_invalid_markers(text: str, n_evidence: int) -> str:
    """The text less the [n] markers that point at no evidence."""
    return MARKER.sub(lambda m: m.group() if 1 <= int(m.group(1)) <= n_evidence else "", text)


def check_llm_citations(
    text: str, evidence: list[Evidence], chosen: dict[int, str] | None = None
) -> tuple[str, list[Citation], list[str]]:
    """Drop [n] that point at nothing retrieved, quote each cited chunk (by `chosen`, the
    sentence the extractive answerer chose of chunk n, where given; else the sentence most like
    the claim), flag unsupported claims. Table rows are not flagged here (their source cells are
    no claims): bot/grounding.py checks each row as it streams."""
    warnings: list[str] = []
    cleaned = without_invalid_markers(text, len(evidence))
    if cleaned != text:
        warnings.append(INVALID_MARKERS)
    quotes: dict[int, str] = dict(chosen or {})
    claims = []
    for line in cleaned.splitlines():
        if line.lstrip().startswith("|"):
            claims.append((line, False))
        else:
            claims += [(m.group(), True) for m in _ANSWER_SENTENCE.finditer(line)]
    for claim, checked in claims:
        sentence = MARKER.sub("", claim).strip()
        cited = [int(n) for n in MARKER.findall(claim)]
        for n in cited:
            best = max(
                split_sentences(evidence[n - 1]),
                key=lambda s: _overlap(sentence, s.text),
                default=None,
            )
            if best and n not in quotes:
                quotes[n] = best.text
        if (
            checked
            and cited
            and max(_overlap(sentence, evidence[n - 1].chunk.text) for n in cited) < MIN_SUPPORT
        ):
            warnings.append(f"这句话在所引来源中找不到充分依据:{sentence[:40]}")
    marked = {int(n) for n in MARKER.findall(cleaned)}
    citations = [citation(n, evidence[n - 1], quotes[n]) for n in sorted(quotes) if n in marked]
    return cleaned, citations, warnings
