"""retrieve -> answer -> check citations, as one LangChain Runnable that every caller shares."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from langchain_core.runnables import Runnable, RunnableConfig

from bot.answer_types import Answer, Citation, Layout
from bot.cite import INVALID_MARKERS, MARKER, check_llm_citations, compose, without_invalid_markers
from bot.condense import bounded, condense_by_rules, depends_on_history
from bot.extractive import READ_CHUNKS, Extract, adding, extract
from bot.grounding import Checked, check_sentence, sentences, with_inherited_markers
from bot.llm import LLMAnswerer, LLMError, Shown, question_clauses
from bot.question import QType, Question, analyse, later_parts, topic_sides, with_own_words
from bot.retrieve import retrieve
from bot.sentences import Sentence, opens_list
from bot.versions import Repeal, repeal_map
from ingest.headings import article_of
from ingest.kb import KnowledgeBase
from ingest.normalize import is_traditional, to_simplified
from ingest.schema import Evidence
from ingest.settings import Settings

REFUSAL = "资料中没有找到能回答这个问题的依据。"
# Heads the clauses quoted under an LLM answer (settings.llm_quotes).
QUOTED_HEAD = "原文依据:"
# Ends each warning that an LLM answer gave way to the extractive one.
FELL_BACK = "已改用摘录式回答"
# A top chunk ending in ":" opens a list; this many following chunks are read with it.
LIST_SOURCES = 3
LIST_CONTINUATION = 6
MAX_QUESTION_CHARS = 500


@dataclass
class _Turn:
    """Everything known about one question while it passes through the chain."""

    asked: str
    question: Question
    evidence: list[Evidence]
    continuations: list[Evidence]  # chunks after a list-opening chunk, read to complete lists
    started: float
    timings: dict[str, float]
    warnings: list[str]


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000


class AnswerChain(Runnable[dict, Answer]):
    """Input {"question", "history", "region"} -> Answer; invoke, batch and stream all work."""

    def __init__(self, settings: Settings, kb: KnowledgeBase) -> None:
        self.settings = settings
        self.kb = kb
        self.llm = LLMAnswerer(settings) if settings.llm_enabled else None
        self._repeals: tuple[str, dict[str, Repeal]] = ("", {})  # (index version, repeal map)

    def invoke(self, input: dict, config: RunnableConfig | None = None, **kwargs: Any) -> Answer:
        """The whole answer at once."""
        answer = None
        for piece in self.stream_answer(input):
            if isinstance(piece, Answer):
                answer = piece
        assert answer is not None  # stream_answer always ends with the Answer
        return answer

    def _prepare(self, input: dict) -> _Turn:
        """Condense a follow-up, understand the question, retrieve evidence."""
        started = time.perf_counter()
        asked = str(input.get("question") or "").strip()
        history = bounded(list(input.get("history") or []))
        warnings: list[str] = []
        standalone = condense_by_rules(asked, history)
        if self.llm and history and depends_on_history(asked):
            try:
                standalone = self.llm.condense(asked, history)
            except LLMError as err:
                warnings.append(f"大模型改写追问失败,已按规则改写({err})")
        question = with_own_words(analyse(standalone[:MAX_QUESTION_CHARS]), asked)
        t = time.perf_counter()
        evidence = retrieve(
            self.kb,
            question,
            self.settings.top_k,
            input.get("region") or None,
            mode=self.settings.retrieval_mode,
        )
        follow = self._list_continuations(evidence, question)
        timings = {"retrieve": _ms(t)}
        return _Turn(asked, question, evidence, follow, started, timings, warnings)

    def _list_continuations(self, evidence: list[Evidence], question: Question) -> list[Evidence]:
        """The chunks that continue a list an evidence chunk the answerer reads opens ("以下五个
        方面:" + 第一…), and for a list question the other items of a list whose items are
        sections of their own (of the top chunks only)."""
        extra: list[Evidence] = []
        have: set[str] = set()
        for i, e in enumerate(evidence[:READ_CHUNKS]):
            if opens_list(e.chunk.text):
                chunks = self.kb.following(e.chunk, LIST_CONTINUATION)
            elif (
                i < LIST_SOURCES
                and question.qtype is QType.LIST
                and not article_of(e.chunk.section)
            ):
                retrieved = {r.chunk.chunk_id for r in evidence}
                siblings = self.kb.siblings(e.chunk, LIST_CONTINUATION)
                chunks = [c for c in siblings if c.chunk_id not in retrieved]
            else:
                continue
            for chunk in chunks:
                if chunk.chunk_id not in have:
                    have.add(chunk.chunk_id)
                    rank = len(evidence) + len(extra) + 1
                    extra.append(Evidence(chunk, 0.0, rank))
        return extra

    def repeals(self) -> dict[str, Repeal]:
        """Which indexed documents others repeal; worked out again when the index changes."""
        lex = self.kb.lexical()
        version, known = self._repeals
        if version != lex.version:
            known = repeal_map(lex.doc_metas())
            self._repeals = (lex.version, known)
        return known

    def stream_answer(self, input: dict) -> Iterator[str | Answer]:
        """Pieces of answer text as they are produced, then the final, checked Answer."""
        asked = str(input.get("question") or "").strip()
        if not any(ch.isalnum() for ch in asked):
            answer = Answer(asked, "请输入一个关于社会工作政策的问题。", True, [], [])
            yield answer.answer
            yield answer
            return
        turn = self._prepare(input)
        t = time.perf_counter()
        found = extract(
            turn.question,
            turn.evidence,
            self.settings.min_focus_coverage,
            turn.continuations,
            self.repeals(),
        )
        sides = topic_sides(turn.question.text)
        if sides and found.layout is not Layout.COMPARISON:
            found = self._compare_topics(turn, sides, input.get("region") or None) or found
        for part in later_parts(turn.question):
            found = adding(found, self._answer_part(turn, part, input.get("region") or None))
        if self.llm and not found.refused:  # the evidence gate: no support, no LLM call
            answer = yield from self._stream_llm(turn, found)
            if answer is not None:
                yield self._finish(answer, turn, t)
                return
        answer = self._extractive(found, turn)
        yield answer.answer
        yield self._finish(answer, turn, t)

    def _compare_topics(
        self, turn: _Turn, sides: list[tuple[str, str]], region: str | None
    ) -> Extract | None:
        """Each side of "A和B分别…" answered from its own evidence, side by side; a side the
        documents are silent about is named as such. None when neither side is answered."""
        parts: list[tuple[str, list[Sentence]]] = []
        for side, own_question in sides:
            question = analyse(own_question)
            evidence = retrieve(
                self.kb, question, self.settings.top_k, region, self.settings.retrieval_mode
            )
            follow = self._list_continuations(evidence, question)
            found = extract(
                question, evidence, self.settings.min_focus_coverage, follow, self.repeals()
            )
            parts.append((side, [] if found.refused else found.parts[0][1]))
            _join(turn, evidence + follow)
        if not any(sentences for _, sentences in parts):
            return None
        return Extract(parts, refused=False, related=[], layout=Layout.TOPICS)

    def _answer_part(self, turn: _Turn, part: Question, region: str | None) -> Extract:
        """A later question of the message answered from its own evidence and the message's
        ("…有什么要求？达不到会怎么样？": the sanction stands in another article)."""
        evidence = retrieve(
            self.kb, part, self.settings.top_k, region, self.settings.retrieval_mode
        )
        _join(turn, evidence)
        return extract(
            part,
            evidence,
            self.settings.min_focus_coverage,
            self._list_continuations(evidence, part),
            self.repeals(),
        )

    def _finish(self, answer: Answer, turn: _Turn, t: float) -> Answer:
        answer.timings_ms = turn.timings | {"answer": _ms(t), "total": _ms(turn.started)}
        answer.warnings = turn.warnings + answer.warnings
        return answer

    def _extractive(self, found: Extract, turn: _Turn) -> Answer:
        if found.refused:
            text, citations = compose([("相关内容", found.related)] if found.related else [])
            body = f"{REFUSAL}\n{text}" if text else REFUSAL
            return self._answer(turn, body, True, citations)
        text, citations = compose(found.parts, found.layout)
        return self._answer(turn, text, False, citations)

    @staticmethod
    def _evidence(turn: _Turn) -> list[Evidence]:
        """An answer's evidence: the retrieved chunks, then the list continuations it may quote
        (continuation chunks an answer quotes are retrieved evidence too)."""
        seen = {e.chunk.chunk_id for e in turn.evidence}
        return turn.evidence + [e for e in turn.continuations if e.chunk.chunk_id not in seen]

    @staticmethod
    def _in_script(turn: _Turn, text: str) -> str:
        """Answer text in the asker's script: simplified unless the question is traditional."""
        return text if is_traditional(turn.asked) else to_simplified(text)

    def _marked(self, citations: list[Citation]) -> list[Citation]:
        """Citations of repealed documents say so."""
        repeals = self.repeals()
        return [
            replace(c, repealed_by=repeals[c.doc_id].note) if c.doc_id in repeals else c
            for c in citations
        ]

    def _answer(self, turn: _Turn, text: str, refused: bool, citations: list) -> Answer:
        """The Answer: its text in the asker's script (quotes stay as the documents have them),
        citations marked when their document is repealed."""
        citations = self._marked(citations)
        repealed: dict[str, list[str]] = {}
        for c in citations:
            if c.repealed_by:
                repealed.setdefault(c.repealed_by, []).append(f"[{c.n}]")
        warnings = [f"{''.join(ns)} 所引文件{note},请以新文件为准" for note, ns in repealed.items()]
        return Answer(
            question=turn.asked,
            answer=self._in_script(turn, text),
            refused=refused,
            warnings=warnings,
            citations=citations,
            evidence=self._evidence(turn),
            standalone_question=turn.question.text,
        )

    def _shown(self, turn: _Turn, found: Extract) -> tuple[Shown, list[Evidence]]:
        """What the LLM reads: the sentences the extractive answerer chose, grouped by chunk and
        numbered as in the answer's evidence, within llm_context_chunks and _chars; and the
        evidence list its [n] index (retrieved chunks, then list continuations)."""
        evidence = self._evidence(turn)
        number = {e.chunk.chunk_id: n for n, e in enumerate(evidence, start=1)}
        by_chunk: dict[int, list[str]] = {}
        budget = self.settings.llm_context_chars
        for _, chosen in found.parts:
            for sentence in chosen:
                n = number[sentence.evidence.chunk.chunk_id]
                if n not in by_chunk and len(by_chunk) >= self.settings.llm_context_chunks:
                    continue
                if by_chunk and len(sentence.text) > budget:
                    break
                text = question_clauses(sentence.text, turn.question.search)
                by_chunk.setdefault(n, []).append(text)
                budget -= len(text)
        shown = [(n, evidence[n - 1], texts) for n, texts in sorted(by_chunk.items())]
        return shown, evidence[: max(by_chunk, default=0)]

    def _stream_llm(self, turn: _Turn, found: Extract) -> Iterator[str]:
        """Stream the LLM's answer a checked sentence at a time: a sentence its cited chunks do
        not support (bot/grounding.py) is dropped, so no number they lack reaches the asker.
        Returns None (the caller then gives the extractive answer, with a warning) when the
        LLM fails or none of its sentences holds."""
        assert self.llm is not None
        shown, evidence = self._shown(turn, found)
        kept: list[str] = []
        frame: list[str] = []  # table head and rule lines not yet followed by a checked row
        dropped: list[Checked] = []

        def timed(pieces: Iterator[str]) -> Iterator[str]:
            for piece in pieces:
                turn.timings.setdefault("first_token", _ms(turn.started))  # as the asker waits
                yield piece

        try:
            pieces = timed(self.llm.stream(turn.question.text, shown))
            for sentence in with_inherited_markers(sentences(pieces)):
                checked = check_sentence(sentence, evidence)
                if not checked.supported:
                    dropped.append(checked)
                    continue
                if not MARKER.search(sentence):  # a table's frame waits for a checked row
                    frame.append(sentence)
                    continue
                turn.timings.setdefault("first_sentence", _ms(turn.started))
                kept += [*frame, sentence]  # as written: the citation check reports invalid [n]
                for unit in [*frame, sentence]:
                    yield self._in_script(turn, without_invalid_markers(unit, len(evidence)))
                frame = []
        except LLMError as err:
            turn.warnings.append(f"大模型服务不可用,{FELL_BACK}({err})")
            if kept:
                yield "\n\n(大模型中断,以下为摘录式回答)\n"
            return None
        turn.warnings += [f"已删除无法核实的句子({c.problem}):{c.text[:40]}" for c in dropped]
        if not kept:
            turn.warnings.append(f"大模型的回答没有能在所引资料中核实的句子,{FELL_BACK}")
            return None
        # Markers to chunks the model was not shown point at nothing (the quoted clauses below
        # may cite chunks after those).
        text = without_invalid_markers("".join(kept), len(evidence))
        if text != "".join(kept):
            turn.warnings.append(INVALID_MARKERS)
        evidence = self._evidence(turn)
        number = {e.chunk.chunk_id: n for n, e in enumerate(evidence, start=1)}
        quoted, quotes = compose(found.parts, found.layout, lambda e: number[e.chunk.chunk_id])
        if self.settings.llm_quotes:
            block = f"\n\n{QUOTED_HEAD}\n{quoted}"
            yield self._in_script(turn, block)
            text += block
        chosen: dict[int, str] = {}  # each chunk's first clause the extractive answerer chose
        for c in quotes:
            chosen.setdefault(c.n, c.quote)
        text, citations, warnings = check_llm_citations(text, evidence, chosen)
        answer = self._answer(turn, text.strip(), not citations, citations)
        answer.warnings = warnings + answer.warnings
        return answer


def _join(turn: _Turn, evidence: list[Evidence]) -> None:
    """Chunks found for a part of the question join the answer's evidence after those already
    there (an answer cites only its evidence)."""
    have = {e.chunk.chunk_id for e in turn.evidence + turn.continuations}
    for e in [e for e in evidence if e.chunk.chunk_id not in have]:
        have.add(e.chunk.chunk_id)
        rank = len(turn.evidence) + 1
        turn.evidence.append(Evidence(e.chunk, e.score, rank, e.dense_rank, e.lexical_rank))


def build_chain(settings: Settings, kb: KnowledgeBase) -> AnswerChain:
    """The answering chain the CLI, the UI, the API and the evaluation all call."""
    return AnswerChain(settings, kb)
