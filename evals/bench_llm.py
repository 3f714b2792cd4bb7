"""The local LLM and the extractive answerer side by side on one fixed subset (a script that
prints figures, not a test).

Run: python -m evals.bench_llm [--per-set 15] [--calibration]. The subset: every k-th item (in
file order) of the seed test split (evals/qa.jsonl, over corpus/) and of the held-out set
(evals/heldout.jsonl, over ../shared/real-docs), `--per-set` from each; with --calibration, of
the calibration sets instead (seed dev, realdev, realdev2, realdev3: prompts are chosen there,
never on the reported subset). Prints key facts (of the whole answer, and of the LLM's own
checked sentences alone, without the clauses quoted under them), citation support, refusal
recall, answers with an invented number (one no cited chunk holds), time to the first shown
sentence and total time (p50), then each item's row.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from bot.chain import FELL_BACK, QUOTED_HEAD
from bot.grounding import numbers_in
from bot.service import QAService
from evals.calibration_sets import calibration_sets
from evals.cli import corpus_settings
from evals.gold import load_gold
from evals.metrics import key_facts_present, score_item
from ingest.kb import KnowledgeBase
from ingest.offline import go_offline
from ingest.pipeline import Ingestor
from ingest.settings import AnswererKind, Settings

REAL_DOCS = Path(__file__).resolve().parents[2] / "shared" / "real-docs"
SETS = (("seed test", "evals/qa.jsonl", "test", None), ("held-out", "evals/heldout.jsonl",
        "heldout", REAL_DOCS))  # fmt: skip


def bench_sets(
    base: Settings, calibration: bool
) -> Iterator[tuple[str, KnowledgeBase, list[dict]]]:
    """(name, knowledge base, gold items) of the reported sets, or of the calibration sets."""
    if calibration:
        for found in calibration_sets(base):
            yield found.name, found.kb, found.items
        return
    for name, qa, split, corpus in SETS:
        settings = corpus_settings(base, corpus) if corpus else base
        kb = KnowledgeBase(settings)
        Ingestor(kb, progress=False).run()
        yield name, kb, [i for i in load_gold(Path(qa)) if i.get("split") == split]


def subset(items: list[dict], n: int) -> list[dict]:
    """Every k-th item, n in all: spread over the file's categories, fixed."""
    step = max(1, len(items) // n)
    return items[::step][:n]


def invented(result: dict) -> bool:
    """Whether the answer states a number that none of its cited chunks holds (nor their
    documents' labels and dates, which a comparison table's source column shows)."""
    fields = ("text", "title", "section", "doc_number", "date")
    cited = " ".join(c[f] for c in result["citations"] for f in fields)
    return bool(numbers_in(result["answer"]) - numbers_in(cited))


def own_sentences(result: dict) -> str:
    """What the LLM itself wrote and the checks let through: the answer less the quoted clauses;
    "" when it fell back to the extractive answer (an extractive answer is all its own)."""
    if "first_token" not in result["timings_ms"]:
        return result["answer"]
    if any(FELL_BACK in w for w in result["warnings"]):
        return ""
    return result["answer"].split(QUOTED_HEAD)[0]


def run(service: QAService, item: dict) -> dict:
    started = time.perf_counter()
    result = service.ask(item["question"], history=item.get("history")).to_json()
    total = (time.perf_counter() - started) * 1000
    scores = score_item(item, result)
    if scores["answerable"]:
        own = own_sentences(result)
        scores["own_key_facts"] = bool(own) and key_facts_present(own, item["key_facts"])
    timings = result["timings_ms"]
    first = timings.get("first_sentence", total)
    return {"id": item["id"], "scores": scores, "invented": invented(result),
            "first_ms": first, "total_ms": total, "answer": result["answer"],
            "llm_called": "first_token" in timings, "warnings": result["warnings"]}  # fmt: skip


def summary(rows: list[dict]) -> dict:
    """The figures of one answerer; times over the items it wrote (refusals by the evidence
    gate take milliseconds and would hide the LLM's times)."""
    answerable = [r for r in rows if r["scores"]["answerable"]]
    timed = [r for r in rows if r["llm_called"]] or rows
    unanswerable = [r for r in rows if not r["scores"]["answerable"]]

    def share(values: list[bool]) -> float:
        return round(float(np.mean(values)), 3) if values else float("nan")

    return {
        "items": len(rows),
        "key_facts": share([r["scores"]["key_facts"] for r in answerable]),
        "own_key_facts": share([r["scores"]["own_key_facts"] for r in answerable]),
        "citation_support": share([r["scores"]["citation_support"] for r in answerable]),
        "refusal_recall": share([r["scores"]["refused"] for r in unanswerable]),
        "invented_numbers": sum(r["invented"] for r in rows),
        "timed": len(timed),
        "first_p50_s": round(float(np.percentile([r["first_ms"] for r in timed], 50)) / 1000, 1),
        "total_p50_s": round(float(np.percentile([r["total_ms"] for r in timed], 50)) / 1000, 1),
    }


def main() -> None:
    """Print the side-by-side table and each item's result; write them as JSON too."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-set", type=int, default=15)
    parser.add_argument("--calibration", action="store_true", help="the calibration sets")
    parser.add_argument("--out", default="artifacts/bench-llm.json")
    args = parser.parse_args()
    go_offline()
    rows: dict[str, list[dict]] = {"extractive": [], "llm": []}
    for name, kb, items in bench_sets(Settings(), args.calibration):
        items = subset(items, args.per_set)
        for kind in (AnswererKind.EXTRACTIVE, AnswererKind.LLM):
            service = QAService(kb.settings.model_copy(update={"answerer": kind}), kb)
            service.ask(items[0]["question"])  # warm-up: models loaded, prompt prefix cached
            for item in items:
                row = run(service, item) | {"set": name}
                rows[kind.value].append(row)
                print(f"{kind.value:10} {name:9} {row['id']:9} {row['total_ms'] / 1000:6.1f} s",
                      flush=True)  # fmt: skip
    print("\nanswerer    items  key_facts  own_key_facts  citation_support  refusal_recall"
          "  invented_numbers  timed  first_p50_s  total_p50_s")  # fmt: skip
    for kind, found in rows.items():
        s = summary(found)
        print(f"{kind:10} {s['items']:6} {s['key_facts']:10} {s['own_key_facts']:14} "
              f"{s['citation_support']:17} "
              f"{s['refusal_recall']:15} {s['invented_numbers']:17} {s['timed']:6} "
              f"{s['first_p50_s']:12} {s['total_p50_s']:12}")  # fmt: skip
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"\nper item: {out}")


if __name__ == "__main__":
    main()
