"""Write a changed JSON value into its original text: only what changed is written anew.

>>> rewrite('{"n":1e2,"m":[{"role":"user","content":"Hi"}]}', {"n": 100.0, "m": [{"role": "user", "content": "Ho"}]},
...         dumps=json.dumps, separators=(",", ":"))
'{"n":1e2,"m":[{"role":"user","content":"Ho"}]}'

Parsing a record and writing it again changes bytes the author never touched (``1e2`` -> ``100.0``,
``1.50`` -> ``1.5``, long numbers rounded, ``-0`` -> ``0``, escapes, spacing). Here the text is scanned
for where each value, key and separator is; a value that is the same JSON as before keeps its text, an
object or array that changed inside keeps its members' text and the separators between them, and only a
changed leaf (or a member or element that is new) is written, by the caller's ``dumps`` (its style).
Used by the editor (every edit of a record) and by ``tunesmith fix`` (a repair of one value).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from .records import same_json

_DECODER = json.JSONDecoder(strict=False)  # as Entry.value reads a record
_WS = " \t\r\n"


@dataclass(frozen=True, slots=True)
class _Node:
    """Where a value is in the text, ``[start, end)``; for a container, its items' nodes (for an object, the
    members' values, with each key and the span of its quoted text)."""

    start: int
    end: int
    kind: str = ""  # "{", "[" or "" (a string, number, true, false or null)
    items: tuple[_Node, ...] = ()
    keys: tuple[str, ...] = ()
    key_spans: tuple[tuple[int, int], ...] = ()  # (key start, key end) per member


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i] in _WS:
        i += 1
    return i


def _scan(text: str, i: int) -> _Node:
    """The value starting at ``i`` (no whitespace before it); ValueError when the text is not JSON."""
    if i >= len(text):
        raise ValueError("end of text")
    opening = text[i]
    if opening not in "{[":
        _, end = _DECODER.raw_decode(text, i)
        return _Node(i, end)
    closing = "}" if opening == "{" else "]"
    items: list[_Node] = []
    keys: list[str] = []
    key_spans: list[tuple[int, int]] = []
    j = _skip(text, i + 1)
    if j < len(text) and text[j] == closing:
        return _Node(i, j + 1, opening)
    while True:
        if opening == "{":
            if j >= len(text) or text[j] != '"':
                raise ValueError("key expected")
            key, key_end = _DECODER.raw_decode(text, j)
            keys.append(key)
            key_spans.append((j, key_end))
            j = _skip(text, key_end)
            if j >= len(text) or text[j] != ":":
                raise ValueError("':' expected")
            j = _skip(text, j + 1)
        item = _scan(text, j)
        items.append(item)
        j = _skip(text, item.end)
        if j < len(text) and text[j] == ",":
            j = _skip(text, j + 1)
        elif j < len(text) and text[j] == closing:
            return _Node(i, j + 1, opening, tuple(items), tuple(keys), tuple(key_spans))
        else:
            raise ValueError(f"',' or '{closing}' expected")


@dataclass(frozen=True, slots=True)
class _Style:
    dumps: Callable[[Any], str]  # a new value's text
    item: str  # ", " or ","
    colon: str  # ": " or ":"


def rewrite(text: str, value: Any, *, dumps: Callable[[Any], str], separators: tuple[str, str]) -> str | None:
    """``text`` (one JSON value) changed to hold ``value``: every value that is the same JSON as before keeps its
    text, new ones are written by ``dumps``, new members and elements with ``separators`` (item, key) where the
    container has none of its own. None when ``text`` is not JSON (or the result would not read as ``value``)."""
    try:
        old = json.loads(text, strict=False)
        start = _skip(text, 0)
        node = _scan(text, start)
        out = text[:start] + _write(text, node, old, value, _Style(dumps, *separators)) + text[node.end:]
        if same_json(json.loads(out, strict=False), value):
            return out
    except (ValueError, RecursionError):
        pass
    return None


_CONTROL = re.compile(r"[\x00-\x1f]")


def one_line(text: str, separators: tuple[str, str]) -> str | None:
    """``text`` (one JSON value, perhaps pretty-printed) on one line: the whitespace between tokens replaced by
    ``separators`` (item, key), every literal kept as written (line breaks inside strings escaped). None when
    ``text`` is not JSON."""
    try:
        start = _skip(text, 0)
        return _laid(text, _scan(text, start), separators)
    except (ValueError, RecursionError):
        return None


def text_at(text: str, path: list[str]) -> str | None:
    """The text of the value at ``path`` (keys, and indexes as text: :func:`toolkit.pointers.split`) inside
    ``text`` (one JSON value), as written; None when ``text`` is not JSON or has no value there. A repeated key
    names its last copy (the one a parser keeps)."""
    try:
        node = _scan(text, _skip(text, 0))
    except (ValueError, RecursionError):
        return None
    for token in path:
        if node.kind == "{" and token in node.keys:
            node = node.items[len(node.keys) - 1 - node.keys[::-1].index(token)]
        elif node.kind == "[" and token.isdigit() and int(token) < len(node.items):
            node = node.items[int(token)]
        else:
            return None
    return text[node.start:node.end]


