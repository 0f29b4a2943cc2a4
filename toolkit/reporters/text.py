"""``path:line:col: CODE message`` lines and a summary, like ruff's concise output."""

from __future__ import annotations

from typing import TextIO

from ..diagnostics import Diagnostic, Severity
from ..plural import plural
from ..results import LintResult

_COLORS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m"}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"


# control characters (ESC, CR, LF, ...) and Unicode line breaks a file name or a value from the data may hold:
# written as escapes, so that a hostile file can neither drive the terminal nor forge a report line
_VISIBLE = {c: ascii(chr(c))[1:-1] for c in (*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029) if c != 0x09}


def visible(text: str) -> str:
    """``text`` with its control characters and line breaks written as escapes (``\\x1b``, ``\\r``, ``\\n``)."""
    return text.translate(_VISIBLE)


def format_diagnostic(d: Diagnostic, *, color: bool = False) -> str:
    """One diagnostic as ``path:line:col: CODE [severity] message (at /pointer)``, on one line whatever the data."""
    where = visible(d.path)
    if d.line is not None:
        where += f":{d.line}"
        if d.column is not None:
            where += f":{d.column}"
    at = f" (at {visible(d.pointer)})" if d.pointer else ""
    code = d.rule
    sev = d.severity.value
    if color:
        where = f"{_BOLD}{where}{_RESET}"
        code = f"{_COLORS[d.severity]}{code}{_RESET}"
        sev = f"{_COLORS[d.severity]}{sev}{_RESET}"
        at = f"{_DIM}{at}{_RESET}" if at else ""
    fix = " [*]" if d.fix is not None and d.fix.safe else ""
    return f"{where}: {code}{fix} {sev}: {visible(d.message)}{at}"


def counted(records: int, examples: int) -> str:
    """``120 examples``, or ``41 examples, and 2 records to repair first`` when some records are no example as
    written (the examples are what `tunesmith stats` counts: :func:`toolkit.reader.example_of`)."""
    other = records - examples
    return plural(examples, "example") + (f", and {plural(other, 'record')} to repair first" if other else "")


def summary_line(result: LintResult) -> str:
    """``Found 3 errors, 1 warning in 2 files (120 examples; ...).``: severities named as on each finding's line."""
    records = sum(f.records for f in result.files)
    examples = sum(f.example_count for f in result.files)
    counts = [plural(result.errors, "error"), plural(result.warnings, "warning")]
    if result.infos:
        counts.append(plural(result.infos, "info"))
    head = "All checks passed" if not result.errors and not result.warnings else "Found " + ", ".join(counts)
    if head.startswith("All") and result.infos:
        head += f" ({plural(result.infos, 'info')})"
    return (f"{head} in {plural(len(result.files), 'file')} ({counted(records, examples)}; "
            f"{result.provider} {result.model}).")


def report(result: LintResult, stream: TextIO, *, color: bool = False) -> None:
    for d in result.diagnostics:
        stream.write(format_diagnostic(d, color=color) + "\n")
    stream.write(summary_line(result) + "\n")
    fixable = sum(f.fixable for f in result.files)  # listed or not: the problems `tunesmith fix` counts
    if fixable:
        stream.write(f"[*] {fixable:,} fixable with `tunesmith fix --write`.\n")
