"""Stream a JSONL file as records, turning every malformed line into a parse problem.

The reader never raises on file content: bad bytes, broken JSON, pretty-printed
records, arrays, NaN, lone surrogates, duplicate keys and absurd nesting all
become :class:`ParseProblem` items, and reading goes on with the next line.
Memory stays flat: one line (or one bounded multi-line span) at a time.
"""

from __future__ import annotations

import errno
import itertools
import json
import os
import re
import select
import stat
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from . import formats, pointers
from .errors import InputError, os_problem
from .jsonpos import duplicate_keys, line_column

BOM = b"\xef\xbb\xbf"
MAX_SPAN_LINES = 2000  # a pretty-printed record longer than this is reported line by line
MAX_SPAN_BYTES = 8 * 1024 * 1024
# OpenAI takes at most 10 images of 10 MB per example (~134 MB as base64): a longer line is no record
MAX_LINE_BYTES = 256 * 1024 * 1024
FIFO_WAIT = 10  # seconds to wait for a writer on a named pipe
MAX_INT_DIGITS = 4300  # Python's int() refuses longer integers (sys.get_int_max_str_digits)
# a high surrogate escape not followed by a low one, or a low one not preceded by a high one
_LONE_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
                                    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}")
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")  # where _LONE_SURROGATE_ESCAPE can match (a fast scan)
READ_BUFFER = 1 << 20  # lines of fine-tuning files are long: a small buffer costs many refills


@dataclass(slots=True)
class Record:
    """One parsed JSON object and where it came from (1-based, inclusive lines).

    ``example``: whether the record is an example of the file as written (see :func:`example_of`). A record
    that is not (pretty-printed over several lines, F012; bytes that are not UTF-8, F030) is checked by lint
    all the same, so that repairing it reveals nothing new.
    """

    line: int
    value: Any
    raw: bytes
    end_line: int | None = None
    example: bool = True
    # pointers of the values JSON does not allow (NaN, Infinity: F014 names each) that ``value`` holds as null
    nulled: tuple[str, ...] = ()

    @property
    def last_line(self) -> int:
        return self.end_line or self.line


@dataclass(slots=True)
class ParseProblem:
    """Something the reader could not accept, named by the rule code it breaks."""

    code: str
    line: int
    message: str
    column: int | None = None
    end_line: int | None = None
    pointer: str | None = None
    first: dict[str, Any] | None = None  # F011 about an array of objects: its first element (what it holds)


@dataclass(slots=True)
class ArrayElement:
    """One element of a JSON array written over many lines (the array itself is one F011)."""

    line: int
    value: Any
    raw: bytes
    end_line: int | None = None
    array_line: int = 0

    @property
    def last_line(self) -> int:
        return self.end_line or self.line


Item = Record | ParseProblem | ArrayElement


def lookahead(items: Iterable[Item]) -> tuple[list[Record | ParseProblem], Iterator[Record | ParseProblem]]:
    """The first :data:`formats.LOOKAHEAD` items of a file, which decide its format (:func:`head_format`), and an
    iterator over the rest. An array's elements are left out of both: the array's F011 says what they are."""
    rest = (i for i in items if not isinstance(i, ArrayElement))
    return list(itertools.islice(rest, formats.LOOKAHEAD)), rest


def head_format(head: list[Record | ParseProblem]) -> str:
    """The format of a file whose first items are ``head`` (:func:`lookahead`): lint, fix, split and train alike."""
    return formats.decide_values(i.value for i in head if isinstance(i, Record))


@dataclass
class FileFacts:
    """What the reader learned about the file's bytes as a whole."""

    bytes: int = 0
    lines: int = 0
    bom: bool = False
    crlf_lines: int = 0
    lf_lines: int = 0
    final_newline: bool = True
    blank_lines: list[int] = field(default_factory=list)
    not_text: bool = False  # packed binary data, or UTF-16/UTF-32 text: read no further than its first line

    def merge(self, later: FileFacts) -> None:
        """Add the facts of the file's next part, read by another reader (line numbers are the file's)."""
        self.bytes += later.bytes
        self.lines = later.lines or self.lines
        self.crlf_lines += later.crlf_lines
        self.lf_lines += later.lf_lines
        self.final_newline = later.final_newline if later.lines else self.final_newline
        self.blank_lines.extend(later.blank_lines)


class _NonFinite:
    __slots__ = ("literal",)

    def __init__(self, literal: str) -> None:
        self.literal = literal


class _State:
    """Per-document flags set by the JSON hooks (cheaper than walking every value)."""

    __slots__ = ("duplicates", "non_finite")

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.non_finite = False
        self.duplicates: list[str] = []


