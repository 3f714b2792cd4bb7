"""Structure-aware splitting: chunks keep to sections, end at sentences, and overlap a little."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass

from ingest.headings import ARTICLE, HeadingTracker
from ingest.meta import section_label
from ingest.normalize import normalize
from ingest.punct import (
    CLAUSE_SEP,
    CLAUSE_SEP_CLASS,
    NOT_SENTENCE_END,
    SENTENCE_END_CLASS,
    SENTENCE_TAIL_CLASS,
)
from ingest.schema import Chunk, Document

# A sentence ends at its end marks (either width, after any closing quotes), a line or the text.
_SENTENCE = re.compile(rf"{NOT_SENTENCE_END}*(?:{SENTENCE_END_CLASS}+{SENTENCE_TAIL_CLASS}*|\n|$)")
_CLAUSE = re.compile(rf"[^{re.escape(CLAUSE_SEP)}]*{CLAUSE_SEP_CLASS}?")


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    section: str
    is_heading: bool


def _sentences(text: str, start: int, end: int, limit: int) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences in text[start:end]; overlong ones cut at clauses."""
    spans: list[tuple[int, int]] = []
    for m in _SENTENCE.finditer(text, start, end):
        if m.end() <= m.start() or not text[m.start() : m.end()].strip():
            continue
        spans.extend(_cut(text, m.start(), m.end(), limit))
    return spans


def _cut(text: str, start: int, end: int, limit: int) -> list[tuple[int, int]]:
    """Cut a span longer than `limit` at commas, or hard at `limit` if it has none."""
    if end - start <= limit:
        return [(start, end)]
    pieces: list[tuple[int, int]] = []
    piece_start = start
    for m in _CLAUSE.finditer(text, start, end):
        if m.end() - piece_start > limit and m.start() > piece_start:
            pieces.append((piece_start, m.start()))
            piece_start = m.start()
    pieces.append((piece_start, end))
    return [(a + i, min(a + i + limit, b)) for a, b in pieces for i in range(0, b - a, limit)]


def _spans(doc: Document, limit: int) -> list[_Span]:
    """Sentence spans of a document, each with the heading path it sits under."""
    label = section_label(doc.meta) or doc.source
    # The document's own title heading ("# 中华人民共和国社区矫正法") is already the label.
    own = {label, doc.meta.title, doc.meta.doc_number}
    tracker = HeadingTracker()
    spans: list[_Span] = []
    pos = 0
    for paragraph in doc.text.split("\n"):
        heading = tracker.accept(paragraph)
        titles = [h.title for h in tracker.path if h.title not in own]
        section = " > ".join([label, *titles])
        for i, (a, b) in enumerate(_sentences(doc.text, pos, pos + len(paragraph), limit)):
            # An article's first sentence is its text, not a heading line.
            is_heading = bool(heading) and i == 0 and heading.level != ARTICLE
            spans.append(_Span(a, b, section, is_heading))
        pos += len(paragraph) + 1
    return spans


def split_document(doc: Document, size: int, overlap: int) -> list[Chunk]:
    """Chunks of about `size` characters that never cross a section, sharing ~`overlap` chars."""
    groups: list[list[_Span]] = []
    current: list[_Span] = []
    for span in _spans(doc, size):
        body = [s for s in current if not s.is_heading]
        too_long = current and span.end - current[0].start > size
        new_section = current and span.section != current[-1].section and body
        if too_long or new_section:
            groups.append(current)
            # Carry the last sentences over when they fit in the overlap (same section only).
            tail: list[_Span] = []
            for s in reversed(current):
                if s.section != span.section or current[-1].end - s.start > overlap:
                    break
                tail.insert(0, s)
            # ...and only as far as the next chunk still fits in `size` with the new sentence.
            while tail and span.end - tail[0].start > size:
                tail.pop(0)
            current = tail if len(tail) < len(current) else []
        current.append(span)
    if current:
        groups.append(current)
    return _chunks(doc, groups)


def _chunks(doc: Document, groups: list[list[_Span]]) -> list[Chunk]:
    chunks: list[Chunk] = []
    seen: Counter[str] = Counter()
    for group in groups:
        start, end = group[0].start, group[-1].end
        text = doc.text[start:end].strip()
        if not text:
            continue
        start = doc.text.index(text, start)
        section = group[-1].section
        key = f"{doc.doc_id}\x00{section}\x00{text}"
        seen[key] += 1
        digest = hashlib.sha256(f"{key}\x00{seen[key]}".encode()).hexdigest()[:32]
        chunks.append(
            Chunk(
                chunk_id=digest,
                doc_id=doc.doc_id,
                source=doc.source,
                text=text,
                search_text=normalize(f"{section}\n{text}"),
                section=section,
                start=start,
                end=start + len(text),
                meta=doc.meta,
            )
        )
    return chunks
