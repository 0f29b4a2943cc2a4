"""The workspace folder: the only place the editor reads or writes files.

Every name goes through :meth:`Workspace.resolve`, which follows symlinks and refuses
anything that ends up outside the folder (``../`` escapes, absolute paths elsewhere,
links pointing out, symlink loops). Names of new files are checked too: a name the
file list would hide (``.hidden.jsonl``), a backslash, a control character or a name
too long for the file system is refused with a message, never an OS error.

>>> ws = Workspace("samples")
>>> ws.resolve("elle_broken.jsonl")
>>> ws.resolve("../etc/passwd")       # raises WorkspaceError
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from ..errors import InputError

DATASET_SUFFIXES = (".jsonl",)
_SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".mypy_cache", ".pytest_cache"}
MAX_DEPTH = 4  # folders below the workspace searched for files
MAX_NAME_BYTES = 255  # one file or folder name, on every common file system
STATE_DIR = ".tunesmith"  # the editor's own files in the workspace (journal, review notes): hidden, git-ignored


class WorkspaceError(InputError):
    """A path outside the workspace, or one that cannot be used there."""


def name_problem(name: str) -> str | None:
    """Why ``name`` (relative, ``/``-separated) cannot name a file the editor creates or opens; None if it can."""
    if "\\" in name:
        return "a file name cannot contain a backslash (\\); use / between folders"
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "a file name cannot contain control characters (tabs, line breaks)"
    for part in PurePosixPath(name).parts:
        if part in ("/", ".", ".."):
            continue
        if part.startswith("."):
            return f"{part!r} starts with a dot: such files and folders are hidden from the file list"
        if len(part.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
            return f"the name is too long ({len(part.encode('utf-8', 'surrogateescape'))} bytes; at most " \
                   f"{MAX_NAME_BYTES})"
        if part != part.strip():
            return f"{part!r} starts or ends with a space"
    return None


class Workspace:
    """A folder whose files (and only those) can be opened and written."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        path = Path(root).expanduser()
        try:
            ok = path.is_dir()
            real = path.resolve()
        except (OSError, RuntimeError) as exc:
            raise WorkspaceError(f"{path}: cannot use this folder ({_why(exc)})") from None
        if not ok:
            raise WorkspaceError(f"{path}: the workspace must be an existing folder")
        self.root = real

    def resolve(self, name: str | os.PathLike[str]) -> Path:
        """The real path of ``name`` (relative to the workspace, or absolute inside it)."""
        text = os.fspath(name)
        if not text.strip() or "\x00" in text:
            raise WorkspaceError("give a file name inside the workspace")
        try:
            candidate = Path(text).expanduser()
            if not candidate.is_absolute():
                candidate = self.root / candidate
            real = candidate.resolve()
        except (OSError, RuntimeError) as exc:  # a symlink loop, a name too long
            raise WorkspaceError(f"{_short(text)}: cannot be used ({_why(exc)})") from None
        if real != self.root and self.root not in real.parents:
            raise WorkspaceError(f"{_short(text)}: outside the workspace folder {self.root}; only files inside it "
                                 "can be opened or written")
        return real

    def relative(self, path: str | os.PathLike[str]) -> str:
        """``path`` as shown to the user: relative to the workspace, with ``/``."""
        return self.resolve(path).relative_to(self.root).as_posix()

    def dataset(self, name: str | os.PathLike[str], *, new: bool = False) -> Path:
        """A dataset path: a ``.jsonl`` file that exists (or, with ``new``, does not yet)."""
        text = os.fspath(name)
        path = self.resolve(name)
        if new:
            rel = text
            if Path(text).is_absolute():
                rel = Path(text).relative_to(self.root).as_posix() if Path(text).is_relative_to(self.root) else text
            if problem := name_problem(rel):
                raise WorkspaceError(f"{_short(text)}: {problem}; choose another name")
        if path.suffix.lower() not in DATASET_SUFFIXES:
            raise WorkspaceError(f"{_short(text)}: a dataset file name must end in .jsonl")
        try:
            if new:
                if path.exists() or path.is_symlink():
                    raise WorkspaceError(f"{self.relative(path)} already exists; choose another name")
                if not path.parent.is_dir():
                    raise WorkspaceError(f"{_short(text)}: the folder {path.parent.name!r} does not exist in the "
                                         "workspace")
            elif not path.is_file():
                raise WorkspaceError(f"{_short(text)}: no such file in the workspace")
        except OSError as exc:
            raise WorkspaceError(f"{_short(text)}: cannot be used ({_why(exc)})") from None
        return path

    def files(self, suffixes: tuple[str, ...] = DATASET_SUFFIXES) -> list[str]:
        """Files with one of ``suffixes`` in the workspace (a few folders deep), sorted, relative."""
        found: list[str] = []
        for folder, dirs, names in os.walk(self.root, followlinks=False):
            rel = Path(folder).relative_to(self.root)
            depth = len(rel.parts)
            dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith(".") and depth < MAX_DEPTH)
            for n in names:
                if n.lower().endswith(suffixes) and name_problem(n) is None:
                    try:
                        if self.resolve(Path(folder) / n).is_file():
                            found.append((rel / n).as_posix())
                    except (WorkspaceError, OSError):
                        continue  # a link pointing out of the workspace, a loop, a dangling link
        return sorted(found)

    def state_dir(self) -> Path:
        """The editor's hidden folder in the workspace (created, with a .gitignore that ignores it all)."""
        folder = self.root / STATE_DIR
        try:
            folder.mkdir(exist_ok=True)
            ignore = folder / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# the Tunesmith editor's journal and review notes\n*\n", "utf-8")
        except OSError as exc:
            raise WorkspaceError(f"{folder}: cannot write the editor's folder ({_why(exc)})") from None
        return folder


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return "a symbolic link that points to itself" if "loop" in str(exc).lower() else str(exc)


def _short(text: str, limit: int = 80) -> str:
    """A name fit for a message (a 300-character name is cut in the middle)."""
    return text if len(text) <= limit else f"{text[:40]}…{text[-30:]} ({len(text)} characters)"
