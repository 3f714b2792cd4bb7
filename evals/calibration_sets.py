"""The sets that weights and thresholds are calibrated on: the seed dev split and the three
real-document dev sets. Never the seed test split or the held-out set (those are reported)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from evals.cli import corpus_settings
from evals.gold import load_gold
from ingest.kb import KnowledgeBase
from ingest.pipeline import Ingestor
from ingest.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
REAL_DOCS = ROOT.parent / "shared" / "real-docs"


@dataclass(frozen=True)
class CalibrationSet:
    """Gold items to calibrate on, and the knowledge base of the documents they are about."""

    name: str
    items: list[dict]
    kb: KnowledgeBase


def calibration_sets(settings: Settings) -> Iterator[CalibrationSet]:
    """The seed dev split over corpus/, and evals/realdev.jsonl, realdev2.jsonl and
    realdev3.jsonl over ../shared/real-docs."""
    sets = [
        ("seed-dev", ROOT / "evals" / "qa.jsonl", "dev", settings),
        ("real-dev", ROOT / "evals" / "realdev.jsonl", "realdev", None),
        ("real-dev-2", ROOT / "evals" / "realdev2.jsonl", "realdev2", None),
        ("real-dev-3", ROOT / "evals" / "realdev3.jsonl", "realdev3", None),
    ]
    for name, gold, split, own in sets:
        if own is None:
            if not REAL_DOCS.is_dir():
                print(f"{name}: {REAL_DOCS} is absent, skipped")
                continue
            own = corpus_settings(settings, REAL_DOCS)
        kb = KnowledgeBase(own)
        Ingestor(kb, progress=False).run()
        items = [i for i in load_gold(gold) if i.get("split") == split]
        yield CalibrationSet(name, items, kb)
