"""What a record's raw line holds, found once for all the record rules: the hints they check before walking it.

A rule that needs, say, a ``"tool_calls"`` key returns at once when the raw line has none: most records
of a file have nothing for most rules, and a byte search costs far less than walking the messages. The
rules ask :func:`of` (one :class:`Hints` per record, shared by every rule), so each hint is looked for at
most once per line, whatever the number of rules that read it, and only when a rule that runs asks.
Searches that hints share run once too: the byte ``_`` (a third of lines hold one) and the prefixes
``"tool`` and ``"function`` stand before the longer keys that hold them. A one-byte search is several
times faster than a longer one, so rare bytes go first.

Each hint is a byte search of the line as written (keys and values as JSON writes them; a hint written
with JSON escapes is not found); ``tests/test_hints.py`` checks every one against the plain search.
"""

from __future__ import annotations

from .. import sensitive
from ..reader import Record


class Hints:
    """The hints of one raw line: the structural ones found at once (a few byte searches), ``null_or_title``
    and the secrets and personal data (costlier, and for fewer rules) when first asked."""

    __slots__ = (
        "_null_or_title",
        "_sensitive",
        "arguments",
        "data_image",
        "function",
        "function_call",
        "image_url",
        "raw",
        "special_token",
        "tool",
        "tool_call_id",
        "tool_calls",
    )

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        underscore = b"_" in raw
        tool_key = b'"tool' in raw  # starts '"tool"', '"tool_calls"' and '"tool_call_id"'
        tool_call = tool_key and underscore and b'"tool_call' in raw
        function_key = b'"function' in raw  # starts '"function"' and '"function_call"'
        self.tool = tool_key and b'"tool"' in raw  #: ``"tool"`` (the role, usually)
        self.tool_calls = tool_call and b'"tool_calls"' in raw  #: ``"tool_calls"``
        self.tool_call_id = tool_call and b'"tool_call_id"' in raw  #: ``"tool_call_id"``
        self.function = function_key and b'"function"' in raw  #: ``"function"`` (key of calls and definitions, role)
        self.function_call = function_key and underscore and b'"function_call"' in raw  #: ``"function_call"``
        self.arguments = b'"arguments"' in raw  #: ``"arguments"``
        self.image_url = underscore and b"image_url" in raw  #: ``image_url`` (the part type and its key)
        self.data_image = b"/" in raw and b"data:image/" in raw  #: ``data:image/`` (an embedded image)
        #: ``<|``, also with ``<`` written as a JSON escape (Go and HTML-safe encoders do this)
        self.special_token = b"|" in raw and (b"<|" in raw or b"u003c|" in raw or b"u003C|" in raw)
        self._null_or_title: bool | None = None
        self._sensitive: dict[str, bool] = {}

    @property
    def null_or_title(self) -> bool:
        """``null`` or ``"title"`` (tool schema keywords Azure rejects)."""
        if self._null_or_title is None:
            self._null_or_title = b"null" in self.raw or b'"title"' in self.raw
        return self._null_or_title

    def sensitive(self, kind: str) -> bool:
        """Whether the line can hold a secret or personal data of ``kind`` (:func:`toolkit.sensitive.might_hold`)."""
        if kind not in self._sensitive:
            self._sensitive[kind] = sensitive.might_hold(self.raw, kind)
        return self._sensitive[kind]


_last: tuple[bytes | None, Hints] = (None, Hints(b""))


def of(rec: Record) -> Hints:
    """The hints of ``rec``'s raw line. The rules ask one record after another, so the last answer is kept
    while the raw line is the same object (the cache holds it, so its identity cannot be reused meanwhile)."""
    global _last
    raw = rec.raw
    if _last[0] is raw:
        return _last[1]
    hints = Hints(raw)
    _last = (raw, hints)
    return hints
