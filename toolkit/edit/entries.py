"""Entries: the pieces a JSONL file is cut into for editing, and how text becomes entries again.

A record is one entry (a pretty-printed record spans several lines); a line that is not a
record (broken JSON, a blank line) is an entry of its own. ``raw`` is exactly what the file
holds, line ending included, so an entry nobody edits is written back byte for byte.
"""

from __future__ import annotations

import io
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from ..reader import JsonlReader, ParseProblem, Record

_uids = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Entry:
    """One record (``value`` is a dict) or one line that is not a record (``value`` is None)."""

    raw: bytes
    value: dict[str, Any] | None
    problem: str = ""
    edited: bool = False
    uid: int = field(default_factory=lambda: next(_uids))

    @property
    def is_record(self) -> bool:
        return self.value is not None

    @property
    def eol(self) -> bytes:
        if self.raw.endswith(b"\r\n"):
            return b"\r\n"
        return b"\n" if self.raw.endswith(b"\n") else b""

    @property
    def lines(self) -> int:
        """Physical lines this entry takes in the file."""
        return self.raw.count(b"\n") + (0 if self.raw.endswith(b"\n") else 1)

    @property
    def text(self) -> str:
        """The entry as text, without its final line ending (invalid UTF-8 shown as U+FFFD)."""
        return self.raw[: len(self.raw) - len(self.eol)].decode("utf-8", "replace")


def encode(value: dict[str, Any], *, like: bytes | None = None) -> bytes:
    """One record as a JSON line (no line ending), non-ASCII kept as is, spaced like ``like``.

    Lone surrogates (not valid UTF-8) are written as their ``\\udXXX`` escapes, so nothing is lost.
    """
    compact = like is not None and b'": ' not in like and b'", "' not in like
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":") if compact else None)
    return text.encode("utf-8", "backslashreplace")


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
    if not body.strip():
        return None
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def parse_entries(data: bytes) -> list[Entry]:
    """Split file bytes (without BOM) into entries; lines that are not records go through the reader."""
    lines = split_lines(data)
    values = [_load(strip_eol(line)) for line in lines]
    entries: list[Entry] = []
    i = 0
    while i < len(lines):
        if values[i] is not None:
            entries.append(Entry(lines[i], values[i]))
            i += 1
            continue
        j = i
        while j < len(lines) and values[j] is None:
            j += 1
        entries.extend(_broken_run(lines[i:j]))
        i = j
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
            out.append(Entry(b"".join(lines[n - 1:last]), value, "; ".join(problems.get(n, []))))
            n = last + 1
        else:
            out.append(Entry(lines[n - 1], None, "; ".join(problems.get(n, ["not a JSON object"]))))
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
        one_line = "\n" not in stripped
        raw = stripped.encode("utf-8", "backslashreplace") if one_line else encode(whole, like=like)
        return [Entry(raw + eol, whole, edited=True)]
    out = []
    for line in stripped.replace("\r\n", "\n").split("\n"):
        body = line.encode("utf-8", "backslashreplace")
        value = _load(body)
        out.append(Entry(body + eol, value, "" if value is not None else _why(line), edited=True))
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
