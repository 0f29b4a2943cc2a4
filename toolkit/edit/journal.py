"""The edit journal: unsaved changes kept in the workspace, so a reload, a closed tab or a dropped session loses nothing.

>>> journal = Journal(ws, session="3f2a")
>>> journal.write(ds)              # after every change: what changed since the last write (removed once saved)
>>> for kept in journal.find_all("train.jsonl"):   # what other sessions left, newest first
...     journal.restore(ds, kept)                  # or journal.forget(kept)

The journal lives in the workspace's hidden ``.tunesmith/journal/`` folder (git-ignored by a
``.gitignore`` of its own), one log per dataset and editing session. Each session writes only
its own log, whatever it has been offered: changes made while an earlier session's changes wait
to be restored are kept too, beside them (two tabs on one file never overwrite each other either).
Nothing there is ever read unless the user chooses to restore it.

A log is written in a few bytes per edit, whatever the size of the file: it starts from the
file as it was last read or saved (a hard link to it, ``NAME.base-SHA``: saving replaces the
file by a new one and the link keeps the old bytes; a copy where links are not possible),
then one JSON line per write says which bytes of the content changed (a splice: offsets and
the new bytes). A new log is written whole (temporary file and rename); later writes are
appended and flushed to disk. A line cut short by a crash is not JSON, or does not give the
length it announces, and reading stops before it: every complete write before it is restored.
A base whose bytes changed (a program that rewrote the file in place) is never used: its
sha256 is checked when read, and each write checks that it has not changed since it was linked
(if it has, the log starts again from the whole content).
Logs of earlier versions (``NAME.jsonl`` with ``NAME.json``, the whole content) are still offered.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..atomic import copy_atomic, write_atomic
from ..errors import InputError
from ..reader import BOM
from .dataset import Dataset
from .entries import Entry, parse_entries
from .workspace import Workspace

LOG = ".journal.jsonl"  # a session's log: a header line, then one splice per write
BASE = ".base-"  # the file the log starts from, named by its sha256 (a new log never removes its log's base)
FORMAT = 1
COMPACT_RATIO = 2  # a log longer than twice the content (plus a megabyte) starts again from the base
KEPT_LOGS = 16  # logs this process remembers writing (an older one is started again at its next write)


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


@dataclass(frozen=True)
class _Logged:
    """What this process last wrote to a log: the content it rebuilds, and the log and base files as left."""

    entries: list[Entry]
    bom: bool
    eol: bytes
    size: int  # bytes of the body it rebuilds (without BOM)
    log: tuple[int, int]  # the log's inode and size after that write
    base: Path | None  # the file the log starts from (None: from nothing)
    base_stat: tuple[int, int] | None  # its mtime and size when linked


_LOGGED: dict[Path, _Logged] = {}
_LOGGED_LOCK = threading.Lock()


class Journal:
    """Unsaved content of the workspace's datasets, one log per dataset and session."""

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

    def _name(self, rel: str, session: str | None = None) -> Path:
        session = self.session if session is None else session
        return self._folder() / (self._stem(rel) + (f".{session}" if session else ""))

    def write(self, ds: Dataset) -> None:
        """Keep ``ds``'s content if it has unsaved changes; forget this session's copy once it has none."""
        rel = self.workspace.relative(ds.path)
        if not ds.modified:
            self.discard(rel)
            return
        name = self._name(rel)
        log = name.with_name(name.name + LOG)
        entries = list(ds.entries)
        with _LOGGED_LOCK:
            last = _LOGGED.pop(log, None)
            if last is not None and _appendable(log, last, ds):
                _LOGGED[log] = _append(log, last, entries, ds)
            else:
                _LOGGED[log] = self._start(rel, name, ds, entries)
            while len(_LOGGED) > KEPT_LOGS:
                del _LOGGED[next(iter(_LOGGED))]

    def _start(self, rel: str, name: Path, ds: Dataset, entries: list[Entry]) -> _Logged:
        """A new log (written whole): from the file as last read or saved when it is still on disk, else from
        nothing."""
        log = name.with_name(name.name + LOG)
        linked = _link(ds, name)
        if linked is not None:
            base, stat = linked
            before = _Logged(ds.saved_entries, False, ds.saved_eol, _size(ds.saved_entries, ds.saved_eol), (0, 0),
                             base, stat)
        else:
            before = _Logged([], False, ds.eol, 0, (0, 0), None, None)
        header = {"journal": FORMAT, "file": rel, "session": self.session,
                  "base": before.base.name if before.base is not None else None,
                  "base_sha256": ds.fingerprint.sha256 if ds.fingerprint is not None else None}
        line, size = _splice(before, entries, ds)
        write_atomic(log, _line(header) + line)
        for old in name.parent.glob(name.name + BASE + "*"):  # bases of earlier logs (this one is in place now)
            if old != before.base:
                old.unlink(missing_ok=True)
        st = log.stat()
        return _Logged(entries, ds.bom, ds.eol, size, (st.st_ino, st.st_size), before.base, before.base_stat)

    def find_all(self, rel: str) -> list[Kept]:
        """The unsaved content other sessions kept for ``rel``, newest first (unreadable copies are skipped)."""
        stem = self._stem(rel)
        sessions = set()
        for path in self._folder().glob(f"{stem}*"):
            for suffix in (LOG, ".json"):
                if path.name.endswith(suffix):
                    middle = path.name[len(stem):-len(suffix)]
                    if middle == "" or (middle.startswith(".") and middle[1:].isalnum()):
                        sessions.add(middle[1:])
        out = []
        for session in sessions - {self.session}:
            kept = self._read(rel, session)
            if kept is not None:
                out.append(kept)
        return sorted(out, key=lambda k: k.saved_at, reverse=True)

    def find(self, rel: str) -> Kept | None:
        """The newest unsaved content another session kept for ``rel`` (None when there is none)."""
        return next(iter(self.find_all(rel)), None)

    def _read(self, rel: str, session: str) -> Kept | None:
        name = self._name(rel, session)
        log = name.with_name(name.name + LOG)
        if log.exists():
            return _read_log(rel, session, log)
        return _read_pair(rel, session, name)

    def discard(self, rel: str) -> None:
        """Forget this session's copy for ``rel``."""
        self._remove(self._name(rel))

    def forget(self, kept: Kept) -> None:
        """Forget a copy another session kept (restored, or discarded by the user)."""
        self._remove(self._name(kept.file, kept.session))

    @staticmethod
    def _remove(name: Path) -> None:
        log = name.with_name(name.name + LOG)
        with _LOGGED_LOCK:
            _LOGGED.pop(log, None)
        for suffix in (LOG, ".jsonl", ".json"):
            name.with_name(name.name + suffix).unlink(missing_ok=True)
        for base in name.parent.glob(name.name + BASE + "*"):
            base.unlink(missing_ok=True)

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


