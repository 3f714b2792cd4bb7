"""The data that flows through shegong-bot: documents, chunks, and search evidence."""

from __future__ import annotations

from dataclasses import dataclass, field

REPEALS_SEP = "；"


@dataclass(frozen=True)
class DocMeta:
    """What is known about one document (one article of a file); empty string when unknown."""

    title: str = ""
    issuer: str = ""
    doc_number: str = ""
    province: str = ""
    city: str = ""
    date: str = ""
    # Documents this one repeals or replaces, as its text names them: "《广州市募捐条例》",
    # "《社区矫正实施办法》（司发通〔2012〕12号）"; several are joined by REPEALS_SEP.
    repeals: str = ""

    @property
    def region(self) -> str:
        """Province and city as one display string, e.g. "河北省唐山市"."""
        return self.province + (self.city if self.city not in self.province else "")


@dataclass(frozen=True)
class Document:
    """One article of a source file, cleaned; chunk offsets point into `text`."""

    doc_id: str
    source: str  # the file's path relative to the corpus root, "/"-separated
    text: str  # the cleaned text, in the script of the source (traditional stays traditional)
    meta: DocMeta
    file_hash: str  # sha256 of the file's bytes: decides whether a re-ingest can skip it


@dataclass(frozen=True)
class Chunk:
    """A retrievable span of a document, with its heading path and offsets into the document."""

    chunk_id: str
    doc_id: str
    source: str
    text: str  # original (cleaned) text for display and citation
    search_text: str  # normalize(text): what the lexical index and the embedder see
    section: str  # heading path, e.g. "甘民发〔2021〕97号 > 二、… > (六)…"
    start: int
    end: int
    meta: DocMeta = field(default_factory=DocMeta)


@dataclass(frozen=True)
class Evidence:
    """One search hit: a chunk, its fused score, and its rank in each retriever (0: absent)."""

    chunk: Chunk
    score: float
    rank: int
    dense_rank: int = 0
    lexical_rank: int = 0
