"""Entries: the pieces a JSONL file is cut into for editing, and how text becomes entries again.

A record is one entry (a pretty-printed record spans several lines); a line that is not a
record (broken JSON, a blank line) is an entry of its own. ``raw`` is exactly what the file
holds, line ending included, so an entry nobody edits is written back byte for byte.
"""

from __future__ import annotations

import io
import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any

from .. import splice
from ..reader import JsonlReader, ParseProblem, Record, example_of
from .records import preview, summary

_uids = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Entry:
    """One record or one line that is not a record; the record is parsed from ``raw`` when asked for.

    Only the bytes and a one-line ``head`` (first user message, number of messages) are kept,
    so a 100k-example file takes about its own size in memory.
    """

    raw: bytes
    is_record: bool = False
    problem: str = ""
    edited: bool = False
    head: tuple[str, int] = ("", 0)
    uid: int = field(default_factory=lambda: next(_uids))

    @classmethod
    def of(cls, raw: bytes, value: dict[str, Any] | None, problem: str = "", edited: bool = False) -> Entry:
        """The entry for ``raw``, which holds ``value`` (None: not a record)."""
        if value is None:
            text = raw.decode("utf-8", "replace")
            return cls(raw, False, problem, edited, (preview(text), 0))
        return cls(raw, True, problem, edited, summary(value))

    @property
    def value(self) -> dict[str, Any] | None:
        """The record (parsed anew each time; None when the entry is not a record)."""
        if not self.is_record:
            return None
        value: dict[str, Any] = json.loads(self.raw.decode("utf-8", "replace"), strict=False)
        return value

    def with_raw(self, raw: bytes) -> Entry:
        """The same record or line written with other bytes (line endings): an edited entry."""
        return Entry(raw, self.is_record, self.problem, True, self.head)

    @property
    def eol(self) -> bytes:
        if self.raw.endswith(b"\r\n"):
            return b"\r\n"
        return b"\n" if self.raw.endswith(b"\n") else b""

    @property
    def is_example(self) -> bool:
        """Whether the entry is an example as written (:func:`toolkit.reader.example_of`; `tunesmith stats`
        counts these): a record on one line, in UTF-8. A pretty-printed record or one whose bytes are not UTF-8
        is a record (lint checks it) that needs a repair first."""
        return self.is_record and b"\n" not in strip_eol(self.raw) and not self.undecodable

    @property
    def undecodable(self) -> bool:
        """Whether the bytes are not valid UTF-8 (shown as U+FFFD until an encoding is chosen)."""
        try:
            self.raw.decode("utf-8")
        except UnicodeDecodeError:
            return True
        return False

    @property
    def lines(self) -> int:
        """Physical lines this entry takes in the file."""
        return self.raw.count(b"\n") + (0 if self.raw.endswith(b"\n") else 1)

    @property
    def text(self) -> str:
        """The entry as text, without its final line ending (invalid UTF-8 shown as U+FFFD)."""
        return self.raw[: len(self.raw) - len(self.eol)].decode("utf-8", "replace")


_ESCAPE = re.compile(rb"\\u[0-9a-fA-F]{4}")  # a \uXXXX escape in a record's bytes


def encode(value: dict[str, Any], *, like: bytes | None = None) -> bytes:
    """One record as a JSON line (no line ending), spaced like ``like`` and with non-ASCII written as it
    (``\\u00e9`` escapes when ``like`` is ASCII with such escapes, as Python's json.dumps writes; else as is).

    Lone surrogates (not valid UTF-8) are written as their ``\\udXXX`` escapes, so nothing is lost.
    An edit of a record is written by :func:`edited`, which keeps what did not change.
    """
    return dumps(value, like=like).encode("utf-8", "backslashreplace")


def separators(like: bytes | None) -> tuple[str, str]:
    """The item and key separators of a record written like ``like``: ``(", ", ": ")`` or compact ``(",", ":")``."""
    compact = like is not None and b'": ' not in like and b'", "' not in like
    return (",", ":") if compact else (", ", ": ")


