"""`shegong eval`: registered as a plugin subcommand, so bot never imports evals."""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

from ingest.settings import AnswererKind, Settings


def corpus_settings(settings: Settings, corpus: Path) -> Settings:
    """Settings that index another corpus into a data folder of its own (models shared)."""
    corpus = corpus.resolve()
    slug = hashlib.sha256(str(corpus).encode()).hexdigest()[:12]
    data_dir = settings.data_dir / "eval-corpora" / f"{corpus.name}-{slug}"
    data_dir.mkdir(parents=True, exist_ok=True)
    models = data_dir / "models"
    if not models.exists():
        settings.models_dir.mkdir(parents=True, exist_ok=True)
        models.symlink_to(settings.models_dir.resolve(), target_is_directory=True)
    return settings.model_copy(update={"corpus_dir": corpus, "data_dir": data_dir})


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from evals.gates import evaluate_gates
    from evals.gold import check_gold, load_gold
    from evals.report import one_line, write_report
    from evals.runner import SYSTEMS, run_eval, write_results

    if args.corpus:
        corpus = Path(args.corpus)
        if not corpus.is_dir():
            print(f"语料文件夹不存在:{corpus}", file=sys.stderr)
            return 2
        settings = corpus_settings(settings, corpus)
    items = load_gold(Path(args.qa))
    problems = check_gold(items, settings.corpus_dir)
    if problems:
        print("金标准文件有问题:\n" + "\n".join(problems), file=sys.stderr)
        return 2
    if args.split != "all":
        items = [i for i in items if i.get("split") == args.split]
    if not items:
        print(f"没有 split 为 {args.split!r} 的题目", file=sys.stderr)
        return 2
    items = items[: args.limit] if args.limit else items
    systems = tuple(s for s in args.systems.split(",") if s)
    if args.answerer:
        settings = settings.model_copy(update={"answerer": AnswererKind(args.answerer)})
        # The ablations and the baseline do not change with the answerer: the LLM answers
        # only for "ours" unless other systems are asked for.
        systems = systems or ("ours",)
    systems = systems or SYSTEMS
    results, summary = run_eval(items, settings, systems, progress=not args.quiet)
    out = Path(args.out)
    write_results(results, out)
    gold = {i["id"]: i for i in items}
    write_report(out, summary, results, gold, args.split)
    print(one_line(summary, args.split))
    print(f"报告:{out / 'report.html'}")
    if args.no_gate:
        return 0
    gates = evaluate_gates(summary, section=args.gates)
    for gate in gates:
        print(gate.line())
    failed = [g for g in gates if not g.held]
    print(f"质量门槛 [{args.gates}]:{len(gates) - len(failed)} 项通过,{len(failed)} 项未通过")
    return 1 if failed else 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `eval` subcommand to the `shegong` parser."""
    p = sub.add_parser("eval", help="用金标准问题集评测,生成报告并检查质量门槛")
    p.add_argument("--qa", required=True, help="gold questions (JSON lines)")
    p.add_argument("--out", default="data/eval", help="output folder")
    p.add_argument("--split", default="all", help="only items of this split (dev, test, …)")
    p.add_argument("--corpus", help="evaluate against this folder of documents instead")
    p.add_argument("--gates", default="gates", help="section of evals/gates.toml to check")
    p.add_argument("--systems", default="", help="comma list of ours,dense,lexical,baseline")
    p.add_argument(
        "--answerer",
        choices=[k.value for k in AnswererKind],
        help="who writes the answers (default: SHEGONG_ANSWERER, else extractive)",
    )
    p.add_argument("--limit", type=int, default=0, help="only the first N items (0: all)")
    p.add_argument("--no-gate", action="store_true", help="report only; exit 0")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(run=_run)
