"""Stream a JSONL file as records, turning every malformed line into a parse problem.

The reader never raises on file content: bad bytes, broken JSON, pretty-printed
records, arrays, NaN, lone surrogates, duplicate keys and absurd nesting all
become :class:`ParseProblem` items, and reading goes on with the next line.
Memory stays flat: one line (or one bounded multi-line span) at a time.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from .jsonpos import line_column

BOM = b"\xef\xbb\xbf"
MAX_SPAN_LINES = 2000  # a pretty-printed record longer than this is reported line by line
MAX_SPAN_BYTES = 8 * 1024 * 1024
# a high surrogate escape not followed by a low one, or a low one not preceded by a high one
_LONE_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
                                    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}")
READ_BUFFER = 1 << 20  # lines of fine-tuning files are long: a small buffer costs many refills


@dataclass(slots=True)
class Record:
    """One parsed JSON value and where it came from (1-based, inclusive lines)."""

    line: int
    value: Any
    raw: bytes
    end_line: int | None = None

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


class _NonFinite:
    __slots__ = ("literal",)

    def __init__(self, literal: str) -> None:
        self.literal = literal


class _State:
    """Per-document flags set by the JSON hooks (cheaper than walking every value)."""

    __slots__ = ("non_finite", "duplicates")

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


def walk(value: Any, pointer: str = "") -> Iterator[tuple[str, Any]]:
    """Yield (pointer, value) for every value, iteratively (no recursion limit)."""
    stack = [(pointer, value)]
    while stack:
        ptr, val = stack.pop()
        yield ptr, val
        if isinstance(val, dict):
            for k, v in reversed(list(val.items())):
                stack.append((f"{ptr}/{escape_pointer(k)}", v))
        elif isinstance(val, list):
            for i in range(len(val) - 1, -1, -1):
                stack.append((f"{ptr}/{i}", val[i]))


def escape_pointer(token: str) -> str:
    """Escape one JSON-pointer reference token (RFC 6901)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def _has_lone_surrogate(s: str) -> bool:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class JsonlReader:
    """Iterate a JSONL file (path or binary stream) as :class:`Record` and :class:`ParseProblem`.

    >>> reader = JsonlReader("train.jsonl")
    >>> for item in reader: ...
    >>> reader.facts.bom
    """

    def __init__(self, source: str | Path | BinaryIO, *, name: str | None = None, start: int = 0,
                 first_line: int = 1) -> None:
        """``start`` (a byte offset at the beginning of line ``first_line``) reads a file from there on."""
        self.source = source
        self.name = name or (str(source) if isinstance(source, (str, Path)) else getattr(source, "name", "<stream>"))
        self.facts = FileFacts()
        self.start = start
        self.first_line = first_line

    def __iter__(self) -> Iterator[Record | ParseProblem]:
        if isinstance(self.source, (str, Path)):
            with open(self.source, "rb", buffering=READ_BUFFER) as fh:
                fh.seek(self.start)
                yield from self._read(fh)
        else:
            yield from self._read(self.source)

    # -- line level -----------------------------------------------------------------

    def _lines(self, fh: BinaryIO) -> Iterator[tuple[int, bytes]]:
        facts = self.facts
        lineno = self.first_line - 1
        for raw in fh:
            lineno += 1
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
        facts.lines = lineno

    def _read(self, fh: BinaryIO) -> Iterator[Record | ParseProblem]:
        lines = self._lines(fh)
        pending: deque[tuple[int, bytes]] = deque()  # lines to re-read after a failed span

        def take() -> tuple[int, bytes] | None:
            return pending.popleft() if pending else next(lines, None)

        while (nxt := take()) is not None:
            lineno, raw = nxt
            if not raw.strip():
                self.facts.blank_lines.append(lineno)
                yield ParseProblem("F020", lineno, "blank line; JSONL has one record per line and nothing between them")
                continue
            text, problem = _decode(raw, lineno)
            if problem is not None:
                yield problem
            outcome = _parse(text, raw, lineno)
            if not (isinstance(outcome, ParseProblem) and outcome.code == "F010" and _incomplete(text)):
                yield from _emit(outcome)
                continue
            # A line that is the start of something longer: try to find the whole span.
            span, found = _find_span((lineno, raw), take)
            if found is None:
                yield outcome
                pending.extendleft(reversed(span[1:]))
                continue
            end = span[-1][0]
            if isinstance(found, list):
                yield ParseProblem(
                    "F011", lineno,
                    f"a JSON array spread over lines {lineno}-{end}: JSONL needs one JSON object per line, "
                    "not an array of records; write each element on its own line (`tunesmith fix --write` does it)",
                    column=1, end_line=end)
                continue
            yield ParseProblem(
                "F012", lineno,
                f"one JSON record is pretty-printed over lines {lineno}-{end}: JSONL needs each record on a "
                "single line; join it into one line (`tunesmith fix --write` does it)",
                column=1, end_line=end)
            if isinstance(found, dict):
                yield Record(lineno, found, b"\n".join(r for _, r in span), end_line=end)


