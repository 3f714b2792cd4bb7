"""`shegong eval`: registered as a plugin subcommand, so bot never imports evals."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ingest.settings import Settings


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from evals.gates import check_gates
    from evals.gold import check_gold, load_gold
    from evals.report import one_line, write_report
    from evals.runner import SYSTEMS, run_eval, write_results

    items = load_gold(Path(args.qa))
    problems = check_gold(items, settings.corpus_dir)
    if problems:
        print("金标准文件有问题:\n" + "\n".join(problems), file=sys.stderr)
        return 2
    if args.split != "all":
        items = [i for i in items if i.get("split") == args.split]
    systems = tuple(s for s in args.systems.split(",") if s) or SYSTEMS
    results, summary = run_eval(items, settings, systems, progress=not args.quiet)
    out = Path(args.out)
    write_results(results, out)
    gold = {i["id"]: i for i in items}
    write_report(out, summary, results, gold, args.split)
    print(one_line(summary, args.split))
    print(f"报告:{out / 'report.html'}")
    if args.no_gate:
        return 0
    failures = check_gates(summary)
    for f in failures:
        print(f"未通过质量门槛:{f}", file=sys.stderr)
    return 1 if failures else 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `eval` subcommand to the `shegong` parser."""
    p = sub.add_parser("eval", help="用金标准问题集评测,生成报告并检查质量门槛")
    p.add_argument("--qa", required=True, help="gold questions (JSON lines)")
    p.add_argument("--out", default="data/eval", help="output folder")
    p.add_argument("--split", default="all", choices=["all", "dev", "test"])
    p.add_argument("--systems", default="", help="comma list of ours,dense,lexical,baseline")
    p.add_argument("--no-gate", action="store_true", help="report only; exit 0")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(run=_run)