def _make_decoder(state: _State) -> json.JSONDecoder:
    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        d = dict(pairs)
        if len(d) != len(pairs):
            seen: set[str] = set()
            for k, _ in pairs:
                if k in seen:
                    state.duplicates.append(k)
                seen.add(k)
        return d

    def constant(name: str) -> _NonFinite:
        state.non_finite = True
        return _NonFinite(name)

    return json.JSONDecoder(object_pairs_hook=pairs_hook, parse_constant=constant)


def _type_name(value: Any) -> str:
    return {list: "array", str: "string", int: "number", float: "number", bool: "boolean", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def walk(value: Any, pointer: str = "", *, keys: bool = False) -> Iterator[tuple[str, Any]]:
    """Yield (pointer, value) for every value, iteratively (no recursion limit); with ``keys``, each key too."""
    stack = [(pointer, value)]
    while stack:
        ptr, val = stack.pop()
        yield ptr, val
        if isinstance(val, dict):
            for k, v in reversed(list(val.items())):
                stack.append((f"{ptr}/{pointers.escape(k)}", v))
                if keys:
                    stack.append((f"{ptr}/{pointers.escape(k)}", k))
        elif isinstance(val, list):
            for i in range(len(val) - 1, -1, -1):
                stack.append((f"{ptr}/{i}", val[i]))


def _lone_surrogate_escape(raw: bytes) -> bool:
    """``_LONE_SURROGATE_ESCAPE.search(raw)``, tried only where a surrogate escape starts (its lookbehind makes
    a plain search slow on long lines)."""
    return any(_LONE_SURROGATE_ESCAPE.match(raw, m.start()) for m in _SURROGATE_ESCAPE.finditer(raw))


def _has_lone_surrogate(s: str) -> bool:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class LineSource(Protocol):
    """What the reader reads besides a path: a binary file, or anything with its ``readline``."""

    def readline(self, size: int = -1, /) -> bytes: ...


class JsonlReader:
    """Iterate a JSONL file (path or binary stream) as :class:`Record` and :class:`ParseProblem`.

    The elements of a JSON array written over many lines come as :class:`ArrayElement` items
    (consumers that want JSONL records only skip them), followed by the array's one F011.

    >>> reader = JsonlReader("train.jsonl")
    >>> for item in reader: ...
    >>> reader.facts.bom
    """

    def __init__(self, source: str | Path | LineSource, *, name: str | None = None, start: int = 0,
                 first_line: int = 1, max_line_bytes: int = MAX_LINE_BYTES) -> None:
        """``start`` (a byte offset at the beginning of line ``first_line``) reads a file from there on."""
        self.source = source
        self.name = name or str(source if isinstance(source, (str, Path)) else getattr(source, "name", "<stream>"))
        self.facts = FileFacts()
        self.start = start
        self.first_line = first_line
        self.max_line_bytes = max_line_bytes
        self.end: int | None = None  # see stop_at
        self.overran = False
        self._spans = _Spans(self.facts)

    def stop_at(self, end: int) -> None:
        """Stop reading at byte offset ``end`` (the start of a line), even while reading.

        The reader stops there only if no value pretty-printed over several lines is pending: then
        a reader started at ``end`` reads the rest exactly as this one would have. Otherwise it
        reads on to the end of the file and sets :attr:`overran`.
        """
        self.end = end

    def __iter__(self) -> Iterator[Item]:
        if isinstance(self.source, (str, Path)):
            with open_input(self.source) as fh:
                if self.start:
                    fh.seek(self.start)
                yield from self._read(fh)
        else:
            yield from self._read(self.source)

    # -- line level -----------------------------------------------------------------

    def _physical(self, fh: LineSource) -> Iterator[bytes | int]:
        """Every line (with its ending), or for a line over the limit its length, read past in bounded memory."""
        limit = self.max_line_bytes
        readline = fh.readline
        while raw := readline(limit + 1):
            if len(raw) <= limit or raw.endswith(b"\n"):
                yield raw
                continue
            size = len(raw)
            while (more := readline(READ_BUFFER)) and not more.endswith(b"\n"):
                size += len(more)
            yield size + len(more)

    def _lines(self, fh: LineSource) -> Iterator[tuple[int, bytes | int]]:
        facts = self.facts
        lineno = self.first_line - 1
        for raw in self._physical(fh):
            if self.end is not None and self.start + facts.bytes >= self.end:  # this line starts at or after end
                if self.start + facts.bytes == self.end and not self._spans.busy:
                    return
                self.overran, self.end = True, None
            lineno += 1
            facts.lines = lineno
            if isinstance(raw, int):
                facts.bytes += raw
                yield lineno, raw
                continue
            facts.bytes += len(raw)
            if lineno == 1 and self.start == 0 and raw.startswith(BOM):
                facts.bom = True
                raw = raw[len(BOM):]
            if raw.endswith(b"\n"):
                raw = raw[:-1]
                if raw.endswith(b"\r"):
                    raw = raw[:-1]
                    facts.crlf_lines += 1
                else:
                    facts.lf_lines += 1
                facts.final_newline = True
            else:
                facts.final_newline = False
            yield lineno, raw

    def _read(self, fh: LineSource) -> Iterator[Item]:
        spans = self._spans = _Spans(self.facts)
        for lineno, raw in self._lines(fh):
            if isinstance(raw, int):
                yield from spans.flush()
                why = ("no provider accepts a record this large" if self.max_line_bytes >= MAX_LINE_BYTES
                       else "the max-line-mb setting")
                yield ParseProblem(
                    "F018", lineno, f"line is {raw:,} bytes long, over the limit of {self.max_line_bytes:,} bytes "
                    f"({why}); it was skipped without being read whole", column=1)
                continue
            if not raw.strip() and not spans.busy:
                yield _blank(lineno, self.facts)
                continue
            if lineno == 1 and self.start == 0 and (not_text := _not_text(raw)) is not None:
                self.facts.not_text = True
                yield ParseProblem("F030", 1, not_text, column=1)
                return  # its other "lines" are pieces of the same binary or wide-encoded data, not records
            yield from spans.add(lineno, raw)
        yield from spans.flush()


_UNPACK = "unpack it first (lint also reads what a command prints: `tunesmith lint <({} FILE)`)"
_PACKED = {b"\x1f\x8b": ("gzip-compressed", _UNPACK.format("zcat")),
           b"BZh": ("bzip2-compressed", _UNPACK.format("bzcat")),
           b"\xfd7zXZ\x00": ("xz-compressed", _UNPACK.format("xzcat")),
           b"\x28\xb5\x2f\xfd": ("zstd-compressed", _UNPACK.format("zstdcat")),
           b"PK\x03\x04": ("a zip archive or an Excel workbook", "unzip it, or convert a workbook: "
                            "`tunesmith convert FILE out.jsonl --from xlsx`"),
           b"PAR1": ("a Parquet table", "convert it: `tunesmith convert FILE out.jsonl --from parquet`")}


def _not_text(first_line: bytes) -> str | None:
    """What a file whose first line is ``first_line`` is, when it is no UTF-8 text at all (packed binary data, or
    UTF-16 or UTF-32 text: a first line with NUL bytes between its characters is not JSONL in any case), and what to
    do: F030 once for the file, not once per line."""
    packed = packed_kind(first_line)
    if packed is not None:
        return f"the file is {packed[0]}, not JSONL text: {packed[1]}"
    if wide_encoding(first_line) is None:
        return None
    return f"no line of the file can be read as UTF-8: {not_utf8_advice(first_line)}"


def packed_kind(first_line: bytes) -> tuple[str, str] | None:
    """What a file whose first line is ``first_line`` is, and what to do, when its magic number says it is packed
    binary data."""
    return next((kind for magic, kind in _PACKED.items() if first_line.startswith(magic)), None)


def example_of(raw: bytes, max_line_bytes: int = MAX_LINE_BYTES) -> Any:
    """The example a line of a JSONL file is (its JSON object), or None: the one definition of an example.

    ``raw`` is one line without its line ending (and, for the first line, without the UTF-8 byte-order mark).
    An example is a line, no longer than ``max_line_bytes`` (``max-line-mb``; a longer one is F018), that is by
    itself a JSON object in UTF-8: what a provider reads as one training example. `tunesmith stats` counts
    these lines; lint counts them too (:attr:`Record.example`, set as the reader reads the same way: strict
    UTF-8, then JSON) among its records, which also hold the objects a provider refuses as written.
    """
    if len(raw) > max_line_bytes:
        return None
    try:
        value = json.loads(raw.decode("utf-8"))  # not json.loads(raw): that would read UTF-16 and UTF-32 too
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def is_device(st: os.stat_result) -> bool:
    """Whether ``st`` is a device that is not data (``/dev/zero``, a disk); the null device reads as an empty
    file (``lint - < /dev/null``)."""
    if not (stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)):
        return False
    try:
        return st.st_rdev != os.stat(os.devnull).st_rdev
    except OSError:
        return True


