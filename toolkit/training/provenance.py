"""Where a dataset came from: its sha256, and the git commit it sits in (when it does)."""

from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

_CHUNK = 1 << 20


@dataclass(frozen=True)
class Provenance:
    """A file's identity: absolute path, size, sha256, and git state when inside a repository."""

    path: str
    bytes: int
    sha256: str
    git_commit: str | None = None
    git_dirty: bool | None = None  # True when the file differs from (or is not in) that commit


def sha256_file(path: str | os.PathLike[str]) -> str:
    """The hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def git_state(path: str | os.PathLike[str]) -> tuple[str | None, bool | None]:
    """``(HEAD commit, file is modified or untracked)`` for a file in a git work tree, else ``(None, None)``."""
    p = Path(path).resolve()
    try:
        head = _git(p.parent, "rev-parse", "HEAD")
        if head is None:
            return None, None
        status = _git(p.parent, "status", "--porcelain", "--ignored", "--", p.name)
    except OSError:  # git is not installed
        return None, None
    return head, bool(status)


def _git(cwd: Path, *args: str) -> str | None:
    proc = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True, timeout=30)
    return proc.stdout.strip() if proc.returncode == 0 else None


def provenance(path: str | os.PathLike[str]) -> Provenance:
    """Hash ``path`` and look up its git state."""
    p = Path(path).resolve()
    commit, dirty = git_state(p)
    return Provenance(str(p), p.stat().st_size, sha256_file(p), commit, dirty)
