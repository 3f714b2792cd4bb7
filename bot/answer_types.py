"""What the answering chain returns: an answer, its citations, and what was retrieved."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum

from ingest.schema import DocMeta, Evidence

# What every citation and retrieved item says of its document, in the order it is shown.
SOURCE_FIELDS = ("region", "doc_number", "issuer", "date")


def source_fields(meta: DocMeta) -> dict[str, str]:
    """What every citation and retrieved item says of its document (empty when unknown)."""
    return {name: getattr(meta, name) for name in SOURCE_FIELDS}


class Layout(Enum):
    """How an answer's parts are laid out: one passage, dated versions, or a comparison table."""

    PLAIN = "plain"
    VERSIONS = "versions"
    COMPARISON = "comparison"  # regions side by side
    TOPICS = "topics"  # two things asked about side by side ("A和B分别…")


@dataclass(frozen=True)
class Citation:
    """[n] in an answer: the chunk it points at and the exact span quoted from it."""

    n: int
    doc_id: str
    title: str
    source: str
    section: str
    text: str  # the chunk's original text
    quote: str  # exact substring of `text` that the answer relies on
    region: str = ""
    doc_number: str = ""
    issuer: str = ""
    date: str = ""
    repealed_by: str = ""  # "已被《X》(2021-09-01)废止或替代" when another document repeals it


@dataclass
class Answer:
    """The chain's result; `to_json` gives the `shegong ask --json` contract (docs/contracts.md)."""

    question: str
    answer: str
    refused: bool
    citations: list[Citation]
    evidence: list[Evidence]
    timings_ms: dict[str, float] = field(default_factory=dict)
    standalone_question: str = ""  # the follow-up rewritten with its history
    warnings: list[str] = field(default_factory=list)  # e.g. "LLM unavailable, extractive used"

    def citation_dicts(self) -> list[dict]:
        """Every citation as a plain dict (with its document's region, number, issuer, date)."""
        return [asdict(c) for c in self.citations]

    def to_json(self) -> dict:
        """The JSON object that `shegong ask --json` prints and the evaluation reads."""
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "citations": self.citation_dicts(),
            "retrieved": [
                {
                    "rank": e.rank,
                    "doc_id": e.chunk.doc_id,
                    "source": e.chunk.source,
                    "section": e.chunk.section,
                    "text": e.chunk.text,
                    "score": round(e.score, 6),
                    **source_fields(e.chunk.meta),
                }
                for e in self.evidence
            ],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            "standalone_question": self.standalone_question,
            "warnings": self.warnings,
        }
