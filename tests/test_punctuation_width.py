"""Structure does not depend on punctuation width: full-width and ASCII texts split alike."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ingest.normalize import normalize
from ingest.parse import parse_text
from ingest.punct import SENTENCE, to_ascii_punctuation, to_full_punctuation
from ingest.split import split_document

ROOT = Path(__file__).resolve().parent.parent
REAL_DOCS = ROOT.parent / "shared" / "real-docs"
SEEDS = sorted(p for p in (ROOT / "corpus").iterdir() if p.suffix in (".txt", ".md"))
REALS = sorted(REAL_DOCS.glob("*.md")) if REAL_DOCS.is_dir() else []
REALS = [p for p in REALS if p.name != "README.md"]


def _structure(source: str, raw: str) -> list[tuple]:
    """Documents, their titles and every chunk's offsets and heading path, width-folded."""
    shape = []
    for doc in parse_text(source, raw, "hash", {}):
        chunks = split_document(doc, 320, 60)
        shape.append(
            (
                doc.doc_id,
                normalize(doc.meta.title),
                doc.meta.region,
                len(doc.text),
                [(c.start, c.end, normalize(c.section)) for c in chunks],
            )
        )
    return shape


def _cases() -> list:
    seeds = [pytest.param(p, to_full_punctuation, id=f"seed-{p.stem}") for p in SEEDS]
    reals = [pytest.param(p, to_ascii_punctuation, id=f"real-{p.stem}") for p in REALS]
    return seeds + reals


@pytest.mark.parametrize(("path", "convert"), _cases())
def test_the_other_width_gives_the_same_documents_sections_and_chunks(
    path: Path, convert: Callable[[str], str]
) -> None:
    raw = path.read_text(encoding="utf-8")
    other = convert(raw)
    assert other != raw  # the conversion really changed the punctuation
    assert _structure(path.name, other) == _structure(path.name, raw)


def test_real_documents_are_there() -> None:
    """CI has ../shared beside the checkout: the width test must not silently skip them."""
    assert len(REALS) == 20, f"expected the 20 real documents in {REAL_DOCS}"


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        (
            "第一条 为了保障权益，制定本条例。第二条 本条例适用于…",
            ["第一条 为了保障权益，制定本条例。", "第二条 本条例适用于…"],
        ),
        ("他说:“好。”然后走了;再见", ["他说:“好。”", "然后走了;", "再见"]),
        ("是否需要登记？需要！", ["是否需要登记？", "需要！"]),
        ("金额为1.5万元，期限60日；逾期不候", ["金额为1.5万元，期限60日；", "逾期不候"]),
    ],
)
def test_sentences_end_at_marks_of_either_width(text: str, sentences: list[str]) -> None:
    assert [m.group() for m in SENTENCE.finditer(text)] == sentences
