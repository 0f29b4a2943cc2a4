"""Safe mechanical fixes for JSONL files: plan them, show them as a diff, or write them.

>>> edits = plan("train.jsonl")            # what would change, one FixEdit per rule and place
>>> print("".join(iter_diff("train.jsonl")))
>>> apply("train.jsonl")                    # atomic write, keeps train.jsonl.bak
>>> plan(data)                              # bytes (or a binary stream) in memory: nothing is written

Fixes work on the raw lines. A line no fix touches is copied byte for byte; a record a fix
changes is written again with its keys in the same order, its non-ASCII text as it was
(raw or ``\\u`` escapes) and its separators' style. Content text is never changed. Records
that cannot be rewritten without losing something (duplicate keys, invalid UTF-8, lone
surrogates) are left alone. Line fixes: F011 (array -> one record per line), F012
(pretty-printed record -> one line), F020 (blank line), F031 (BOM removed; or F032: added with
``add_bom`` for Azure), F033 (CRLF -> LF). Record fixes: see :mod:`toolkit.repairs`.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, BinaryIO

from . import catalog, formats, repairs, splice
from .atomic import Discard, atomic_writer, copy_atomic, is_read_only, resolve_target
from .errors import InputError, UsageError, os_problem
from .plural import plural
from .reader import BOM, ArrayElement, Item, JsonlReader, ParseProblem, Record, check_input, head_format, lookahead

if TYPE_CHECKING:
    from .config import Settings

LINE_RULES = repairs.LINE_REPAIRS
RULES = repairs.FIXABLE


@dataclass(frozen=True)
class FixEdit:
    """One fix at one place: ``line``..``end_line`` (None for the whole file) and the text before and after."""

    line: int | None
    end_line: int | None
    rule: str
    description: str
    before: str
    after: str
    # False for a problem lint does not report: inside an array (lint reports the array as one F011), or
    # uncovered by another fix of the same run
    reported: bool = True
    problems: int = 1  # the findings it fixes (one edit renames every "human" role of a record: one per message)

    @property
    def key(self) -> tuple[int | None, str]:
        return (self.line, self.rule)


@dataclass
class FixResult:
    """What :func:`apply` did: the edits written, and where the original was kept."""

    path: str
    edits: list[FixEdit] = field(default_factory=list)
    backup: str | None = None
    output: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.edits)

    def summary(self) -> str:
        """One line saying what was done, e.g. ``train.jsonl: fixed 3 problems (F020, F033); original kept as ...``.

        The count is of the problems lint reports (its "[*] N fixable"); those found while fixing come after it.
        """
        from .reporters.text import visible  # a file name's control characters written out, as lint writes them

        name = visible(self.path)
        if not self.changed:
            return f"{name}: nothing to fix"
        reported = [e for e in self.edits if e.reported]
        found = [e for e in self.edits if not e.reported]
        said = f"fixed {plural(problems(reported), 'problem')} ({_codes(reported)})" if reported else "fixed"
        if found:
            said += f"{' and' if reported else ''} {problems(found)} more found while fixing ({_codes(found)}: inside " \
                    "an array, or uncovered by another fix)"
        kept = f"; original kept as {visible(self.backup)}" if self.backup else ""
        return f"{name}: {said}{kept}"


def _codes(edits: list[FixEdit]) -> str:
    return ", ".join(sorted({e.rule for e in edits}))


def problems(edits: Iterable[FixEdit]) -> int:
    """How many problems ``edits`` fix (lint's findings, and those found while fixing)."""
    return sum(e.problems for e in edits)


@dataclass
class _Segment:
    line: int
    original: list[bytes]  # physical lines with their endings
    fixed: list[bytes]
    edits: list[FixEdit]


class _Tee:
    """Read a binary file's lines for the reader while keeping each one (with its ending) by line number."""

    def __init__(self, fh: BinaryIO, limit: int) -> None:
        self.fh = fh
        self.limit = limit
        self.lines: dict[int, bytes] = {}
        self.count = 0

    def readline(self, size: int = -1) -> bytes:
        raw = self.fh.readline(size)
        if raw and not raw.endswith(b"\n") and len(raw) > self.limit:
            raise InputError(f"line {self.count + 1} is over {self.limit:,} bytes (`tunesmith lint` reports it as "
                             "F018); fix cannot rewrite this file: remove or split that line first")
        if raw:
            self.count += 1
            self.lines[self.count] = raw
        return raw

    def take(self, first: int, last: int) -> list[bytes]:
        return [self.lines.pop(n) for n in range(first, last + 1) if n in self.lines]


PREVIEW = 4096  # characters of an array's text kept for the edit's before/after preview (bounded memory)


@dataclass
class _ArrayFix:
    """What splitting one array (element by element) has done so far."""

    line: int
    elements: int = 0
    before: str = ""
    after: str = ""
    repaired: dict[str, list[str]] = field(default_factory=dict)
    split: bool = True  # False: left as it is (not selected, or another trainer's records: lint's F092)

    def preview(self, before: list[bytes], after: list[bytes]) -> None:
        if len(self.before) < PREVIEW:
            self.before = (self.before + _text(before))[:PREVIEW]
        if len(self.after) < PREVIEW:
            self.after = (self.after + _text(after))[:PREVIEW]


def _ending(raw: bytes) -> bytes:
    if raw.endswith(b"\r\n"):
        return b"\r\n"
    return b"\n" if raw.endswith(b"\n") else b""


def _body(raw: bytes) -> bytes:
    return raw[: len(raw) - len(_ending(raw))]


def _kept(raw: bytes, end: bytes) -> bytes:
    """A line with the ending ``end``; a CRLF made LF loses every carriage return before it (one run is enough)."""
    body = _body(raw)
    return (body.rstrip(b"\r") if end != _ending(raw) else body) + end


def _text(lines: Iterable[bytes]) -> str:
    return b"".join(lines).decode("utf-8", "replace")


class _Duplicate(ValueError):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    d = dict(pairs)
    if len(d) != len(pairs):
        raise _Duplicate
    return d


def _load_exact(data: bytes) -> Any:
    """Parse JSON so that writing it back loses nothing; None when that is not possible.

    Raw control characters inside strings (a pretty-printed record with a line break in a
    value) are accepted; writing the value back escapes them (``\\n``), same text.
    """
    try:
        return json.loads(data.decode("utf-8"), object_pairs_hook=_pairs, strict=False)
    except (ValueError, RecursionError):
        return None


def _decoded(raw: bytes) -> str | None:
    """A record's bytes as text (the literals a repair copies), None when they are not UTF-8."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _style(raw: bytes) -> tuple[tuple[str, str] | None, bool]:
    """Separators and ASCII escaping that reproduce how a record was written."""
    spaced = b'": ' in raw or b'", "' in raw
    escaped = raw.isascii() and b"\\u" in raw
    return (None if spaced else (",", ":")), escaped


def _dump(value: Any, raw: bytes) -> bytes | None:
    separators, escaped = _style(raw)
    try:
        return json.dumps(value, ensure_ascii=escaped, separators=separators).encode("utf-8")
    except (UnicodeEncodeError, ValueError, RecursionError):  # lone surrogates, circular or odd values
        return None


def _written(value: Any, raw: bytes, like: bytes | None = None) -> bytes | None:
    """The record ``raw`` (perhaps on several lines) on one line, changed to hold ``value``: every value a repair
    did not change keeps its text (``1e2``, ``\\u00e9``, key order, spacing; :func:`toolkit.splice.rewrite`).
    What changed is written like ``like`` (default: ``raw``), the text the record came in."""
    separators, escaped = _style(like or raw)
    style = separators or (", ", ": ")
    try:
        text = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        return _dump(value, raw)
    line = text if "\n" not in text else splice.one_line(text, style)
    spliced = None if line is None else splice.rewrite(
        line, value, dumps=lambda v: json.dumps(v, ensure_ascii=escaped, separators=style), separators=style)
    if spliced is None:
        return _dump(value, raw)
    try:
        return spliced.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return None


def _is_object(text: str) -> bool:
    """Whether ``text`` is one JSON object (its repeated keys, which :func:`_load_exact` refuses, allowed)."""
    try:
        return isinstance(json.loads(text, strict=False), dict)
    except (ValueError, RecursionError):
        return False


def _one_line(text: str, like: bytes) -> bytes | None:
    """The JSON value ``text`` on one line as written (every literal, key and repeat kept), spaced like ``like``."""
    line = text.strip() if "\n" not in text else splice.one_line(text, _style(like)[0] or (", ", ": "))
    return None if line is None else line.encode("utf-8")


class _Planner:
    """Turns the reader's items for one file into segments of original and fixed lines."""

    def __init__(self, fh: BinaryIO, *, file_format: str, crlf: bool,
                 select: Callable[[int | None, str], bool]) -> None:
        self.reader = JsonlReader(fh, name="<fix>")
        self.tee = _Tee(fh, self.reader.max_line_bytes)
        self.reader.source = self.tee  # the reader reads through the tee, which keeps each line's bytes
        self.array: _ArrayFix | None = None
        self.file_format = file_format
        self.crlf = crlf
        self.select = select
        self.crlf_lines = 0
        self.next_line = 1

    def segments(self) -> Iterator[_Segment]:
        group: list[Item] = []
        for item in self.reader:
            if group and item.line != group[0].line:
                yield from self._group(group)
                group = []
            if isinstance(item, ArrayElement):
                yield from self._element(item)
            elif isinstance(item, ParseProblem) and item.code == "F011" and self.array is not None \
                    and item.line == self.array.line:
                yield self._array_end(item)
            else:
                group.append(item)
        if group:
            yield from self._group(group)
        yield from self._unreported(self.tee.count + 1)

    def _group(self, items: list[Item]) -> Iterator[_Segment]:
        line = items[0].line
        yield from self._unreported(line)
        last = max((i.end_line or i.line) for i in items)
        yield self._segment(line, self.tee.take(line, last), items)
        self.next_line = last + 1

    def _element(self, item: ArrayElement) -> Iterator[_Segment]:
        """One element of an array read element by element: its own line (with the repairs), when F011 is fixed."""
        if self.array is None:  # another trainer's records stay an array: `tunesmith convert` reads it (F092)
            self.array = _ArrayFix(item.array_line, split=self.select(item.array_line, "F011")
                                   and formats.array_foreign(item.value) is None)
        arr = self.array
        original = self.tee.take(self.next_line, item.last_line)  # the "[" line comes with the first element
        self.next_line = item.last_line + 1
        fixed = None
        if arr.split:
            value = item.value
            for change in repairs.find(value, self.file_format, text=_decoded(item.raw)):
                if self.select(arr.line, change.rule):
                    change.apply()
                    arr.repaired.setdefault(change.rule, []).append(f"element {arr.elements}: {change.description}")
            dumped = _written(value, item.raw)
            fixed = None if dumped is None else [dumped + b"\n"]
        arr.elements += 1
        kept = [_kept(raw, self._end(raw)) for raw in original]
        arr.preview(original, fixed or kept)
        yield _Segment(item.line, original, fixed if fixed is not None else kept, [])

    def _array_end(self, item: ParseProblem) -> _Segment:
        """The array's closing line (dropped when it is split) and the array's edits."""
        arr = self.array
        assert arr is not None
        self.array = None
        last = item.end_line or item.line
        original = self.tee.take(self.next_line, last) if last >= self.next_line else []
        self.next_line = max(self.next_line, last + 1)
        if not arr.split:
            return _Segment(item.line, original, [_kept(raw, self._end(raw)) for raw in original], [])
        before = arr.before + _text(original)[: max(0, PREVIEW - len(arr.before))]
        end_line = last if last > arr.line else None
        edits = [FixEdit(arr.line, end_line, "F011", f"write the {arr.elements} records of the array on their own "
                         "lines", before, arr.after)]
        edits += [FixEdit(arr.line, end_line, rule, "; ".join(descs), before, arr.after, reported=False,
                          problems=len(descs)) for rule, descs in arr.repaired.items()]
        return _Segment(item.line, original, [], edits)

    def _unreported(self, before: int) -> Iterator[_Segment]:
        """Lines the reader did not report (none are expected): copied unchanged, never lost."""
        for n in range(self.next_line, before):
            if n in self.tee.lines:
                raw = self.tee.lines.pop(n)
                yield _Segment(n, [raw], [raw], [])

    def _end(self, raw: bytes) -> bytes:
        end = _ending(raw)
        if end == b"\r\n":
            self.crlf_lines += 1
            if self.crlf:
                return b"\n"
        return end

    def _segment(self, line: int, original: list[bytes], items: list[Item]) -> _Segment:
        lines = original
        if line == 1 and original[0].startswith(BOM):
            lines = [original[0][len(BOM):], *original[1:]]
        ends = [self._end(raw) for raw in lines]
        kept = [_kept(raw, end) for raw, end in zip(lines, ends)]
        codes = {i.code for i in items if isinstance(i, ParseProblem)}
        record = next((i for i in items if isinstance(i, Record)), None)
        last = line + len(lines) - 1
        end_line = last if last > line else None
        if "F020" in codes:
            if self.select(line, "F020"):
                edit = FixEdit(line, None, "F020", "remove the blank line", _text(lines), "")
                return _Segment(line, original, [], [edit])
        elif "F011" in codes:
            split = self._split_array(line, lines, ends[-1])
            if split is not None and self.select(line, "F011"):
                fixed, repaired = split
                after = _text(fixed)
                edit = FixEdit(line, end_line, "F011", f"write the {len(fixed)} records of the array on their "
                               "own lines", _text(lines), after)
                inner = [FixEdit(line, end_line, rule, "; ".join(descs), edit.before, after, reported=False,
                                 problems=len(descs)) for rule, descs in repaired.items()]
                return _Segment(line, original, fixed, [edit, *inner])
        elif record is not None and not codes & repairs.UNREWRITABLE:
            fixed, edits = self._record(line, end_line, lines, ends[-1], record, "F012" in codes)
            if edits:
                return _Segment(line, original, fixed, edits)
        return _Segment(line, original, kept, [])

    def _split_array(self, line: int, lines: list[bytes], end: bytes
                     ) -> tuple[list[bytes], dict[str, list[str]]] | None:
        """The array's elements, one per line, with the selected record repairs done (one run is enough)."""
        raw = b"".join(lines)
        try:
            texts = splice.elements(raw.decode("utf-8")) or []
        except UnicodeDecodeError:
            return None
        # each element parsed alone: None when it repeats a key (it is then split off as written, unrepaired)
        value = [_load_exact(t.encode("utf-8")) for t in texts]
        if not value or not all(isinstance(v, dict) or (v is None and _is_object(t)) for v, t in zip(value, texts)):
            return None
        if formats.array_foreign(value[0] or json.loads(texts[0], strict=False)) is not None:
            return None  # another trainer's records: `tunesmith convert` reads the array as it is (lint's F092)
        repaired: dict[str, list[str]] = {}
        for i, element in enumerate(value):
            for change in repairs.find(element, self.file_format, text=texts[i]) if element is not None else ():
                if self.select(line, change.rule):
                    change.apply()
                    repaired.setdefault(change.rule, []).append(f"element {i}: {change.description}")
        dumped = [d for d in (_written(v, t.encode("utf-8"), raw) if v is not None else _one_line(t, raw)
                              for v, t in zip(value, texts)) if d is not None]
        if len(dumped) < len(value):
            return None
        sep = end or b"\n"
        return [d + (sep if i < len(dumped) - 1 else end) for i, d in enumerate(dumped)], repaired

    def _record(self, line: int, end_line: int | None, lines: list[bytes], end: bytes, record: Record,
                multi_line: bool) -> tuple[list[bytes], list[FixEdit]]:
        """The record written again with the selected repairs (and joined, for F012), and one edit per rule."""
        found = repairs.find(record.value, self.file_format, text=_decoded(record.raw))
        rules = (["F012"] if multi_line and self.select(line, "F012") else [])
        rules += dict.fromkeys(c.rule for c in found if self.select(line, c.rule))
        if not rules:
            return [], []
        raw = b"".join(_body(r) + b"\n" for r in lines)
        before = _text(lines)
        edits: list[FixEdit] = []
        for rule in rules:
            one = self._rewrite(raw, {rule})
            if one is None:
                continue
            if rule == "F012":
                what, problems = f"join the record on lines {line}-{end_line} into one line", 1
            else:
                changes = [c.description for c in found if c.rule == rule]
                what, problems = "; ".join(changes), len(changes)
            edits.append(FixEdit(line, end_line, rule, what, before, (one + end).decode("utf-8"), problems=problems))
        rewritten = self._rewrite(raw, {e.rule for e in edits}) if edits else None
        if rewritten is None:
            return [], []
        return [rewritten + end], edits

    def _rewrite(self, raw: bytes, rules: set[str]) -> bytes | None:
        value = _load_exact(raw)
        if value is None:
            return None
        for change in repairs.find(value, self.file_format, rules=rules, text=_decoded(raw)):
            change.apply()
        return _written(value, raw)


Source = str | os.PathLike[str] | bytes | BinaryIO  # a file, or its bytes (or a binary stream) in memory


def _loaded(source: Source) -> str | bytes:
    """A path (checked) as text, or the bytes of data given in memory (a stream is read: fix reads twice)."""
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        _check(path)
        return path
    return source if isinstance(source, bytes) else source.read()


def _open(source: str | bytes) -> BinaryIO:
    return open(source, "rb") if isinstance(source, str) else io.BytesIO(source)


def _file_format(source: str | bytes, method: str | None) -> str:
    if method:
        if method not in formats.METHOD_FORMAT:
            raise UsageError(f"unknown method {method!r}; choose one of: {', '.join(formats.METHODS)}")
        return formats.METHOD_FORMAT[method]
    reader = JsonlReader(source) if isinstance(source, str) else JsonlReader(io.BytesIO(source), name="<fix>")
    return head_format(lookahead(reader)[0])


def enabled_rules(settings: Settings, path: str | None = None, rules: Iterable[str] | None = None) -> list[str]:
    """The fixes of ``rules`` (default: every one) whose rule ``settings`` enable for ``path`` (the project's
    ``[tool.tunesmith]`` select, ignore and per-file-ignores, with the flags): a fix runs where lint reports its rule.

    A code that is no fix stays, for :func:`plan` and :func:`apply` to refuse by name.
    """
    from .rules import RULES as REGISTERED
    from .rules import load_all

    load_all()
    chosen = list(RULES) if rules is None else [r.strip().upper() for r in rules]
    return [code for code in chosen if code not in REGISTERED or settings.enabled(REGISTERED[code], path)]


def turned_off(settings: Settings, path: str | None, rules: Iterable[str]) -> list[str]:
    """Why each fix of ``rules`` that :func:`enabled_rules` leaves out is off: ``F033 is turned off by ignore =
    ["F0"] in pyproject.toml``, one line each, for a command to say (never a silent "nothing to fix")."""
    from .rules import RULES as REGISTERED
    from .rules import load_all

    load_all()
    where = f"[tool.tunesmith] of {settings.config_path}" if settings.config_path else "the configuration"
    out = []
    for code in (r.strip().upper() for r in rules):
        if code in REGISTERED and (setting := settings.turned_off_by(REGISTERED[code], path)):
            out.append(f"{code} is turned off by {setting} in {where}: not fixed (lint does not report it "
                       f"either); take {code} out of that setting, or pass --config with another file, to fix it")
    return out


def _check(path: str) -> None:
    check_input(path, twice="fix")


def _selector(edits: Iterable[FixEdit] | None, rules: Iterable[str] | None) -> Callable[[int | None, str], bool]:
    wanted_rules = None if rules is None else {r.upper() for r in rules}
    if wanted_rules is not None and (unknown := wanted_rules - set(RULES)):
        word = "rule" if len(unknown) == 1 else "rules"
        raise UsageError(f"no fix for {word} {', '.join(sorted(unknown))}; fixable rules: {', '.join(RULES)}")
    keys = None if edits is None else {e.key for e in edits}

    def select(line: int | None, rule: str) -> bool:
        return (wanted_rules is None or rule in wanted_rules) and (keys is None or (line, rule) in keys)
    return select


def _run(source: str | bytes, *, edits: Iterable[FixEdit] | None, rules: Iterable[str] | None, provider: str,
         add_bom: bool, method: str | None) -> Iterator[tuple[bytes, _Segment | None, list[FixEdit]]]:
    """Yield (prefix, segment, file_edits): the BOM to write first, then every segment, then file-level edits.

    ``source`` is a checked path (see :func:`_loaded`) or the data's bytes.
    """
    select = _selector(edits, rules)
    prov = catalog.provider(provider)
    if add_bom and prov.bom != "recommended":
        asking = ", ".join(n for n in catalog.PROVIDERS if catalog.provider(n).bom == "recommended")
        raise UsageError(f"--add-bom is for providers whose docs ask for a BOM ({asking}), not {provider}")
    file_format = _file_format(source, method)
    with _open(source) as fh:
        has_bom = fh.read(len(BOM)) == BOM
        fh.seek(0)
        file_edits: list[FixEdit] = []
        strip = has_bom and prov.bom != "recommended" and select(1, "F031")
        add = add_bom and not has_bom and select(1, "F032")
        if strip:
            file_edits.append(FixEdit(1, None, "F031", "remove the UTF-8 byte-order mark", "\ufeff", ""))
        if add:
            file_edits.append(FixEdit(1, None, "F032", "add a UTF-8 byte-order mark", "", "\ufeff"))
        yield (BOM if (has_bom and not strip) or add else b""), None, []
        planner = _Planner(fh, file_format=file_format, crlf=select(None, "F033"), select=select)
        for segment in planner.segments():
            yield b"", segment, []
        if planner.crlf and planner.crlf_lines:
            file_edits.append(FixEdit(None, None, "F033",
                                      f"end the {plural(planner.crlf_lines, 'CRLF line')} with LF", "\r\n", "\n"))
        yield b"", None, file_edits


def plan(source: Source, *, provider: str = catalog.DEFAULT_PROVIDER, add_bom: bool = False,
         rules: Iterable[str] | None = None, method: str | None = None) -> list[FixEdit]:
    """Every safe fix a file (or data in memory) needs, in file order (file-wide fixes first), without changing
    anything."""
    out: list[FixEdit] = []
    tail: list[FixEdit] = []
    for _, segment, file_edits in _run(_loaded(source), edits=None, rules=rules, provider=provider,
                                        add_bom=add_bom, method=method):
        if segment is not None:
            out.extend(segment.edits)
        tail.extend(file_edits)
    return tail + out


def iter_diff(source: Source, edits: Iterable[FixEdit] | None = None, *, provider: str = catalog.DEFAULT_PROVIDER,
              add_bom: bool = False, rules: Iterable[str] | None = None, method: str | None = None,
              name: str | None = None) -> Iterator[str]:
    """A unified diff (without context lines) of what :func:`apply` would write to a file (or data in memory,
    called ``name`` in the diff); nothing is changed."""
    loaded = _loaded(source)
    spath = name or (loaded if isinstance(loaded, str) else "<memory>")
    header = False
    new_line = 1
    bom = b""
    for prefix, segment, _ in _run(loaded, edits=edits, rules=rules, provider=provider, add_bom=add_bom,
                                    method=method):
        bom = bom or prefix
        if segment is None:
            continue
        after = segment.fixed
        if segment.line == 1 and bom:
            after = [bom + after[0], *after[1:]] if after else [bom]
        if segment.original != after:
            if not header:
                yield f"--- {spath}\n+++ {spath} (fixed)\n"
                header = True
            yield _hunk(segment.line, segment.original, new_line, after)
        new_line += len(after)


def _hunk(old_start: int, before: list[bytes], new_start: int, after: list[bytes]) -> str:
    def span(start: int, n: int) -> str:
        return f"{start if n else start - 1},{n}"
    out = [f"@@ -{span(old_start, len(before))} +{span(new_start, len(after))} @@\n"]
    for sign, lines in (("-", before), ("+", after)):
        for raw in lines:
            text = raw.decode("utf-8", "replace")
            out.append(sign + text if text.endswith("\n") else f"{sign}{text}\n\\ No newline at end of file\n")
    return "".join(out)


def _backup_name(path: str) -> str:
    candidate = f"{path}.bak"
    n = 1
    while os.path.exists(candidate):
        candidate = f"{path}.bak.{n}"
        n += 1
    return candidate


MAX_PASSES = 4  # a fix can uncover another (a "[" line left before records becomes an array to split)


def apply(path: str | os.PathLike[str], edits: Iterable[FixEdit] | None = None, *, provider: str = catalog.DEFAULT_PROVIDER,
          add_bom: bool = False, rules: Iterable[str] | None = None, method: str | None = None,
          output: str | os.PathLike[str] | None = None, backup: bool = True) -> FixResult:
    """Write the fixes (all of them, or only ``edits`` from :func:`plan`, or only ``rules``).

    The result goes to a temporary file in the same folder, then replaces ``output`` (default:
    the file itself) with ``os.replace``. When the file itself is replaced, the original is
    kept as ``FILE.bak`` (or ``FILE.bak.N`` if that exists) unless ``backup`` is False. A file
    with nothing to fix is not touched at all. Without ``edits``, fixing goes on until nothing
    is left to fix (at most :data:`MAX_PASSES` passes), so one run reaches the fixed point.
    """
    rules = None if rules is None else list(rules)
    result = _apply_once(path, edits, provider=provider, add_bom=add_bom, rules=rules, method=method,
                         output=output, backup=backup)
    if edits is not None or not result.changed or result.output is None:
        return result
    for _ in range(MAX_PASSES - 1):
        again = _apply_once(result.output, None, provider=provider, add_bom=add_bom, rules=rules, method=method,
                            output=None, backup=False)
        if not again.changed:
            break
        result.edits.extend(replace(e, reported=False) for e in again.edits)
    return result


def _apply_once(path: str | os.PathLike[str], edits: Iterable[FixEdit] | None, *, provider: str, add_bom: bool,
                rules: Iterable[str] | None, method: str | None, output: str | os.PathLike[str] | None,
                backup: bool) -> FixResult:
    """One pass of :func:`apply`."""
    spath = os.fspath(path)
    _check(spath)
    in_place = output is None or _same_file(spath, os.fspath(output))
    named = os.fspath(output) if output is not None and not in_place else spath
    target = str(resolve_target(named)) if os.path.islink(named) else named  # a symlink: the file it points to
    if in_place and is_read_only(target):
        raise InputError(f"{spath}: is read-only; fix leaves it alone (make it writable with `chmod u+w` first)")
    applied: list[FixEdit] = []
    saved = None
    try:
        with atomic_writer(target, mode_from=spath) as out:
            for prefix, segment, file_edits in _run(spath, edits=edits, rules=rules, provider=provider,
                                                    add_bom=add_bom, method=method):
                out.write(prefix)
                if segment is not None:
                    out.writelines(segment.fixed)
                    applied.extend(segment.edits)
                applied[:0] = file_edits
            if not applied and in_place:
                raise Discard
            if in_place and backup:
                saved = _backup_name(target)
                copy_atomic(target, saved)  # whole or absent, before the fixed file replaces the original
    except OSError as exc:  # reading the input (writing is mapped by atomic_writer)
        raise os_problem(spath, exc, "cannot read") from None
    if not applied and in_place:
        return FixResult(spath)
    return FixResult(spath, applied, saved, target)


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)
