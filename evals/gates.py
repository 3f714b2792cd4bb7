"""Quality gates: thresholds in evals/gates.toml checked against an evaluation summary."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

GATES_FILE = Path(__file__).with_name("gates.toml")


@dataclass(frozen=True)
class GateResult:
    """One gate: the metric, the figure reached, its bound (min or max) and whether it held."""

    metric: str
    value: float
    bound: str  # "min" or "max"
    limit: float
    held: bool

    def line(self) -> str:
        """One line for the console, e.g. "门槛 mrr 0.842 ≥ 0.80 通过"."""
        sign = "≥" if self.bound == "min" else "≤"
        verdict = "通过" if self.held else "未通过"
        return f"门槛 {self.metric} = {self.value} (要求 {sign} {self.limit}) {verdict}"


def _values(summary: dict) -> dict[str, float]:
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
    return values


def evaluate_gates(
    summary: dict, path: Path = GATES_FILE, section: str = "gates"
) -> list[GateResult]:
    """Every gate of `section` in the gates file whose metric the summary has, held or not."""
    gates = tomllib.loads(path.read_text(encoding="utf-8"))[section]
    values = _values(summary)
    results = []
    for key, limit in gates.items():
        bound, metric = key.split("_", 1)
        value = values.get(metric)
        if value is None:
            continue
        held = value >= limit if bound == "min" else value <= limit
        results.append(GateResult(metric, value, bound, limit, held))
    return results
