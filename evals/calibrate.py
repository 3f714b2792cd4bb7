"""Calibrate the evidence gate (min_focus_coverage) on the dev split only: prints a table.

Run: python -m evals.calibrate [--qa evals/qa.jsonl]. Every dev item goes through the same
chain as `shegong ask` once per threshold. Pick the threshold with high refusal recall and few
false refusals, then set min_focus_coverage's default in ingest/settings.py.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.service import QAService
from evals.gold import load_gold
from evals.metrics import key_facts_present
from ingest.kb import KnowledgeBase
from ingest.offline import go_offline
from ingest.pipeline import Ingestor
from ingest.settings import Settings

THRESHOLDS = (0.0, 0.25, 0.34, 0.5, 0.6, 0.75, 1.0)


def main() -> None:
    """Print refusal recall, false refusals and key-fact accuracy per threshold on dev."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--qa", default="evals/qa.jsonl")
    args = parser.parse_args()
    go_offline()
    settings = Settings()
    kb = KnowledgeBase(settings)
    Ingestor(kb, progress=False).run()
    items = [i for i in load_gold(Path(args.qa)) if i.get("split") == "dev"]
    print("threshold  refusal_recall  false_refusal  key_facts")
    for t in THRESHOLDS:
        service = QAService(settings.model_copy(update={"min_focus_coverage": t}), kb)
        refused_un, refused_ans, facts, n_un, n_ans = 0, 0, 0, 0, 0
        for item in items:
            answer = service.ask(item["question"], history=item.get("history"))
            if item["sources"]:
                n_ans += 1
                refused_ans += answer.refused
                facts += (not answer.refused) and key_facts_present(
                    answer.answer, item["key_facts"]
                )
            else:
                n_un += 1
                refused_un += answer.refused
        recall, false_refusal = refused_un / n_un, refused_ans / n_ans
        print(f"{t:9.2f}  {recall:14.3f}  {false_refusal:13.3f}  {facts / n_ans:9.3f}")


if __name__ == "__main__":
    main()
