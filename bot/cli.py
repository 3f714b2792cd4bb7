"""The `shegong` command line: ingest, ask, serve, check (and eval, from the evals package)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from importlib.metadata import entry_points
from pathlib import Path

from bot.answer_types import SOURCE_FIELDS
from ingest.meta import short_section
from ingest.offline import go_offline
from ingest.punct import CLOSING_QUOTES, OPENING_QUOTES
from ingest.schema import DocMeta
from ingest.settings import Settings

# Other packages add subcommands here (evals adds "eval") without bot importing them.
PLUGIN_GROUP = "shegong.commands"


def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.kb import KnowledgeBase
    from ingest.pipeline import EmbedderMismatch, Ingestor

    try:
        report = Ingestor(KnowledgeBase(settings), progress=not args.quiet).run(
            [Path(p) for p in args.paths] or None, rebuild=args.rebuild
        )
    except EmbedderMismatch as err:
        print(f"错误:{err}", file=sys.stderr)
        return 2
    labels = {"indexed": "已入库", "skipped": "未变", "removed": "已删除", "failed": "失败",
              "duplicate": "重复"}  # fmt: skip
    for f in report.files:
        if f.status != "skipped" or args.verbose:
            detail = f"{f.chunks} 段" if f.status in ("indexed", "removed") else f.reason
            if f.notes:
                detail += "(" + ";".join(f.notes) + ")"
            print(f"{labels[f.status]:>4}  {f.source}  {detail}".rstrip())
    print(report.summary())
    return 1 if report.failed else 0


def _print_answer(answer: dict) -> None:
    print(answer["answer"])
    if answer["citations"]:
        print("\n来源:")
    for c in answer["citations"]:
        section = short_section(c["section"], DocMeta(title=c["title"], doc_number=c["doc_number"]))
        about = " · ".join(c[k] for k in SOURCE_FIELDS if c.get(k))
        name = c["title"] or c["source"]
        print(f"[{c['n']}] {name}" + (f"  ({section})" if section else "") + f"  {about}".rstrip())
        if c.get("repealed_by"):
            print(f"    注意:{c['repealed_by']}")
        print(f"    {quoted(c['quote'])}")
    for w in answer.get("warnings", []):
        print(f"提示:{w}", file=sys.stderr)


def quoted(text: str) -> str:
    """A quote in one pair of quotation marks, even when the quoted text is itself a quotation
    ("“要涨工资了……”" is not wrapped again)."""
    if text[:1] in OPENING_QUOTES and text[-1:] in CLOSING_QUOTES:
        return text
    return f"“{text}”"


def _ask(args: argparse.Namespace, settings: Settings) -> int:
    from bot.service import QAService, QuestionTooLong

    history = json.loads(args.history) if args.history else []
    try:
        answer = QAService(settings).ask(args.question, history=history, region=args.region)
    except QuestionTooLong as err:
        print(f"错误:{err}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
    else:
        _print_answer(answer.to_json())
    return 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from bot.server import serve

    serve(settings, host=args.host, port=args.port)
    return 0


def _check(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.check import check_index

    problems = check_index(settings, repair=args.repair)
    for p in problems:
        print(p)
    if not problems:
        print("索引一致:Chroma、词法索引与语料清单相符。")
    return 1 if problems else 0


def _local_model(args: argparse.Namespace, settings: Settings) -> int:
    from bot.local_model import LocalModelMissing, ensure_local_model

    try:
        path = ensure_local_model(settings.models_dir, progress=not args.quiet)
    except LocalModelMissing as err:
        print(f"错误:{err}", file=sys.stderr)
        return 2
    print(f"本地大模型已就绪:{path}({path.stat().st_size / 2**30:.2f} GiB,SHA-256 已校验)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand, plugins included."""
    parser = argparse.ArgumentParser(prog="shegong", description="社工政策问答 shegong-bot")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="索引文档(默认 corpus/),增量更新")
    p.add_argument("paths", nargs="*", help="files or folders (default: the corpus folder)")
    p.add_argument("--rebuild", action="store_true", help="drop the index and build it anew")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--verbose", action="store_true", help="also list unchanged files")
    p.set_defaults(run=_ingest)

    p = sub.add_parser("ask", help="提问,输出答案和来源")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print the JSON object of docs/contracts.md")
    p.add_argument("--region", help="only documents of this province or city, e.g. 甘肃")
    p.add_argument("--history", help='earlier turns as JSON: [{"role": "user", "content": …}]')
    p.set_defaults(run=_ask)

    p = sub.add_parser("serve", help="启动网页界面和 OpenAI 兼容接口")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.set_defaults(run=_serve)

    p = sub.add_parser("check", help="检查 Chroma、词法索引与语料是否一致")
    p.add_argument("--repair", action="store_true", help="fix what differs")
    p.set_defaults(run=_check)

    p = sub.add_parser("local-model", help="合并并校验本地大模型(SHEGONG_ANSWERER=llm 时使用)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=_local_model)

    for plugin in entry_points(group=PLUGIN_GROUP):
        plugin.load()(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `shegong` console script."""
    go_offline()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    return int(args.run(args, Settings()) or 0)


if __name__ == "__main__":
    sys.exit(main())
