"""Split a file that holds several articles (第一篇…, newspaper reports ending "(据…)") apart."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.clean import is_kicker_line, join_paragraphs, kicker
from ingest.headings import PART, parse_heading
from ingest.punct import CLOSE_BRACKET_CLASS, COLON_CLASS, OPEN_BRACKET_CLASS, SENTENCE_END_CLASS

_BYLINE_END = re.compile(rf"^{OPEN_BRACKET_CLASS}据(.+?){CLOSE_BRACKET_CLASS}$")
_SENTENCE = re.compile(SENTENCE_END_CLASS)
MAX_TITLE_CHARS = 60
# How page titles append the site's name: "…办法_233网校", "…办法 | 民政部", "…办法 - 中国社工网".
_SITE_SEPARATOR = re.compile(r"\s*[|｜_]\s*|\s+[-–—]\s+")


@dataclass(frozen=True)
class Article:
    """One article of a file: its paragraphs, a title when the text gives one, its source line."""

    paragraphs: list[str]
    title: str
    credit: str  # "黑龙江省民政厅" from "(据黑龙江省民政厅)"; "" when the text names none


def _opens_article(line: str) -> bool:
    """A line that starts a new article wherever it appears: 第X篇 or a report's kicker."""
    heading = parse_heading(line)
    if heading and heading.level == PART:
        return True
    return bool(kicker(line)) and len(line) <= MAX_TITLE_CHARS and not _SENTENCE.search(line)


def split_articles(lines: list[str]) -> list[Article]:
    """Group cleaned lines into articles and rejoin each article's broken lines."""
    groups: list[list[str]] = [[]]
    for line in lines:
        current = [x for x in groups[-1] if x]
        has_body = any(_SENTENCE.search(x) for x in current)
        ended = bool(current) and bool(_BYLINE_END.match(current[-1]))
        if line and (ended or (has_body and _opens_article(line))):
            groups.append([])
        groups[-1].append(line)
    articles = [_article(join_paragraphs(group)) for group in groups]
    return [a for a in articles if any(_SENTENCE.search(p) for p in a.paragraphs)]


def _article(paragraphs: list[str]) -> Article:
    credit = ""
    if paragraphs and (m := _BYLINE_END.match(paragraphs[-1])):
        credit = m.group(1).strip()
    return Article(paragraphs=paragraphs, title=_title(paragraphs), credit=credit)


def _title(paragraphs: list[str]) -> str:
    """The article's own title: 第X篇:…, a markdown heading, a kicker with its headline, or ""."""
    if not paragraphs:
        return ""
    first = paragraphs[0]
    heading = parse_heading(first)
    if heading and heading.level == PART:
        return re.sub(rf"^第.{{1,3}}篇{COLON_CLASS}?", "", first).strip()
    if heading and first.startswith("#"):
        return heading.title
    if is_kicker_line(first) and len(paragraphs) > 1:  # "黑龙江:" then the headline
        return first + paragraphs[1]
    if len(first) <= MAX_TITLE_CHARS and not _SENTENCE.search(first):
        return _without_site_name(first)
    return ""


def _without_site_name(title: str) -> str:
    """A web page's title without the site it carries: "登记办法_233网校" -> "登记办法"."""
    parts = [p.strip() for p in _SITE_SEPARATOR.split(title) if p.strip()]
    return max(parts, key=len) if len(parts) > 1 else title