def check_input(path: str | os.PathLike[str], *, twice: str | None = None) -> os.stat_result:
    """Stat a data file to read, with a clear :class:`InputError` for a missing file, a folder, a loop, a device.

    ``twice``: the command that reads the file twice, so that a pipe (read once) is refused.
    """
    spath = os.fspath(path)
    if not spath:
        raise InputError("an empty file name was given; pass a JSONL file")
    try:
        st = os.stat(spath)
    except OSError as exc:
        if exc.errno == errno.ENOENT and os.path.islink(spath):
            raise InputError(f"{spath}: is a symbolic link to {os.readlink(spath)}, which does not exist") from None
        raise os_problem(spath, exc, "cannot read") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{spath}: is a folder; pass a .jsonl file")
    if is_device(st):
        raise InputError(f"{spath}: is a device, not a file; pass a JSONL file")
    if not os.access(spath, os.R_OK):
        raise InputError(f"{spath}: cannot read: permission denied")
    if twice and not (stat.S_ISREG(st.st_mode) or stat.S_ISCHR(st.st_mode)):  # a device left is the null one
        raise InputError(f"{spath}: is a pipe, not a regular file; {twice} reads its input twice: save the data "
                         "to a file first")
    return st


def has_file_name(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` names a file of its own, whose name is what an upload would carry: a regular file outside
    ``/dev`` and ``/proc``. A pipe (``<(cat f)``), a FIFO, ``/dev/stdin`` (even redirected from a file) and the
    null device have no name of their own."""
    spath = os.path.abspath(os.fspath(path))
    if spath.startswith(("/dev/", "/proc/")):
        return False
    try:
        return stat.S_ISREG(os.stat(spath).st_mode)
    except OSError:
        return False


def open_input(path: str | os.PathLike[str]) -> BinaryIO:
    """Open a data file for reading, with a clear :class:`InputError` for every ordinary OS problem.

    Pipes (``<(cat f)``, FIFOs) are read as they come; a FIFO nobody writes to is an error after
    :data:`FIFO_WAIT` seconds, not a hang. Devices (``/dev/zero``) are refused.
    """
    spath = os.fspath(path)
    st = check_input(spath)
    try:
        if not stat.S_ISFIFO(st.st_mode):
            return open(spath, "rb", buffering=READ_BUFFER)
        fd = os.open(spath, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise os_problem(spath, exc, "cannot read") from None
    poll = select.poll()
    poll.register(fd, select.POLLIN | select.POLLHUP)
    if not poll.poll(FIFO_WAIT * 1000):
        os.close(fd)
        raise InputError(f"{spath}: is a named pipe that nothing wrote to in {FIFO_WAIT} s; start the program "
                         "that writes to it first")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb", buffering=READ_BUFFER)


_STRING = re.compile(rb'"(?:[^"\\]|\\.)*(?:"|$)')  # a string (an unterminated one runs to the end of the line)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_FAILED = object()


_STRING_REST = re.compile(rb'(?:[^"\\]|\\.)*"')  # the end of a string that began on an earlier line


def _brackets(raw: bytes, in_string: bool = False) -> tuple[bytes, bool]:
    """The brackets of a line outside its strings, in order, and whether the line ends inside a string.

    ``in_string``: the line starts inside a string (raw line breaks in strings, which the
    joined parse accepts).
    """
    if in_string:
        m = _STRING_REST.match(raw)
        if m is None:
            return b"", True
        raw = raw[m.end():]
    ends_inside = False
    if b'"' in raw:
        ends_inside = any(not s.endswith(b'"') or len(s) == 1 or _escaped_end(s) for s in _STRING.findall(raw)[-1:])
        raw = _STRING.sub(b"", raw)
    return raw.translate(None, _NOT_BRACKET), ends_inside


def _escaped_end(s: bytes) -> bool:
    """Whether a string token matched by :data:`_STRING` ends with an escaped quote (so it is unterminated)."""
    body = s[1:-1]
    return (len(body) - len(body.rstrip(b"\\"))) % 2 == 1


def _opens(brackets: bytes) -> bool:
    """Whether a line's brackets leave something open and never close more than the line opened."""
    depth = 0
    for b in brackets:
        depth += 1 if b in b"[{" else -1
        if depth < 0:
            return False
    return depth > 0


@dataclass(slots=True, eq=False)
class _Line:
    """A line waiting in the span window; ``end`` is 0 while open, the closing line, or -1 when it cannot close."""

    lineno: int
    raw: bytes
    candidate: bool | None = False
    base: int = 0
    end: int = 0


@dataclass(slots=True)
class _Array:
    """An array being read element by element (its first line is ``[`` alone)."""

    line: int
    last: int
    raw: bytes
    elements: int = 0
    lines: list[tuple[int, bytes]] = field(default_factory=list)
    size: int = 0
    depth: int = 0
    in_string: bool = False
    first: dict[str, Any] | None = None


class _Spans:
    """Finds values pretty-printed over several lines, in one pass over the lines (linear time).

    Lines that do not parse alone but open brackets are candidate starts; brackets are matched
    across lines (outside strings), and a candidate whose brackets close at the end of a line is
    parsed joined, once. The window of pending lines is bounded by :data:`MAX_SPAN_LINES` and
    :data:`MAX_SPAN_BYTES`; a line that is a whole unindented record ends every pending
    candidate (the first line was truncated, not pretty-printed). An array whose first line is
    ``[`` alone is read element by element, so an array of any size is one F011 in bounded memory.
    """

    def __init__(self, facts: FileFacts) -> None:
        self.facts = facts
        self.window: deque[_Line] = deque()
        self.size = 0
        self.depth = 0
        self.open: deque[_Line] = deque()  # candidates whose brackets have not closed yet, innermost last
        self.in_string = False  # the last line ended inside a string
        self.array: _Array | None = None

    def add(self, lineno: int, raw: bytes) -> Iterator[Item]:
        if self.array is not None:
            yield from self._array_line(lineno, raw)
            return
        if not self.window:
            if raw.strip() == b"[":
                self.array = _Array(lineno, lineno, raw)
                return
            text, problem = _decode(raw, lineno)
            outcome = _parse(text, raw, lineno)
            if not (isinstance(outcome, ParseProblem) and outcome.code == "F010" and _starts_value(raw)):
                if problem is not None:
                    yield problem
                yield from _emit(outcome, example=problem is None)
                return
            self._push(_Line(lineno, raw, candidate=True))
            return
        line = _Line(lineno, raw)
        stripped = raw.strip()
        if raw[:1] == b"{" and stripped.endswith(b"}") and self.open and _parses_alone(stripped):
            for cand in self.open:
                cand.end = -1  # truncation: none of the pending candidates is a pretty-printed value
            self.open.clear()
        elif stripped[:1] in (b"{", b"["):
            line.candidate = None  # decided when its brackets are known
        self._push(line)
        yield from self._resolve(final=False)

    @property
    def busy(self) -> bool:
        """True while lines are pending (a blank line then belongs to the value being read)."""
        return bool(self.window) or self.array is not None

    def flush(self) -> Iterator[Item]:
        if self.array is not None:
            yield from self._abort_array(final=True)
        yield from self._resolve(final=True)

    # -- bracket matching -----------------------------------------------------------

    def _push(self, line: _Line) -> None:
        brackets, in_string = _brackets(line.raw, self.in_string)
        # a first line that ends inside a string was cut off (a raw line break in a string is rarer)
        self.in_string = in_string and bool(self.window)
        if line.candidate is None:
            line.candidate = _opens(brackets)
        if line.candidate:
            line.base = self.depth
            self.open.append(line)
        self.window.append(line)
        self.size += len(line.raw)
        last = len(brackets) - 1
        for i, b in enumerate(brackets):
            if b in b"[{":
                self.depth += 1
                continue
            self.depth -= 1
            while self.open and self.open[-1].base >= self.depth:
                cand = self.open.pop()
                cand.end = line.lineno if (cand.base == self.depth and i == last) else -1

    def _resolve(self, *, final: bool) -> Iterator[Item]:
        while self.window:
            first = self.window[0]
            if not first.candidate:
                self._pop(1)
                yield from self._alone(first.lineno, first.raw)
                continue
            full = len(self.window) >= MAX_SPAN_LINES or self.size >= MAX_SPAN_BYTES
            if first.end == 0 and not (final or full):
                return  # still open: wait for more lines
            if first.end > 0:
                n = first.end - first.lineno + 1
                found = self._joined(n)
                if found is not _FAILED:
                    yield from _span_items(self._pop(n), found)
                    continue
            if self.open and self.open[0] is first:  # the outermost pending candidate is the window's first line
                self.open.popleft()
            self._pop(1)
            yield from self._alone(first.lineno, first.raw)
        self.depth = 0
        self.in_string = False
        self.open.clear()

    def _alone(self, lineno: int, raw: bytes) -> Iterator[Item]:
        if raw.strip():
            yield from _alone(lineno, raw)
        else:
            yield _blank(lineno, self.facts)

    def _joined(self, n: int) -> Any:
        text = b"\n".join(line.raw for line in itertools.islice(self.window, n)).decode("utf-8", "replace")
        try:
            return json.loads(text, strict=False)
        except (ValueError, RecursionError):
            return _FAILED

    def _pop(self, n: int) -> list[_Line]:
        out = [self.window.popleft() for _ in range(n)]
        self.size -= sum(len(line.raw) for line in out)
        return out

    # -- arrays of records, element by element ------------------------------------------

    def _array_line(self, lineno: int, raw: bytes) -> Iterator[Item]:
        arr = self.array
        assert arr is not None
        stripped = raw.strip()
        if not arr.lines and stripped in (b"]", b"],") and arr.elements:
            self.array = None
            yield _array_problem(arr, lineno, closed=True)
            return
        if not arr.lines and not stripped.startswith(b"{"):
            yield from self._abort_array(final=False)
            yield from self.add(lineno, raw)
            return
        arr.lines.append((lineno, raw))
        arr.size += len(raw)
        brackets, arr.in_string = _brackets(raw, arr.in_string)
        arr.depth += sum(1 if b in b"[{" else -1 for b in brackets)
        if arr.depth > 0 and len(arr.lines) < MAX_SPAN_LINES and arr.size < MAX_SPAN_BYTES:
            return
        joined = b"\n".join(r for _, r in arr.lines).rstrip()
        joined = joined[:-1] if joined.endswith(b",") else joined
        try:
            value = json.loads(joined.decode("utf-8", "replace"), strict=False)
        except (ValueError, RecursionError):
            value = None
        if arr.depth != 0 or not isinstance(value, dict):
            yield from self._abort_array(final=False)
            return
        first = arr.lines[0][0]
        if not arr.elements:
            arr.first = value
        arr.elements += 1
        arr.last = lineno
        arr.lines, arr.size = [], 0
        yield ArrayElement(first, value, joined, end_line=lineno if lineno > first else None, array_line=arr.line)

    def _abort_array(self, *, final: bool) -> Iterator[Item]:
        """The array is not one of records written element by element: report what was read, re-read the rest."""
        arr = self.array
        assert arr is not None
        self.array = None
        if arr.elements:
            yield _array_problem(arr, arr.last, closed=False)
        else:  # not an array of records: the generic span search takes it from its first line
            self._push(_Line(arr.line, arr.raw, candidate=True))
        for n, raw in arr.lines:
            yield from self.add(n, raw)
        if final:
            yield from self._resolve(final=True)


def _array_problem(arr: _Array, end: int, *, closed: bool) -> ParseProblem:
    if closed:
        what = f"a JSON array of {arr.elements:,} records spread over lines {arr.line}-{end}"
        how = "write each element on its own line (`tunesmith fix --write` does it)"
    else:
        what = f"a JSON array starting at line {arr.line} is not closed after {arr.elements:,} records (line {end})"
        how = "write each element on its own line; the file may be truncated"
    return ParseProblem("F011", arr.line, f"{what}: JSONL needs one JSON object per line, not an array of "
                        f"records; {how}", column=1, end_line=end if end > arr.line else None, first=arr.first)


def _blank(lineno: int, facts: FileFacts) -> ParseProblem:
    facts.blank_lines.append(lineno)
    return ParseProblem("F020", lineno, "blank line; JSONL has one record per line and nothing between them",
                        column=1)


def _alone(lineno: int, raw: bytes) -> Iterator[Item]:
    """The items of one line parsed by itself."""
    text, problem = _decode(raw, lineno)
    if problem is not None:
        yield problem
    yield from _emit(_parse(text, raw, lineno), example=problem is None)


def _span_items(lines: list[_Line], found: Any) -> Iterator[Item]:
    """F011 or F012 for a value spread over ``lines`` (and the record, for an object)."""
    lineno, end = lines[0].lineno, lines[-1].lineno
    if isinstance(found, list):
        yield ParseProblem(
            "F011", lineno,
            f"a JSON array spread over lines {lineno}-{end}: JSONL needs one JSON object per line, "
            "not an array of records; write each element on its own line (`tunesmith fix --write` does it)",
            column=1, end_line=end, first=found[0] if found and isinstance(found[0], dict) else None)
        return
    yield ParseProblem(
        "F012", lineno,
        f"one JSON record is pretty-printed over lines {lineno}-{end}: JSONL needs each record on a "
        "single line; join it into one line (`tunesmith fix --write` does it)",
        column=1, end_line=end)
    if isinstance(found, dict):
        yield Record(lineno, found, b"\n".join(line.raw for line in lines), end_line=end, example=False)


def _parses_alone(line: bytes) -> bool:
    try:
        json.loads(line)
    except (ValueError, RecursionError):
        return False
    return True


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_UTF32_BOMS = (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")


def declared_wide(raw: bytes) -> str | None:
    """``"UTF-16"`` or ``"UTF-32"`` when bytes start with that encoding's byte-order mark, else None."""
    if raw.startswith(_UTF32_BOMS):
        return "UTF-32"
    return "UTF-16" if raw.startswith(_UTF16_BOMS) else None


def wide_encoding(raw: bytes) -> str | None:
    """``"UTF-16"`` or ``"UTF-32"`` when bytes look like that encoding (its byte-order mark, or NUL bytes between
    the characters of mostly ASCII text), else None. NUL bytes alone are no text in any encoding."""
    declared = declared_wide(raw)
    if declared is not None:
        return declared
    nuls = raw.count(b"\x00")
    if nuls == len(raw.rstrip(b"\r\n")):
        return None
    if nuls * 4 >= len(raw) * 3 >= 12:
        return "UTF-32"
    return "UTF-16" if nuls * 3 >= len(raw) > 0 else None


def not_utf8_advice(raw: bytes) -> str:
    """What to do about bytes that are not UTF-8 (lint's F030 and `tunesmith fix` say the same): a UTF-16 or UTF-32
    file is saved as UTF-8 (by `fix --write` when its byte-order mark names the encoding); other bytes are probably
    Latin-1 or Windows-1252."""
    declared = declared_wide(raw)
    if declared is not None:
        return (f"the file is {declared} (it starts with that encoding's byte-order mark): `tunesmith fix --write FILE` "
                "saves it as UTF-8")
    wide = wide_encoding(raw)
    if wide is not None:
        return f"the file looks like {wide} (NUL bytes between the characters): save it as UTF-8"
    return "save the file as UTF-8 (it is probably Latin-1 or Windows-1252)"


def _decode(raw: bytes, lineno: int) -> tuple[str, ParseProblem | None]:
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        col = len(raw[: exc.start].decode("utf-8", "replace")) + 1
        bad = raw[exc.start: exc.start + 1].hex()
        hint = not_utf8_advice(raw)
        return raw.decode("utf-8", "replace"), ParseProblem(
            "F030", lineno, f"invalid UTF-8 (byte 0x{bad} at column {col}); {hint}", column=col)


def _starts_value(raw: bytes) -> bool:
    """True when a line that does not parse could be the start of a longer value: ``{`` or ``[`` left open."""
    stripped = raw.lstrip()
    return stripped[:1] in (b"{", b"[") and _opens(_brackets(stripped)[0])


_STATE = _State()
_DECODER = _make_decoder(_STATE)


def _parse(text: str, raw: bytes, lineno: int) -> Record | ParseProblem | list[Record | ParseProblem]:
    state = _STATE
    state.reset()
    try:
        value = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        snippet = text.strip()[:40]
        hint = f"; {not_utf8_advice(raw)}" if "\x00" in text and wide_encoding(raw) else ""
        if text.strip() and not text.strip().strip("\x00"):
            hint = ("; the line holds only NUL bytes (a file padded or cut off as it was written, e.g. by a crash): "
                    "remove the line")
        before = text[:exc.pos]
        if exc.msg == "Extra data" and "\r" in before[len(before.rstrip(" \t\r\n")):]:  # CR alone ends the records
            hint = ("; the records are separated by CR alone (classic Mac line endings), which JSONL does not take as "
                    "line breaks: write LF line endings (e.g. `tr '\\r' '\\n' < IN > OUT`)")
        said = exc.msg
        if said.startswith("Invalid control character"):  # json names no character
            said = (f"a raw control character {text[exc.pos]!r} inside a string; write it as an escape "
                    f"({json.dumps(text[exc.pos])})")
        return ParseProblem(
            "F010", lineno,
            f"not valid JSON: {said} (line starts with {snippet!r}){hint}",
            column=exc.colno if exc.lineno == 1 else None)
    except RecursionError:
        return ParseProblem("F017", lineno, "JSON nested too deeply to parse; no fine-tuning record needs this depth",
                            column=1)
    except ValueError:  # an integer longer than Python's int() accepts
        return huge_number(text, lineno)
    if isinstance(value, list):
        kinds = "objects" if value and all(isinstance(v, dict) for v in value) else "values"
        return ParseProblem(
            "F011", lineno,
            f"line is a JSON array of {len(value)} {kinds}; JSONL needs one JSON object per line: put each element "
            "on its own line" + (" (`tunesmith fix --write` does it)" if kinds == "objects" else ""), column=1,
            first=value[0] if kinds == "objects" else None)
    if not isinstance(value, dict):
        return ParseProblem(
            "F013", lineno, f"line is a JSON {_type_name(value)}, not an object; every line must be a JSON object",
            column=1)
    out: list[Record | ParseProblem] = []
    nulled: list[str] = []
    if state.non_finite:
        for ptr, val in walk(value):
            if isinstance(val, _NonFinite):
                nulled.append(ptr)
                out.append(ParseProblem(
                    "F014", lineno,
                    f"{val.literal} is not valid JSON; {_finite_hint(ptr)}", column=_column(text, ptr),
                    pointer=ptr))
        value = _replace(value, _NonFinite, lambda v: None)
    if state.duplicates:
        for key, col in duplicate_keys(text):
            out.append(ParseProblem(
                "F016", lineno, f"duplicate key {printable(key)!r} in one object; only the last value is kept, "
                "remove the other", column=col))
    if b"\\u" in raw and _lone_surrogate_escape(raw):
        found = False
        for ptr, val in walk(value, keys=True):
            if isinstance(val, str) and _has_lone_surrogate(val):
                found = True
                out.append(ParseProblem(
                    "F015", lineno, "string contains a lone UTF-16 surrogate escape (\\ud800-\\udfff) that is "
                    "not valid Unicode; remove it or escape the full pair", column=_column(text, ptr),
                    pointer=printable(ptr)))
        if found:  # the rules see U+FFFD instead (F015 says where): nothing downstream can encode a lone surrogate
            value = _replace(value, str, printable_text)
    record = Record(lineno, value, raw, nulled=tuple(nulled))
    if out:
        return [*out, record]
    return record


def _finite_hint(pointer: str) -> str:
    """What to write instead of a NaN or Infinity at ``pointer`` (a message's weight is 0 or 1, its content text)."""
    parent, _, key = pointer.rpartition("/")
    if key == "weight":
        return "a weight is 0 or 1: use 1 to train on this message or 0 to skip it"
    if key == "content" and parent.rpartition("/")[0] == "/messages":
        return "a message's content is text: write it as a string"
    return "use a number or a string"


_HUGE_INT = re.compile(rf"-?\d{{{MAX_INT_DIGITS + 1},}}")


def huge_number(text: str, lineno: int) -> ParseProblem:
    """F010 for a line whose integer has more digits than JSON parsers take (Python's limit: 4,300)."""
    m = _HUGE_INT.search(text)
    digits = len(m.group().lstrip("-")) if m else MAX_INT_DIGITS + 1
    return ParseProblem(
        "F010", lineno, f"a number with {digits:,} digits: JSON parsers (Python's among them) refuse integers over "
        f"{MAX_INT_DIGITS:,} digits; write it as a string", column=m.start() + 1 if m else None)


_SURROGATE = re.compile("[\ud800-\udfff]")


def printable_text(s: str) -> str:
    """``s`` with every lone surrogate replaced by U+FFFD (so that it can be encoded)."""
    return _SURROGATE.sub("\ufffd", s) if not s.isascii() else s


def printable(s: str) -> str:
    """``s`` with every lone surrogate written as its ``\\udXXX`` escape (for messages and pointers)."""
    if s.isascii():
        return s
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", s)


def _column(text: str, pointer: str) -> int | None:
    """1-based column of the value at ``pointer`` on a one-line record."""
    pos = line_column(text, pointer)
    return pos[1] if pos is not None and pos[0] == 0 else None


def _replace(value: Any, kind: type, how: Callable[[Any], Any]) -> Any:
    """A copy of ``value`` with every ``kind`` (keys too, for strings) replaced by ``how(it)``, iteratively."""
    def conv(v: Any) -> Any:
        return how(v) if isinstance(v, kind) else v

    root: list[Any] = [value]
    stack: list[tuple[Any, Any]] = [(root, 0)]
    while stack:
        container, key = stack.pop()
        v = container[key]
        if isinstance(v, dict):
            new = {conv(k): x for k, x in v.items()}
            container[key] = new
            stack.extend((new, k) for k in new)
        elif isinstance(v, list):
            new_list = list(v)
            container[key] = new_list
            stack.extend((new_list, i) for i in range(len(new_list)))
        else:
            container[key] = conv(v)
    return root[0]


def _emit(outcome: Record | ParseProblem | list[Record | ParseProblem], *,
          example: bool = True) -> Iterator[Record | ParseProblem]:
    """The items of a line; ``example`` False: its record is not an example (its bytes are not UTF-8)."""
    for item in outcome if isinstance(outcome, list) else (outcome,):
        if not example and isinstance(item, Record):
            item.example = False
        yield item
