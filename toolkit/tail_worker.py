"""Use the second core on large files: a forked process lints the file's last part.

Each process reads its own part of the file, once: the main process the lines up to a record
boundary near the middle, a worker process the rest. The worker sends back its diagnostics and
the facts it gathered (counts, formats, copies, the collectors' facts such as near-duplicate
sketches); the main process merges them into its own as if it had read the whole file, then runs
the file rules. Record rules are pure functions of one record and every collector merges exactly
(:class:`~toolkit.rules.registry.Collector`), so the findings are those of one process.

Some collectors of the later part need a fact the file's beginning decides (near-duplicates: the
boilerplate learnt from the first examples): the main process hands it off as soon as it knows it,
and the worker waits for it only when it needs it. When the split does not hold (a value pretty-
printed across the boundary; a fact the main part could not decide; a worker that failed), the
main process stops the worker and reads the rest itself.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ToolkitError
from .reader import JsonlReader

if TYPE_CHECKING:  # multiprocessing is imported only for files worth a second process (start-up of lint)
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

    from .engine import Linter
    from .results import Findings
    from .rules.context import Context, FileSummary

MIN_BYTES = 32 * 1024 * 1024  # below this, starting a process costs more than it saves
MAIN_SHARE = 0.5  # both processes parse, gather and check their own part; the main one merges at the end
POLL = 1.0  # seconds between checks that the worker is still alive while waiting for its result
_BOUNDARY = re.compile(rb'\}\r?\n\{"')  # the end of one one-line record and the start of the next


@dataclass
class Tail:
    """The worker reading lines ``first_line`` (at byte ``offset``) to the end."""

    offset: int
    first_line: int
    process: BaseProcess
    conn: Connection
    waiting: dict[str, Any] = field(default_factory=dict)  # the main part's collectors with a fact to hand off
    failed: bool = False

    def hand_off(self) -> bool:
        """Send the worker each fact it waits for that has become known; True while some are still unknown."""
        for name, collector in list(self.waiting.items()):
            state = collector.handoff()
            if state is not None:
                try:
                    self.conn.send((name, state))
                except OSError:  # the worker has ended (it failed): its part will be read here
                    self.failed = True
                    self.waiting.clear()
                    break
                del self.waiting[name]
        return bool(self.waiting)

    def result(self, *, overran: bool) -> tuple[Findings, FileSummary] | None:
        """The worker's findings and facts; None when its part must be read again here (or, ``overran``,
        was read here already)."""
        try:
            if overran or self.waiting or self.failed:
                return None
            while not self.conn.poll(POLL):
                if not self.process.is_alive() and not self.conn.poll(0):
                    return None
            status, payload = self.conn.recv()
            self.process.join(POLL)  # it has sent all it had to: let it exit on its own
            return payload if status == "ok" else None
        except (EOFError, OSError):
            return None
        finally:
            self.stop()

    def stop(self) -> None:
        """End the worker (at once, if it is still running) and close the pipe to it."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()


def start_tail(linter: Linter, reader: JsonlReader, ctx: Context, first_lines: dict[str, int],
               collected: dict[str, Any], *, tokens: bool = False) -> Tail | None:
    """Fork a worker for the last part of ``reader``'s file and make ``reader`` stop where it starts,
    or None when one core will do. ``collected``: the main part's collectors; ``tokens``: whether the rule
    that counts tokens runs (when the worker's part needs the encoding, it is loaded once, before the fork,
    for both processes: each would otherwise load it, ~0.45 s of CPU)."""
    path = _file_worth_splitting(reader)
    if path is None:
        return None
    split = split_point(path, os.path.getsize(path))
    if split is None or reader.start + reader.facts.bytes >= split[0]:  # the look-ahead read past it
        return None
    offset, line = split
    if tokens:
        from . import tokenizer
        from .rules import tokens_rule

        try:
            if tokens_rule.counted_after(path, offset, ctx.model.context):
                tokenizer.encoding(ctx.model.encoding)
        except (OSError, ToolkitError):  # each process tries again when a record needs it, and says what fails
            pass
    for collector in collected.values():
        if hasattr(collector, "prepare"):
            collector.prepare()
    import multiprocessing

    context = multiprocessing.get_context("fork")
    mine, theirs = context.Pipe()
    process = context.Process(target=_check_tail, args=(linter, path, reader.name, offset, line, ctx, first_lines,
                                                        theirs), name="tunesmith-tail", daemon=True)
    process.start()
    theirs.close()
    reader.stop_at(offset)
    waiting = {name: c for name, c in collected.items() if hasattr(c, "handoff")}
    return Tail(offset, line, process, mine, waiting)


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


class _Inbox:
    """The facts the main process hands off, by collector name, waited for when first asked."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.got: dict[str, Any] = {}

    def get(self, name: str) -> Any:
        while name not in self.got:
            key, state = self.conn.recv()  # the main process kills this worker rather than leave it waiting
            self.got[key] = state
        return self.got[name]


def _check_tail(linter: Linter, path: str, name: str, offset: int, line: int, ctx: Context,
                first_lines: dict[str, int], conn: Connection) -> None:
    try:
        reader = JsonlReader(path, name=name, start=offset, first_line=line,
                             max_line_bytes=linter.settings.max_line_bytes)
        conn.send(("ok", linter.lint_part(reader, ctx, first_lines, _Inbox(conn).get)))
    except Exception as exc:  # the main process reads the part again; it reports what goes wrong there
        conn.send(("failed", repr(exc)))
