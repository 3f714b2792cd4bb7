"""Tune the lexical weight of the hybrid fusion on the calibration sets only (the seed dev split
and the real-document dev set): prints a table per set.

Run: python -m evals.tune_fusion. Retrieval only (the same `retrieve` the chain uses, with the
question condensed as the chain would); then set lexical_weight's default in ingest/settings.py.
"""

from __future__ import annotations

import numpy as np

from bot.condense import condense_by_rules
from bot.question import analyse
from bot.retrieve import retrieve
from evals.calibration_sets import calibration_sets
from evals.metrics import hit_rank
from ingest.offline import go_offline
from ingest.settings import Settings

WEIGHTS = (0.5, 0.75, 1.0, 1.5, 2.0, 3.0)


def main() -> None:
    """Print hit@1, hit@5 and MRR per lexical weight and set."""
    go_offline()
    for cal in calibration_sets(Settings()):
        items = [i for i in cal.items if i["sources"]]
        questions = [
            analyse(condense_by_rules(i["question"], i.get("history") or [])) for i in items
        ]
        print(f"\n{cal.name} ({len(items)} answerable items)")
        print("lexical_weight  hit@1  hit@5    MRR")
        for weight in WEIGHTS:
            cal.kb.weights["lexical"] = weight
            ranks = []
            for item, q in zip(items, questions, strict=True):
                evidence = retrieve(cal.kb, q, cal.kb.settings.top_k)
                quotes = [s["quote"] for s in item["sources"]]
                ranks.append(hit_rank([e.chunk.text for e in evidence], quotes))
            r = np.array(ranks)
            mrr = np.mean([1 / x if x else 0.0 for x in r])
            hit1, hit5 = np.mean((r > 0) & (r <= 1)), np.mean((r > 0) & (r <= 5))
            print(f"{weight:14.2f}  {hit1:5.3f}  {hit5:5.3f}  {mrr:5.3f}")


if __name__ == "__main__":
    main()
