"""Load and validate gold question files (evals/qa.jsonl, evals/heldout.jsonl, users' own)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ingest.load import LoadError, load_file
from ingest.normalize import compact, is_traditional, to_simplified

# Categories with extra checks and a row of their own in every report; any other name is
# accepted too (users' own gold files) and gets its own row as well.
CATEGORIES: tuple[str, ...] = (
    "numeric",
    "list",
    "article",
    "definition",
    "requirement",
    "comparison",
    "traditional_question",
    "traditional_source",
    "paraphrase",
    "colloquial",
    "followup",
    "unanswerable",
)
# The splits of the shipped files; a gold file may use any split name, or none.
SPLITS: tuple[str, ...] = ("dev", "test")
ROLES: tuple[str, ...] = ("user", "assistant")
QUOTE_MIN, QUOTE_MAX = 8, 150
MAX_KEY_FACTS = 4
_MAX_SOURCE_BYTES = 50 * 1024 * 1024
_STR_FIELDS = ("id", "question", "answer", "category")


def load_gold(path: Path) -> list[dict]:
    """Read a JSON-lines gold file (blank lines skipped) into a list of items."""
    items = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            item = json.loads(line)
            if not isinstance(item, dict):
                raise ValueError(f"{path}:{lineno}: not a JSON object")
            items.append(item)
    return items


def _check_history(tag: str, history: Any) -> list[str]:
    """Problems with an item's optional conversation history."""
    if not isinstance(history, list) or not history:
        return [f"{tag}: history must be a non-empty list"]
    problems = []
    for n, turn in enumerate(history):
        if not isinstance(turn, dict) or turn.get("role") not in ROLES:
            problems.append(f"{tag}: history[{n}] needs role 'user' or 'assistant'")
        elif not isinstance(turn.get("content"), str) or not turn["content"].strip():
            problems.append(f"{tag}: history[{n}] has no content")
    return problems


def _check_sources(tag: str, sources: list, corpus_dir: Path, raw: dict[str, str]) -> list[str]:
    """Problems with the sources of one item: files exist, quotes are exact substrings."""
    problems = []
    for n, src in enumerate(sources):
        if not isinstance(src, dict) or not isinstance(src.get("file"), str):
            problems.append(f"{tag}: sources[{n}] needs a 'file' string")
            continue
        quote = src.get("quote")
        if not isinstance(quote, str):
            problems.append(f"{tag}: sources[{n}] needs a 'quote' string")
            continue
        name = src["file"]
        if name not in raw:
            raw[name] = _loaded_text(corpus_dir / name)
        if not raw[name]:
            problems.append(f"{tag}: source file {name!r} missing or empty in {corpus_dir}")
            continue
        if quote not in raw[name]:
            problems.append(f"{tag}: quote not found verbatim in {name}: {quote!r}")
        if not QUOTE_MIN <= len(quote) <= QUOTE_MAX:
            problems.append(f"{tag}: quote length {len(quote)} outside {QUOTE_MIN}-{QUOTE_MAX}")
        if "\n" in quote:
            problems.append(f"{tag}: quote spans a line break: {quote!r}")
    return problems


def _loaded_text(path: Path) -> str:
    """A source file's text as the ingest loader reads it (any format, any encoding); ""."""
    try:
        return load_file(path, _MAX_SOURCE_BYTES).text
    except LoadError:
        return ""


def _check_item(item: dict, corpus_dir: Path, raw: dict[str, str]) -> list[str]:
    """Problems with one item (everything except id uniqueness)."""
    tag = str(item.get("id", "<no id>"))
    problems = []
    for field in _STR_FIELDS:
        if not isinstance(item.get(field), str) or not item[field].strip():
            problems.append(f"{tag}: field {field!r} must be a non-empty string")
    facts, sources = item.get("key_facts"), item.get("sources")
    if not isinstance(facts, list) or not all(isinstance(f, str) and f.strip() for f in facts):
        problems.append(f"{tag}: key_facts must be a list of non-empty strings")
        facts = []
    if not isinstance(sources, list):
        problems.append(f"{tag}: sources must be a list")
        sources = []
    category = item.get("category")
    if "split" in item and (not isinstance(item["split"], str) or not item["split"].strip()):
        problems.append(f"{tag}: split, when given, must be a non-empty string")
    if "history" in item:
        problems += _check_history(tag, item["history"])
    elif category == "followup":
        problems.append(f"{tag}: followup item has no history")

    if category == "unanswerable":
        if sources or facts:
            problems.append(f"{tag}: unanswerable item must have no sources and no key_facts")
        return problems
    if not sources:
        problems.append(f"{tag}: answerable item has no sources")
    if not 1 <= len(facts) <= MAX_KEY_FACTS:
        problems.append(f"{tag}: needs 1-{MAX_KEY_FACTS} key_facts, has {len(facts)}")
    problems += _check_sources(tag, sources, corpus_dir, raw)

    quotes = [s.get("quote") for s in sources if isinstance(s, dict)]
    joined = compact("\n".join(q for q in quotes if isinstance(q, str)))
    for fact in facts:
        if not compact(fact) or compact(fact) not in joined:
            problems.append(f"{tag}: key fact {fact!r} not in its quotes (after compact)")

    files = {s.get("file") for s in sources if isinstance(s, dict)}
    if category == "comparison" and len(sources) < 2:
        problems.append(f"{tag}: comparison needs at least two sources")
    if category == "traditional_source" and not any(is_traditional(raw.get(f, "")) for f in files):
        problems.append(f"{tag}: traditional_source item cites no traditional-script file")
    question = item.get("question")
    traditional_question = isinstance(question, str) and to_simplified(question) != question
    if category == "traditional_question" and not traditional_question:
        problems.append(f"{tag}: traditional_question is not written in traditional script")
    return problems


def check_gold(items: list[dict], corpus_dir: Path) -> list[str]:
    """Return human-readable problems with the gold items (an empty list when valid)."""
    problems: list[str] = []
    seen: set[str] = set()
    raw: dict[str, str] = {}
    for n, item in enumerate(items):
        if not isinstance(item, dict):
            problems.append(f"item #{n}: not a JSON object")
            continue
        item_id = item.get("id")
        if isinstance(item_id, str):
            if item_id in seen:
                problems.append(f"{item_id}: duplicate id")
            seen.add(item_id)
        problems += _check_item(item, corpus_dir, raw)
    return problems
