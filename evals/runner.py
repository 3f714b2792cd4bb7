"""Run gold questions through the same chain as `shegong ask`, for ours, ablations, baseline."""

from __future__ import annotations

from pathlib import Path

from tqdm import tqdm

from bot.service import QAService
from evals.baseline import NaiveBaseline
from evals.metrics import score_item, summarise
from ingest.kb import KnowledgeBase
from ingest.pipeline import Ingestor
from ingest.settings import Settings

# ours: the product; dense/lexical: our pipeline with one retriever; baseline: naive LangChain.
SYSTEMS = ("ours", "dense", "lexical", "baseline")
_MODES = {"ours": "hybrid", "dense": "dense", "lexical": "lexical"}


def run_system(
    system: str, items: list[dict], settings: Settings, kb: KnowledgeBase, progress: bool
) -> list[dict]:
    """One result object per item (the ask JSON plus id, category, split and scores)."""
    if system == "baseline":
        baseline = NaiveBaseline(settings.corpus_dir, kb.embedder, k=settings.top_k)

        def ask(item: dict) -> dict:
            return baseline.ask(item["question"])
    else:
        service = QAService(settings.model_copy(update={"retrieval_mode": _MODES[system]}), kb)

        def ask(item: dict) -> dict:
            return service.ask(item["question"], history=item.get("history")).to_json()

    results = []
    for item in tqdm(items, desc=f"评测 {system}", unit="题", disable=not progress):
        result = {"id": item["id"], **ask(item)}
        result["category"] = item["category"]
        result["split"] = item.get("split", "")
        result["scores"] = score_item(item, result)
        results.append(result)
    return results


def run_eval(
    items: list[dict], settings: Settings, systems: tuple[str, ...] = SYSTEMS, progress: bool = True
) -> tuple[dict[str, list[dict]], dict]:
    """Results per system and the summary (overall and per category) of each."""
    kb = KnowledgeBase(settings)
    report = Ingestor(kb, progress=progress).run()  # the index must reflect the corpus
    if report.failed:
        raise RuntimeError("语料入库失败:" + "; ".join(f.source for f in report.failed))
    results = {s: run_system(s, items, settings, kb, progress) for s in systems}
    summary: dict = {"systems": {}}
    for system, rows in results.items():
        by_cat: dict[str, list[dict]] = {}
        for r in rows:
            by_cat.setdefault(r["category"], []).append(r["scores"])
        summary["systems"][system] = {
            "overall": summarise([r["scores"] for r in rows]),
            "by_category": {c: summarise(s) for c, s in sorted(by_cat.items())},
        }
    return results, summary


def write_results(results: dict[str, list[dict]], out: Path) -> None:
    """results.jsonl (ours, the contract) and results-<system>.jsonl for the others."""
    import json

    out.mkdir(parents=True, exist_ok=True)
    for system, rows in results.items():
        name = "results.jsonl" if system == "ours" else f"results-{system}.jsonl"
        with (out / name).open("w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
