"""Deterministic metrics: does a chunk hold the gold quote, does an answer hold the key facts."""

from __future__ import annotations

from difflib import SequenceMatcher

import numpy as np

from ingest.normalize import compact

# A chunk that shares a contiguous run of this share of a quote counts as containing it.
MIN_RUN = 0.6


def contains_quote(text: str, quote: str) -> bool:
    """Whether a text holds a gold quote after normalisation (or 60% of it in one run)."""
    q, t = compact(quote), compact(text)
    if not q:
        return False
    if q in t:
        return True
    match = SequenceMatcher(None, t, q, autojunk=False).find_longest_match(0, len(t), 0, len(q))
    return match.size >= MIN_RUN * len(q)


def hit_rank(retrieved: list[str], quotes: list[str]) -> int:
    """1-based rank of the first retrieved text holding any gold quote; 0 when none does."""
    for rank, text in enumerate(retrieved, start=1):
        if any(contains_quote(text, q) for q in quotes):
            return rank
    return 0


def key_facts_present(answer: str, facts: list[str]) -> bool:
    """Whether every key fact appears in the answer after normalisation."""
    a = compact(answer)
    return all(compact(f) in a for f in facts)


def score_item(item: dict, result: dict) -> dict:
    """Per-item scores of one answer (the `shegong ask --json` object) against its gold item."""
    quotes = [s["quote"] for s in item["sources"]]
    answerable = bool(quotes)
    scores: dict = {"answerable": answerable, "refused": bool(result["refused"])}
    if answerable:
        rank = hit_rank([r["text"] for r in result["retrieved"]], quotes)
        scores["rank"] = rank
        scores["key_facts"] = (not result["refused"]) and key_facts_present(
            result["answer"], item["key_facts"]
        )
        scores["citation_support"] = (not result["refused"]) and any(
            contains_quote(c["text"], q) for c in result["citations"] for q in quotes
        )
    scores["latency_ms"] = float(result.get("timings_ms", {}).get("total", 0.0))
    return scores


def summarise(scored: list[dict]) -> dict:
    """Aggregate metrics over scored items (see score_item)."""
    ans = [s for s in scored if s["answerable"]]
    unans = [s for s in scored if not s["answerable"]]
    ranks = [s["rank"] for s in ans]
    lat = [s["latency_ms"] for s in scored]

    def share(values: list[bool]) -> float | None:
        return round(float(np.mean(values)), 4) if values else None

    return {
        "items": len(scored),
        "hit@1": share([0 < r <= 1 for r in ranks]),
        "hit@5": share([0 < r <= 5 for r in ranks]),
        "mrr": round(float(np.mean([1 / r if r else 0.0 for r in ranks])), 4) if ranks else None,
        "key_fact_accuracy": share([s["key_facts"] for s in ans]),
        "citation_support": share([s["citation_support"] for s in ans]),
        "refusal_recall": share([s["refused"] for s in unans]),
        "false_refusal_rate": share([s["refused"] for s in ans]),
        "latency_p50_ms": round(float(np.percentile(lat, 50)), 1) if lat else None,
        "latency_p95_ms": round(float(np.percentile(lat, 95)), 1) if lat else None,
    }
