"""A JSONL file opened for editing: records keep their original bytes until they are changed.

>>> ds = Dataset.open("train.jsonl")                     # confined to the file's own folder
>>> ds = Dataset.open("data/train.jsonl", workspace=ws)   # or to a workspace
>>> ds.change(3, lambda value: value["messages"][2].update(weight=0), "weight 0 on message 3")
>>> ds.save()              # atomic; raises ConflictError if the file changed on disk meanwhile

The file is held as :class:`Entry` objects, one per record (a pretty-printed record spans
several lines) or per line that is not a record (broken JSON, a blank line). An entry's
``raw`` is exactly what the file holds for it, line ending included; in an edited record only
the values that changed are written again (:func:`entries.edited`: number spellings, escapes,
spacing and key order of the rest stay), so unknown fields, record order and every untouched
byte survive a save.
Every write goes through the dataset's :class:`Workspace` (the folder the file was opened
from, unless one is given), checked again at the moment of writing: a folder swapped for a
symlink after opening cannot make ``save()`` write outside it.
Entries are never modified in place: an edit replaces one entry by a new one, which is
what makes undo a cheap list swap.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import repairs
from ..atomic import write_atomic
from ..errors import InputError
from ..reader import BOM, not_utf8_advice, wide_encoding
from ..records import same_json
from .entries import Entry, edited, encode, entries_from_text, parse_entries, split_lines, strip_eol
from .errors import ConflictError, EditError
from .workspace import Workspace, WorkspaceError

UNDO_DEPTH = 50
KEPT_BYTES = 256 << 20  # parsed files kept by content hash: reopening or reloading the same bytes parses nothing


@dataclass(frozen=True)
class Fingerprint:
    """What the file on disk looked like when it was read or last written."""

    mtime_ns: int
    size: int
    sha256: str

    @classmethod
    def of(cls, path: Path, data: bytes) -> Fingerprint:
        st = path.stat()
        return cls(st.st_mtime_ns, st.st_size, hashlib.sha256(data).hexdigest())


@dataclass
class _Step:
    description: str
    entries: list[Entry]
    bom: bool
    eol: bytes


class Dataset:
    """An open JSONL file: its entries, what is on disk, and the changes made since."""

    def __init__(self, path: str | os.PathLike[str], entries: list[Entry], *, bom: bool = False, eol: bytes = b"\n",
                 fingerprint: Fingerprint | None = None, workspace: Workspace | None = None) -> None:
        self.path = Path(path)
        self._workspace = workspace
        self.entries = entries
        self.bom = bom
        self.eol = eol
        self.fingerprint = fingerprint
        self.version = 0  # bumped by every change, undo, save and reload
        self._undo: list[_Step] = []
        self._since_save: list[tuple[str, bool]] = []  # (description, is an undo) of each change since the last save
        self._saved = self.state_key()
        self.saved_entries = entries  # the entries of what was last read or written (never changed in place)
        self.saved_eol = eol

    # -- opening ------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, workspace: Workspace | None = None) -> Dataset:
        """Read ``path`` into entries (never fails on bad content: broken lines become entries).

        ``path`` must be a ``.jsonl`` file inside ``workspace`` (default: the file's own folder).
        """
        ws = workspace if workspace is not None else _folder_of(path)
        p = ws.dataset(path if workspace is not None else Path(path).expanduser().absolute())
        try:
            data = p.read_bytes()
        except FileNotFoundError:
            raise InputError(f"{p}: no such file") from None
        except IsADirectoryError:
            raise InputError(f"{p}: is a folder; choose a .jsonl file") from None
        except OSError as exc:
            raise InputError(f"{p}: cannot read ({exc.strerror})") from None
        fingerprint = Fingerprint.of(p, data)
        bom = data.startswith(BOM)
        body = data[len(BOM):] if bom else data
        return cls(p, _parsed(body, fingerprint.sha256), bom=bom, eol=_line_ending(body), fingerprint=fingerprint,
                   workspace=ws)

    @classmethod
    def new(cls, path: str | os.PathLike[str], *, workspace: Workspace | None = None) -> Dataset:
        """A dataset that does not exist on disk yet (the first save creates it)."""
        ws = workspace if workspace is not None else _folder_of(path)
        name = path if workspace is not None else Path(path).expanduser().absolute()
        return cls(ws.dataset(name, new=True), [], workspace=ws)

    @property
    def workspace(self) -> Workspace:
        """The folder this dataset may be written in."""
        if self._workspace is None:
            self._workspace = _folder_of(self.path)
        return self._workspace

    # -- reading ------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def records(self) -> int:
        """The entries ``tunesmith lint`` reads as JSON records (some may need a repair to become examples)."""
        return sum(e.is_record for e in self.entries)

    @property
    def examples(self) -> int:
        """The examples as ``tunesmith lint`` and ``tunesmith stats`` count them (:attr:`Entry.is_example`)."""
        return sum(e.is_example for e in self.entries)

    @property
    def modified(self) -> bool:
        """Whether the content differs from what was last read or written."""
        return self.state_key() != self._saved

    def start_lines(self) -> list[int]:
        """The 1-based line where each entry starts in the current content."""
        out, line = [], 1
        for e in self.entries:
            out.append(line)
            line += e.lines
        return out

    def content(self, entries: Iterable[Entry] | None = None) -> bytes:
        """The file's bytes as they are now (or for ``entries`` only, with the file's BOM)."""
        chosen = self.entries if entries is None else list(entries)
        parts = [BOM] if self.bom else []
        last = len(chosen) - 1
        for k, e in enumerate(chosen):
            parts.append(e.raw)
            if k < last and not e.raw.endswith(b"\n"):
                parts.append(self.eol)  # an entry that ended the file is no longer last
        return b"".join(parts)

    def sha256(self, entries: list[Entry] | None = None) -> str:
        """The sha256 of :meth:`content` (the fingerprint's when that is the content last read or written)."""
        chosen = self.entries if entries is None else entries
        if self.fingerprint is not None and (self.bom, self.eol, [e.uid for e in chosen]) == self._saved:
            return self.fingerprint.sha256
        return hashlib.sha256(self.content(chosen)).hexdigest()

    def style(self) -> bytes | None:
        """The raw bytes of the first record: new records are spaced like it."""
        return next((e.raw for e in self.entries if e.is_record and not e.edited), None)

    # -- changing -----------------------------------------------------------------------

    def change(self, index: int, edit: Callable[[dict[str, Any]], None], description: str) -> Entry:
        """Apply ``edit`` to a copy of record ``index`` and keep the result (the old one stays in undo)."""
        old = self._decodable(index)
        value = old.value
        if value is None:
            raise EditError(f"entry {index + 1} is not a JSON object; edit its text instead")
        edit(value)
        if same_json(value, old.value):
            return old
        new = edited(old, value)
        self._replace(index, index + 1, [new], description)
        return new

    def set_text(self, index: int, text: str, description: str) -> list[Entry]:
        """Replace entry ``index`` by what ``text`` holds (one record, or one entry per line; "" removes it)."""
        old = self._decodable(index)
        if text == old.text:
            return [old]
        new = entries_from_text(text, eol=self.eol, like=old.raw if old.is_record else self.style())
        if new and not old.eol:
            last = new[-1]
            new[-1] = last.with_raw(last.raw[: len(last.raw) - len(last.eol)])
        self._replace(index, index + 1, new, description)
        return new

    def redecoded(self, index: int, encoding: str) -> bytes:
        """Entry ``index``'s bytes with what is not UTF-8 read as ``encoding`` (a preview; nothing changes). Not in a
        UTF-16 or UTF-32 file: every character would become two (what `tunesmith fix` refuses too)."""
        raw = self._entry(index).raw
        if wide_encoding(raw) is not None:
            raise EditError(f"example {index + 1} cannot be read as {encoding}: {not_utf8_advice(raw)}")
        try:
            return repairs.redecode(raw, encoding)
        except (ValueError, LookupError) as exc:
            raise EditError(f"example {index + 1} cannot be read as {encoding}: {exc}") from None

    def redecode(self, index: int, encoding: str) -> list[Entry]:
        """Replace entry ``index`` by its bytes re-read as ``encoding`` where they are not UTF-8 (valid UTF-8 kept)."""
        new = [e.with_raw(e.raw) for e in parse_entries(self.redecoded(index, encoding))]
        self._replace(index, index + 1, new, f"example {index + 1}: re-read as {encoding}")
        return new

    def entry_for(self, value: dict[str, Any]) -> Entry:
        """A new entry for ``value``, spaced like the file's records and ending with the file's line ending."""
        return Entry.of(encode(value, like=self.style()) + self.eol, value, edited=True)

    def insert(self, index: int, value: dict[str, Any], description: str) -> Entry:
        """Insert a new record before entry ``index`` (``len(self)`` appends)."""
        if not 0 <= index <= len(self.entries):
            raise EditError(f"cannot insert at {index + 1}: the file has {len(self.entries)} entries")
        new = self.entry_for(value)
        if not self._eol_at(index):
            new = new.with_raw(new.raw[: -len(self.eol)])
        self._replace(index, index, [new], description)
        return new

    def extend(self, entries: list[Entry], description: str) -> None:
        """Append ``entries`` (from :meth:`entry_for` or parsed text) as one change."""
        if entries and not self._eol_at(len(self.entries)):
            last = entries[-1]
            entries = [*entries[:-1], last.with_raw(last.raw[: len(last.raw) - len(last.eol)])]
        self._replace(len(self.entries), len(self.entries), list(entries), description)

    def duplicate(self, index: int) -> Entry:
        """Insert a copy of entry ``index`` right after it."""
        old = self._entry(index)
        body = old.raw[: len(old.raw) - len(old.eol)]
        new = old.with_raw(body + self._eol_at(index + 1))
        self._replace(index + 1, index + 1, [new], f"duplicate example {index + 1}")
        return new

    def delete(self, index: int) -> None:
        self._entry(index)
        self._replace(index, index + 1, [], f"delete example {index + 1}")

    def move(self, index: int, to: int) -> None:
        """Move entry ``index`` so that it ends up at position ``to``."""
        entry = self._entry(index)
        if not 0 <= to < len(self.entries):
            raise EditError(f"cannot move to position {to + 1}: the file has {len(self.entries)} entries")
        entries = self.entries[:index] + self.entries[index + 1:]
        entries.insert(to, entry)
        self._commit(f"move example {index + 1} to {to + 1}", entries, self.bom, self.eol)

    def set_bom(self, bom: bool) -> None:
        if bom != self.bom:
            self._commit("add the byte-order mark" if bom else "remove the byte-order mark", self.entries, bom,
                         self.eol)

    def set_line_endings(self, eol: bytes) -> None:
        """End every line with ``eol`` (``b"\\n"`` or ``b"\\r\\n"``); only the endings change."""
        entries = []
        for e in self.entries:
            raw = b"".join(strip_eol(line) + (eol if line.endswith(b"\n") else b"") for line in split_lines(e.raw))
            entries.append(e if raw == e.raw else e.with_raw(raw))
        self._commit("end lines with " + ("CRLF" if eol == b"\r\n" else "LF"), entries, self.bom, eol)

    def wide_as_utf8(self) -> None:
        """Read the whole file as the UTF-16 or UTF-32 its byte-order mark names, and keep it as UTF-8 (one change;
        :func:`toolkit.repairs.as_utf8` raises an :class:`InputError` when that would be a guess)."""
        body = repairs.as_utf8(b"".join(e.raw for e in self.entries), self.path.name)
        entries = [e.with_raw(e.raw) for e in parse_entries(body)]
        self._commit("save as UTF-8", entries, self.bom, _line_ending(body))

    def replace_many(self, changes: dict[int, list[Entry]], description: str) -> None:
        """Put ``changes[i]`` (zero or more entries) in place of entry ``i``, for every ``i``, as one change."""
        for index in changes:
            self._entry(index)
        entries: list[Entry] = []
        for i, e in enumerate(self.entries):
            entries.extend(changes.get(i, [e]))
        self._commit(description, entries, self.bom, self.eol)

    def replace_all(self, entries: list[Entry], bom: bool, description: str) -> None:
        """Make ``entries`` (and ``bom``) the whole content, as one change."""
        self._commit(description, list(entries), bom, self.eol)

    # -- undo ---------------------------------------------------------------------------

    @property
    def history(self) -> list[str]:
        """Descriptions of the changes that can be undone, newest last."""
        return [s.description for s in self._undo]

    @property
    def unsaved(self) -> list[str]:
        """Descriptions of the changes made since the file was last read or saved, newest last (undoing a
        saved change is one); empty when the content is as saved."""
        return [d for d, _ in self._since_save] if self.modified else []

    def undo(self) -> str | None:
        """Undo the last change; return its description (None when there is nothing to undo)."""
        if not self._undo:
            return None
        step = self._undo.pop()
        if self._since_save and not self._since_save[-1][1]:
            self._since_save.pop()  # a change made since the last save, taken back
        else:  # a saved change taken back: a change of the file as saved
            self._since_save.append((f"undo {step.description}", True))
        self.entries, self.bom, self.eol = step.entries, step.bom, step.eol
        self.version += 1
        return step.description

    # -- disk ---------------------------------------------------------------------------

    def conflict(self) -> str | None:
        """Why saving would overwrite someone else's change (None when the file is as it was read)."""
        fp = self.fingerprint
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None if fp is None else f"{self.path.name} was deleted or renamed on disk since it was opened"
        if fp is None:
            return f"{self.path.name} was created on disk by someone else after this new file was started"
        if (st.st_mtime_ns, st.st_size) == (fp.mtime_ns, fp.size):
            return None
        if st.st_size == fp.size and hashlib.sha256(self.path.read_bytes()).hexdigest() == fp.sha256:
            return None  # touched, not changed
        return f"{self.path.name} changed on disk since it was opened (by another program or person)"

    def save(self, *, force: bool = False) -> Path:
        """Write the content atomically; refuse with :class:`ConflictError` if the file changed on disk."""
        if not force and (reason := self.conflict()):
            raise ConflictError(f"{reason}: reload it, overwrite it, or save under another name")
        target = self._target(self.path)
        data = self.content()
        _write(target, data)
        self._written(data)
        return self.path

    def save_as(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write the content to ``path`` (refusing an existing file unless ``overwrite``); it becomes the file."""
        target = self._target(path)
        if target.exists() and not overwrite:
            raise ConflictError(f"{target.name} already exists; choose another name")
        if not target.exists():
            target = self.workspace.dataset(path, new=True)  # the name checks of a new file
        data = self.content()
        _write(target, data)
        self.path = target
        self._written(data)
        return target

    def reload(self) -> None:
        """Read the file again, dropping unsaved changes and the undo history."""
        fresh = Dataset.open(self.path)
        self.entries, self.bom, self.eol, self.fingerprint = fresh.entries, fresh.bom, fresh.eol, fresh.fingerprint
        self._undo.clear()
        self._since_save.clear()
        self._saved = self.state_key()
        self.saved_entries, self.saved_eol = self.entries, self.eol
        self.version += 1

    # -- internals ----------------------------------------------------------------------

    def _target(self, path: str | os.PathLike[str]) -> Path:
        """Where writing ``path`` lands, checked now (not when the file was opened)."""
        target = self.workspace.resolve(path)
        if target.suffix.lower() != ".jsonl":
            raise WorkspaceError(f"{target.name}: a dataset file name must end in .jsonl")
        return target

    def _entry(self, index: int) -> Entry:
        if not 0 <= index < len(self.entries):
            raise EditError(f"there is no example {index + 1} (the file has {len(self.entries)} entries)")
        return self.entries[index]

    def _decodable(self, index: int) -> Entry:
        """Entry ``index``, refusing to edit bytes that are not UTF-8 (they would become U+FFFD)."""
        entry = self._entry(index)
        if entry.undecodable:
            raise EditError(f"example {index + 1} has bytes that are not valid UTF-8 (shown as \ufffd): choose "
                            "how to read them (cp1252 or Latin-1) before editing it, so that no character is "
                            "replaced without you asking")
        return entry

    def _eol_at(self, index: int) -> bytes:
        """The line ending for a new entry at ``index``: none at the end of a file that has no final newline."""
        at_end = index == len(self.entries) and self.entries and not self.entries[-1].eol
        return b"" if at_end else self.eol

    def _replace(self, start: int, stop: int, new: list[Entry], description: str) -> None:
        self._commit(description, self.entries[:start] + new + self.entries[stop:], self.bom, self.eol)

    def _commit(self, description: str, entries: list[Entry], bom: bool, eol: bytes) -> None:
        self._undo.append(_Step(description, self.entries, self.bom, self.eol))
        del self._undo[:-UNDO_DEPTH]
        self._since_save.append((description, False))
        self.entries, self.bom, self.eol = entries, bom, eol
        self.version += 1

    def state_key(self) -> tuple[bool, bytes, list[int]]:
        """What identifies the content: BOM, line ending and the entries (by id)."""
        return self.bom, self.eol, [e.uid for e in self.entries]

    def _written(self, data: bytes) -> None:
        self.fingerprint = Fingerprint.of(self.path, data)
        self._saved = self.state_key()
        self._since_save.clear()
        self.saved_entries, self.saved_eol = self.entries, self.eol
        self.version += 1


_PARSED: OrderedDict[str, tuple[int, list[Entry]]] = OrderedDict()
_PARSED_LOCK = threading.Lock()


def _line_ending(body: bytes) -> bytes:
    """The line ending most of the file's lines have (LF unless CRLF is the majority)."""
    crlf = body.count(b"\r\n")
    return b"\r\n" if crlf and crlf * 2 > body.count(b"\n") else b"\n"


def _parsed(body: bytes, sha256: str) -> list[Entry]:
    """The entries of ``body`` (the file's bytes ``sha256`` without BOM): parsed once per content and kept
    (entries are never changed in place, so datasets can share them), the newest ``KEPT_BYTES`` of files."""
    with _PARSED_LOCK:
        kept = _PARSED.get(sha256)
        if kept is not None:
            _PARSED.move_to_end(sha256)
            return list(kept[1])
    entries = parse_entries(body)
    with _PARSED_LOCK:
        _PARSED[sha256] = (len(body), entries)
        while len(_PARSED) > 1 and sum(size for size, _ in _PARSED.values()) > KEPT_BYTES:
            _PARSED.popitem(last=False)
    return list(entries)


def _folder_of(path: str | os.PathLike[str]) -> Workspace:
    return Workspace(Path(path).expanduser().absolute().parent)


def _write(target: Path, data: bytes) -> None:
    try:
        write_atomic(target, data)
    except InputError as exc:  # the atomic writer names the OS problem (disk full, permission denied...)
        reason = str(exc).rpartition(": ")[2]
        raise WorkspaceError(f"{target.name}: cannot be written ({reason})") from None
    except OSError as exc:
        raise WorkspaceError(f"{target.name}: cannot be written ({exc.strerror or exc})") from None
