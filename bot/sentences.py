"""Sentences of evidence chunks, with offsets, scored against a question."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.question import QType, Question
from bot.wordlists import (
    asked_units,
    change,
    consequence,
    measure_words,
    money_kinds,
    polarity,
    synonyms,
    tense,
)
from ingest.headings import parse_heading
from ingest.lexical import tokenize
from ingest.normalize import normalize
from ingest.punct import CLOSE_BRACKET_CLASS, COLON, COMMA, OPEN_BRACKET_CLASS, SENTENCE
from ingest.schema import Evidence

_NUMBER = re.compile(
    r"\d+(?:\.\d+)?\s*(?:%|万|个|人|名|家|元|年|月|日|次|项|所|支|学时|小时|天|户|周?岁|倍|米|公里)"
    r"|[一二三四五六七八九十百千万两]+(?:万人|个|名|家|项|类|年)"
)
_ENUMERATION = re.compile(
    rf"^(?:第[一二三四五六七八九十]+[{COMMA}、]|[一二三四五六七八九十]+是|"
    rf"{OPEN_BRACKET_CLASS}[一二三四五六七八九十]+{CLOSE_BRACKET_CLASS}|\d+[、.])"
)
_DEFINITION = re.compile(rf"是指|是[^{COMMA}。]{{2,40}}的(?:职业|工作|活动|过程|专业)|指的是|定义")
# What a follow-up's own words (Question.own) add, times their coverage, to a sentence's score.
# Swept on the calibration sets (seed dev, realdev, realdev2, realdev3): 0.4 changed no answer,
# 0.8 fixed one follow-up and broke none; as much as the whole focus weighs.
OWN_WORDS_WEIGHT = 0.8
# What a sanction ("责令改正", "处…罚款") adds to a sentence's score for a consequence question:
# as much as a number adds for a number question (set by that analogy, not swept).
CONSEQUENCE_BONUS = 0.5
_REQUIREMENT = re.compile(r"要|应|须|必须|不得|不少于|不低于|达到|具备|条件|标准")


@dataclass(frozen=True)
class Sentence:
    """A sentence of an evidence chunk: where it sits, its text, and how well it answers."""

    evidence: Evidence
    start: int  # offset in the chunk's text
    end: int
    text: str
    index: int  # position among its chunk's sentences
    score: float = 0.0

    @property
    def search(self) -> str:
        """The sentence in search form."""
        return normalize(self.text)


def _is_heading(text: str) -> bool:
    """A heading line, not a sentence; a numbered item heading ("（一）强化社会工作知识培训。")
    is a sentence too, since it is what a list question asks for."""
    heading = parse_heading(text)
    titled = bool(heading and heading.title == text) and not is_enumeration(text)
    return text.startswith("#") or titled


def split_sentences(evidence: Evidence) -> list[Sentence]:
    """Sentences of an evidence chunk (headings left out), with offsets into its original text."""
    text = evidence.chunk.text
    return [
        Sentence(evidence, m.start(), m.end(), m.group().strip(), i)
        for i, m in enumerate(SENTENCE.finditer(text))
        if m.group().strip() and not _is_heading(m.group().strip())
    ]


def coverage(terms: list[str], text: str) -> float:
    """Share of the terms that a text mentions (a term counts when most of its bigrams appear)."""
    if not terms:
        return 1.0
    text = normalize(text)
    bigrams = set(tokenize(text))
    hits = 0.0
    for term in terms:
        if any(form in text for form in (term, *synonyms().get(term, ()))):
            hits += 1
            continue
        grams = tokenize(term)
        if grams and sum(g in bigrams for g in grams) / len(grams) >= 0.6:
            hits += 0.5
    return hits / len(terms)


def defines(term: str, text: str) -> bool:
    """Whether a text defines a term: "本法所称家庭暴力，是指…", "禁毒社会工作是…", "前款规定的
    市是指…", "（二）学校，是指…" (the term opens a line, a sentence, a clause or an item,
    or follows 的/称/谓/a quote: 城市 does not define 市)."""
    pattern = (
        rf"(?:^|[的称谓“\"「）)、。；;：:，,])\s*{re.escape(term)}[”\"」]?[,，]?(?:是指|指的是|是)"
    )
    return bool(re.search(pattern, text, re.MULTILINE))


def score_sentence(s: Sentence, q: Question, q_grams: set[str]) -> float:
    """How well a sentence answers the question: term overlap, focus, type fit, chunk rank."""
    text = s.search
    grams = set(tokenize(text)) | set(tokenize(s.evidence.chunk.section))
    overlap = len(q_grams & grams) / max(1, len(q_grams))
    score = overlap + 0.8 * coverage(q.focus, text + s.evidence.chunk.section)
    if q.own:  # a follow-up: its own words pick among sentences on the carried topic
        score += OWN_WORDS_WEIGHT * coverage(q.own, text + s.evidence.chunk.section)
    if q.qtype in (QType.NUMBER, QType.COMPARISON) and _NUMBER.search(text):
        score += 0.5
    elif q.qtype is QType.LIST and (_ENUMERATION.match(text) or text.count("、") >= 2):
        score += 0.3
    elif q.qtype is QType.DEFINITION and q.focus and defines(q.subject or q.focus[0], text):
        score += 1.0  # "社会工作是…", "前款规定的市是指…": the definition itself
    elif q.qtype is QType.DEFINITION and _DEFINITION.search(text):
        score += 0.5
    elif q.qtype is QType.REQUIREMENT and _REQUIREMENT.search(text):
        score += 0.2
    elif q.qtype is QType.CONSEQUENCE and consequence().states.search(text):
        score += CONSEQUENCE_BONUS
    # Retrieval's judgement counts too: later chunks need a clearly better sentence to win.
    return score + 0.3 / (1 + s.evidence.rank)


def states_asked_unit(question: str, text: str) -> bool:
    """Whether a sentence gives the kind of quantity asked for (money in 元, a duration, an
    age, a share, a count in the measure word asked); the first kind whose question words match
    decides (bot/data/words.toml)."""
    if asked := _COUNT_ASKED.search(_BRACKETED.sub("", question)):
        answers = measure_words().get(asked.group(1), ())
        unit = "|".join(map(re.escape, answers))
        text = normalize(text)
        number = rf"\d+(?:\.\d+)?\s*(?:万|亿)?(?:{unit})"
        # What is counted must be what the sentence counts: the head of the phrase (Chinese
        # noun phrases end in their head: 乡镇社工站 -> 工站, 服务机构 -> 机构) stands next to
        # the number, before or after it within one clause ("101个乡镇(街道)社工站",
        # "持证社工达到1万人"), not anywhere in the sentence.
        counted = asked.group(2)
        # 次 counts occurrences of an action (a verbal measure word), and the action may stand
        # clauses away ("接受…民主评议，…，每年不得少于一次"): any number of 次 answers.
        if len(counted) >= 2 and asked.group(1) not in VERBAL_MEASURE_WORDS:
            head = re.escape(counted[-2:])
            near = rf"{number}{_SAME_CLAUSE}{head}|{head}{_SAME_CLAUSE}{number}"
            return bool(re.search(near, text))
        return bool(re.search(number, text))
    for unit in asked_units():
        if unit.asks.search(question):
            return unit.states is None or bool(unit.states.search(normalize(text)))
    return True


# "多少个社区社工站": the measure word and the thing counted (up to the next particle or
# conjunction: "多少名孤儿和困境儿童" counts 孤儿 first).
_COUNT_ASKED = re.compile(
    r"(?:多少|几)(个|家|名|位|人|项|次|所|支)(?!月|工作日|小时)"
    r"([\u4e00-\u9fff]{0,6}?)(?=[的了吗呢和与及或、?？,，。]|$)"
)
# Measure words that count actions, not things (动量词).
VERBAL_MEASURE_WORDS = frozenset("次")
# Up to this many characters of one clause between a number and what it counts.
_SAME_CLAUSE = r"[^，,。；;：:]{0,12}?"


def states_asked_money(question: str, text: str) -> bool:
    """Whether a sentence speaks of the kind of money asked about (pay, a subsidy, funds, a
    fine …; bot/data/words.toml [money_kinds]): a wage is not answered by an investment."""
    question, text = normalize(question), normalize(text)
    asked = [words for words in money_kinds() if any(w in question for w in words)]
    return not asked or any(w in text for words in asked for w in words)


def states_the_asked_change(question: str, text: str) -> bool:
    """Whether a sentence gives a change when one is asked ("涨多少" needs "涨…元") and a level
    when a level is asked ("基本工资多少" is not answered by "能涨将近400元" alone)."""
    c = change()
    question, text = normalize(question), normalize(text)
    if c.asks.search(question):
        return bool(c.states.search(text))
    return not c.amount.search(text) or has_number(c.amount.sub("", text))


def states_only_a_target(question: str, text: str) -> bool:
    """Whether a question asks how things stand now and the sentence gives only a goal for
    later ("力争到2025年…"), with no figure already reached."""
    t = tense()
    question, text = normalize(question), normalize(text)
    return bool(t.now.search(question) and t.target.search(text) and not t.achieved.search(text))


def states_the_asked_polarity(question: str, text: str) -> bool:
    """Whether a sentence is about those the question asks about: a question about those
    lacking something ("没有公开募捐资格的") is not answered by a rule for those having it."""
    p = polarity()
    question, text = normalize(question), normalize(text)
    for m in re.finditer(rf"(?:{p.negated})([\u4e00-\u9fff]{{2,8}}?)(?=的|,|，|$)", question):
        thing = re.escape(m.group(1))
        lacking = re.search(rf"(?:{p.negated}|无){thing}", text)
        having = re.search(rf"(?<!不)(?<!未)(?:{p.affirmed}){thing}", text)
        if having and not lacking:
            return False
    return True


_BRACKETED = re.compile(rf"{OPEN_BRACKET_CLASS}[^()（）]*{CLOSE_BRACKET_CLASS}")


# A sentence that announces a list at its end ("…重点完成好以下四个方面的工作。", "…形式如下。")
# opens it as a colon does.
# The announcement must name what it lists: "罚款一万元以下。" and "（以下简称本办法）。" open
# nothing.
_ANNOUNCES_LIST = re.compile(
    r"(?:(?:以下|下列)[一二三四五六七八九十两几]*个?[^，,。；;：:]{0,6}?"
    r"(?:方面|项|点|类|种|措施|工作|内容|情形|要求|条件|形式|程序|职责|事项|规定)|如下)"
    r"[^，,。；;：:]{0,4}[。.]?$"
)


def opens_list(text: str) -> bool:
    """Whether a sentence (or a chunk's last one) leads into the items that follow it: it ends
    with a colon or announces them ("以下四个方面的工作。")."""
    text = normalize(text).rstrip()
    return text.endswith(tuple(COLON)) or bool(_ANNOUNCES_LIST.search(text))


def has_number(text: str) -> bool:
    """Whether a sentence states a quantity (a number with a unit)."""
    return bool(_NUMBER.search(normalize(text)))


def is_enumeration(text: str) -> bool:
    """Whether a sentence is an item of a numbered list (第一, 一是, (一), 1、)."""
    return bool(_ENUMERATION.match(normalize(text)))
