"""The ``tunesmith`` command: parse arguments, dispatch to a subcommand, map errors to exit codes.

Each subcommand lives in its own module with ``add_parser(subparsers)`` and
``run(args) -> int``; heavy libraries (openai, pandas, streamlit) are imported
inside ``run`` only, so ``tunesmith lint`` starts fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Sequence

from .. import __version__
from ..errors import MissingExtra, ToolkitError, os_problem

# name -> module; the order is the order of ``tunesmith --help``
COMMANDS: dict[str, str] = {
    "lint": "toolkit.cli.lint_cmd",
    "rules": "toolkit.cli.rules_cmd",
    "stats": "toolkit.cli.stats_cmd",
    "fix": "toolkit.cli.fix_cmd",
    "split": "toolkit.cli.split_cmd",
    "convert": "toolkit.cli.convert_cmd",
    "sandbox": "toolkit.cli.sandbox_cmd",
    "train": "toolkit.cli.train_cmd",
    "jobs": "toolkit.cli.jobs_cmd",
    "files": "toolkit.cli.files_cmd",
    "chat": "toolkit.cli.chat_cmd",
    "compare": "toolkit.cli.compare_cmd",
    "local": "toolkit.cli.local_cmd",
    "app": "toolkit.cli.app_cmd",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The ``tunesmith`` parser with every subcommand, or with ``command``'s alone (what a run of it parses: the
    other subcommands' modules are then not imported, so that `tunesmith lint` starts fast)."""
    parser = argparse.ArgumentParser(
        prog="tunesmith", description="Author, lint and ship fine-tuning datasets for chat models.")
    parser.add_argument("--version", action="version", version=f"tunesmith {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module in COMMANDS.items():
        if command is None or name == command:
            importlib.import_module(module).add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``tunesmith`` with ``argv``; return the exit code (0 ok, 1 findings, 2 usage/input error)."""
    args_given = sys.argv[1:] if argv is None else list(argv)
    # a known command first: only its parser (the arguments parse the same); anything else sees every command
    parser = build_parser(args_given[0] if args_given and args_given[0] in COMMANDS else None)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed the usage error
        return int(exc.code or 0) and 2
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return int(args.run(args))
    except ToolkitError as exc:
        print(f"tunesmith: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("tunesmith: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    except OSError as exc:  # an ordinary OS problem (unreadable file, disk full...) that no layer below named
        where = exc.filename if exc.filename is not None else "tunesmith"
        print(f"tunesmith: error: {os_problem(where, exc, 'cannot read or write')}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug of ours: say so plainly, keep the traceback for those who ask
        if isinstance(exc, ImportError) and (missing := MissingExtra.from_import_error(exc)):
            print(f"tunesmith: error: {missing}", file=sys.stderr)  # an extra the user did not install
            return missing.exit_code
        if os.environ.get("TUNESMITH_DEBUG"):
            traceback.print_exc()
        print(f"tunesmith: internal error: {type(exc).__name__}: {exc}\n"
              "This is a bug in tunesmith, not in your data; please report it with the command you ran "
              "(set TUNESMITH_DEBUG=1 to see the traceback).", file=sys.stderr)
        return 2


def entry() -> None:
    """Console-script entry point."""
    raise SystemExit(main())
