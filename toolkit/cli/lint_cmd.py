"""``tunesmith lint FILE...``: check fine-tuning JSONL files and report every finding."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError, UsageError, os_problem
from ..reader import check_input
from .output import check_output, output_stream
from .target_args import CONFIG_HELP, add_target_args

if TYPE_CHECKING:
    from ..config import Settings
    from ..engine import Linter
    from ..results import LintResult

FORMATS = ("text", "json", "github", "sarif")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("lint", help="check JSONL files offline and report every problem with its location",
                       description="Check fine-tuning JSONL files offline. Exit 0: no error; 1: errors (or "
                                   "warnings with --strict); 2: usage error or unreadable path.")
    p.add_argument("paths", nargs="+", metavar="FILE",
                   help="JSONL files or folders to check (a folder: its *.jsonl files; - reads standard input)")
    p.add_argument("--validation", metavar="FILE", help="validation file, checked with the cross-file rules")
    add_target_args(p, config=False)
    p.add_argument("--grader", metavar="FILE", help="RFT grader config (JSON) whose {{ item.* }} references are checked")
    p.add_argument("--format", dest="output_format", choices=FORMATS, default=os.environ.get("TUNESMITH_FORMAT", "text"),
                   help="output format (default text)")
    p.add_argument("--select", help="comma-separated rule codes, prefixes or names to enable (default ALL)")
    p.add_argument("--ignore", help="comma-separated rule codes, prefixes or names to disable")
    p.add_argument("--severity", action="append", default=[], metavar="CODE=LEVEL",
                   help="change a rule's severity, e.g. C150=warning (repeatable)")
    p.add_argument("--strict", action="store_true", default=None, help="exit 1 on warnings too")
    p.add_argument("--config", metavar="PYPROJECT", help=CONFIG_HELP)
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto", help="colour text output")
    p.add_argument("--fix", action="store_true",
                   help="first apply the safe fixes (as `tunesmith fix --write`, keeping FILE.bak), then lint")
    p.set_defaults(run=run)


def _grader(path: str | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        data = json.loads(Path(path).read_text("utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: grader file not found") from None
    except OSError as exc:
        raise os_problem(path, exc, "cannot read the grader config") from None
    except (ValueError, RecursionError) as exc:  # an integer too long for Python, absurd nesting
        raise InputError(f"{path}: grader config is not usable JSON ({exc})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: grader config is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: grader config must be a JSON object")
    return data


def _severity_overrides(items: list[str]) -> dict[str, Any]:
    from ..config import parse_severity
    from ..rules import RULES

    out = {}
    for item in items:
        code, sep, level = item.partition("=")
        if not sep or code.strip().upper() not in RULES:
            raise UsageError(f"--severity {item!r}: expected CODE=LEVEL with a known rule code, e.g. C150=warning")
        out[code.strip().upper()] = parse_severity(level.strip(), f"--severity {item}")
    return out


def _selection(value: str | None, what: str, check: Any) -> tuple[str, ...] | None:
    """The selectors of --select/--ignore; an option given with nothing in it is a usage error."""
    if value is None:
        return None
    chosen = check(value.split(","), what)
    if not chosen:
        raise UsageError(f"{what} {value!r}: no rule code, prefix or name given (e.g. {what} F,C030)")
    return tuple(chosen)


def build_settings(args: argparse.Namespace, start: str | None = None) -> Settings:
    """The settings for the files under ``start`` (default: the current folder): their ``[tool.tunesmith]``
    (or ``--config``) with the flags on top."""
    from ..config import check_selectors
    from .target_args import settings

    base = settings(args, start)
    select = _selection(args.select, "--select", check_selectors)
    ignore = _selection(args.ignore, "--ignore", check_selectors)
    severity = {**base.severity, **_severity_overrides(args.severity)} if args.severity else None
    return base.merged(select=select, ignore=ignore, severity=severity, strict=args.strict)


def check_paths(args: argparse.Namespace) -> None:
    """Usage errors about the paths, before anything is read or written."""
    if any(not p.strip() for p in args.paths):
        raise UsageError("an empty file name was given; pass the JSONL files to check (or - for standard input)")
    if args.paths.count("-") > 1:
        raise UsageError("- (standard input) can be read only once")
    if "-" in args.paths and len(args.paths) > 1:
        raise UsageError("- (standard input) goes alone; lint files and standard input in separate runs")
    if "-" in args.paths and args.fix:
        raise UsageError("--fix rewrites files; it cannot fix standard input")
    if args.validation is not None and "-" in (args.validation, *args.paths):  # it said "-: no such file"
        raise UsageError("--validation reads the training and the validation file by name, not standard input (-): "
                         "pass both names (a pipe works too: <(zcat train.jsonl.gz))")
    check_output(args.output, [*args.paths, args.validation], [("the grader", args.grader),
                                                                ("the configuration", args.config)])


class _Linters:
    """One linter per ``[tool.tunesmith]``: each file is linted with the configuration nearest to it (as ruff
    does), or ``--config``'s for every file."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args, self.grader = args, _grader(args.grader)
        self.by_config: dict[Path | None, tuple[Settings, Linter]] = {}
        self.config_of_folder: dict[str, Path | None] = {}  # a folder's files share its configuration

    def of(self, path: str | None) -> tuple[Settings, Linter]:
        from ..engine import Linter
        from .target_args import config_of, folder_of

        folder = str(folder_of(path) or os.getcwd())
        if folder not in self.config_of_folder:
            self.config_of_folder[folder] = config_of(self.args, path or os.curdir)
        key = self.config_of_folder[folder]
        if key not in self.by_config:
            settings = build_settings(self.args, path)
            self.by_config[key] = settings, Linter(settings, grader=self.grader)
        return self.by_config[key]


