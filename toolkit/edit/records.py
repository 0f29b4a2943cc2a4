"""Reading records: values at JSON pointers, the message arrays of each format, text fit to show."""

from __future__ import annotations

import re
from typing import Any

from .. import formats, pointers, records
from .errors import EditError

PREVIEW = 120
_SURROGATE = re.compile("[\ud800-\udfff]")


def tokens(pointer: str) -> list[str]:
    """``/messages/0/content`` -> ``["messages", "0", "content"]`` (RFC 6901 escapes undone)."""
    if not pointer:
        return []
    if not pointer.startswith("/"):
        raise EditError(f"{pointer!r} is not a JSON pointer (it must start with /)")
    return pointers.split(pointer)


def get(value: Any, pointer: str, default: Any = None) -> Any:
    """The value at ``pointer`` inside ``value`` (``default`` when it is not there)."""
    for tok in tokens(pointer):
        if isinstance(value, dict) and tok in value:
            value = value[tok]
        elif isinstance(value, list) and tok.isdigit() and int(tok) < len(value):
            value = value[int(tok)]
        else:
            return default
    return value


def message_lists(value: dict[str, Any]) -> list[str]:
    """Pointers of the message arrays a record has, in display order."""
    if "messages" in value:  # chat or reinforcement (never preference): only that list is shown
        return ["/messages"] if isinstance(value["messages"], list) else []
    arrays = [p for p, _ in records.message_arrays(value)]
    if formats.detect(value) == formats.PREFERENCE:
        return [p for p in arrays if p != "/messages"]
    return arrays[:1] if arrays[:1] == ["/messages"] else []


def shown(text: str) -> str:
    """``text`` safe to display: lone surrogates (not valid Unicode) become U+FFFD."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text


def text_of(content: Any) -> str:
    """Message content as plain text (text parts joined; other parts named)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", f"[{p.get('type', 'part')}]") if isinstance(p, dict) else str(p)
                        for p in content)
    return "" if content is None else str(content)


def preview(text: str) -> str:
    """``text`` on one line, shortened to :data:`PREVIEW` characters."""
    head = text[:PREVIEW * 8]  # enough for the preview unless it is mostly spaces (then: the whole text)
    one = " ".join(shown(head).split())
    if len(head) < len(text) and len(one) <= PREVIEW:
        one = " ".join(shown(text).split())
    return one[:PREVIEW - 1] + "…" if len(one) > PREVIEW else one


def summary(value: dict[str, Any]) -> tuple[str, int]:
    """The first user message (a one-line preview) and the number of messages of a record."""
    first, turns = "", 0
    for pointer in message_lists(value):
        msgs = value["messages"] if pointer == "/messages" else get(value, pointer, [])
        turns += len(msgs)
        if not first:
            first = next((text_of(m.get("content")) for m in msgs if isinstance(m, dict) and m.get("role") == "user"),
                         "")
    return preview(first), turns
