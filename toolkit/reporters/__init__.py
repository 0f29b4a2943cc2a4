"""Reporters only format a :class:`~toolkit.lint.LintResult`; they never decide anything."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from ..lint import LintResult
from . import github, json_report, sarif, text

Reporter = Callable[..., None]

REPORTERS: dict[str, Reporter] = {
    "text": text.report,
    "json": json_report.report,
    "github": github.report,
    "sarif": sarif.report,
}


def report(result: LintResult, fmt: str, stream: TextIO, *, color: bool = False) -> None:
    """Write ``result`` to ``stream`` in format ``fmt`` (one of :data:`REPORTERS`)."""
    if fmt == "text":
        text.report(result, stream, color=color)
    else:
        REPORTERS[fmt](result, stream)