def dumps(value: Any, *, like: bytes | None = None) -> str:
    """``value`` as JSON text in the style of ``like`` (see :func:`encode`)."""
    escaped = like is not None and like.isascii() and _ESCAPE.search(like) is not None
    return json.dumps(value, ensure_ascii=escaped, separators=separators(like))


def edited(entry: Entry, value: dict[str, Any]) -> Entry:
    """The record ``entry`` changed to hold ``value``: what did not change keeps its bytes (number spellings,
    escapes, key order, spacing; :func:`toolkit.splice.rewrite`), what changed is written like the record."""
    raw = strip_eol(entry.raw)
    try:
        text = splice.rewrite(raw.decode("utf-8"), value, dumps=lambda v: dumps(v, like=raw),
                              separators=separators(raw))
    except UnicodeDecodeError:
        text = None
    body = encode(value, like=raw) if text is None else text.encode("utf-8", "backslashreplace")
    return Entry.of(body + entry.eol, value, edited=True)


def split_lines(data: bytes) -> list[bytes]:
    """Physical lines with their endings (``\\n`` only ends a line, as in the reader)."""
    parts = data.split(b"\n")
    lines = [p + b"\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def strip_eol(line: bytes) -> bytes:
    line = line[:-1] if line.endswith(b"\n") else line
    return line[:-1] if line.endswith(b"\r") else line


def _load(body: bytes) -> dict[str, Any] | None:
    """The example a line is (:func:`toolkit.reader.example_of`); other lines go through the reader."""
    value: dict[str, Any] | None = example_of(body)
    return value


def parse_entries(data: bytes) -> list[Entry]:
    """Split file bytes (without BOM) into entries; lines that are not records go through the reader.

    Each record is parsed once here and then dropped (only its bytes and head are kept).
    """
    entries: list[Entry] = []
    run: list[bytes] = []
    for line in split_lines(data):
        value = _load(strip_eol(line))
        if value is None:
            run.append(line)
            continue
        if run:
            entries.extend(_broken_run(run))
            run = []
        entries.append(Entry.of(line, value))
    if run:
        entries.extend(_broken_run(run))
    return entries


def _broken_run(lines: list[bytes]) -> list[Entry]:
    """Entries for consecutive lines that are not one record each: the reader finds spans and problems."""
    problems: dict[int, list[str]] = {}
    spans: dict[int, tuple[int, dict[str, Any]]] = {}
    for item in JsonlReader(io.BytesIO(b"".join(lines)), name="<editor>"):
        if isinstance(item, ParseProblem):
            problems.setdefault(item.line, []).append(item.message)
        elif isinstance(item, Record) and isinstance(item.value, dict):
            spans[item.line] = (item.last_line, item.value)
    out: list[Entry] = []
    n = 1
    while n <= len(lines):
        if n in spans:
            last, value = spans[n]
            out.append(Entry.of(b"".join(lines[n - 1:last]), value, "; ".join(problems.get(n, []))))
            n = last + 1
        else:
            out.append(Entry.of(lines[n - 1], None, "; ".join(problems.get(n, ["not a JSON object"]))))
            n += 1
    return out


def entries_from_text(text: str, *, eol: bytes = b"\n", like: bytes | None = None) -> list[Entry]:
    """Entries for text typed by the user: one record (even pretty-printed), or one entry per line."""
    stripped = text.strip()
    if not stripped:
        return []
    try:
        whole = json.loads(stripped)
    except (ValueError, RecursionError):
        whole = None
    if isinstance(whole, dict):
        line = stripped if "\n" not in stripped else splice.one_line(stripped, separators(like))
        raw = encode(whole, like=like) if line is None else line.encode("utf-8", "backslashreplace")
        return [Entry.of(raw + eol, whole, edited=True)]
    out = []
    for line in stripped.replace("\r\n", "\n").split("\n"):
        body = line.encode("utf-8", "backslashreplace")
        value = _load(body)
        out.append(Entry.of(body + eol, value, "" if value is not None else _why(line), edited=True))
    return out


def _why(line: str) -> str:
    if not line.strip():
        return "blank line"
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        return f"not valid JSON: {exc.msg} (column {exc.colno})"
    except (ValueError, RecursionError):
        return "not valid JSON"
    return f"a JSON {type(value).__name__}, not an object"
