"""Clean raw policy text: drop layout debris and converter artifacts, rejoin broken lines."""

from __future__ import annotations

import re

import rjieba

from ingest.gazetteer import places_in
from ingest.headings import CN_NUM, HeadingTracker, parse_heading
from ingest.noise import is_page_chrome, remove_jammer
from ingest.normalize import remove_pinyin_artifacts
from ingest.punct import (
    CJK,
    CLAUSE_SEP,
    COLON_CLASS,
    COMMA,
    LINE_COMPLETE,
    OPEN_BRACKET_CLASS,
    SENTENCE_END,
    SENTENCE_END_CLASS,
    char_class,
)

# "09版" alone on a line, or ending a headline of another page: "…服务体系 08版".
_PAGE_MARKER = re.compile(r"(^|\s)\d{1,2}版$")
_FULLWIDTH_ALNUM = re.compile(r"[０-９Ａ-Ｚａ-ｚ]")
# Spaces between Chinese characters and marks are layout, not words: "社会 工作" -> "社会工作".
_JOINS = re.escape(SENTENCE_END + CLAUSE_SEP + "“”")
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{CJK}{_JOINS}])[ \t\u3000]+(?=[{CJK}{_JOINS}])")
# YAML front matter opening a Markdown file, and HTML comments anywhere ("<!-- INFO END -->").
_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\n.*?\n---[ \t]*(?:\n|\Z)", re.S)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
# A structural marker and the gap after it (one space kept): "第一条　为了…", "## 第一章  总则".
_MARKER_GAP = re.compile(rf"^((?:#+\s*)?第{CN_NUM}[篇章节条])[ \t\u3000]+(?=\S)")
# Sentence-final (or clause-final) characters: a line ending in one of them is complete.
_LINE_COMPLETE = re.compile(char_class(LINE_COMPLETE) + "$")
# A kicker line that opens a newspaper report: "黑龙江:" or "北京:深化联席会议机制…".
# Only place names make a kicker: "工作要求:" is a line of a notice, not a new report.
_KICKER = re.compile(rf"([{CJK}]{{2,8}}){COLON_CLASS}")


def kicker(line: str) -> re.Match[str] | None:
    """The kicker a line opens with, when it names places only ("湖北宜昌西陵区:"); else None."""
    m = _KICKER.match(line)
    if m and "".join(name for name, _ in places_in(m.group(1))) == m.group(1):
        return m
    return None


def is_kicker_line(line: str) -> bool:
    """A line that is a kicker and nothing more ("黑龙江:")."""
    m = kicker(line)
    return bool(m) and m.end() == len(line)


# Join a short line to the next only when a word runs across the break ("社会服\n务体系").
_WORD_WINDOW = 4
LONG_LINE = 20


def fix_width(line: str) -> str:
    """Full-width letters and digits to half-width; layout spaces between Chinese removed,
    except the one after a structural marker ("第二十五条 …", "## 第五章 监督管理").

    Punctuation keeps the width the document wrote: every rule reads both (ingest/punct.py)."""
    line = _FULLWIDTH_ALNUM.sub(lambda m: chr(ord(m.group()) - 0xFEE0), line)
    marker = _MARKER_GAP.match(line)
    if marker:
        return marker.group(1) + " " + _SPACE_BETWEEN_CJK.sub("", line[marker.end() :])
    return _SPACE_BETWEEN_CJK.sub("", line)


def strip_markup(raw: str) -> str:
    """The text without Markdown front matter and HTML comments (kept out of what is indexed)."""
    raw = _FRONT_MATTER.sub("", raw, count=1)
    return _HTML_COMMENT.sub("", raw)


def clean_lines(raw: str) -> list[str]:
    """Lines of a raw file with artifacts removed; "" marks a blank line (a paragraph gap)."""
    raw = strip_markup(raw)
    lines = [fix_width(remove_pinyin_artifacts(line)).strip() for line in raw.splitlines()]
    return _drop_page_debris([remove_jammer(line) for line in lines])


def _drop_page_debris(lines: list[str]) -> list[str]:
    """Drop web-page chrome, page markers and the headlines of other pages listed before them."""
    kept: list[str] = []
    for line in lines:
        if is_page_chrome(line):
            continue
        if not _PAGE_MARKER.search(line):
            kept.append(line)
            continue
        # Headline fragments of other pages sit right above the marker: short lines with no
        # sentence punctuation, back to the previous paragraph of real text.
        while kept and (not kept[-1] or _is_headline_fragment(kept[-1])):
            kept.pop()
    while kept and not kept[0]:
        kept.pop(0)
    return kept


def _is_headline_fragment(line: str) -> bool:
    return len(line) <= 40 and not re.search(SENTENCE_END_CLASS, line)


def _word_crosses(left: str, right: str) -> bool:
    """True when segmenting the two lines as one text puts a word across the break."""
    a, b = left[-_WORD_WINDOW:], right[:_WORD_WINDOW]
    pos = 0
    for word in rjieba.cut(a + b):
        if pos < len(a) < pos + len(word):
            return True
        pos += len(word)
    return False


# Lines that always open a block of their own: headings, bylines, sources, numbered items.
# A dated line ("2019年12月28日 …通过", "2013-04-07") is a line of a document's head.
_NEW_BLOCK = re.compile(
    rf"^(#|■|{OPEN_BRACKET_CLASS}据|据介绍|来源{COLON_CLASS}|\d{{1,2}}、|【"
    r"|(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|(?:19|20)\d{2}-\d{1,2}-\d{1,2})"
)
DOC_NUMBER = re.compile(rf"[{CJK}]{{1,8}}[〔\[［(（]\d{{4}}[〕\]］)）]\s*\d+\s*号")


def _is_title(paragraphs: list[str]) -> bool:
    """Whether the last paragraph is a heading or headline (which never runs on into body text)."""
    prev = paragraphs[-1]
    heading = parse_heading(prev)
    if (heading and (heading.title == prev or prev.startswith("#"))) or DOC_NUMBER.fullmatch(prev):
        return True
    if kicker(prev) and len(prev) <= 40:
        return True
    # The headline under a bare kicker: "黑龙江:" / "推动社会工作人才融入…大局".
    return len(paragraphs) > 1 and is_kicker_line(paragraphs[-2])


def _continues(paragraphs: list[str], line: str, tracker: HeadingTracker) -> bool:
    """Whether `line` continues the last paragraph, which a layout break cut off."""
    prev = paragraphs[-1]
    if _LINE_COMPLETE.search(prev):
        return False
    if parse_heading(line):
        # "(二)工作模式单" + "一、工作机制…": a numbered line out of sequence is not a heading.
        return not tracker.fits(line)
    if _is_title(paragraphs):
        return False
    if kicker(line) or _NEW_BLOCK.match(line) or DOC_NUMBER.fullmatch(line):
        return False
    mid_sentence = len(prev) >= LONG_LINE or bool(re.search(char_class(COMMA + "、"), prev))
    return mid_sentence or _word_crosses(prev, line)


def join_paragraphs(lines: list[str]) -> list[str]:
    """Rejoin lines broken mid-sentence (across blank lines too); return the paragraphs."""
    tracker = HeadingTracker()
    paragraphs: list[str] = []
    for line in lines:
        if not line:
            continue
        if paragraphs and _continues(paragraphs, line, tracker):
            paragraphs[-1] += line
            continue
        tracker.accept(line)
        paragraphs.append(line)
    return paragraphs
