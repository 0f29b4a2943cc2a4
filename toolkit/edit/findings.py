"""Lint findings in the editor: which field each one belongs next to, and its fix through :mod:`toolkit.fix`.

>>> groups = place(diagnostics, anchors)          # {"/messages/2/content": [...], "": [...]}
>>> planned = plan_fixes(ds, [4], "C030", provider="openai", file_format="chat")
>>> apply_fixes(ds, planned, "fix C030 on example 5")
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .. import catalog, fix, formats, repairs
from ..diagnostics import Diagnostic
from ..reader import declared_wide
from . import ops
from .dataset import Dataset
from .entries import Entry, parse_entries
from .errors import EditError

FILE_FIXES = ("F031", "F032", "F033")  # fixes of the whole file, not of an entry
REDECODE = "F030"  # invalid UTF-8: re-read as cp1252 (or Latin-1), only when the user asks, after a preview


def fixable(rule: str) -> bool:
    """Whether :mod:`toolkit.fix` (or the editor's re-decoding of F030) can repair findings of ``rule``."""
    return rule in fix.RULES or rule == REDECODE


def anchor(pointer: str | None, anchors: Iterable[str]) -> str:
    """The closest of ``anchors`` that holds ``pointer`` ("" for the record as a whole)."""
    if not pointer:
        return ""
    known = set(anchors)
    parts = pointer.split("/")
    for n in range(len(parts), 1, -1):
        candidate = "/".join(parts[:n])
        if candidate in known:
            return candidate
    return ""


MESSAGE_FIELDS = ("role", "content", "name", "weight", "tool_call_id")


def anchors(value: dict[str, Any]) -> list[str]:
    """Pointers of everything the record editor shows a field for: messages, their fields, parts, tool calls."""
    out = []
    for lst in ops.message_lists(value):
        for i, m in enumerate(ops.get(value, lst, [])):
            at = f"{lst}/{i}"
            out.append(at)
            out.extend(f"{at}/{f}" for f in MESSAGE_FIELDS)
            if isinstance(m, dict):
                if isinstance(m.get("content"), list):
                    out.extend(f"{at}/content/{k}" for k in range(len(m["content"])))
                if isinstance(m.get("tool_calls"), list):
                    out.extend(f"{at}/tool_calls/{c}" for c in range(len(m["tool_calls"])))
    return out


def place(diagnostics: Iterable[Diagnostic], anchors: Iterable[str]) -> dict[str, list[Diagnostic]]:
    """Findings grouped by the anchor (a rendered field's pointer) they belong next to."""
    known = list(anchors)
    out: dict[str, list[Diagnostic]] = {}
    for d in diagnostics:
        out.setdefault(anchor(d.pointer, known), []).append(d)
    return out


@dataclass(frozen=True)
class PlannedFix:
    """One fix for entry ``index``: what it does, the text before and after (``after`` empty: removed)."""

    index: int
    rule: str
    description: str
    before: str
    after: str


def _method(file_format: str | None) -> str | None:
    method = formats.FORMAT_METHOD.get(file_format or "")
    return method if method in formats.METHODS else None


def plan_fixes(dataset: Dataset, indices: Iterable[int], rule: str, *, provider: str = catalog.DEFAULT_PROVIDER,
               file_format: str | None = None) -> list[PlannedFix]:
    """The fixes of ``rule`` for the entries at ``indices`` (planned on a copy; nothing changes)."""
    if not fixable(rule):
        raise EditError(f"there is no automatic fix for {rule}")
    if rule in FILE_FIXES:
        return _file_fix(dataset, rule)
    if rule == REDECODE:
        return _wide_fix(dataset) or _redecode_fixes(dataset, indices)
    # an entry that is not valid UTF-8 would come back with U+FFFD in place of its bytes: it waits for F030
    chosen = sorted(i for i in set(indices) if not dataset.entries[i].undecodable)
    entries = [dataset.entries[i] for i in chosen]
    starts, line = [], 1
    for entry in entries:
        starts.append(line)
        line += entry.lines
    data = b"".join(x.raw if x.raw.endswith(b"\n") else x.raw + dataset.eol for x in entries)
    edits = fix.plan(data, provider=provider, rules=[rule], method=_method(file_format))
    out = []
    for e in edits:
        if e.line is None or e.rule != rule:
            continue
        k = bisect.bisect_right(starts, e.line) - 1
        index = chosen[k]
        after = e.after
        if not dataset.entries[index].eol and after.endswith("\n"):  # the entry ended the file without a newline
            after = after[:-2] if after.endswith("\r\n") else after[:-1]
        description = e.description
        if e.end_line is not None:  # the lines of the copy that was planned on -> the lines of the file
            real = dataset.start_lines()[index] + e.line - starts[k]
            description = description.replace(f"lines {e.line}-{e.end_line}",
                                              f"lines {real}-{real + e.end_line - e.line}")
        out.append(PlannedFix(index, e.rule, description, e.before, after))
    return out


def _wide_fix(dataset: Dataset) -> list[PlannedFix]:
    """A UTF-16 or UTF-32 file that starts with its byte-order mark: the whole file kept as UTF-8 (the mark names the
    encoding: nothing is guessed). Previewed on its first line."""
    first = dataset.entries[0].raw if dataset.entries else b""
    wide = declared_wide(first)
    if wide is None:
        return []
    after = repairs.as_utf8(b"".join(e.raw for e in dataset.entries), dataset.path.name).decode("utf-8")
    return [PlannedFix(-1, REDECODE, f"read the whole file as {wide} (its byte-order mark says so) and keep it as UTF-8; "
                       "no character changes", first.split(b"\n")[0].decode("utf-8", "replace"), after.split("\n")[0])]


def _redecode_fixes(dataset: Dataset, indices: Iterable[int]) -> list[PlannedFix]:
    out = []
    for i in sorted(set(indices)):
        entry = dataset.entries[i]
        if not entry.undecodable:
            continue
        for encoding in ("cp1252", "latin-1"):
            try:
                after = dataset.redecoded(i, encoding).decode("utf-8")
            except EditError:
                continue
            out.append(PlannedFix(i, REDECODE, f"read the bytes that are not UTF-8 as {encoding}",
                                  entry.raw.decode("utf-8", "replace"), after))
            break
    return out


def _file_fix(dataset: Dataset, rule: str) -> list[PlannedFix]:
    if rule == "F031" and dataset.bom:
        return [PlannedFix(-1, rule, "remove the UTF-8 byte-order mark", "\ufeff", "")]
    if rule == "F032" and not dataset.bom:
        return [PlannedFix(-1, rule, "add a UTF-8 byte-order mark", "", "\ufeff")]
    if rule == "F033" and any(b"\r\n" in e.raw for e in dataset.entries):
        return [PlannedFix(-1, rule, "end every line with LF instead of CRLF", "\r\n", "\n")]
    return []


def apply_fixes(dataset: Dataset, planned: list[PlannedFix], description: str) -> int:
    """Apply planned fixes as one change (one undo step); return how many were applied."""
    changes: dict[int, list[Entry]] = {}
    for p in planned:
        if p.rule == "F031":
            dataset.set_bom(False)
        elif p.rule == "F032":
            dataset.set_bom(True)
        elif p.rule == "F033":
            dataset.set_line_endings(b"\n")
        elif p.rule == REDECODE and p.index < 0:
            dataset.wide_as_utf8()
        else:
            fixed = parse_entries(p.after.encode("utf-8"))
            changes[p.index] = [e.with_raw(e.raw) for e in fixed]
    if changes:
        dataset.replace_many(changes, description)
    return len(planned)
