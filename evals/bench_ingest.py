"""Ingest and search benchmark on the seed corpus: `python -m evals.bench_ingest`.

Prints, for a fresh data dir with an EMPTY embedding cache:
- model load time (timed on its own) and end-to-end ingest throughput in chunks/s;
- the time of a second, no-change run;
- KnowledgeBase.search latency p50/p95 over ~30 gold questions, per mode (hybrid, dense, lexical);
- for 12 questions, the top-3 (doc_id, section) of dense, lexical and hybrid side by side
  (✓: the hit is from the gold source file; ★: it also contains the gold quote).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import unicodedata
from pathlib import Path

import numpy as np

from ingest.offline import go_offline

REPO_ROOT = Path(__file__).resolve().parents[1]
GOLD = REPO_ROOT / "evals" / "qa.jsonl"
MODES = ("hybrid", "dense", "lexical")
SEED_002 = "mianyang-rencai-duiwu-wupian.txt"

# Used when the gold file is missing: (question, source file).
FALLBACK = [
    ("唐山工会社会工作者证书补贴多少", "baozhi-heilongjiang-jiangsu-tangshan.txt"),
    ("台州市社会工作人才队伍建设对策", SEED_002),
    ("全省民政系统社会工作人才队伍建设调研提纲有哪些内容", SEED_002),
    ("绵阳市民政系统社会工作人才队伍建设取得了哪些成绩", SEED_002),
    ("黔西南州乡镇社工站覆盖率达到多少", "guizhou-qianxinan-shegongzhan.md"),
    ("昆明市官渡区社会工作服务项目管理平台有什么作用", "baozhi-beijing-kunming-guandu.txt"),
    ("甘肃社会工作者职业水平考试怎么组织", "gansu-ganminfa-2021-97.txt"),
    ("北京持证社工有多少人", "baozhi-beijing-kunming-guandu.txt"),
    ("江苏党建引领社会工作服务示范点有哪五个方面", "baozhi-heilongjiang-jiangsu-tangshan.txt"),
    ("黑龙江计划到2025年社会工作人才达到多少", "baozhi-heilongjiang-jiangsu-tangshan.txt"),
    ("雅安雨城区持证社工多少名", "guizhou-qianxinan-shegongzhan.md"),
    ("甘肃到2025年持证社工要达到多少人", "gansu-ganminfa-2021-97.txt"),
]


# --- questions -------------------------------------------------------------------------------


def load_questions() -> list[dict]:
    """Answerable single-turn gold items: {"question", "file", "quote", "category"}."""
    if not GOLD.is_file():
        return [{"question": q, "file": f, "quote": "", "category": ""} for q, f in FALLBACK]
    items = []
    for line in GOLD.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        if item.get("sources") and not item.get("history"):
            source = item["sources"][0]
            items.append(
                {
                    "question": item["question"],
                    "file": source["file"],
                    "quote": source.get("quote", ""),
                    "category": item.get("category", ""),
                }
            )
    return items


def spread(items: list[dict], n: int) -> list[dict]:
    """n items spread evenly over the list (deterministic)."""
    if len(items) <= n:
        return items
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def table_questions(items: list[dict], n: int = 12) -> list[dict]:
    """n questions for the side-by-side table: a third about 002, asked in simplified Chinese."""
    from ingest.normalize import to_simplified

    about_002 = [
        i for i in items if i["file"] == SEED_002 and to_simplified(i["question"]) == i["question"]
    ]
    chosen = spread(about_002, n // 3)
    others = [i for i in items if i not in chosen and i["file"] != SEED_002]
    return chosen + spread(others, n - len(chosen))


# --- output ----------------------------------------------------------------------------------


def width(text: str) -> int:
    """Display width in a terminal: CJK and full-width characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def fit(text: str, cols: int) -> str:
    """Cut to `cols` display columns (with "…") and pad to exactly that width."""
    if width(text) > cols:
        out = ""
        for ch in text:
            if width(out + ch) > cols - 1:
                break
            out += ch
        text = out + "…"
    return text + " " * (cols - width(text))


def print_table(headers: list[str], rows: list[list[str]], aligns: str = "") -> None:
    cols = [max(width(str(x)) for x in column) for column in zip(headers, *rows, strict=True)]
    aligns = aligns or "l" * len(headers)

    def line(cells: list[str]) -> str:
        out = []
        for cell, w, a in zip(cells, cols, aligns, strict=True):
            pad = " " * (w - width(str(cell)))
            out.append(pad + str(cell) if a == "r" else str(cell) + pad)
        return "  ".join(out).rstrip()

    print(line(headers))
    print("  ".join("-" * w for w in cols))
    for row in rows:
        print(line(row))


def short_doc(doc_id: str) -> str:
    """ "baozhi-heilongjiang-jiangsu-tangshan.txt#3" -> "baozhi-heilon…#3"."""
    source, _, n = doc_id.partition("#")
    stem = source.rsplit(".", 1)[0]
    return (stem[:12] + "…" if len(stem) > 13 else stem) + f"#{n}"


