"""The one exception family the library raises for problems the user can fix."""

from __future__ import annotations

import errno
import os
import re


class ToolkitError(Exception):
    """A problem with the user's input or setup, with a message that says what to do.

    The CLI prints the message (never a traceback) and exits with ``exit_code``.
    """

    exit_code = 2


class UsageError(ToolkitError):
    """Bad command-line arguments or configuration."""


class InputError(ToolkitError):
    """A path that cannot be read, or a file that cannot be used at all."""


# Modules that only an extra installs (pyproject.toml's [project.optional-dependencies]; a test keeps
# the two in step): the extra that brings each.
EXTRA_OF_MODULE = {
    "pandas": "data", "openpyxl": "data", "pyarrow": "data",
    "openai": "train", "httpx2": "train", "platformdirs": "train", "PIL": "train",
    "streamlit": "app", "altair": "app",
}


class MissingExtra(ToolkitError):
    """A command needs a package that the core install leaves out: says which extra brings it."""

    def __init__(self, module: str, extra: str) -> None:
        super().__init__(f"this command needs {module!r}, which the {extra!r} extra installs: "
                         f"pip install 'tunesmith[{extra}]' (or 'tunesmith[all]' for every command)")
        self.module, self.extra = module, extra

    @classmethod
    def from_import_error(cls, exc: ImportError) -> MissingExtra | None:
        """The ``MissingExtra`` behind ``exc``, or None when ``exc`` is not about an extra's module.

        Reads ``exc.name`` and, for libraries that re-raise with only a message (pandas:
        "Missing optional dependency 'openpyxl'"), the quoted module names in the message.
        """
        names = [exc.name or ""] + re.findall(r"'([\w.]+)'", str(exc))
        for name in names:
            top = name.partition(".")[0]
            if top in EXTRA_OF_MODULE:
                return cls(top, EXTRA_OF_MODULE[top])
        return None


class FileSystemError(InputError, OSError):
    """An ordinary OS failure (disk full, permission denied...) said plainly; still an ``OSError`` for callers."""


def os_problem(path: str | os.PathLike[str], exc: OSError, doing: str = "cannot write") -> FileSystemError:
    """A clear :class:`InputError` for an ordinary OS failure (disk full, permission denied...)."""
    what = {
        errno.ENOSPC: "the disk is full; free some space and run the command again",
        errno.EDQUOT: "the disk quota is exhausted; free some space and run the command again",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.EROFS: "the file system is read-only",
        errno.EISDIR: "is a folder, not a file",
        errno.ENOTDIR: "a part of the path is not a folder",
        errno.ELOOP: "too many levels of symbolic links (a symlink loop?)",
        errno.ENAMETOOLONG: "the name is too long",
        errno.EIO: "input/output error (a failing disk or network drive?)",
    }.get(exc.errno or 0, exc.strerror or str(exc))
    if exc.errno == errno.ENOENT:
        return FileSystemError(f"{os.fspath(path)}: no such file")
    return FileSystemError(f"{os.fspath(path)}: {doing}: {what}")
