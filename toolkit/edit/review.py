"""Review notes: a status (unreviewed / reviewed / flagged) and free tags per example, kept beside the dataset.

>>> notes = ReviewNotes(ws)
>>> notes.set(entry, status="flagged", tags=["tone"])
>>> notes.get(entry)            # Note(status="flagged", tags=("tone",))

Notes are stored in the workspace's hidden ``.tunesmith/review.json``, never in the JSONL (the
providers must accept it unchanged). An example is found by its content (the sha256 of its
record, with keys in order and no spacing), so a note survives renaming or moving the file and
edits of other examples; :meth:`ReviewNotes.carry` moves it along when the example itself is edited.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from ..atomic import write_atomic
from .entries import Entry
from .workspace import Workspace

STATUSES = ("unreviewed", "reviewed", "flagged")


@dataclass(frozen=True)
class Note:
    status: str = "unreviewed"
    tags: tuple[str, ...] = field(default_factory=tuple)


def content_key(entry: Entry) -> str:
    """What identifies an example's content, whatever its spacing or file."""
    value = entry.value if entry.is_record else None
    body = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass") \
        if value is not None else entry.raw.rstrip(b"\r\n")
    return hashlib.sha256(body).hexdigest()


def parse_tags(text: str) -> tuple[str, ...]:
    """``"tone, facts ,tone"`` -> ``("tone", "facts")``."""
    out: list[str] = []
    for t in text.split(","):
        t = " ".join(t.split())
        if t and t not in out:
            out.append(t)
    return tuple(out)


class ReviewNotes:
    """The workspace's review notes, read once and written whole (atomically) on every change."""

    def __init__(self, workspace: Workspace) -> None:
        self.path = workspace.state_dir() / "review.json"
        self._notes: dict[str, Note] = {}
        self._keys: dict[int, str] = {}  # entry uid -> content key (entries never change)
        self._load()

    def _load(self) -> None:
        """Read the notes again (another tab or session may have written some)."""
        self._notes = {}
        try:
            raw: Any = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            raw = {}
        for key, note in (raw.get("notes") or {}).items() if isinstance(raw, dict) else []:
            if isinstance(note, dict) and note.get("status") in STATUSES:
                self._notes[key] = Note(note["status"], tuple(str(t) for t in note.get("tags") or []))

    def key(self, entry: Entry) -> str:
        if entry.uid not in self._keys:
            self._keys[entry.uid] = content_key(entry)
        return self._keys[entry.uid]

    def get(self, entry: Entry) -> Note:
        return self._notes.get(self.key(entry), Note())

    def set(self, entry: Entry, *, status: str | None = None, tags: tuple[str, ...] | None = None) -> Note:
        self._load()
        old = self.get(entry)
        note = Note(status if status in STATUSES else old.status, old.tags if tags is None else tags)
        self._put(self.key(entry), note)
        self._write()
        return note

    def carry(self, old: Entry, new: Entry) -> None:
        """The example ``old`` became ``new`` (an edit): its note goes along."""
        if old.uid == new.uid or not self._notes:
            return
        note = self._notes.get(self.key(old))
        if note is not None and self.key(new) not in self._notes:
            self._put(self.key(new), note)
            self._write()

    def any(self) -> bool:
        return bool(self._notes)

    def _put(self, key: str, note: Note) -> None:
        if note == Note():
            self._notes.pop(key, None)
        else:
            self._notes[key] = note

    def _write(self) -> None:
        data = {"version": 1, "notes": {k: {"status": n.status, "tags": list(n.tags)}
                                        for k, n in sorted(self._notes.items())}}
        write_atomic(self.path, json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))
