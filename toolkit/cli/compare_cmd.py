"""``tunesmith compare --base M1 --tuned M2 --file held_out.jsonl``: both models, same prompts, side by side."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .chat_cmd import deployed
from .training_opts import add_connection_args, finite

FORMATS = ("text", "json", "html")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("compare", help="run held-out prompts through a base and a tuned model side by side",
                       description="Send every example of a held-out file (the conversation before its last "
                                   "assistant message) to both models and show their answers next to the "
                                   "reference answer, with token counts and latency.")
    p.add_argument("--base", required=True, metavar="MODEL", help=f"the base model (or a deployment on {deployed()})")
    p.add_argument("--tuned", required=True, metavar="MODEL", help=f"the fine-tuned model (or a deployment on {deployed()})")
    p.add_argument("--file", required=True, metavar="FILE", help="held-out examples (JSONL, same format as training)")
    p.add_argument("--limit", type=int, metavar="N", help="compare only the first N examples")
    p.add_argument("--format", dest="output_format", choices=FORMATS, default="text", help="output format")
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument("--max-tokens", type=int, metavar="N", help="limit each answer's length")
    p.add_argument("--temperature", type=finite, metavar="T", help="sampling temperature (e.g. 0 for repeatable runs)")
    add_connection_args(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import shutil

    from ..atomic import write_atomic
    from ..errors import UsageError
    from ..training.compare import compare, load_prompts
    from ..training.compare_report import render
    from .output import check_output
    from .training_opts import connect, guarded

    if args.limit is not None and args.limit < 1:
        raise UsageError(f"--limit must be at least 1, not {args.limit}")
    check_output(args.output, [args.file])
    if args.output and not Path(args.output).resolve().parent.is_dir():
        raise UsageError(f"--output {args.output}: the folder does not exist")
    prompts = load_prompts(args.file, limit=args.limit)
    conn, client = connect(args)

    def done(i: int, row: object) -> None:
        print(f"compared {i + 1}/{len(prompts)}", file=sys.stderr, flush=True)

    with guarded(conn):
        rows = compare(client, args.base, args.tuned, prompts, max_tokens=args.max_tokens,
                       temperature=args.temperature, on_row=done)
    width = shutil.get_terminal_size((110, 24)).columns
    report = render(rows, args.output_format, width=max(width, 80))
    if args.output:
        write_atomic(args.output, report.encode("utf-8"))
        print(f"report written to {args.output}", file=sys.stderr)
    else:
        from ..training.console import printable

        print(printable(report))  # the models' answers, not the terminal's commands
    return 0
