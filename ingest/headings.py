"""Recognise the headings of Chinese policy texts: 第X篇, 一、, (一), 1., 第X条, 第一, an FAQ's
questions, markdown #."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.punct import (
    CLOSE_BRACKET_CLASS,
    COLON,
    COMMA,
    OPEN_BRACKET_CLASS,
    SENTENCE_END_CLASS,
    char_class,
)

_CN_DIGITS = {"零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_CN_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}
CN_NUM = "[一二三四五六七八九十百零〇]+"

# Levels: smaller is higher. Markdown headings take their own depth (1-6) and sit above all.
PART, CHAPTER, SECTION, TOP_ITEM, ITEM, NUMBERED, QUESTION, ARTICLE, ORDINAL = (
    10,
    20,
    25,
    30,
    40,
    45,
    47,
    50,
    60,
)
_PATTERNS: list[tuple[int, re.Pattern[str]]] = [
    (PART, re.compile(rf"^第({CN_NUM})篇")),
    (CHAPTER, re.compile(rf"^第({CN_NUM})章")),
    (SECTION, re.compile(rf"^第({CN_NUM})节")),
    (TOP_ITEM, re.compile(rf"^({CN_NUM})、")),
    (ITEM, re.compile(rf"^{OPEN_BRACKET_CLASS}({CN_NUM}){CLOSE_BRACKET_CLASS}")),
    # "1.制定专项规划。…", "2、…": Arabic items of a notice (not "1.5万", not a date "2021.3").
    (NUMBERED, re.compile(r"^(\d{1,2})[.．、](?![\d.．])")),
    (ARTICLE, re.compile(rf"^第({CN_NUM})条")),
    (ORDINAL, re.compile(rf"^第({CN_NUM})" + char_class(COMMA + "、" + COLON))),
]
# A heading's own text ends at the first full stop (or colon/comma for 第一, style items).
_HEADING_END = re.compile(SENTENCE_END_CLASS)
MAX_HEADING_CHARS = 40
# A line longer than this is a paragraph that happens to end in a question mark, not an FAQ's
# question (a judgment, not tuned: an FAQ's question is a line of one short sentence).
MAX_QUESTION_CHARS = 60
# Inside an article of a law (第X条), numbered lines are its items, not headings of their own.
_ITEMS_OF_ARTICLE = frozenset({TOP_ITEM, ITEM, NUMBERED, QUESTION, ORDINAL})
# The question of an FAQ pair: "问：…", "Q1：…", "问题3.…", or a whole line that is one short
# question ("社工证多久要再登记？"); its answer ("答：…") is the body under it.
_QUESTION_MARK = char_class("？?")
_ASKED = re.compile(rf"^(?:问题?|Q)\s*\d{{0,3}}\s*{char_class(COLON + '.．、')}\s*\S")
_WHOLE_QUESTION = re.compile(rf"^[^\n]{{4,{MAX_QUESTION_CHARS}}}{_QUESTION_MARK}$")
_COMMA = re.compile(char_class(COMMA))
_MARKDOWN = re.compile(r"^(#{1,6})\s+(.+)$")


@dataclass(frozen=True)
class Heading:
    """A heading found at the start of a line: its level, ordinal (0: none) and title text."""

    level: int
    number: int
    title: str


def chinese_number(text: str) -> int:
    """Value of a Chinese numeral up to 999, e.g. "十九" -> 19, "二十一" -> 21."""
    total, current = 0, 0
    for ch in text:
        if ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = _CN_DIGITS.get(ch, 0)
    return total + current


def _question(line: str) -> Heading | None:
    """The question heading of an FAQ pair, or None: a marked question, or a short line that is
    a single question and nothing else."""
    if _ASKED.match(line) or (_WHOLE_QUESTION.match(line) and not _HEADING_END.search(line[:-1])):
        title = line if len(line) <= MAX_HEADING_CHARS else line[:MAX_HEADING_CHARS] + "…"
        return Heading(level=QUESTION, number=0, title=title)
    return None


def parse_heading(line: str) -> Heading | None:
    """The heading that `line` starts with, or None for body text."""
    line = line.strip()
    md = _MARKDOWN.match(line)
    if md:
        title = re.sub(r"\s+", " ", md.group(2).strip())
        return Heading(level=len(md.group(1)), number=0, title=title)
    if question := _question(line):
        return question
    for level, pattern in _PATTERNS:
        m = pattern.match(line)
        if not m:
            continue
        if level == ARTICLE:  # an article's heading is its number: "第二十五条"
            return Heading(level=level, number=chinese_number(m.group(1)), title=m.group())
        end = _HEADING_END.search(line)
        title = line[: end.start()] if end else line
        if level == NUMBERED and (len(title) > MAX_HEADING_CHARS or _COMMA.search(title)):
            return None  # "1.对…，…。": an item of a list, with no short title of its own
        if level == ORDINAL:  # 第一,政策机制不断完善,…: its title ends at the next comma too
            rest = re.search(char_class(COMMA + "。"), line[m.end() :])
            title = line[: m.end() + rest.start()] if rest else line
        # "三、…的建議 社會工作…": a heading line whose body follows after a space.
        title = re.split(r"(?<=\S{8})\s+(?=\S{8,})", title.strip(), maxsplit=1)[0]
        if len(title) > MAX_HEADING_CHARS:
            title = title[:MAX_HEADING_CHARS].rstrip() + "…"
        return Heading(level=level, number=chinese_number(m.group(1)), title=title)
    return None


def article_of(section: str) -> str:
    """The law article a heading path ends in ("… > 第二十五条" -> "第二十五条"), else ""."""
    last = section.rsplit(" > ", 1)[-1]
    return last if _ARTICLE_TITLE.fullmatch(last) else ""


_ARTICLE_TITLE = re.compile(rf"第{CN_NUM}条")


class HeadingTracker:
    """Follows the numbering of a document so that a line break before "一、" is not a heading.

    "(二)工作模式单\\n一、工作机制不健全" would otherwise open a new top-level section: a numbered
    heading is accepted only when it continues its level's numbering (1 first, then n+1).
    """

    def __init__(self) -> None:
        self._last: dict[int, int] = {}
        self.path: list[Heading] = []

    def fits(self, line: str) -> bool:
        """Whether `line` would be accepted as a heading, without changing the state."""
        heading = parse_heading(line)
        if heading is None:
            return False
        last = self._last.get(heading.level, 0)
        return not (heading.number and last and heading.number != last + 1)

    def _is_item(self, heading: Heading) -> bool:
        """Whether a numbered line is an item of the law article it stands in."""
        in_article = any(h.level == ARTICLE for h in self.path)
        return in_article and heading.level in _ITEMS_OF_ARTICLE

    def accept(self, line: str) -> Heading | None:
        """The heading at the start of `line` if it fits the numbering so far; updates the path."""
        heading = parse_heading(line)
        # The first heading of a level may start anywhere (an article may open at 第五篇).
        if heading is None or not self.fits(line) or self._is_item(heading):
            return None
        if heading.number:
            self._last[heading.level] = heading.number
        # A heading restarts the numbering of every level below it.
        for level in [lv for lv in self._last if lv > heading.level]:
            del self._last[level]
        self.path = [h for h in self.path if h.level < heading.level] + [heading]
        return heading
