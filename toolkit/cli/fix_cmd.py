"""``tunesmith fix FILE...``: safe mechanical repairs, listed, shown as a diff, or written."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, TextIO

from .. import catalog
from ..errors import UsageError

if TYPE_CHECKING:
    from ..fix import FixEdit


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("fix", help="repair what can be repaired mechanically (BOM, line endings, roles...)",
                       description="Safe mechanical repairs, each named by the rule it fixes: F011 array -> one "
                                   "record per line, F012 pretty-printed record -> one line, F020 blank lines, F031 "
                                   "BOM (F032: add one for Azure with --add-bom), F033 CRLF -> LF, P010 old "
                                   "preference key names, C030 role aliases (human, gpt, User...), R020 system -> "
                                   "developer in RFT files, C140 arguments objects -> JSON strings, C080 tool "
                                   "results as text parts -> one string. Content text is never changed. Without "
                                   "--diff or --write the fixes are listed; exit 1 when there is something to fix.")
    p.add_argument("paths", nargs="+", metavar="FILE", help="JSONL files")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--diff", action="store_true", help="print a unified diff of the fixes; change nothing")
    mode.add_argument("--write", action="store_true",
                      help="write the fixes (atomically), keeping the original as FILE.bak (or FILE.bak.N)")
    p.add_argument("--provider", choices=catalog.PROVIDERS, default="openai",
                   help="provider (a BOM is only removed for providers that do not ask for one)")
    p.add_argument("--method", choices=("supervised", "dpo", "reinforcement"),
                   help="training method (default: detected from the file's format)")
    p.add_argument("--add-bom", action="store_true", help="add a UTF-8 BOM (with --provider azure, whose docs ask for one)")
    p.add_argument("--select", help="comma-separated rule codes to fix (default: all fixable rules)")
    p.add_argument("--no-backup", action="store_true", help="with --write: do not keep FILE.bak")
    p.set_defaults(run=run)


def rules_of(select: str | None) -> list[str] | None:
    return [c.strip().upper() for c in select.split(",") if c.strip()] if select else None


def write_plan(path: str, edits: list[FixEdit], out: TextIO) -> None:
    for e in edits:
        where = f"{path}:{e.line}" if e.line is not None else path
        out.write(f"{where}: {e.rule} {e.description}\n")


def run(args: argparse.Namespace) -> int:
    from .. import fix

    if args.add_bom and args.provider != "azure":
        raise UsageError("--add-bom goes with --provider azure (OpenAI does not ask for a BOM)")
    opts = {"provider": args.provider, "add_bom": args.add_bom, "rules": rules_of(args.select), "method": args.method}
    pending = 0
    for path in args.paths:
        if args.write:
            print(fix.apply(path, backup=not args.no_backup, **opts).summary())
        elif args.diff:
            for chunk in fix.iter_diff(path, **opts):
                sys.stdout.write(chunk)
                pending += 1
        else:
            edits = fix.plan(path, **opts)
            write_plan(path, edits, sys.stdout)
            pending += len(edits)
    if pending and not args.diff:
        print(f"{pending} fix(es) available: run with --diff to see them or --write to apply them", file=sys.stderr)
    return 1 if pending else 0
