"""The JSON Schemas of the four example formats: where they live, compiled validators, readable errors.

The schema files are the single source of truth for the shape of each format. They sit in the
repository's top-level ``schemas/`` folder, which the wheel ships as ``toolkit/_schemas/``.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import pointers, records
from .errors import ToolkitError

if TYPE_CHECKING:  # imported when a record first needs the compiled validator (~10 ms of lint's start-up)
    import jsonschema_rs

SCHEMA_FILES = {
    "chat": "chat.schema.json",
    "preference": "preference.schema.json",
    "reinforcement": "reinforcement.schema.json",
    "completion": "completion.schema.json",
}
_PACKAGED = Path(__file__).resolve().parent / "_schemas"  # installed wheel
_CHECKOUT = Path(__file__).resolve().parent.parent / "schemas"  # source checkout / editable install
_VALUE_KINDS = frozenset({"type", "enum", "const", "pattern"})  # errors about one value: show it


def schema_path(fmt: str) -> Path:
    """The schema file of format ``fmt`` ("chat", "preference", "reinforcement" or "completion")."""
    try:
        name = SCHEMA_FILES[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(SCHEMA_FILES)}") from None
    for folder in (_PACKAGED, _CHECKOUT):
        if (folder / name).is_file():
            return folder / name
    raise ToolkitError(f"schema file {name} is missing (looked in {_PACKAGED} and {_CHECKOUT}); "
                       "reinstall tunesmith")


@cache
def load_schema(fmt: str) -> dict[str, Any]:
    """The parsed schema of format ``fmt`` (cached: do not modify it)."""
    schema: dict[str, Any] = json.loads(schema_path(fmt).read_text(encoding="utf-8"))
    return schema


@cache
def validator(fmt: str) -> jsonschema_rs.Validator:
    """A compiled ``jsonschema_rs`` validator for format ``fmt`` (cached)."""
    import jsonschema_rs

    return jsonschema_rs.validator_for(load_schema(fmt))


# The plain chat shape most lines have: only "messages", each a system, user or assistant message with string
# content (and an optional string name; on an assistant, an optional weight 0 or 1), at least one assistant.
# Every such record matches chat.schema.json; anything else goes to the compiled validator.
_PLAIN_KEYS = {"system": frozenset({"role", "content", "name"}), "user": frozenset({"role", "content", "name"}),
               "assistant": frozenset({"role", "content", "name", "weight"})}


def _plain_chat(value: Any) -> bool:
    """Whether ``value`` has the plain chat shape (then it is valid; False says nothing)."""
    if type(value) is not dict or len(value) != 1:
        return False
    messages = value.get("messages")
    if type(messages) is not list:
        return False
    assistant = False
    for m in messages:
        if type(m) is not dict:
            return False
        role = m.get("role")
        keys = _PLAIN_KEYS.get(role) if type(role) is str else None
        if keys is None or type(m.get("content")) is not str or not keys.issuperset(m):
            return False
        if "name" in m and type(m["name"]) is not str:
            return False
        if role == "assistant":
            assistant = True
            if "weight" in m and (type(m["weight"]) is not int or m["weight"] not in (0, 1)):
                return False
    return assistant


def is_valid(fmt: str, value: Any) -> bool:
    """Whether ``value`` matches the schema of format ``fmt`` (a plain chat record is known valid at once)."""
    return (fmt == "chat" and _plain_chat(value)) or validator(fmt).is_valid(value)


def first_error(fmt: str, value: Any) -> tuple[str, str] | None:
    """The most useful schema error of ``value`` as (RFC 6901 JSON pointer, message), or None if valid.

    The deepest error wins; at equal depth a missing key beats other errors, then the first one
    reported. The message is the failing subschema's ``errorMessage`` (or ``patternErrorMessage``,
    the keywords VS Code also shows) when it has one, otherwise it is phrased from the error kind;
    either way it quotes at most a short piece of the record.
    """
    errors = list(validator(fmt).iter_errors(value))
    if not errors:
        return None
    best = max(errors, key=lambda e: (len(e.instance_path), e.kind.name == "required"))
    return pointers.join(best.instance_path), _message(load_schema(fmt), best)


def _message(schema: dict[str, Any], error: jsonschema_rs.ValidationError) -> str:
    *parent_path, keyword = error.schema_path
    parent = _subschema(schema, parent_path)
    kind = error.kind.name
    custom = (parent.get("patternErrorMessage") if keyword == "pattern" else None) or parent.get("errorMessage")
    if isinstance(custom, str):
        return f"{_short(error.instance)} is not allowed: {custom}" if kind in _VALUE_KINDS else custom
    return _describe(kind, error.kind.as_dict(), error, parent)


def _describe(kind: str, details: dict[str, Any], error: jsonschema_rs.ValidationError,
              parent: dict[str, Any]) -> str:
    got = _short(error.instance)
    if kind == "required":
        return f"missing required key {json.dumps(details['property'])}"
    if kind == "additionalProperties":
        unexpected = ", ".join(json.dumps(k) for k in details["unexpected"])
        allowed = ", ".join(json.dumps(k) for k in parent.get("properties", {}))
        return f"unexpected key {unexpected} (allowed here: {allowed})"
    if kind == "type":
        return f"expected {' or '.join(records.JSON_TYPE_NOUNS.get(t, t) for t in details['types'])}, got {got}"
    if kind == "const":
        return f"expected {json.dumps(details['expected_value'])}, got {got}"
    if kind == "minItems":
        return f"must have at least {details['limit']} item{'s' if details['limit'] != 1 else ''}"
    if kind == "maxItems":
        return f"must have at most {details['limit']} item{'s' if details['limit'] != 1 else ''}"
    message: str = error.message
    return message if len(message) <= 200 else message[:199] + "…"


def _subschema(schema: Any, path: list[str | int]) -> dict[str, Any]:
    for token in path:
        try:
            schema = schema[token]
        except (KeyError, IndexError, TypeError):
            return {}
    return schema if isinstance(schema, dict) else {}


def _short(value: Any) -> str:
    """A short rendering of an offending value: scalars as JSON (cut at 40 characters), containers by kind."""
    if isinstance(value, dict):
        return "an empty object" if not value else "an object"
    if isinstance(value, list):
        return "an empty array" if not value else "an array"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:39] + "…"
