"""Use the second core on large files: a forked process checks the file's last part.

The main process still reads the whole file, for the facts the file-level rules need
(counts, formats, duplicates, near-duplicate sketches); it runs the record rules only up
to a record boundary, and a worker process runs them from there to the end. Record rules
are pure functions of one record, so the two halves give exactly the diagnostics one
process would.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .reader import JsonlReader

if TYPE_CHECKING:  # multiprocessing is imported only for files worth a second process (start-up of lint)
    from concurrent.futures import Future, ProcessPoolExecutor

    from .engine import Linter
    from .results import Findings
    from .rules.context import Context

MIN_BYTES = 32 * 1024 * 1024  # below this, starting a process costs more than it saves
MAIN_SHARE = 0.25  # the main process also gathers file facts for every record, so it checks less
_BOUNDARY = re.compile(rb'\}\r?\n\{"')  # the end of one one-line record and the start of the next


@dataclass
class Tail:
    """The worker checking lines ``first_line`` to the end."""

    first_line: int
    future: Future[Findings]
    pool: ProcessPoolExecutor

    def result(self) -> Findings:
        try:
            return self.future.result()
        finally:
            self.pool.shutdown()


def start_tail(linter: Linter, reader: JsonlReader, ctx: Context, first_lines: dict[str, int]) -> Tail | None:
    """Fork a worker for the last part of ``reader``'s file, or None when one core will do."""
    path = _file_worth_splitting(reader)
    if path is None:
        return None
    split = split_point(path, os.path.getsize(path))
    if split is None:
        return None
    offset, line = split
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))
    future = pool.submit(_check_tail, linter, path, reader.name, offset, line, ctx, first_lines)
    return Tail(line, future, pool)


def _file_worth_splitting(reader: JsonlReader) -> str | None:
    """The path of the file ``reader`` reads from its start, when a second process pays off; else None."""
    if not isinstance(reader.source, (str, Path)) or reader.start != 0:
        return None
    if os.environ.get("TUNESMITH_PARALLEL", "1") == "0" or len(os.sched_getaffinity(0)) < 2:
        return None
    path = os.fspath(reader.source)
    if os.path.getsize(path) < MIN_BYTES:
        return None
    import multiprocessing

    # fork is safe only while this process runs a single thread (not inside Streamlit, say)
    return path if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1 else None


def split_point(path: str, size: int) -> tuple[int, int] | None:
    """(byte offset, line number) of a record boundary near ``MAIN_SHARE`` of the file, if one is found."""
    target = int(size * MAIN_SHARE)
    with open(path, "rb") as fh:
        fh.seek(target)
        chunk = fh.read(4 * 1024 * 1024)
        m = _BOUNDARY.search(chunk)
        if m is None:
            return None
        offset = target + m.end() - 2  # the '{' that opens the next record
        fh.seek(0)
        lines, left = 0, offset
        while left:
            block = fh.read(min(left, 16 * 1024 * 1024))
            lines += block.count(b"\n")
            left -= len(block)
    return offset, lines + 1


def _check_tail(linter: Linter, path: str, name: str, offset: int, line: int, ctx: Context,
                first_lines: dict[str, int]) -> Findings:
    reader = JsonlReader(path, name=name, start=offset, first_line=line, max_line_bytes=linter.settings.max_line_bytes)
    return linter.lint_tail(reader, ctx, first_lines)
