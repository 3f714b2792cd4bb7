"""The evaluation gold set is well-formed, grounded in the corpus, and its checker has teeth."""

from __future__ import annotations

import copy
from collections import Counter
from difflib import SequenceMatcher
from pathlib import Path

import pytest

from evals.gold import CATEGORIES, SPLITS, check_gold, load_gold
from ingest.normalize import is_traditional

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "evals" / "qa.jsonl"
CORPUS = ROOT / "corpus"


@pytest.fixture(scope="module")
def items() -> list[dict]:
    """The gold items as stored."""
    return load_gold(GOLD)


def _answerable(items: list[dict]) -> dict:
    """A deep copy of the first item that has sources."""
    return copy.deepcopy(next(i for i in items if i["sources"]))


def test_gold_set_is_valid(items: list[dict]) -> None:
    """check_gold finds nothing wrong with evals/qa.jsonl."""
    problems = check_gold(items, CORPUS)
    assert not problems, "gold set problems:\n" + "\n".join(problems)


def test_gold_set_size_and_unanswerable_share(items: list[dict]) -> None:
    """At least 100 items, at least 15% of them unanswerable."""
    assert len(items) >= 100
    unanswerable = sum(i["category"] == "unanswerable" for i in items)
    assert unanswerable / len(items) >= 0.15, f"only {unanswerable}/{len(items)} unanswerable"


def test_every_category_in_both_splits(items: list[dict]) -> None:
    """Each category of the seed gold file has items in dev and in test."""
    seen = Counter((i["category"], i["split"]) for i in items)
    used = sorted({c for c, _ in seen})
    assert set(used) <= set(CATEGORIES)
    missing = [(c, s) for c in used for s in SPLITS if not seen[(c, s)]]
    assert not missing, f"category/split pairs with no items: {missing}"


def test_checker_reports_quote_not_in_file(items: list[dict]) -> None:
    """A quote that is not verbatim in its file is reported."""
    bad = _answerable(items)
    bad["sources"][0]["quote"] = bad["sources"][0]["quote"] + "这句话不在原文里"
    problems = check_gold([bad], CORPUS)
    assert any("quote not found" in p for p in problems), problems


def test_checker_reports_duplicate_id(items: list[dict]) -> None:
    """Two items sharing an id are reported."""
    first = _answerable(items)
    problems = check_gold([first, copy.deepcopy(first)], CORPUS)
    assert any("duplicate id" in p for p in problems), problems


def test_checker_reports_key_fact_missing_from_quotes(items: list[dict]) -> None:
    """A key fact absent from the quotes is reported."""
    bad = _answerable(items)
    bad["key_facts"] = [*bad["key_facts"][:3], "99999万元"]
    problems = check_gold([bad], CORPUS)
    assert any("key fact" in p and "99999" in p for p in problems), problems


def test_checker_reports_schema_violations(items: list[dict]) -> None:
    """Empty split, missing file, followup without history, unanswerable with sources."""
    base = _answerable(items)
    unknown = {**copy.deepcopy(base), "id": "x-1", "category": "trivia", "split": ""}
    missing = copy.deepcopy(base) | {"id": "x-2"}
    missing["sources"][0]["file"] = "no-such-file.txt"
    followup = copy.deepcopy(base) | {"id": "x-3", "category": "followup"}
    followup.pop("history", None)
    refused = copy.deepcopy(base) | {"id": "x-4", "category": "unanswerable"}
    problems = "\n".join(check_gold([unknown, missing, followup, refused], CORPUS))
    assert "x-1: split, when given, must be" in problems
    assert "x-1: unknown category" not in problems  # users' own categories are welcome
    assert "x-2: source file 'no-such-file.txt'" in problems
    assert "x-3: followup item has no history" in problems
    assert "x-4: unanswerable item must have no sources" in problems


def test_sources_in_other_formats_and_encodings_are_checked_as_loaded(tmp_path: Path) -> None:
    """A GB18030 text and an HTML page are read as the loader reads them."""
    (tmp_path / "gbk.txt").write_bytes("持证社工每月补贴三百元。".encode("gb18030"))
    (tmp_path / "page.html").write_text("<p>社工站须有<b>固定场所</b>和专职社工。</p>", "utf-8")
    item = {"id": "u-1", "question": "补贴多少?", "answer": "三百元", "category": "own"}
    item |= {
        "key_facts": ["三百元"],
        "sources": [{"file": "gbk.txt", "quote": "持证社工每月补贴三百元"}],
    }
    html = item | {"id": "u-2", "key_facts": ["固定场所"]}
    html["sources"] = [{"file": "page.html", "quote": "社工站须有固定场所和专职社工"}]
    assert check_gold([item, html], tmp_path) == []


@pytest.mark.parametrize(
    ("text", "traditional"),
    [("社會工作人才隊伍建設工作總結", True), ("社会工作人才队伍建设工作总结", False), ("", False)],
)
def test_traditional_script_is_detected_from_the_text(text: str, traditional: bool) -> None:
    assert is_traditional(text) is traditional


REAL_DOCS = ROOT.parent / "shared" / "real-docs"
DEV_SETS = [ROOT / "evals" / f"realdev{n}.jsonl" for n in ("", "2", "3")]
REAL_GOLD = [ROOT / "evals" / "heldout.jsonl", *DEV_SETS]


@pytest.mark.skipif(not REAL_DOCS.is_dir(), reason=f"{REAL_DOCS} is absent")
@pytest.mark.parametrize("path", REAL_GOLD, ids=lambda p: p.stem)
def test_real_document_gold_sets_are_valid(path: Path) -> None:
    """The held-out set and the real-document dev sets quote ../shared/real-docs exactly."""
    problems = check_gold(load_gold(path), REAL_DOCS)
    assert not problems, "\n".join(problems)


def test_held_out_set_has_what_the_answers_issue_asks_for() -> None:
    """At least 100 items: 25 near-miss unanswerables, 10 comparisons, follow-ups, articles."""
    items = load_gold(ROOT / "evals" / "heldout.jsonl")
    kinds = Counter(i["category"] for i in items)
    assert len(items) >= 100 and kinds["unanswerable"] >= 25 and kinds["comparison"] >= 10
    assert kinds["followup"] and kinds["article"] and kinds["colloquial"]
    assert all(i["split"] == "heldout" for i in items)
    dev = [i for path in DEV_SETS for i in load_gold(path)]
    assert not {i["question"] for i in items} & {i["question"] for i in dev}


def _shares_a_clause(a: dict, b: dict, run: int = 12) -> bool:
    """Whether two items quote overlapping text (12 characters in a row) of the same file."""
    for x in a["sources"]:
        for y in b["sources"]:
            if x["file"] != y["file"]:
                continue
            match = SequenceMatcher(None, x["quote"], y["quote"], autojunk=False)
            if match.find_longest_match(0, len(x["quote"]), 0, len(y["quote"])).size >= run:
                return True
    return False


def test_calibration_never_sees_a_held_out_clause() -> None:
    """No item of the real-document dev sets (calibrated on) asks about a held-out item's clause."""
    held = load_gold(ROOT / "evals" / "heldout.jsonl")
    dev = [i for path in DEV_SETS for i in load_gold(path)]
    shared = [(h["id"], d["id"]) for h in held for d in dev if _shares_a_clause(h, d)]
    assert not shared
