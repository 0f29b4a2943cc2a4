"""JSON pointers (RFC 6901), the way every diagnostic and edit names a place inside a record."""

from __future__ import annotations

from collections.abc import Iterable


def escape(token: str | int) -> str:
    """One reference token as a pointer writes it: ``~`` -> ``~0``, ``/`` -> ``~1``."""
    return str(token).replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    """The key a pointer's reference token names (``~1`` -> ``/``, then ``~0`` -> ``~``)."""
    return token.replace("~1", "/").replace("~0", "~")


def join(path: Iterable[str | int]) -> str:
    """The pointer of a list of keys and indexes (``[]`` is the whole record, ``""``)."""
    return "".join("/" + escape(token) for token in path)


def split(pointer: str) -> list[str]:
    """The keys (and indexes, as text) of a pointer: ``/a~1b/0`` -> ``["a/b", "0"]``; ``""`` -> ``[]``."""
    return [unescape(t) for t in pointer.split("/")[1:]] if pointer else []
