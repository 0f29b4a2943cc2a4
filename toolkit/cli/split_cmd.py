"""``tunesmith split FILE``: deterministic training and validation files without leakage."""

from __future__ import annotations

import argparse
import os
import sys

from ..plural import plural
from . import inputs
from .target_args import add_target_args


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("split", help="split a file into training and validation files without leakage",
                       description="Write FILE_train.jsonl and FILE_validation.jsonl. Exact copies and near-duplicates "
                                   "(and, with --group-by, examples sharing a system prompt or first user message) "
                                   "always land on the same side; groups are assigned by a seeded hash, so the same "
                                   "file and seed give the same split. Lines are copied byte for byte.")
    p.add_argument("path", metavar="FILE",
                   help="JSONL file (- reads standard input, written as stdin_train.jsonl and stdin_validation.jsonl "
                        "in the current folder; a named pipe is read as it comes)")
    p.add_argument("--validation", type=float, default=0.1, metavar="SHARE",
                   help="validation share (0.1 = 10%%, the default) or a number of examples (e.g. 50)")
    p.add_argument("--seed", type=int, default=0, help="seed of the assignment (default 0)")
    p.add_argument("--group-by", choices=("hash", "system", "user"), default="hash",
                   help="also keep together examples with the same system prompt or first user message")
    p.add_argument("--output-dir", "-o", metavar="DIR",
                   help="folder for the two files (default: next to FILE; for -, the current folder)")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    add_target_args(p, model=False, what="whose per-file limits the two files are checked against")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..split import limit_notes, split
    from .target_args import resolve

    target = resolve(args, args.path)  # a bad [tool.tunesmith] stops the command before anything is written
    out_dir = args.output_dir or (os.curdir if args.path == inputs.STDIN else os.path.dirname(args.path) or os.curdir)
    with inputs.regular_file(args.path) as path:  # split reads its input twice: a pipe is copied first
        r = split(path, validation=args.validation, seed=args.seed, group_by=args.group_by, out_dir=out_dir,
                  overwrite=args.force)
    plan = r.plan
    from ..reporters.text import visible  # a file name's control characters written out, as lint writes them

    print(f"wrote {visible(r.train_path)} ({plural(r.train_examples, 'example')}) and {visible(r.validation_path)} "
          f"({plural(r.validation_examples, 'example')})")
    print(f"{plan.groups:,} groups (by {plan.group_by}; {plural(plan.near_pairs, 'near-duplicate pair')} kept together), "
          f"seed {plan.seed}")
    for note in limit_notes(r, target.provider, target.method):
        print(f"warning: {note}", file=sys.stderr)
    return 0
