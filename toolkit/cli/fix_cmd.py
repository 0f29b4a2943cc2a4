"""``tunesmith fix FILE...``: safe mechanical repairs, listed, shown as a diff, or written."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, TextIO

from .. import catalog
from ..errors import UsageError
from ..plural import plural
from ..reader import not_utf8_advice, wide_encoding
from ..reporters.text import visible
from . import inputs
from .target_args import add_target_args, providers_where, settings

if TYPE_CHECKING:
    from ..fix import FixEdit


def asking() -> str:
    """The providers whose docs ask for a BOM."""
    return providers_where(lambda p: p.bom == "recommended")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("fix", help="repair what can be repaired mechanically (BOM, line endings, roles...)",
                       description="Safe mechanical repairs, each named by the rule it fixes: F011 array -> one "
                                   "record per line, F012 pretty-printed record -> one line, F020 blank lines, F031 "
                                   f"BOM (F032: add one for {asking()} with --add-bom), F033 CRLF -> LF, P010 old "
                                   "preference key names, C030 role aliases (human, gpt, User...), C031 developer "
                                   "-> system in chat files, R020 system -> developer in RFT files, C140 arguments "
                                   "objects -> JSON strings, C080 tool results as text parts -> one string, C160 "
                                   "and C170 \"true\"/\"false\" strings -> booleans, C101 weights 1.0/true -> 1. "
                                   "Content text is never changed. Without "
                                   "--diff or --write the fixes are listed; exit 1 when there is something to fix.")
    p.add_argument("paths", nargs="+", metavar="FILE",
                   help="JSONL files (- reads standard input, and a named pipe is read, for the list or --diff)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--diff", action="store_true", help="print a unified diff of the fixes; change nothing")
    mode.add_argument("--write", action="store_true",
                      help="write the fixes (atomically), keeping the original as FILE.bak (or FILE.bak.N)")
    add_target_args(p, model=False, what="the file is for (a BOM is only removed for providers that do not ask for one)")
    p.add_argument("--add-bom", action="store_true",
                   help=f"add a UTF-8 BOM (for a provider whose docs ask for one: {asking()})")
    p.add_argument("--select", help="comma-separated rule codes to fix (default: all fixable rules); a rule the "
                                   "file's [tool.tunesmith] turns off (ignore, per-file-ignores) is not fixed, as "
                                   "lint does not report it")
    p.add_argument("--no-backup", action="store_true", help="with --write: do not keep FILE.bak")
    p.add_argument("--redecode", metavar="ENCODING", choices=("cp1252", "latin-1"),
                   help="UNSAFE (changes text, on a guess): re-read the lines that are not valid UTF-8 (F030) as "
                        "cp1252 (Windows-1252, Excel's default) or latin-1, keeping the valid UTF-8 in them; "
                        "never done without this flag")
    p.set_defaults(run=run)


def rules_of(select: str | None) -> list[str] | None:
    return [c.strip().upper() for c in select.split(",") if c.strip()] if select else None


def write_plan(path: str, edits: list[FixEdit], out: TextIO) -> None:
    for e in edits:
        where = f"{path}:{e.line}" if e.line is not None else path
        out.write(f"{where}: {e.rule} {e.description}\n")


def run(args: argparse.Namespace) -> int:
    from .. import fix

    inputs.check_once(args.paths)
    streams = [path for path in args.paths if inputs.is_stream(path)]
    if streams and args.write:
        raise UsageError(f"--write rewrites files; {visible(inputs.shown(streams[0]))} is read as it comes and cannot be "
                         "rewritten: save the data to a file first, or use --diff")
    projects = {path: settings(args, path) for path in args.paths}  # each file its own [tool.tunesmith], as lint
    for project in projects.values():
        prov = catalog.provider(project.provider)
        if args.add_bom and prov.bom != "recommended":
            raise UsageError(f"--add-bom goes with a provider that asks for a BOM ({asking()}); {prov.title} does not")
    pending = 0
    for path, project in projects.items():
        rules = fix.enabled_rules(project, None if path == inputs.STDIN else path, rules_of(args.select))
        if args.add_bom and "F032" not in rules and "F032" in (rules_of(args.select) or fix.RULES):
            rules.append("F032")  # asked for by its flag, whatever the config selects
        left_out = [code for code in rules_of(args.select) or () if code not in rules]
        for note in fix.turned_off(project, None if path == inputs.STDIN else path, left_out):
            print(f"{visible(inputs.shown(path))}: {note}", file=sys.stderr)  # asked for by name: never silently skipped
        opts = {"provider": project.provider, "add_bom": args.add_bom, "rules": rules, "method": project.method}
        source: str | bytes = inputs.read_all(path) if path in streams else path  # fix reads its input twice
        name = visible(inputs.shown(path))  # in messages: a file name's control characters written out, as lint does
        backup = not args.no_backup  # kept once per file, by the first fix that writes it
        if _reencode(path, name, source, args, backup=backup):
            if not args.write:
                pending += 1
                continue  # its lines are no UTF-8 text yet: the other fixes are planned once it is saved as UTF-8
            backup = False
        redecoded = 0
        if args.redecode:
            redecoded = _redecode(path, name, source, args, backup=backup)
            pending += 0 if args.write else redecoded
            backup = backup and not (args.write and redecoded)
        else:
            _hint_redecode(name, source)
        if args.write:
            result = fix.apply(path, backup=backup, **opts)
            print(result.summary() if result.changed or not redecoded else f"{name}: no other fix needed")
        elif args.diff:
            for chunk in fix.iter_diff(source, name=name, **opts):
                sys.stdout.write(chunk)
                pending += 1
        else:
            edits = fix.plan(source, **opts)
            write_plan(name, edits, sys.stdout)
            pending += fix.problems(edits)
    if pending and not args.diff:  # problems, as `--write`'s "fixed N problems" and lint's "[*] N fixable" count
        print(f"{plural(pending, 'problem')} can be fixed: run with --diff to see the changes or --write to apply "
              "them", file=sys.stderr)
    return 1 if pending else 0


def _bytes(path: str, source: str | bytes, size: int = -1) -> bytes:
    """The bytes of ``source`` (in memory, or the file it names), the first ``size`` of them if given."""
    from ..errors import InputError

    if isinstance(source, bytes):
        return source if size < 0 else source[:size]
    try:
        with open(source, "rb") as fh:
            return fh.read(size)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None


def _rewrite(path: str, name: str, data: bytes, *, backup: bool) -> None:
    """Replace ``path`` (called ``name`` in messages) with ``data`` atomically, first keeping the original beside it
    when ``backup`` (fix's ``.bak``)."""
    import shutil

    from .. import fix
    from ..atomic import write_atomic

    if backup:
        saved = fix._backup_name(path)
        shutil.copy2(path, saved)
        print(f"{name}: original kept as {visible(saved)}")
    write_atomic(path, data)


def _reencode(path: str, name: str, source: str | bytes, args: argparse.Namespace, *, backup: bool) -> bool:
    """The safe F030 repair of a UTF-16 or UTF-32 file that starts with its byte-order mark (:func:`repairs.as_utf8`):
    say it, or with ``--write`` save ``path`` as UTF-8 (keeping the original when ``backup``). Whether the file is
    such a file (only its first bytes are read to tell)."""
    from .. import repairs
    from ..reader import declared_wide

    wide = declared_wide(_bytes(name, source, 4))
    if wide is None:
        return False
    converted = repairs.as_utf8(_bytes(name, source), name)
    if not args.write:
        print(f"{name}:1: F030 the file is {wide} (it starts with that encoding's byte-order mark): --write saves it "
              "as UTF-8")
        return True
    _rewrite(path, name, converted, backup=backup)
    print(f"{name}: F030 saved as UTF-8 (it was {wide})")
    return True


def _redecode(path: str, name: str, source: str | bytes, args: argparse.Namespace, *, backup: bool) -> int:
    """The unsafe F030 repair of ``path`` (called ``name`` in messages): list, diff or write the re-read lines (before
    the safe fixes); how many there are (written, with ``--write``)."""
    from .. import repairs
    from ..errors import InputError

    data = _bytes(name, source)
    if wide_encoding(data) is not None:  # re-reading its bytes as cp1252 would turn every character into two
        raise InputError(f"{name}: --redecode {args.redecode} re-reads Latin-1 or Windows-1252 bytes; "
                         f"{not_utf8_advice(data)}")
    try:
        new, changed = repairs.redecode_lines(data, args.redecode)
    except ValueError as exc:
        raise InputError(f"{name}: {exc}") from None
    if not changed:
        return 0
    if args.write:
        _rewrite(path, name, new, backup=backup)
        print(f"{name}: F030 re-read {plural(len(changed), 'line')} as {args.redecode} (unsafe fix)")
        return len(changed)
    if args.diff:
        old_lines, new_lines = data.split(b"\n"), new.split(b"\n")
        for n in changed:
            sys.stdout.write(f"--- {name}\n+++ {name}\n@@ -{n} +{n} @@\n")
            sys.stdout.write("-" + old_lines[n - 1].decode("utf-8", "replace") + "\n")
            sys.stdout.write("+" + new_lines[n - 1].decode("utf-8") + "\n")
    else:
        for n in changed:
            print(f"{name}:{n}: F030 re-read the bytes that are not UTF-8 as {args.redecode} (unsafe)")
    return len(changed)


def _hint_redecode(path: str, source: str | bytes) -> None:
    """Say (on stderr) that lines that are not UTF-8 have an unsafe fix behind --redecode, or for a UTF-16 or UTF-32
    file that it is to be saved as UTF-8 (lint's advice)."""
    from ..errors import InputError

    try:
        data = _bytes(path, source)
    except InputError:
        return  # the fixes' own check says what is wrong with the file
    if wide_encoding(data) is not None:  # no line of it can be re-read as cp1252: say what lint says
        print(f"{path}: not UTF-8: {not_utf8_advice(data)}", file=sys.stderr)
        return
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        print(f"{path}:{line}: F030 invalid UTF-8 is not fixed by default: --redecode cp1252 (or latin-1) "
              "re-reads such lines (unsafe: check the diff first)", file=sys.stderr)