def _pieces(entries: list[Entry], eol: bytes) -> list[bytes]:
    """What each entry adds to the body (as :meth:`Dataset.content` joins them)."""
    last = len(entries) - 1
    return [e.raw if k == last or e.raw.endswith(b"\n") else e.raw + eol for k, e in enumerate(entries)]


def _size(entries: list[Entry], eol: bytes) -> int:
    return sum(len(p) for p in _pieces(entries, eol))


def _splice(before: _Logged, entries: list[Entry], ds: Dataset) -> tuple[bytes, int]:
    """The log line that turns the body ``before`` rebuilds into the dataset's (``entries``), and the new size.

    Entries the two share at the start and at the end (by identity) are left out; the one that ends a
    list is never counted as shared at the start (a line ending is added when it stops being last).
    """
    old, new = before.entries, entries
    same_eol = before.eol == ds.eol
    prefix = 0
    if same_eol:
        limit = min(len(old), len(new)) - 1
        while prefix < limit and old[prefix].uid == new[prefix].uid:
            prefix += 1
    suffix = 0
    if same_eol:
        limit = min(len(old), len(new)) - prefix
        while suffix < limit and old[-1 - suffix].uid == new[-1 - suffix].uid:
            suffix += 1
    old_pieces, new_pieces = _pieces(old, before.eol), _pieces(new, ds.eol)
    start = sum(len(p) for p in old_pieces[:prefix])
    stop = before.size - sum(len(p) for p in old_pieces[len(old) - suffix:])
    middle = b"".join(new_pieces[prefix:len(new) - suffix])
    size = start + len(middle) + (before.size - stop)
    frame = {"at": start, "to": stop, "bytes": middle.decode("utf-8", "surrogateescape"), "size": size,
             "bom": ds.bom, "saved_at": time.time(), "changes": ds.unsaved[-20:]}
    return _line(frame), size


