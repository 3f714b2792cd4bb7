"""What the answering chain returns: an answer, its citations, and what was retrieved."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ingest.schema import Evidence


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


@dataclass
class Answer:
    """The chain's result; `to_json` gives the `shegong ask --json` contract of DESIGN.md."""

    question: str
    answer: str
    refused: bool
    citations: list[Citation]
    evidence: list[Evidence]
    timings_ms: dict[str, float] = field(default_factory=dict)
    standalone_question: str = ""  # the follow-up rewritten with its history
    warnings: list[str] = field(default_factory=list)  # e.g. "LLM unavailable, extractive used"

    def to_json(self) -> dict:
        """The JSON object that `shegong ask --json` prints and the evaluation reads."""
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "citations": [
                {k: v for k, v in asdict(c).items() if k not in ("region", "doc_number")}
                for c in self.citations
            ],
            "retrieved": [
                {
                    "rank": e.rank,
                    "doc_id": e.chunk.doc_id,
                    "source": e.chunk.source,
                    "section": e.chunk.section,
                    "text": e.chunk.text,
                    "score": round(e.score, 6),
                }
                for e in self.evidence
            ],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            "standalone_question": self.standalone_question,
            "warnings": self.warnings,
        }