def elements(text: str) -> list[str] | None:
    """The text of each element of the JSON array ``text``, as written; None when ``text`` is not one."""
    try:
        node = _scan(text, _skip(text, 0))
    except (ValueError, RecursionError):
        return None
    return [text[item.start:item.end] for item in node.items] if node.kind == "[" else None


def _laid(text: str, node: _Node, separators: tuple[str, str]) -> str:
    if not node.kind:
        return _escaped(text[node.start:node.end])
    close = "}" if node.kind == "{" else "]"
    items = [_laid(text, item, separators) for item in node.items]
    if node.kind == "{":
        items = [_escaped(text[a:b]) + separators[1] + item
                 for (a, b), item in zip(node.key_spans, items, strict=True)]
    return node.kind + separators[0].join(items) + close


def _escaped(literal: str) -> str:
    """A literal with the raw control characters a lenient parser accepts in strings escaped (``\\n``)."""
    return _CONTROL.sub(lambda m: json.dumps(m.group())[1:-1], literal)


def _write(text: str, node: _Node, old: Any, new: Any, style: _Style) -> str:
    """``new`` in place of ``node`` (which holds ``old``): the same JSON keeps its text."""
    if same_json(old, new):
        return text[node.start:node.end]
    if node.kind == "{" and isinstance(old, dict) and isinstance(new, dict):
        return _object(text, node, old, new, style)
    if node.kind == "[" and isinstance(old, list) and isinstance(new, list):
        return _array(text, node, old, new, style)
    return style.dumps(new)


def _object(text: str, node: _Node, old: dict[str, Any], new: dict[str, Any], style: _Style) -> str:
    last = {key: k for k, key in enumerate(node.keys)}  # the parser keeps a repeated key's last value
    pieces: list[tuple[int | None, str]] = []
    order: list[str] = []
    for k, (key, item) in enumerate(zip(node.keys, node.items, strict=True)):
        if key not in new:
            continue
        start = node.key_spans[k][0]
        if last[key] == k:
            pieces.append((k, text[start:item.start] + _write(text, item, old[key], new[key], style)))
        else:
            pieces.append((k, text[start:item.end]))  # an earlier copy of a repeated key stays as written
        order.append(key)
    colon = text[node.key_spans[0][1]:node.items[0].start] if node.items else style.colon
    for key in new:
        if key not in old:
            pieces.append((None, style.dumps(key) + colon + style.dumps(new[key])))
            order.append(key)
    if list(dict.fromkeys(order)) == list(new):
        return _join(text, node, pieces, style)
    if len(node.keys) == len(old) == len(new):  # keys renamed in place: each member keeps its place
        pieces = [(k, (text[a:b] if before == after else style.dumps(after)) + text[b:item.start]
                   + _write(text, item, old[before], new[after], style))
                  for k, ((a, b), before, after, item) in enumerate(zip(node.key_spans, old, new, node.items,
                                                                        strict=True))]
        return _join(text, node, pieces, style)
    return style.dumps(new)  # keys moved: the object is written anew


def _array(text: str, node: _Node, old: list[Any], new: list[Any], style: _Style) -> str:
    pairs: list[tuple[int | None, int]] = []  # (old index or None for a new element, new index)
    if len(old) == len(new):
        pairs = [(k, k) for k in range(len(new))]
    else:
        marks = SequenceMatcher(None, [_mark(v) for v in old], [_mark(v) for v in new], autojunk=False)
        for _, i1, i2, j1, j2 in marks.get_opcodes():  # equal and replaced runs pair up; the rest is new or gone
            pairs.extend((i1 + d if d < i2 - i1 else None, j1 + d) for d in range(j2 - j1))
    pieces = [(k, style.dumps(new[j]) if k is None else _write(text, node.items[k], old[k], new[j], style))
              for k, j in pairs]
    return _join(text, node, pieces, style)


def _mark(value: Any) -> str:
    """A value's JSON with its types (1.0 and 1 differ), to match an array's elements."""
    return json.dumps(value, ensure_ascii=False)


def _join(text: str, node: _Node, pieces: list[tuple[int | None, str]], style: _Style) -> str:
    """The container ``node`` holding ``pieces`` (each from its item index, or None when new): the brackets, the
    whitespace inside them and the separators between items keep their text."""
    items = node.items
    if items:
        head, tail = text[node.start:_item_start(node, 0)], text[items[-1].end:node.end]
        default = text[items[0].end:_item_start(node, 1)] if len(items) > 1 else style.item
    else:
        head, tail, default = text[node.start:node.end - 1], text[node.end - 1:node.end], style.item
    out = [head]
    for n, (k, piece) in enumerate(pieces):
        if n:
            out.append(text[items[k - 1].end:_item_start(node, k)] if k else default)
        out.append(piece)
    out.append(tail)
    return "".join(out)


def _item_start(node: _Node, k: int) -> int:
    return node.key_spans[k][0] if node.kind == "{" else node.items[k].start