def _line(value: dict[str, Any]) -> bytes:
    return json.dumps(value, ensure_ascii=True).encode("ascii") + b"\n"


def _link(ds: Dataset, name: Path) -> tuple[Path, tuple[int, int]] | None:
    """The file as last read or saved, linked (or copied) beside the log, with its mtime and size (None when it is
    not on disk as it was read)."""
    fp = ds.fingerprint
    if fp is None:
        return None
    base = name.with_name(name.name + BASE + fp.sha256[:16])
    try:
        if not base.exists():
            copy_atomic(os.path.realpath(ds.path), base)
        st = base.stat()
    except (OSError, InputError):
        return None
    if (st.st_mtime_ns, st.st_size) != (fp.mtime_ns, fp.size):  # changed on disk since: not what was read
        return None  # (removed once a log that does not need it is in place)
    return base, (st.st_mtime_ns, st.st_size)


def _appendable(log: Path, last: _Logged, ds: Dataset) -> bool:
    """Whether the log and its base are as this process left them, and the log is not too long."""
    try:
        st = log.stat()
        base_now = None
        if last.base is not None:
            b = last.base.stat()
            base_now = (b.st_mtime_ns, b.st_size)
    except OSError:
        return False
    return ((st.st_ino, st.st_size) == last.log and base_now == last.base_stat
            and st.st_size <= COMPACT_RATIO * max(last.size, _size(ds.entries, ds.eol)) + (1 << 20))


def _append(log: Path, last: _Logged, entries: list[Entry], ds: Dataset) -> _Logged:
    """Add one splice to the log and flush it to disk (a failure leaves the log to be started again)."""
    line, size = _splice(last, entries, ds)
    with open(log, "ab") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())
        end = fh.tell()
    return _Logged(entries, ds.bom, ds.eol, size, (last.log[0], end), last.base, last.base_stat)


def _read_log(rel: str, session: str, log: Path) -> Kept | None:
    """The content a log rebuilds, up to its last complete line (None when it has none, or its base changed)."""
    try:
        lines = log.read_bytes().split(b"\n")
        header = json.loads(lines[0])
        if not isinstance(header, dict) or header.get("journal") != FORMAT or header.get("file") != rel:
            return None
        body = b""
        if header.get("base"):
            data = log.with_name(str(header["base"])).read_bytes()
            if hashlib.sha256(data).hexdigest() != header.get("base_sha256"):
                return None  # the base was rewritten in place: splices on it would corrupt the content
            body = data[len(BOM):] if data.startswith(BOM) else data
    except (OSError, ValueError):
        return None
    found: dict[str, Any] | None = None
    for raw in lines[1:-1]:  # the last piece has no line ending: empty, or a line cut short
        try:
            frame = json.loads(raw)
            at, to, size = int(frame["at"]), int(frame["to"]), int(frame["size"])
            middle = str(frame["bytes"]).encode("utf-8", "surrogateescape")
        except (ValueError, KeyError, TypeError):
            break
        if not 0 <= at <= to <= len(body) or at + len(middle) + len(body) - to != size:
            break
        body = body[:at] + middle + body[to:]
        found = frame
    if found is None:
        return None
    return Kept(rel, (BOM if found.get("bom") else b"") + body, float(found.get("saved_at") or 0),
                header.get("base_sha256"), [str(c) for c in found.get("changes") or []], session)


def _read_pair(rel: str, session: str, name: Path) -> Kept | None:
    """A copy kept by an earlier version: the whole content and a JSON description beside it."""
    try:
        info = json.loads(name.with_name(name.name + ".json").read_text("utf-8"))
        data = name.with_name(name.name + ".jsonl").read_bytes()
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or info.get("file") != rel:
        return None
    return Kept(rel, data, float(info.get("saved_at") or 0), info.get("base_sha256"),
                [str(c) for c in info.get("changes") or []], session)
