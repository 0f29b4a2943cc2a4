"""``tunesmith convert IN OUT``: tables and other trainers' formats into Tunesmith JSONL, and back out."""

from __future__ import annotations

import argparse
import sys

from ..errors import UsageError
from ..plural import plural
from . import inputs
from .target_args import add_target_args

FROM = ("csv", "tsv", "xlsx", "parquet", "sharegpt", "alpaca", "ms-swift", "trl-messages", "trl-preference")
TO = ("sharegpt", "alpaca", "trl-messages", "trl-preference")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("convert", help="convert tables, ShareGPT, Alpaca or TRL data to fine-tuning JSONL (and back)",
                       description="--from: read a table (csv, tsv, xlsx, parquet; map columns with --map COLUMN=FIELD, "
                                   "fields system, user, assistant, preferred, non_preferred) or another trainer's "
                                   "chat format, write JSONL, then lint it and print the report (exit code as "
                                   "`tunesmith lint`). --to: write a Tunesmith chat/DPO JSONL file in another "
                                   "trainer's format (OUT ending in .json: one JSON array; else JSONL).")
    p.add_argument("source", metavar="IN", help="input file (- reads standard input; a named pipe is read as it comes)")
    p.add_argument("output", metavar="OUT", help="output file (refused if it exists, unless --force)")
    way = p.add_mutually_exclusive_group(required=True)
    way.add_argument("--from", dest="from_format", choices=FROM, help="format of IN (output: Tunesmith JSONL)")
    way.add_argument("--to", dest="to_format", choices=TO, help="format of OUT (input: Tunesmith JSONL)")
    p.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD",
                   help="table column -> system, user, assistant, preferred or non_preferred (repeatable; "
                        "several columns for one field are joined with a blank line)")
    p.add_argument("--system", metavar="TEXT", help="system prompt for examples that have none")
    p.add_argument("--encoding", metavar="NAME",
                   help="what a CSV or TSV file was saved in, any Python codec name: cp1252 (Windows-1252, "
                        "Excel's default), latin-1, utf-16, mac_roman... (default: UTF-8, or UTF-16 with its "
                        "byte-order mark; other bytes stop with the line and column of the first one)")
    add_target_args(p, what="to lint the result for")
    p.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..atomic import refuse_inputs
    from ..convert import convert, dropped_text, parse_mapping
    from ..reporters.text import visible
    from ..text_encoding import label
    from .target_args import config_of, settings

    if args.output == inputs.STDIN:  # as a file name it would land in the current folder, named "-"
        raise UsageError("OUT -: convert writes a file, not standard output: give a file name (with --to, "
                         "/dev/stdout writes to standard output)")
    linting = settings(args, args.output)  # a bad [tool.tunesmith] stops the command before anything is written
    config_file = config_of(args, args.output)
    if config_file is not None:
        refuse_inputs(args.output, [("the configuration", config_file)], "OUT")
    with inputs.regular_file(args.source) as source:  # a format may be read twice (JSONL or one array?): a pipe is copied
        result = convert(source, args.output, from_format=args.from_format, to_format=args.to_format,
                         mapping=parse_mapping(args.map), system=args.system, encoding=args.encoding,
                         overwrite=args.force)
    if result.encoding not in (None, "utf-8", "utf-8-sig"):  # never a silent choice: say what the table was read as
        print(f"read {visible(args.source)} as {label(result.encoding)}", file=sys.stderr)
    if result.table is not None and result.table.guessed:  # nor a silent guess of which column is which
        print(result.table.describe(inputs.shown(args.source)), file=sys.stderr)
    if result.dropped and not (result.table is not None and result.table.guessed):  # never silent: what of the
        # source is in no record (a guessed mapping has named the columns it left out)
        print(dropped_text(args.source, result.dropped, args.from_format), file=sys.stderr)
    what = (args.from_format and "Tunesmith JSONL") or args.to_format
    print(f"wrote {plural(result.records, 'record')} to {visible(str(result.output))} ({what})", file=sys.stderr)
    if args.to_format:
        return 0
    from .. import lint
    from ..reporters import report

    linted = lint(result.output, settings=linting)
    report(linted, "text", sys.stdout, color=False)
    return linted.exit_code()
