"""Write files so that a reader never sees half of one: a temporary file beside it, then ``os.replace``.

Every command and page that writes user files goes through here (fix, split, convert, lint
and stats reports, the editor's save, training downloads). A path that is a symbolic link is
written through: the file it points to is replaced, the link stays. New files get the usual
permissions (``0o666`` less the umask); a replaced file keeps its own.
"""

from __future__ import annotations

import errno
import io
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, TextIO

from .errors import InputError, UsageError, os_problem


class Discard(Exception):
    """Raise inside :func:`atomic_writer` to drop what was written and leave the target untouched."""


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether ``a`` and ``b`` are one file: the same inode (a hard link, a symlink, ``./x`` and ``x``), or for a path
    that does not exist yet the same resolved path."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def refuse_inputs(output: str | os.PathLike[str], inputs: Iterable[tuple[str, str | os.PathLike[str] | None]],
                  option: str = "-o") -> None:
    """Refuse an output that is (or resolves to) one of the command's inputs: writing it would destroy them.

    ``inputs``: ``(what, path)`` pairs, e.g. ``("the input file", "train.jsonl")``, ``("the grader", "g.json")``,
    ``("the configuration", "pyproject.toml")``; a None path or ``-`` (standard input) is skipped.
    """
    for what, path in inputs:
        if path is not None and os.fspath(path) not in ("", "-") and same_file(output, path):
            raise UsageError(f"{option} {os.fspath(output)}: that is {what} {os.fspath(path)}; writing there would "
                             "replace it: choose another file")


def resolve_target(path: str | os.PathLike[str]) -> Path:
    """Where writing ``path`` really goes: the file a symlink points to; refuses folders and loops."""
    p = Path(path)
    if p.is_symlink():
        try:
            p.stat()
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise os_problem(p, exc) from None
    real = Path(os.path.realpath(p))
    if real.is_dir():
        raise InputError(f"{p}: is a folder; give a file name")
    if not real.parent.is_dir():
        raise InputError(f"{p}: cannot write in this folder: {real.parent} does not exist")
    return real


def _new_file_mode() -> int:
    """``0o666`` less the process's umask, read without changing it where the system tells it (Linux):
    setting the umask to read it would race with other threads (the editor's server has many)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _is_stream(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` (through its symbolic links) is an existing character device or named pipe, written in
    place; a disk (block device) or a socket is refused rather than replaced."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return False
    if stat.S_ISBLK(mode) or stat.S_ISSOCK(mode):
        raise InputError(f"{os.fspath(path)}: is a {'disk device' if stat.S_ISBLK(mode) else 'socket'}, not a file; "
                         "give a file name")
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


@contextmanager
def atomic_writer(path: str | os.PathLike[str], *, mode_from: str | os.PathLike[str] | None = None
                  ) -> Iterator[BinaryIO]:
    """A binary file that replaces ``path`` when the ``with`` block ends without an exception.

    The data is flushed to disk first; the permissions of the file it replaces (or of
    ``mode_from``) are kept, a new file gets ``0o666`` less the umask. On an exception nothing
    changes and the temporary file goes. OS failures (disk full, read-only folder) become
    :class:`InputError` with a message naming the file.

    >>> with atomic_writer("train.jsonl") as fh:
    ...     fh.write(b'{"messages": []}\\n')

    A character device or a named pipe (``/dev/stdout``, ``/dev/null``, ``>(gzip > x.gz)``) is written straight
    into: it has no half state to avoid, and replacing it would put a plain file where the device or pipe was.
    ``Discard`` then drops only what was not written yet.
    """
    if _is_stream(path):
        try:
            with open(path, "wb") as stream:
                yield stream
        except Discard:
            pass
        except OSError as exc:
            raise os_problem(path, exc) from None
        return
    target = resolve_target(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise os_problem(path, exc, "cannot write in this folder") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        source = mode_from if mode_from is not None else (target if target.exists() else None)
        if source is not None:
            shutil.copymode(source, tmp)
        else:
            os.chmod(tmp, _new_file_mode())
        os.replace(tmp, target)
    except Discard:
        pass
    except OSError as exc:
        raise os_problem(path, exc) from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@contextmanager
def atomic_text_writer(path: str | os.PathLike[str], *, newline: str | None = None) -> Iterator[TextIO]:
    """:func:`atomic_writer` for UTF-8 text (reports): the file appears whole, or not at all."""
    with atomic_writer(path) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", errors="backslashreplace", newline=newline)
        try:
            yield text
            text.flush()
        finally:
            text.detach()


def write_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Replace ``path`` with ``data`` in one step; return the path."""
    with atomic_writer(path) as fh:
        fh.write(data)
    return Path(path)


def copy_atomic(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    """Copy ``source`` to a new file ``target`` (which must not exist) so that it appears whole or not at all.

    A hard link is used where the file system allows it (instant, no space needed); otherwise
    the bytes are copied to a temporary file that is renamed (never over an existing file).
    """
    try:
        os.link(source, target)
        return
    except FileExistsError:
        raise InputError(f"{target}: exists; will not overwrite it") from None
    except OSError:
        pass
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{Path(target).name}.", suffix=".tmp", dir=Path(target).parent)
    except OSError as exc:
        raise os_problem(target, exc) from None
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        shutil.copystat(source, tmp)
        if os.path.lexists(target):
            raise InputError(f"{target}: exists; will not overwrite it")
        os.replace(tmp, target)
    except OSError as exc:
        raise os_problem(target, exc) from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def is_read_only(path: str | os.PathLike[str]) -> bool:
    """True when nobody may write the file (mode bits; root's ``os.access`` would always say yes)."""
    return not os.stat(path).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
