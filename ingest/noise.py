"""Web-page noise: breadcrumbs, page bylines, widget rows and forum anti-copy "jammer" strings.

Dropped from what is indexed and quoted; the original file is never changed. The word lists are
data (ingest/data/web_chrome.toml, which says where each entry came from)."""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

from ingest.punct import CJK, COLON

_LISTS = Path(__file__).with_name("data") / "web_chrome.toml"
# Forum anti-copy text: short runs of ASCII symbols and letters, several of them, wedged between
# two Chinese characters ("水平S" \\`1 ^% Y3 {0 w证书"). Ordinary Latin words have no such symbols.
_JAMMER = re.compile(rf"(?<=[{CJK}])[!-~]{{1,4}}(?:\s+[!-~]{{1,4}}){{2,}}\s*(?=[{CJK}])")
_JAMMER_SYMBOLS = re.compile(r"[\^%{}`\\~|\"'#&*<>\[\]]")
MIN_JAMMER_SYMBOLS = 2
_FILLER = re.compile(r"[\s【】\[\]()（）|/:：·•]+")


@cache
def _lists() -> dict[str, list[str]]:
    with _LISTS.open("rb") as f:
        return tomllib.load(f)


@cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], frozenset[str]]:
    lists = _lists()
    colon = re.escape(COLON)
    crumbs = "|".join(map(re.escape, lists["breadcrumbs"]))
    labels = "|".join(sorted(map(re.escape, lists["line_labels"]), key=len, reverse=True))
    breadcrumb = re.compile(rf"^(?:{crumbs})\s*[{colon}]?")
    byline = re.compile(rf"^【?(?:{labels})\s*[{colon}]")
    return breadcrumb, byline, frozenset(lists["widgets"])


def is_page_chrome(line: str) -> bool:
    """Whether a line is the page's, not the document's: a breadcrumb trail, a page byline or
    counter ("来源:…", "责任编辑:…"), or a row of widgets ("【打印】【关闭】")."""
    breadcrumb, byline, widgets = _patterns()
    line = line.strip()
    if not line:
        return False
    if breadcrumb.match(line) or byline.match(line):
        return True
    words = [w for w in _FILLER.split(line) if w]
    return bool(words) and all(w in widgets for w in words)


def remove_jammer(line: str) -> str:
    """The line without forum anti-copy strings between Chinese characters."""

    def drop(m: re.Match[str]) -> str:
        return "" if len(_JAMMER_SYMBOLS.findall(m.group())) >= MIN_JAMMER_SYMBOLS else m.group()

    return _JAMMER.sub(drop, line)


def page_chrome(raw: str) -> list[str]:
    """The chrome lines of a raw text: where a web page's own date ("发布时间:…") is read."""
    return [line.strip() for line in raw.splitlines() if is_page_chrome(line)]
