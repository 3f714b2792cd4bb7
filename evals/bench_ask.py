"""Benchmark `ask` on the seed corpus (a script that prints figures, not a test).

Run: python -m evals.bench_ask [--rounds 2]. Every gold question is asked through QAService
(the same chain as `shegong ask`) with the model loaded and warmed up; prints p50/p95 of the
retrieve and answer steps and of the total, for the extractive path.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from bot.service import QAService
from evals.gold import load_gold
from ingest.offline import go_offline
from ingest.pipeline import Ingestor
from ingest.settings import Settings


def main() -> None:
    """Print latency percentiles per chain step."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--qa", default="evals/qa.jsonl")
    parser.add_argument("--rounds", type=int, default=1, help=">1 repeats questions (cached)")
    args = parser.parse_args()
    go_offline()
    settings = Settings()
    started = time.perf_counter()
    service = QAService(settings)
    Ingestor(service.kb, progress=False).run()
    service.ask("社工站建设有什么要求?")  # warm-up: model load, lexical index
    print(f"set-up incl. model load: {time.perf_counter() - started:.1f} s")
    items = load_gold(Path(args.qa))
    timings: dict[str, list[float]] = {"retrieve": [], "answer": [], "total": []}
    for _ in range(args.rounds):
        for item in items:
            answer = service.ask(item["question"], history=item.get("history"))
            for key in timings:
                timings[key].append(answer.timings_ms[key])
    print(f"{len(timings['total'])} asks on {service.kb.store.count()} chunks")
    print(f"{'step':<10}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for key, values in timings.items():
        v = np.array(values)
        print(
            f"{key:<10}{np.percentile(v, 50):>10.1f}{np.percentile(v, 95):>10.1f}{v.max():>10.1f}"
        )


if __name__ == "__main__":
    main()
