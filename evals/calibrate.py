"""Calibrate the evidence gate (min_focus_coverage) on the calibration sets only (the seed dev
split and the real-document dev set): prints a table per set.

Run: python -m evals.calibrate. Every item goes through the same chain as `shegong ask` once
per threshold. Pick the threshold with high refusal recall and few false refusals on both sets,
then set min_focus_coverage's default in ingest/settings.py.
"""

from __future__ import annotations

from bot.service import QAService
from evals.calibration_sets import calibration_sets
from evals.metrics import key_facts_present
from ingest.offline import go_offline
from ingest.settings import Settings

THRESHOLDS = (0.0, 0.2, 0.25, 0.3, 0.34, 0.4, 0.5, 0.6, 0.75)


def main() -> None:
    """Print refusal recall, false refusals and key-fact accuracy per threshold and set."""
    go_offline()
    for cal in calibration_sets(Settings()):
        print(f"\n{cal.name} ({len(cal.items)} items)")
        print("threshold  refusal_recall  false_refusal  key_facts")
        for t in THRESHOLDS:
            settings = cal.kb.settings.model_copy(update={"min_focus_coverage": t})
            service = QAService(settings, cal.kb)
            refused_un, refused_ans, facts, n_un, n_ans = 0, 0, 0, 0, 0
            for item in cal.items:
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