def _find_span(first: tuple[int, bytes], take: Callable[[], tuple[int, bytes] | None]
               ) -> tuple[list[tuple[int, bytes]], Any]:
    """Read on from an unfinished line until the lines so far parse as one JSON value.

    Returns the lines read and the value, or None when no span closes: a following
    unindented line that is a whole JSON object by itself means the first line was just
    truncated (lines inside a pretty-printed value are indented). The
    joined text is parsed only on lines that start with a closing bracket (how a
    pretty-printed value ends), so a truncated line in a large file costs one look ahead.
    """
    span = [first]
    size = len(first[1])
    while len(span) < MAX_SPAN_LINES and size < MAX_SPAN_BYTES:
        nxt = take()
        if nxt is None:
            break
        span.append(nxt)
        size += len(nxt[1])
        stripped = nxt[1].strip()
        if nxt[1][:1] == b"{" and stripped.endswith(b"}") and _parses_alone(stripped):
            break  # an unindented whole record: the first line was truncated, not pretty-printed
        if not stripped.startswith((b"}", b"]")):
            continue
        try:
            return span, json.loads(b"\n".join(r for _, r in span).decode("utf-8", "replace"), strict=False)
        except (ValueError, RecursionError):
            continue
    return span, None


def _parses_alone(line: bytes) -> bool:
    try:
        json.loads(line)
    except (ValueError, RecursionError):
        return False
    return True


def _decode(raw: bytes, lineno: int) -> tuple[str, ParseProblem | None]:
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        col = len(raw[: exc.start].decode("utf-8", "replace")) + 1
        bad = raw[exc.start: exc.start + 1].hex()
        return raw.decode("utf-8", "replace"), ParseProblem(
            "F030", lineno,
            f"invalid UTF-8 (byte 0x{bad} at column {col}); save the file as UTF-8 "
            "(it is probably Latin-1 or Windows-1252)",
            column=col)


def _incomplete(text: str) -> bool:
    """True when ``text`` fails only because it ends too early (the start of a longer value)."""
    stripped = text.rstrip()
    if not stripped or stripped[0] not in "{[":
        return False
    try:
        json.loads(stripped, strict=False)
    except json.JSONDecodeError as exc:
        return exc.pos >= len(stripped) or exc.msg.startswith("Unterminated string")
    except (ValueError, RecursionError):
        return False
    return False


_STATE = _State()
_DECODER = _make_decoder(_STATE)


def _parse(text: str, raw: bytes, lineno: int) -> Record | ParseProblem | list[Record | ParseProblem]:
    state = _STATE
    state.reset()
    try:
        value = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        snippet = text.strip()[:40]
        return ParseProblem(
            "F010", lineno,
            f"not valid JSON: {exc.msg} (line starts with {snippet!r})",
            column=exc.colno if exc.lineno == 1 else None)
    except RecursionError:
        return ParseProblem("F017", lineno, "JSON nested too deeply to parse; no fine-tuning record needs this depth",
                            column=1)
    if isinstance(value, list):
        kinds = "objects" if value and all(isinstance(v, dict) for v in value) else "values"
        return ParseProblem(
            "F011", lineno,
            f"line is a JSON array of {len(value)} {kinds}; JSONL needs one JSON object per line "
            "(put each element on its own line)", column=1)
    if not isinstance(value, dict):
        return ParseProblem(
            "F013", lineno, f"line is a JSON {_type_name(value)}, not an object; every line must be a JSON object",
            column=1)
    out: list[Record | ParseProblem] = []
    if state.non_finite:
        for ptr, val in walk(value):
            if isinstance(val, _NonFinite):
                out.append(ParseProblem(
                    "F014", lineno,
                    f"{val.literal} is not valid JSON; use a number or a string", column=_column(text, ptr),
                    pointer=ptr))
        value = _replace_non_finite(value)
    for key in state.duplicates:
        out.append(ParseProblem(
            "F016", lineno, f"duplicate key {key!r} in one object; only the last value is kept, remove the other",
            column=None))
    if b"\\u" in raw and _LONE_SURROGATE_ESCAPE.search(raw):
        for ptr, val in walk(value):
            if isinstance(val, str) and _has_lone_surrogate(val):
                out.append(ParseProblem(
                    "F015", lineno, "string contains a lone UTF-16 surrogate escape (\\ud800-\\udfff) that is "
                    "not valid Unicode; remove it or escape the full pair", column=_column(text, ptr), pointer=ptr))
    record = Record(lineno, value, raw)
    if out:
        return [*out, record]
    return record


def _column(text: str, pointer: str) -> int | None:
    """1-based column of the value at ``pointer`` on a one-line record."""
    pos = line_column(text, pointer)
    return pos[1] if pos is not None and pos[0] == 0 else None


def _replace_non_finite(value: Any) -> Any:
    if isinstance(value, _NonFinite):
        return None
    if isinstance(value, dict):
        return {k: _replace_non_finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_non_finite(v) for v in value]
    return value


def _emit(outcome: Record | ParseProblem | list[Record | ParseProblem]) -> Iterator[Record | ParseProblem]:
    if isinstance(outcome, list):
        yield from outcome
    else:
        yield outcome
