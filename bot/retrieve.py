"""Retrieval that understands the question: region and document filters over hybrid search."""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from bot.question import Question, analyse, without_article
from bot.sentences import defines
from bot.wordlists import short_forms
from ingest.kb import KnowledgeBase, Mode
from ingest.meta import short_title
from ingest.normalize import compact, normalize
from ingest.schema import Evidence

# A question names a law when it shares this many characters with the law's short title
# ("反家暴法" and 反家庭暴力法 share 4; "法" or "条例" alone is no name). Set by reading the titles
# of the 20 real documents, not tuned on any gold set.
MIN_TITLE_CHARS = 3
# Chunks searched for the sentence that defines a term: the term's own best lexical hits and
# the question's best hybrid hits, this many each.
DEFINITION_CANDIDATES = 30


def retrieve(
    kb: KnowledgeBase, question: Question, k: int, region: str | None = None, mode: Mode = "hybrid"
) -> list[Evidence]:
    """Evidence for a question: an explicit region filters; a named region or number boosts."""
    base = {"region": region} if region else {}
    query, formal = question.search, formal_names(question.search)
    results = kb.search(query, k, base or None, mode, more_words=formal)
    preferred: list[Evidence] = []
    known = kb.known_values()
    if question.article and (named := _named_article(kb, question, region)):
        preferred = named
    elif question.subject and (defining := _defining_each(kb, question, k, region, mode)):
        preferred = defining
    elif question.doc_number and question.doc_number in known["doc_number"]:
        preferred = kb.search(
            query, k, base | {"doc_number": question.doc_number}, mode, more_words=formal
        )
    elif not region and question.provinces:
        # Each region named gets its own share of the evidence (comparisons need all of them);
        # a single region at most half, so that national documents and documents covering
        # several regions, which a region filter does not find, keep their place.
        share = max(2, k // max(2, len(question.provinces)))
        for name in question.provinces:
            if name in known["region"]:
                preferred += kb.search(query, share, {"region": name}, mode, more_words=formal)
    return _merge(preferred, results, k)


def formal_names(search: str) -> str:
    """The formal names of the everyday words a question uses ("吃低保" -> 最低生活保障;
    bot/data/words.toml [short_forms]), searched lexically beside it so that documents using
    only the formal name are found."""
    formal = [f for word, forms in short_forms().items() if word in search for f in forms]
    return " ".join(f for f in dict.fromkeys(formal) if f not in search)


def _defining(
    kb: KnowledgeBase, question: Question, k: int, region: str | None, mode: Mode
) -> list[Evidence]:
    """Chunks that define the term a definition question asks about ("本法所称家庭暴力，是指…",
    "禁毒社会工作是…"), among the best chunks for the question and for the term alone."""
    base = {"region": region} if region else None
    hits = kb.search(question.subject, k=DEFINITION_CANDIDATES, filters=base, mode="lexical")
    hits += kb.search(question.search, k=DEFINITION_CANDIDATES, filters=base, mode=mode)
    found = {
        e.chunk.chunk_id: e for e in hits if defines(question.subject, normalize(e.chunk.text))
    }
    return list(found.values())[:k]


def _defining_each(
    kb: KnowledgeBase, question: Question, k: int, region: str | None, mode: Mode
) -> list[Evidence]:
    """Defining chunks for the term asked, found for each region a comparison names ("国务院志愿
    服务条例和重庆市志愿服务条例对“志愿者”的定义"): each side defines it in its own text."""
    known = kb.known_values()["region"]
    sides = [p for p in question.provinces if p in known] if not region else []
    if len(sides) < 2:
        return _defining(kb, question, k, region, mode)
    share = max(2, k // len(sides))
    return [e for side in sides for e in _defining(kb, question, share, side, mode)]


def _named_article(kb: KnowledgeBase, question: Question, region: str | None) -> list[Evidence]:
    """The chunks of the article a question names, in the document whose title the question
    names best ("社区矫正法第二十五条" -> 《社区矫正法》 第二十五条); none when no title fits."""
    chunks = kb.article_chunks(question.article)
    if region:
        chunks = [c for c in chunks if region in c.meta.region_names]
    asked = set(compact(without_article(question.search)))
    fit: dict[str, tuple[int, int]] = {}
    for c in chunks:
        # Characters, not words: people shorten names ("反家暴法" for 反家庭暴力法).
        title = set(compact(short_title(c.meta.title)))
        # Most title characters named first; then the fewest left unnamed ("社区矫正法" before
        # "社区矫正法实施办法" when only the former is named).
        fit[c.doc_id] = (len(asked & title), -len(title - asked))
    best = max(fit.values(), default=(0, 0))
    if best[0] < MIN_TITLE_CHARS:
        return []
    named = [c for c in chunks if fit[c.doc_id] == best]
    return [Evidence(c, 1.0, i) for i, c in enumerate(named, start=1)]


def _merge(first: list[Evidence], rest: list[Evidence], k: int) -> list[Evidence]:
    """Preferred hits first, then the rest, without repeats, re-ranked 1..k."""
    seen: set[str] = set()
    merged: list[Evidence] = []
    for e in first + rest:
        if e.chunk.chunk_id not in seen:
            seen.add(e.chunk.chunk_id)
            merged.append(e)
    return [
        Evidence(e.chunk, e.score, i, e.dense_rank, e.lexical_rank)
        for i, e in enumerate(merged[:k], start=1)
    ]


class HybridRetriever(BaseRetriever):
    """The hybrid retriever as a LangChain retriever: chunks as Documents, evidence in metadata."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    kb: KnowledgeBase
    k: int = 8
    region: str | None = None
    mode: Mode = "hybrid"

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, k: int | None = None
    ) -> list[LCDocument]:
        evidence = retrieve(self.kb, analyse(query), k or self.k, self.region, self.mode)
        return [
            LCDocument(
                id=e.chunk.chunk_id,
                page_content=e.chunk.text,
                metadata={
                    "doc_id": e.chunk.doc_id,
                    "source": e.chunk.source,
                    "section": e.chunk.section,
                    "title": e.chunk.meta.title,
                    "province": e.chunk.meta.province,
                    "rank": e.rank,
                    "score": e.score,
                },
            )
            for e in evidence
        ]