def unused_grader(result: LintResult, method_of: Callable[[str], str | None]) -> None:
    """Say on stderr which training files --grader does not apply to: a grader is for reinforcement fine-tuning
    only, so their grader rules stay quiet (``method_of``: the method given for a file, or None)."""
    from .. import formats

    for f in result.files:
        if f.role == "validation" or f.format not in formats.FORMAT_METHOD:
            continue
        method = method_of(f.path) or formats.FORMAT_METHOD[f.format]
        if method != "reinforcement":
            print(f"tunesmith: {f.path}: --grader applies only to reinforcement fine-tuning; this file is {f.format} "
                  f"({method} fine-tuning), so the grader was not checked", file=sys.stderr)


def _once(paths: list[str]) -> list[str]:
    """``paths`` without a file given twice (``x ./x``, or by name and in its folder): each is linted and counted
    once, where it first appears."""
    seen: set[str] = set()
    unique = []
    for p in paths:
        real = os.path.realpath(p)
        if real not in seen:
            seen.add(real)
            unique.append(p)
    return unique


def run(args: argparse.Namespace) -> int:
    from ..engine import expand_paths
    from ..reporters import report
    from ..results import LintResult

    check_paths(args)
    linters = _Linters(args)
    stdin = args.paths == ["-"]
    paths = [] if stdin else expand_paths(args.paths, warn=lambda message: print(f"warning: {message}", file=sys.stderr))
    paths = _once(paths)
    settings, linter = linters.of(None if stdin else args.paths[0])  # every configuration is checked before work
    for path in paths:
        linters.of(path)
    check_output(args.output, paths, [("the configuration", str(c)) for c in linters.config_of_folder.values() if c])
    if args.fix:
        from ..fix import apply, enabled_rules

        for path in [*paths, *([args.validation] if args.validation else [])]:
            fixing = linters.of(path)[0]
            chosen = enabled_rules(fixing, path)
            print(apply(path, provider=fixing.provider, method=fixing.method, rules=chosen).summary(),
                  file=sys.stderr)
    if args.validation:
        if len(args.paths) != 1:
            raise UsageError("--validation goes with exactly one training file")
        result = linter.lint(args.paths[0], validation=args.validation)
        code = result.exit_code(strict=bool(settings.strict))
    elif stdin:
        from .inputs import stdin

        result = linter.result_of([linter.lint_stream(stdin(), name="<stdin>")])
        code = result.exit_code(strict=bool(settings.strict))
    else:
        readable = []
        for p in paths:  # a file that cannot be read is named, the others are linted all the same (as ruff's E902)
            try:
                check_input(p)
            except InputError as exc:
                print(f"tunesmith: error: {exc}", file=sys.stderr)
            else:
                readable.append(p)
        if not readable:
            return 2  # nothing to report on: the errors above say why
        runs = [(linters.of(p)[0], linters.of(p)[1].lint_many([p])) for p in readable]
        result = LintResult.combined([r for _, r in runs])
        code = max(r.exit_code(strict=bool(s.strict)) for s, r in runs)  # each file under its own --strict
        if len(readable) < len(paths):
            code = 2  # an unreadable path
    if args.grader:
        unused_grader(result, lambda path: (settings if stdin else linters.of(path)[0]).method)
    with output_stream(args.output) as stream:
        color = args.color == "always" or (args.color == "auto" and stream.isatty() and not os.environ.get("NO_COLOR"))
        report(result, args.output_format, stream, color=color)
    return code
