"""Quality gates: every gate yields a line with its figure, its bound and whether it held."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.gates import evaluate_gates

GATES = """
[gates]
min_mrr = 0.80
max_false_refusal_rate = 0.10
min_mrr_vs_baseline = 1.10
"""


def _summary(mrr: float, false_refusals: float, baseline_mrr: float) -> dict:
    ours = {"hit@5": 1.0, "mrr": mrr, "key_fact_accuracy": 0.9, "refusal_recall": 0.9}
    ours["false_refusal_rate"] = false_refusals
    return {"systems": {"ours": {"overall": ours}, "baseline": {"overall": {"mrr": baseline_mrr}}}}


@pytest.mark.parametrize(
    ("mrr", "false_refusals", "baseline_mrr", "held"),
    [
        (0.85, 0.05, 0.70, {"mrr": True, "false_refusal_rate": True, "mrr_vs_baseline": True}),
        (0.79, 0.05, 0.70, {"mrr": False, "false_refusal_rate": True, "mrr_vs_baseline": True}),
        (0.85, 0.11, 0.80, {"mrr": True, "false_refusal_rate": False, "mrr_vs_baseline": False}),
    ],
)
def test_each_gate_reports_whether_it_held(
    tmp_path: Path, mrr: float, false_refusals: float, baseline_mrr: float, held: dict
) -> None:
    path = tmp_path / "gates.toml"
    path.write_text(GATES, encoding="utf-8")
    results = evaluate_gates(_summary(mrr, false_refusals, baseline_mrr), path)
    assert {g.metric: g.held for g in results} == held
    for gate in results:
        assert str(gate.value) in gate.line() and str(gate.limit) in gate.line()
        assert gate.line().endswith("未通过" if not gate.held else "通过")


def test_a_max_gate_is_written_with_at_most() -> None:
    gates = evaluate_gates(_summary(0.9, 0.2, 0.7), Path("evals/gates.toml"))
    refusal = next(g for g in gates if g.metric == "false_refusal_rate")
    assert "≤" in refusal.line() and not refusal.held
