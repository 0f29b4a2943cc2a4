"""Where a command's report goes: standard output, or a file written atomically once the inputs are read."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TextIO

from ..atomic import atomic_text_writer, refuse_inputs
from ..errors import UsageError, os_problem


def check_output(output: str | None, inputs: Iterable[str | None],
                 others: Iterable[tuple[str, str | None]] = ()) -> None:
    """Refuse an output path that is (or resolves to) one of the inputs (the data files, and ``others``: the grader,
    the configuration... as ``(what, path)``): writing it would destroy them."""
    if output is None:
        return
    if not output.strip():
        raise UsageError("-o/--output: the file name is empty")
    refuse_inputs(output, [*(("the input file", path) for path in inputs), *others], "-o")


@contextmanager
def output_stream(path: str | None, *, newline: str | None = None) -> Iterator[TextIO]:
    """Standard output, or ``path`` written atomically (it appears whole when the block ends, never half)."""
    if path is None:
        if sys.stdout is None:
            raise UsageError("standard output is closed; pass -o FILE")
        try:
            yield sys.stdout
            sys.stdout.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:  # `> /mnt/full/report.txt`: name the stream, not "tunesmith"
            raise os_problem("standard output", exc) from None
        return
    with atomic_text_writer(path, newline=newline) as fh:
        yield fh
