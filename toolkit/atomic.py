"""Write files so that a reader never sees half of one: a temporary file beside it, then ``os.replace``.

Every command and page that writes user files goes through here (fix, split, convert, the
editor's save, training downloads).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from .errors import InputError


class Discard(Exception):
    """Raise inside :func:`atomic_writer` to drop what was written and leave the target untouched."""


@contextmanager
def atomic_writer(path: str | os.PathLike[str], *, mode_from: str | os.PathLike[str] | None = None
                  ) -> Iterator[BinaryIO]:
    """A binary file that replaces ``path`` when the ``with`` block ends without an exception.

    The data is flushed to disk first; the permissions of the file it replaces (or of
    ``mode_from``) are kept. On an exception nothing changes and the temporary file goes.

    >>> with atomic_writer("train.jsonl") as fh:
    ...     fh.write(b'{"messages": []}\\n')
    """
    target = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
    except OSError as exc:
        raise InputError(f"{target}: cannot write in this folder ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        source = mode_from if mode_from is not None else (target if target.exists() else None)
        if source is not None:
            shutil.copymode(source, tmp)
        else:  # a new file gets the usual permissions (umask), not mkstemp's 0600
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except Discard:
        pass
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _umask() -> int:
    """The process's umask, read without changing it where the system tells it (Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Replace ``path`` with ``data`` in one step; return the path."""
    with atomic_writer(path) as fh:
        fh.write(data)
    return Path(path)
