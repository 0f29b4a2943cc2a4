"""The edit journal: unsaved changes kept in the workspace, so a reload, a closed tab or a dropped session loses nothing.

>>> journal = Journal(ws)
>>> journal.write(ds)              # after every change: the current content (removed once saved)
>>> kept = journal.find("train.jsonl")
>>> if kept: journal.restore(ds, kept)

The journal lives in the workspace's hidden ``.tunesmith/journal/`` folder (git-ignored by a
``.gitignore`` of its own), one content file and one small JSON description per dataset.
Nothing there is ever read unless the user chooses to restore it.
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

    def when(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.saved_at))


class Journal:
    """Unsaved content of the workspace's datasets, one pair of files per dataset."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def _paths(self, rel: str) -> tuple[Path, Path]:
        folder = self.workspace.state_dir() / "journal"
        folder.mkdir(exist_ok=True)
        stem = hashlib.sha1(rel.encode("utf-8", "surrogateescape")).hexdigest()[:16]
        return folder / f"{stem}.jsonl", folder / f"{stem}.json"

    def write(self, ds: Dataset) -> None:
        """Keep ``ds``'s content if it has unsaved changes; forget it once it has none."""
        rel = self.workspace.relative(ds.path)
        content, meta = self._paths(rel)
        if not ds.modified:
            self.discard(rel)
            return
        write_atomic(content, ds.content())
        base = ds.fingerprint.sha256 if ds.fingerprint is not None else None
        write_atomic(meta, json.dumps({"file": rel, "saved_at": time.time(), "base_sha256": base,
                                       "changes": ds.history[-20:]}, ensure_ascii=False).encode("utf-8"))

    def find(self, rel: str) -> Kept | None:
        """The unsaved content kept for ``rel`` (None when there is none, or it is unreadable)."""
        content, meta = self._paths(rel)
        try:
            info = json.loads(meta.read_text("utf-8"))
            data = content.read_bytes()
        except (OSError, ValueError):
            return None
        if not isinstance(info, dict) or info.get("file") != rel:
            return None
        return Kept(rel, data, float(info.get("saved_at") or 0), info.get("base_sha256"),
                    [str(c) for c in info.get("changes") or []])

    def discard(self, rel: str) -> None:
        for p in self._paths(rel):
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
