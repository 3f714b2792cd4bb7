"""Calibrate the evidence gate (min_focus_coverage) on the dev split only: prints a table.

Run: python -m evals.calibrate [--qa evals/qa.jsonl]. Retrieval runs once per item; only the
answerer's gate varies. Pick the threshold with high refusal recall and few false refusals,
then set SHEGONG_MIN_FOCUS_COVERAGE's default in ingest/settings.py.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.cite import compose
from bot.condense import condense_by_rules
from bot.extractive import extract
from bot.question import analyse
from bot.retrieve import retrieve
from evals.gold import load_gold
from evals.metrics import key_facts_present
from ingest.kb import KnowledgeBase
from ingest.offline import go_offline
from ingest.pipeline import Ingestor
from ingest.settings import Settings

THRESHOLDS = (0.0, 0.34, 0.5, 0.6, 0.67, 0.75, 0.85, 1.0)


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
    prepared = []
    for item in items:
        q = analyse(condense_by_rules(item["question"], item.get("history") or []))
        prepared.append((item, q, retrieve(kb, q, settings.top_k)))
    print("threshold  refusal_recall  false_refusal  key_facts")
    for t in THRESHOLDS:
        refused_un, refused_ans, facts, n_un, n_ans = 0, 0, 0, 0, 0
        for item, q, evidence in prepared:
            found = extract(q, evidence, t)
            if item["sources"]:
                n_ans += 1
                refused_ans += found.refused
                text = compose(found.parts)[0]
                facts += (not found.refused) and key_facts_present(text, item["key_facts"])
            else:
                n_un += 1
                refused_un += found.refused
        recall, false_refusal = refused_un / n_un, refused_ans / n_ans
        print(f"{t:9.2f}  {recall:14.3f}  {false_refusal:13.3f}  {facts / n_ans:9.3f}")


if __name__ == "__main__":
    main()
