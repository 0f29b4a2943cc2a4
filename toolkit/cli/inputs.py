"""A command's input: a file, standard input (``-``) or a pipe (a FIFO, ``<(...)``), with clear errors for each."""

from __future__ import annotations

import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from ..errors import InputError, ToolkitError, os_problem
from ..reader import READ_BUFFER, is_device, open_input

STDIN = "-"


def shown(path: str) -> str:
    """What to call the input in messages."""
    return "<stdin>" if path == STDIN else path


def is_stream(path: str) -> bool:
    """Whether ``path`` is read once as it comes: standard input, or a named pipe."""
    if path == STDIN:
        return True
    try:
        return stat.S_ISFIFO(os.stat(path).st_mode)
    except OSError:
        return False  # the command's own check says what is wrong with it


def stdin() -> BinaryIO:
    """Standard input as bytes, refusing a closed one and a device (an endless ``/dev/zero``)."""
    if sys.stdin is None or sys.stdin.closed:
        raise InputError("standard input is closed; pass a file name, or pipe the data in")
    try:
        device = is_device(os.fstat(sys.stdin.fileno())) and not sys.stdin.isatty()
    except (OSError, ValueError, AttributeError):
        device = False
    if device:
        raise InputError("standard input is a device (such as /dev/zero), not data; pipe a file in")
    return sys.stdin.buffer


@contextmanager
def stream(path: str) -> Iterator[BinaryIO]:
    """The bytes of ``path``, read once as they come: standard input, a pipe or a file."""
    if path == STDIN:
        yield stdin()
        return
    with open_input(path) as fh:  # a FIFO nobody writes to is an error after a while, not a hang
        yield fh


def read_all(path: str) -> bytes:
    """Every byte of ``path`` (standard input, a pipe or a file), for a command that reads its input twice."""
    with stream(path) as fh:
        try:
            return fh.read()
        except OSError as exc:
            raise os_problem(shown(path), exc, "cannot read") from None


def check_once(paths: list[str]) -> None:
    """Standard input can be read once only."""
    if paths.count(STDIN) > 1:
        raise InputError("- (standard input) can be read only once")


@contextmanager
def regular_file(path: str) -> Iterator[str]:
    """``path`` itself when it is not read once; standard input or a pipe copied into a temporary file named like
    it (``stdin``, or the pipe's name), for a command that reads its input twice. An error that names the copy
    names the input instead; the copy is removed at the end."""
    if not is_stream(path):
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="tunesmith-") as folder:
        copy = os.path.join(folder, "stdin" if path == STDIN else Path(path).name)
        with stream(path) as source:
            try:
                with open(copy, "wb") as target:
                    shutil.copyfileobj(source, target, READ_BUFFER)
            except OSError as exc:
                raise os_problem(copy, exc) from None
        try:
            yield copy
        except ToolkitError as exc:
            exc.args = (str(exc).replace(copy, shown(path)), *exc.args[1:])
            raise
