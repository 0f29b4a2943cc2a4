"""The workspace folder: the only place the editor reads or writes files.

Every name goes through :meth:`Workspace.resolve`, which follows symlinks and refuses
anything that ends up outside the folder (``../`` escapes, absolute paths elsewhere,
links pointing out).

>>> ws = Workspace("samples")
>>> ws.resolve("elle_broken.jsonl")
>>> ws.resolve("../etc/passwd")       # raises WorkspaceError
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import InputError

DATASET_SUFFIXES = (".jsonl",)
_SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".mypy_cache", ".pytest_cache"}
MAX_DEPTH = 4  # folders below the workspace searched for files


class WorkspaceError(InputError):
    """A path outside the workspace, or one that cannot be used there."""


class Workspace:
    """A folder whose files (and only those) can be opened and written."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        path = Path(root).expanduser()
        if not path.is_dir():
            raise WorkspaceError(f"{path}: the workspace must be an existing folder")
        self.root = path.resolve()

    def resolve(self, name: str | os.PathLike[str]) -> Path:
        """The real path of ``name`` (relative to the workspace, or absolute inside it)."""
        text = os.fspath(name)
        if not text.strip() or "\x00" in text:
            raise WorkspaceError("give a file name inside the workspace")
        candidate = Path(text).expanduser()
        if not candidate.is_absolute():
            candidate = self.root / candidate
        real = candidate.resolve()
        if real != self.root and self.root not in real.parents:
            raise WorkspaceError(f"{text}: outside the workspace folder {self.root}; only files inside it "
                                 "can be opened or written")
        return real

    def relative(self, path: str | os.PathLike[str]) -> str:
        """``path`` as shown to the user: relative to the workspace, with ``/``."""
        return self.resolve(path).relative_to(self.root).as_posix()

    def dataset(self, name: str | os.PathLike[str], *, new: bool = False) -> Path:
        """A dataset path: a ``.jsonl`` file that exists (or, with ``new``, does not yet)."""
        path = self.resolve(name)
        if path.suffix.lower() not in DATASET_SUFFIXES:
            raise WorkspaceError(f"{name}: a dataset file name must end in .jsonl")
        if new:
            if path.exists():
                raise WorkspaceError(f"{self.relative(path)} already exists; choose another name")
            if not path.parent.is_dir():
                raise WorkspaceError(f"{name}: the folder {path.parent.name!r} does not exist in the workspace")
        elif not path.is_file():
            raise WorkspaceError(f"{name}: no such file in the workspace")
        return path

    def files(self, suffixes: tuple[str, ...] = DATASET_SUFFIXES) -> list[str]:
        """Files with one of ``suffixes`` in the workspace (a few folders deep), sorted, relative."""
        found: list[str] = []
        for folder, dirs, names in os.walk(self.root, followlinks=False):
            rel = Path(folder).relative_to(self.root)
            depth = len(rel.parts)
            dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith(".") and depth < MAX_DEPTH)
            for n in names:
                if n.lower().endswith(suffixes) and not n.startswith("."):
                    try:
                        found.append(self.relative(Path(folder) / n))
                    except WorkspaceError:
                        continue  # a link pointing out of the workspace
        return sorted(found)
