"""Differences between two texts, shown highlighted: word by word (answers) or character by character (fixes).

>>> segments("The cat sat.", "The dog sat.")      # [("equal", "The "), ("delete", "cat"), ("insert", "dog"), ...]
>>> to_html(segments(reference, answer))           # every piece of text HTML-escaped, changes in <del>/<ins>

Pure Python (no streamlit), so the pages and the tests share it. Text is never put into HTML
unescaped: a model's answer or a record may hold ``<script>``, and it must show as text.
"""

from __future__ import annotations

import difflib
import html
import re

Segment = tuple[str, str]  # ("equal" | "delete" | "insert", text)
_TOKENS = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)
MAX_COMPARED = 200_000  # characters; longer texts are not compared (it would take too long), only said to differ
DELETE_STYLE = "background:#ffd7d5;color:#82071e;text-decoration:line-through;"
INSERT_STYLE = "background:#ccffd8;color:#055d20;text-decoration:none;"
BLOCK_STYLE = ("white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-word;max-width:100%;"
               "font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:0.85rem;line-height:1.5;"
               "padding:0.5rem 0.75rem;border-radius:0.5rem;background:rgba(128,128,128,0.08);margin:0.25rem 0;")


def segments(before: str, after: str, *, words: bool = True) -> list[Segment]:
    """How ``after`` differs from ``before``: its pieces kept, removed and added, in order.

    ``words``: compare words (and spaces and punctuation) as units, as a reader does; else characters.
    """
    if before == after:
        return [("equal", before)] if before else []
    if len(before) + len(after) > MAX_COMPARED:
        return [("delete", before), ("insert", after)]
    a = _TOKENS.findall(before) if words else list(before)
    b = _TOKENS.findall(after) if words else list(after)
    out: list[Segment] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            _add(out, "equal", "".join(a[i1:i2]))
            continue
        if tag in ("delete", "replace"):
            _add(out, "delete", "".join(a[i1:i2]))
        if tag in ("insert", "replace"):
            _add(out, "insert", "".join(b[j1:j2]))
    return out


def _add(out: list[Segment], op: str, text: str) -> None:
    if not text:
        return
    if out and out[-1][0] == op:
        out[-1] = (op, out[-1][1] + text)
    else:
        out.append((op, text))


def spans(before: str, after: str, *, context: int = 12, limit: int = 8) -> tuple[list[list[Segment]], int]:
    """The places where ``after`` differs from ``before`` (word by word), each with ``context`` words around.

    Returns at most ``limit`` places, and how many there are in all. For fix previews: a change
    of ``1.0`` to ``1`` inside a long JSON line shows as a few words, not two long blobs.
    """
    if before == after:
        return [], 0
    if len(before) + len(after) > MAX_COMPARED:
        return [[("delete", _clip(before, 200)), ("insert", _clip(after, 200))]], 1
    a, b = _TOKENS.findall(before), _TOKENS.findall(after)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    places: list[list[Segment]] = []
    for group in matcher.get_grouped_opcodes(context):  # changes closer than 2 * context words share one place
        place: list[Segment] = [("equal", "…")] if group[0][1] > 0 else []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                _add(place, "equal", "".join(a[i1:i2]))
            else:
                _add(place, "delete", "".join(a[i1:i2]))
                _add(place, "insert", "".join(b[j1:j2]))
        if group[-1][2] < len(a):
            _add(place, "equal", "…")
        places.append(place)
    return places[:limit], len(places)


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n] + "…"


def to_html(parts: list[Segment], *, empty: str = "(empty)") -> str:
    """``parts`` as one block of HTML: kept text plain, removed text struck through in red, added text in green.

    Every piece is escaped; line breaks and spaces are kept (``white-space: pre-wrap``), long
    words wrap, so the block never grows wider than its column.
    """
    body = []
    for op, text in parts:
        escaped = html.escape(text, quote=True)
        if op == "delete":
            body.append(f'<del style="{DELETE_STYLE}">{escaped}</del>')
        elif op == "insert":
            body.append(f'<ins style="{INSERT_STYLE}">{escaped}</ins>')
        else:
            body.append(escaped)
    inner = "".join(body) or f"<em>{html.escape(empty)}</em>"
    return f'<div class="ts-diff" style="{BLOCK_STYLE}">{inner}</div>'


def text_html(text: str, *, empty: str = "(empty)") -> str:
    """``text`` alone as the same kind of block (wrapped, escaped), for answers shown beside a difference."""
    return to_html([("equal", text)] if text else [], empty=empty)
