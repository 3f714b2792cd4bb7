"""The data that flows through shegong-bot: documents, chunks, and search evidence."""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest.regions import PROVINCES

# Joins the items of a list-valued metadata field (repeals, regions) into one string.
LIST_SEP = "；"


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
    # "《社区矫正实施办法》（司发通〔2012〕12号）"; several are joined by LIST_SEP.
    repeals: str = ""
    # Every province and city the document covers, its own first, joined by LIST_SEP:
    # "浙江；台州；四川；资阳" for a report on 台州 with a part on 资阳; "" when none is known.
    regions: str = ""

    @property
    def region(self) -> str:
        """Province and city as one display string ("河北唐山"), then the other places the
        document covers, each city after its province, joined by 、 ("浙江台州、四川资阳")."""
        groups = [[self.province, "" if self.city in self.province else self.city]]
        for name in self.other_regions:
            if name in PROVINCES:
                groups.append([name, ""])
            elif groups[-1][0] in PROVINCES and not groups[-1][1]:
                groups[-1][1] = name  # the city of the province just named
            else:
                groups.append(["", name])
        return "、".join(p + c for p, c in groups if p + c)

    @property
    def region_names(self) -> list[str]:
        """Every province and city the document covers (its own included)."""
        names = [self.province, self.city, *self.regions.split(LIST_SEP)]
        return [n for n in dict.fromkeys(names) if n]

    @property
    def other_regions(self) -> list[str]:
        """The places covered beyond the document's own province and city."""
        return [n for n in self.region_names if n not in (self.province, self.city)]


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
