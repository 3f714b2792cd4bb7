"""Tune the lexical weight of the hybrid fusion on the dev split only: prints a table.

Run: python -m evals.tune_fusion. Retrieval only (the same `retrieve` the chain uses, with the
question condensed as the chain would); then set lexical_weight's default in ingest/settings.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bot.condense import condense_by_rules
from bot.question import analyse
from bot.retrieve import retrieve
from evals.gold import load_gold
from evals.metrics import hit_rank
from ingest.kb import KnowledgeBase
from ingest.offline import go_offline
from ingest.pipeline import Ingestor
from ingest.settings import Settings

WEIGHTS = (0.5, 1.0, 1.5, 2.0, 3.0, 5.0)


def main() -> None:
    """Print hit@1, hit@5 and MRR on dev per lexical weight."""
    go_offline()
    settings = Settings()
    kb = KnowledgeBase(settings)
    Ingestor(kb, progress=False).run()
    items = [
        i for i in load_gold(Path("evals/qa.jsonl")) if i.get("split") == "dev" and i["sources"]
    ]
    questions = [analyse(condense_by_rules(i["question"], i.get("history") or [])) for i in items]
    print("lexical_weight  hit@1  hit@5    MRR")
    for weight in WEIGHTS:
        kb.weights["lexical"] = weight
        ranks = []
        for item, q in zip(items, questions, strict=True):
            evidence = retrieve(kb, q, settings.top_k)
            quotes = [s["quote"] for s in item["sources"]]
            ranks.append(hit_rank([e.chunk.text for e in evidence], quotes))
        r = np.array(ranks)
        mrr = np.mean([1 / x if x else 0.0 for x in r])
        hit1, hit5 = np.mean((r > 0) & (r <= 1)), np.mean((r > 0) & (r <= 5))
        print(f"{weight:14.1f}  {hit1:5.3f}  {hit5:5.3f}  {mrr:5.3f}")


if __name__ == "__main__":
    main()
