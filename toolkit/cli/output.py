"""Where a command's report goes: standard output, or a file written atomically once the inputs are read."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TextIO

from ..atomic import atomic_text_writer
from ..errors import UsageError


def _same(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def check_output(output: str | None, inputs: Iterable[str | None]) -> None:
    """Refuse an output path that is (or resolves to) one of the inputs: writing it would destroy the data."""
    if output is None:
        return
    if not output.strip():
        raise UsageError("-o/--output: the file name is empty")
    for path in inputs:
        if path and path != "-" and _same(output, path):
            raise UsageError(f"-o {output}: that is the input file {path}; writing the report there would "
                             "replace your data: choose another file")


@contextmanager
def output_stream(path: str | None, *, newline: str | None = None) -> Iterator[TextIO]:
    """Standard output, or ``path`` written atomically (it appears whole when the block ends, never half)."""
    if path is None:
        if sys.stdout is None:
            raise UsageError("standard output is closed; pass -o FILE")
        yield sys.stdout
        return
    with atomic_text_writer(path, newline=newline) as fh:
        yield fh
