"""Find where a JSON pointer's value starts in a record's source text (for ``line:column``).

Only used for records that have findings, so a small pure-Python scanner is enough.
"""

from __future__ import annotations

import json
import re

from . import pointers

_NOT_WS = re.compile(r"[^ \t\r\n]")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_SCALAR = re.compile(r"[^,\]}\s]+")


def _skip_ws(text: str, i: int) -> int:
    """Index of the first character at or after ``i`` that is not JSON whitespace."""
    m = _NOT_WS.search(text, i)
    return m.start() if m else len(text)


def _skip_value(text: str, i: int) -> int:
    """Index just after the JSON value starting at ``i`` (best effort on broken input)."""
    if i >= len(text):
        return i
    ch = text[i]
    if ch == '"':
        return _string_end(text, i)
    if ch in "{[":
        depth = 0
        while i < len(text):
            ch = text[i]
            if ch == '"':
                i = _string_end(text, i)
                continue
            if ch in "{[":
                depth += 1
            elif ch in "}]":
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        return i
    m = _SCALAR.match(text, i)
    return m.end() if m else i + 1


def _string_end(text: str, i: int) -> int:
    """``_STRING.match(text, i).end()`` for the string opening at ``i`` (``len(text)`` when it does not close):
    the first quote after it that an odd run of backslashes does not escape, found with ``str.find`` (the regex
    steps through a 100 MB string character by character)."""
    j = i
    while (j := text.find('"', j + 1)) >= 0:
        k = j
        while text[k - 1] == "\\":
            k -= 1
        if (j - k) % 2 == 0:
            return j + 1
    return len(text)


def offset_of(text: str, pointer: str) -> int | None:
    """Character offset of the value at ``pointer`` in ``text``, or None if not found."""
    tokens = pointers.split(pointer)
    i = _skip_ws(text, 0)
    for token in tokens:
        if i >= len(text):
            return None
        if text[i] == "{":
            found = _find_key(text, i + 1, token)
        elif text[i] == "[":
            found = _find_index(text, i + 1, token)
        else:
            return None
        if found is None:
            return None
        i = found
    return i


def _find_key(text: str, i: int, key: str) -> int | None:
    """The offset of ``key``'s value in the object whose members start at ``i``: of its last copy, the one
    parsers keep (a repeated key's first value is not what the record holds)."""
    found = None
    while True:
        i = _skip_ws(text, i)
        if i >= len(text) or text[i] == "}":
            return found
        m = _STRING.match(text, i)
        if not m:
            return found
        try:
            name = json.loads(m.group(0), strict=False)
        except ValueError:
            name = m.group(0)[1:-1]
        i = _skip_ws(text, m.end())
        if i >= len(text) or text[i] != ":":
            return found
        i = _skip_ws(text, i + 1)
        if name == key:
            found = i
            if text.find(m.group(0), i) < 0:  # no later copy written alike (the usual case): no need to read on
                return found
        i = _skip_ws(text, _skip_value(text, i))
        if i < len(text) and text[i] == ",":
            i += 1


def _find_index(text: str, i: int, token: str) -> int | None:
    if not token.isdigit():
        return None
    want = int(token)
    n = 0
    while True:
        i = _skip_ws(text, i)
        if i >= len(text) or text[i] == "]":
            return None
        if n == want:
            return i
        i = _skip_ws(text, _skip_value(text, i))
        if i < len(text) and text[i] == ",":
            i += 1
        n += 1


def written(text: str, pointer: str) -> str | None:
    """The JSON text of ``pointer``'s value as the record writes it (``1.0``, ``1e400``, fifty digits...), or None."""
    off = offset_of(text, pointer)
    if off is None or off >= len(text):
        return None
    return text[off:_skip_value(text, off)]


def line_column(text: str, pointer: str) -> tuple[int, int] | None:
    """(line offset from the record's first line, 1-based column) of ``pointer``'s value."""
    off = offset_of(text, pointer)
    if off is None:
        return None
    line = text.count("\n", 0, off)
    start = text.rfind("\n", 0, off) + 1
    return line, off - start + 1


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],]')


def duplicate_keys(text: str) -> list[tuple[str, int]]:
    """Each key that repeats an earlier key of the same object, with its 1-based column on the one-line ``text``, in
    the order they appear (the parser keeps the last value; F016 points at the copy)."""
    out: list[tuple[str, int]] = []
    stack: list[set[str] | None] = []  # per open container: an object's keys so far, None for an array
    want_key = False
    for m in _TOKEN.finditer(text):
        tok = m.group()
        if tok in ("{", "["):
            stack.append(set() if tok == "{" else None)
            want_key = tok == "{"
        elif tok in ("}", "]"):
            if stack:
                stack.pop()
            want_key = False
        elif tok == ",":
            want_key = bool(stack) and stack[-1] is not None
        elif want_key and stack and (keys := stack[-1]) is not None:
            try:
                key = json.loads(tok, strict=False)
            except ValueError:
                key = tok[1:-1]
            if key in keys:
                out.append((key, m.start() + 1))
            keys.add(key)
            want_key = False
    return out
