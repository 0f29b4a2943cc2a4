"""Reporters only format a :class:`~toolkit.results.LintResult`; they never decide anything."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from ..results import LintResult
from . import github, json_report, sarif, text

Reporter = Callable[..., None]

REPORTERS: dict[str, Reporter] = {
    "text": text.report,
    "json": json_report.report,
    "github": github.report,
    "sarif": sarif.report,
}


def report(result: LintResult, fmt: str, stream: TextIO, *, color: bool = False) -> None:
    """Write ``result`` to ``stream`` in format ``fmt`` (one of :data:`REPORTERS`).

    Text that cannot be encoded (a lone surrogate in a file name or key) is written as its
    ``\\udXXX`` escape rather than failing half-way through the report.
    """
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None and getattr(stream, "errors", None) == "strict":
        reconfigure(errors="backslashreplace")
    if fmt == "text":
        text.report(result, stream, color=color)
    else:
        REPORTERS[fmt](result, stream)