def short_section(section: str) -> str:
    """The last part of a heading path (the doc-level label when that is all there is)."""
    return section.split(" > ")[-1]


# --- the benchmark ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO_ROOT / "corpus")
    parser.add_argument("--questions", type=int, default=30, help="questions for the latencies")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes over the questions")
    args = parser.parse_args(argv)

    go_offline()
    from ingest.e5_convert import ensure_e5_model
    from ingest.embed import Embedder
    from ingest.kb import KnowledgeBase
    from ingest.normalize import compact
    from ingest.pipeline import Ingestor
    from ingest.settings import Settings

    models = ensure_e5_model(REPO_ROOT / "data" / "models").parent
    with tempfile.TemporaryDirectory(prefix="shegong-bench-") as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        (data / "models").symlink_to(models.resolve(), target_is_directory=True)
        settings = Settings(
            _env_file=None, data_dir=data, corpus_dir=args.corpus.resolve(), chroma_url=None
        )
        # Its vector cache lives in the fresh data dir: empty, so every chunk is embedded.
        embedder = Embedder.from_settings(settings)

        started = time.perf_counter()
        embedder.load()
        load_s = time.perf_counter() - started

        kb = KnowledgeBase(settings, embedder=embedder)
        started = time.perf_counter()
        report = Ingestor(kb, progress=False).run()
        ingest_s = time.perf_counter() - started
        chunks = sum(f.chunks for f in report.files if f.status == "indexed")
        chars = sum(len(t) for _, t, _ in kb.store.records(include_documents=True))

        started = time.perf_counter()
        again = Ingestor(kb, progress=False).run()
        rerun_s = time.perf_counter() - started

        print(f"\n== Ingest: {args.corpus}  (fresh data dir, empty embedding cache)\n")
        print_table(
            ["step", "files", "chunks", "seconds", "chunks/s"],
            [
                ["model load", "", "", f"{load_s:.2f}", ""],
                [
                    "ingest (end to end)",
                    str(report.count("indexed")),
                    str(chunks),
                    f"{ingest_s:.2f}",
                    f"{chunks / ingest_s:.1f}",
                ],
                ["re-run, no change", str(again.count("skipped")), "0", f"{rerun_s:.2f}", ""],
            ],
            "lrrrr",
        )
        print(f"\n{chars} characters in {chunks} chunks ({chars / max(chunks, 1):.0f} per chunk)")
        if report.failed:
            print("failed:", "; ".join(f"{f.source}: {f.reason}" for f in report.failed))

        items = load_questions()
        timed = spread(items, args.questions)
        kb.search(timed[0]["question"], k=8)  # warm: lexical index, first query
        latencies: dict[str, list[float]] = {m: [] for m in MODES}
        for _ in range(args.repeat):
            for item in timed:
                for mode in MODES:
                    started = time.perf_counter()
                    kb.search(item["question"], k=8, mode=mode)
                    latencies[mode].append((time.perf_counter() - started) * 1000)
        print(
            f"\n== KnowledgeBase.search, k=8: {len(timed)} questions x {args.repeat} passes "
            f"({kb.store.count()} chunks)\n"
        )
        print_table(
            ["mode", "p50 ms", "p95 ms", "mean ms", "max ms"],
            [
                [
                    mode,
                    f"{np.percentile(ms, 50):.1f}",
                    f"{np.percentile(ms, 95):.1f}",
                    f"{statistics.fmean(ms):.1f}",
                    f"{max(ms):.1f}",
                ]
                for mode, ms in latencies.items()
            ],
            "lrrrr",
        )

        shown = table_questions(items)
        order = ("dense", "lexical", "hybrid")
        print("\n== Top 3 per mode: doc § section  (✓ gold file, ★ chunk holds the gold quote)\n")
        cell = 34
        hits_at_1 = dict.fromkeys(order, 0)
        for n, item in enumerate(shown, start=1):
            print(f"Q{n:<2} {item['question']}  [{item['category'] or '-'}; {item['file']}]")
            results = {m: kb.search(item["question"], k=3, mode=m) for m in order}
            for mode in order:
                top = results[mode]
                hits_at_1[mode] += bool(top) and top[0].chunk.source == item["file"]
            print("     " + "  ".join(fit(m, cell) for m in order).rstrip())
            for rank in range(3):
                cells = []
                for mode in order:
                    top = results[mode]
                    if rank >= len(top):
                        cells.append(fit("", cell))
                        continue
                    chunk = top[rank].chunk
                    mark = " "
                    if chunk.source == item["file"]:
                        quoted = item["quote"] and compact(item["quote"]) in compact(chunk.text)
                        mark = "★" if quoted else "✓"
                    text = f"{mark}{short_doc(chunk.doc_id)} § {short_section(chunk.section)}"
                    cells.append(fit(text, cell))
                print(f"  {rank + 1}. " + "  ".join(cells).rstrip())
            print()
        summary = ", ".join(f"{m} {hits_at_1[m]}/{len(shown)}" for m in order)
        print(f"top-1 from the gold file: {summary}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
