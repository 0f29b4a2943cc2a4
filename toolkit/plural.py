"""Counts in words for text output: ``plural(1, "example")`` is ``1 example``, ``plural(3, "example")`` ``3 examples``."""

from __future__ import annotations


def plural(n: int, word: str, many: str | None = None) -> str:
    """``n`` (with thousands separators) and ``word``, or ``many`` (default ``word + "s"``) unless ``n`` is 1."""
    return f"{n:,} {word if n == 1 else many or word + 's'}"
