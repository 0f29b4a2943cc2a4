"""Text helpers of the sandbox: message text and an approximate token count."""

from __future__ import annotations

import re
from typing import Any

_TOKEN = re.compile(r"\w+|[^\w\s]")


def approx_tokens(text: str) -> int:
    """Words and punctuation marks in ``text``: a stand-in for a tokenizer (the sandbox has none)."""
    return len(_TOKEN.findall(text))


def content_text(content: Any) -> str:
    """The text of a message ``content``: a string, or the ``text`` of its content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def words(text: str) -> frozenset[str]:
    """The lower-cased words of ``text``, for matching a question against training examples."""
    return frozenset(w.lower() for w in re.findall(r"\w+", text))
