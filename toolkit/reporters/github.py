"""GitHub Actions workflow commands: one annotation per diagnostic."""

from __future__ import annotations

from typing import TextIO

from ..diagnostics import Diagnostic, Severity
from ..results import LintResult

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_prop(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def annotation(d: Diagnostic) -> str:
    props = [f"title={_escape_prop(f'tunesmith ({d.rule} {d.name})')}", f"file={_escape_prop(d.path)}"]
    if d.line is not None:
        props.append(f"line={d.line}")
        if d.end_line is not None and d.end_line != d.line:
            props.append(f"endLine={d.end_line}")
        if d.column is not None:
            props.append(f"col={d.column}")
    where = d.path + (f":{d.line}" if d.line is not None else "") + (f":{d.column}" if d.column else "")
    at = f" (at {d.pointer})" if d.pointer else ""
    return f"::{_LEVEL[d.severity]} {','.join(props)}::{_escape_data(f'{where}: {d.rule} {d.message}{at}')}"


def report(result: LintResult, stream: TextIO) -> None:
    for d in result.diagnostics:
        stream.write(annotation(d) + "\n")
