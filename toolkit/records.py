"""What the parts of a fine-tuning record mean, each defined once: trained turns, message arrays, JSON types.

Every part of Tunesmith that asks "is this assistant turn trained?" (the rules, the token
counts of ``stats``, the editor, local training, ``convert`` and ``fix``) asks :func:`is_trained`,
so they agree on every weight a file can hold.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import formats

# What an assistant message's "weight" means. Providers accept the integers 0 and 1 only
# (FORMAT_RULES C-10; lint's C101 reports anything else). A boolean or a float equal to 0 or 1
# means that number (false and 0.0 are 0: not trained; true and 1.0 are 1), which is also what
# `tunesmith fix` writes for it; any other value (0.5, "0", null) is no weight at all, so the turn
# is trained, as one without a weight is.
NOT_TRAINED = 0
TRAINED = 1


def weight_value(weight: Any) -> int | None:
    """0 or 1 for a weight that means that number (``0``, ``false``, ``0.0``; ``1``, ``true``, ``1.0``), else None."""
    if isinstance(weight, (bool, int, float)) and weight in (NOT_TRAINED, TRAINED):
        return int(weight)
    return None


def is_trained(message: Any) -> bool:
    """Whether training learns from this (assistant) message: its weight does not mean 0."""
    return not isinstance(message, dict) or "weight" not in message or weight_value(message["weight"]) != NOT_TRAINED


def message_arrays(value: Any, *, old_names: bool = False) -> Iterator[tuple[str, list[Any]]]:
    """(JSON pointer, list) for every message array of a record of any format, in display order.

    ``old_names`` also yields ``preferred_completion``/``non_preferred_completion`` arrays.
    """
    if not isinstance(value, dict):
        return
    paths = [*formats.MESSAGE_ARRAYS, *((old,) for old in formats.OLD_PREFERENCE_OUTPUTS)] if old_names \
        else formats.MESSAGE_ARRAYS
    for path in paths:
        node: Any = value
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, list):
            yield "/" + "/".join(path), node


# JSON's type names, and how messages name a value of each type ("is an object; it must be ...").
JSON_TYPE_NOUNS = {"object": "an object", "array": "an array", "string": "a string", "number": "a number",
                   "integer": "an integer", "boolean": "a boolean", "null": "null"}
_JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number",
               type(None): "null"}


def json_type(value: Any) -> str:
    """The JSON type of a parsed value: ``object``, ``array``, ``string``, ``number``, ``boolean`` or ``null``."""
    return _JSON_TYPES.get(type(value), type(value).__name__)


def type_name(value: Any) -> str:
    """``a string``, ``an object``, ``null``… for messages about wrong JSON types."""
    kind = json_type(value)
    return JSON_TYPE_NOUNS.get(kind, kind)


def same_json(a: Any, b: Any) -> bool:
    """Whether two parsed JSON values are written the same: equal, with the same types and key order
    (``1.0 == 1 == true`` in Python, but they are different JSON, and a weight of ``1.0`` is a C101 error)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_json(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):  # -0.0 == 0.0 in Python, not in the file; NaN (which Python's json reads) is NaN
        return repr(a) == repr(b)
    return bool(a == b)
