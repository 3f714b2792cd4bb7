"""The 20 real documents (../shared/real-docs) and the seeds give the structure and metadata
that a careful reader finds in them (tests/data/expected_real_docs.json, written by reading)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.gazetteer import places_in
from ingest.meta import NATIONAL
from ingest.parse import parse_text
from ingest.schema import Chunk, Document
from ingest.split import split_document

ROOT = Path(__file__).resolve().parent.parent
REAL_DOCS = ROOT.parent / "shared" / "real-docs"
EXPECTED = json.loads((ROOT / "tests" / "data" / "expected_real_docs.json").read_text("utf-8"))
DOCS = {d["file"]: d for d in EXPECTED["documents"]}
SEEDS = {s["file"]: s for s in EXPECTED["seeds"]}

pytestmark = pytest.mark.skipif(not REAL_DOCS.is_dir(), reason=f"{REAL_DOCS} is absent")


def _parse(path: Path) -> tuple[list[Document], list[Chunk]]:
    docs = parse_text(path.name, path.read_text(encoding="utf-8"), "hash", {})
    return docs, [c for d in docs for c in split_document(d, 320, 60)]


def _region(expected: str) -> tuple[str, str]:
    """(province, city) short names of an expected region such as "山东省威海市"."""
    if expected == NATIONAL:
        return NATIONAL, ""
    found = [p for _, p in places_in(expected)]
    return found[0].province, next((p.city for p in found if p.city), "")


@pytest.mark.parametrize("name", sorted(DOCS))
def test_real_document_metadata_is_read_from_its_head(name: str) -> None:
    expected = DOCS[name]
    docs, _ = _parse(REAL_DOCS / name)
    assert len(docs) == 1
    meta = docs[0].meta
    got = (meta.title, meta.doc_number, meta.issuer, meta.date, (meta.province, meta.city))
    want = (expected["title"], expected["doc_number"], expected["issuer"], expected["date"])
    assert got == (*want, _region(expected["region"]))


@pytest.mark.parametrize("name", sorted(DOCS))
def test_every_article_is_a_section_of_its_own_never_split_when_it_fits(name: str) -> None:
    expected = DOCS[name]
    _, chunks = _parse(REAL_DOCS / name)
    articles: dict[str, list[Chunk]] = {}
    for c in chunks:
        last = c.section.split(" > ")[-1]
        if last.startswith("第") and last.endswith("条"):
            articles.setdefault(c.section, []).append(c)
    assert len(articles) == expected["articles"]
    for section, parts in articles.items():
        whole = sum(len(c.text) for c in parts)
        assert len(parts) == 1 or whole > 320, f"{section} split although it fits one chunk"


@pytest.mark.parametrize(
    ("name", "sample"),
    [(n, s) for n, d in sorted(DOCS.items()) for s in d.get("article_samples", [])],
)
def test_an_articles_heading_path_reads_title_chapter_article(name: str, sample: dict) -> None:
    """ "《社区矫正法》 > 第四章 监督管理 > 第三十二条" (a 第X节 may stand between)."""
    _, chunks = _parse(REAL_DOCS / name)
    label = "《" + DOCS[name]["short_title"].replace("《", "〈").replace("》", "〉") + "》"
    head = " > ".join([label, sample["chapter"]] if sample["chapter"] else [label])
    hits = [c for c in chunks if c.section.endswith(" > " + sample["article"])]
    assert len({c.section for c in hits}) == 1, f"{sample['article']}: {hits}"
    section = hits[0].section
    assert _no_spaces(section).startswith(_no_spaces(head)), section
    opening = f"{sample['article']} {sample['starts_with']}"
    assert any(line.startswith(opening) for line in hits[0].text.split("\n"))


def _no_spaces(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_seed_files_split_into_their_reports(name: str) -> None:
    docs, _ = _parse(ROOT / "corpus" / name)
    assert len(docs) == max(1, len(SEEDS[name]["articles"]))


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_seed_reports_get_their_own_region_or_none_never_another(name: str) -> None:
    """A newspaper page's reports each get the place they are about (a wrong one is worse than
    none: the fifth 绵阳 article was once tagged 香港, which it mentions twice in passing)."""
    docs, _ = _parse(ROOT / "corpus" / name)
    for doc, expected in zip(docs, SEEDS[name]["articles"], strict=False):
        want = _region(expected["region"]) if expected.get("region") else ("", "")
        assert (doc.meta.province, doc.meta.city) in (want, ("", "")), doc.meta.title
