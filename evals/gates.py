"""Quality gates: thresholds in evals/gates.toml checked against an evaluation summary."""

from __future__ import annotations

import tomllib
from pathlib import Path

GATES_FILE = Path(__file__).with_name("gates.toml")


def check_gates(summary: dict, path: Path = GATES_FILE) -> list[str]:
    """Human-readable failures (empty when every gate passes)."""
    gates = tomllib.loads(path.read_text(encoding="utf-8"))["gates"]
    ours = summary["systems"]["ours"]["overall"]
    values = {
        "hit_at_5": ours["hit@5"],
        "mrr": ours["mrr"],
        "key_fact_accuracy": ours["key_fact_accuracy"],
        "refusal_recall": ours["refusal_recall"],
        "false_refusal_rate": ours["false_refusal_rate"],
    }
    baseline = summary["systems"].get("baseline", {}).get("overall", {})
    if baseline.get("mrr"):
        values["mrr_vs_baseline"] = round(ours["mrr"] / baseline["mrr"], 3)
    failures = []
    for key, limit in gates.items():
        kind, metric = key.split("_", 1)
        value = values.get(metric)
        if value is None:
            continue
        if (kind == "min" and value < limit) or (kind == "max" and value > limit):
            failures.append(f"{metric} = {value} ({kind} {limit})")
    return failures
