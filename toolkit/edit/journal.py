"""The edit journal: unsaved changes kept in the workspace, so a reload, a closed tab or a dropped session loses nothing.

>>> journal = Journal(ws, session="3f2a")
>>> journal.write(ds)              # after every change: the current content (removed once saved)
>>> for kept in journal.find_all("train.jsonl"):   # what other sessions left, newest first
...     journal.restore(ds, kept)                  # or journal.forget(kept)

The journal lives in the workspace's hidden ``.tunesmith/journal/`` folder (git-ignored by a
``.gitignore`` of its own), one content file and one small JSON description per dataset and
editing session. Each session writes only its own pair, whatever it has been offered: changes
made while an earlier session's changes wait to be restored are kept too, beside them (two
tabs on one file never overwrite each other either). Nothing there is ever read unless the
user chooses to restore it.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

from ..atomic import write_atomic
from ..reader import BOM
from .dataset import Dataset
from .entries import parse_entries
from .workspace import Workspace


@dataclass(frozen=True)
class Kept:
    """Unsaved content found in the journal for one dataset."""

    file: str  # relative to the workspace
    content: bytes
    saved_at: float  # time.time() of the last change written
    base_sha256: str | None  # the file on disk the changes were made to (None: a new file)
    changes: list[str]
    session: str = ""  # the editing session that made them

    def when(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.saved_at))


class Journal:
    """Unsaved content of the workspace's datasets, one pair of files per dataset and session."""

    def __init__(self, workspace: Workspace, *, session: str = "") -> None:
        if session and not session.isalnum():
            raise ValueError(f"a journal session is letters and digits, not {session!r}")
        self.workspace = workspace
        self.session = session

    def _folder(self) -> Path:
        folder = self.workspace.state_dir() / "journal"
        folder.mkdir(exist_ok=True)
        return folder

    @staticmethod
    def _stem(rel: str) -> str:
        return hashlib.sha1(rel.encode("utf-8", "surrogateescape")).hexdigest()[:16]

    def _paths(self, rel: str, session: str | None = None) -> tuple[Path, Path]:
        session = self.session if session is None else session
        name = self._stem(rel) + (f".{session}" if session else "")
        folder = self._folder()
        return folder / f"{name}.jsonl", folder / f"{name}.json"

    def write(self, ds: Dataset) -> None:
        """Keep ``ds``'s content if it has unsaved changes; forget this session's copy once it has none."""
        rel = self.workspace.relative(ds.path)
        content, meta = self._paths(rel)
        if not ds.modified:
            self.discard(rel)
            return
        write_atomic(content, ds.content())
        base = ds.fingerprint.sha256 if ds.fingerprint is not None else None
        write_atomic(meta, json.dumps({"file": rel, "saved_at": time.time(), "base_sha256": base,
                                       "changes": ds.history[-20:], "session": self.session},
                                      ensure_ascii=False).encode("utf-8"))

    def find_all(self, rel: str) -> list[Kept]:
        """The unsaved content other sessions kept for ``rel``, newest first (unreadable copies are skipped)."""
        out = []
        stem = self._stem(rel)
        for meta in self._folder().glob(f"{stem}*.json"):
            session = meta.stem[len(stem) + 1:] if meta.stem != stem else ""
            if meta.stem not in (stem, f"{stem}.{session}") or session == self.session:
                continue
            kept = self._read(rel, session)
            if kept is not None:
                out.append(kept)
        return sorted(out, key=lambda k: k.saved_at, reverse=True)

    def find(self, rel: str) -> Kept | None:
        """The newest unsaved content another session kept for ``rel`` (None when there is none)."""
        return next(iter(self.find_all(rel)), None)

    def _read(self, rel: str, session: str) -> Kept | None:
        content, meta = self._paths(rel, session)
        try:
            info = json.loads(meta.read_text("utf-8"))
            data = content.read_bytes()
        except (OSError, ValueError):
            return None
        if not isinstance(info, dict) or info.get("file") != rel:
            return None
        return Kept(rel, data, float(info.get("saved_at") or 0), info.get("base_sha256"),
                    [str(c) for c in info.get("changes") or []], session)

    def discard(self, rel: str) -> None:
        """Forget this session's copy for ``rel``."""
        for p in self._paths(rel):
            p.unlink(missing_ok=True)

    def forget(self, kept: Kept) -> None:
        """Forget a copy another session kept (restored, or discarded by the user)."""
        for p in self._paths(kept.file, kept.session):
            p.unlink(missing_ok=True)

    @staticmethod
    def differs(ds: Dataset, kept: Kept) -> bool:
        return kept.content != ds.content()

    @staticmethod
    def restore(ds: Dataset, kept: Kept) -> None:
        """Make the kept content the dataset's (one undo step); entries that did not change keep their identity."""
        body = kept.content
        bom = body.startswith(BOM)
        body = body[len(BOM):] if bom else body
        by_raw = {e.raw: e for e in ds.entries}
        entries = [by_raw.get(e.raw, e.with_raw(e.raw)) for e in parse_entries(body)]
        ds.replace_all(entries, bom, f"restore the unsaved changes of {kept.when()}")
