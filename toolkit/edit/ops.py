"""Edits on one record (a dict), addressed by JSON pointers; each returns a function for ``Dataset.change``.

>>> ds.change(0, set_weight("/messages/2", trained=False), "weight 0 on message 3")
>>> ds.change(0, add_tool_call("/messages/2", "lookup_element", '{"symbol": "Na"}'), "add a tool call")

Message lists are ``/messages`` (chat, reinforcement) or ``/input/messages``,
``/preferred_output`` and ``/non_preferred_output`` (preference). Invalid edits raise
:class:`~toolkit.edit.dataset.EditError` with a message that says what to do.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

from .. import formats, pointers
from ..records import is_trained
from .errors import EditError
from .records import get, message_lists, tokens

Edit = Callable[[dict[str, Any]], None]
ROLES = formats.ALL_ROLES
__all__ = ["ROLES", "WEIGHT_MODES", "Edit", "add_message", "add_tool_call", "arguments_problem", "call_ids",
           "delete_message", "delete_tool_call", "get", "is_trained", "message_lists", "move_message", "remove",
           "set_optional", "set_role", "set_tool_call", "set_value", "set_weight", "set_weights", "template", "tokens"]


def _parent(value: dict[str, Any], pointer: str) -> tuple[Any, str]:
    toks = tokens(pointer)
    if not toks:
        raise EditError("cannot replace the whole record this way; edit its JSON text instead")
    parent = get(value, "".join(f"/{pointers.escape(t)}" for t in toks[:-1]))
    if not isinstance(parent, (dict, list)):
        raise EditError(f"{pointer}: the record has no object or array there")
    return parent, toks[-1]


def _index(parent: list[Any], tok: str, pointer: str, *, end_ok: bool = False) -> int:
    if not tok.isdigit() or int(tok) > len(parent) or (int(tok) == len(parent) and not end_ok):
        raise EditError(f"{pointer}: no such item (the array has {len(parent)})")
    return int(tok)


def set_value(pointer: str, new: Any) -> Edit:
    """Set the value at ``pointer`` (a new key is added at the end of its object)."""
    def edit(value: dict[str, Any]) -> None:
        parent, tok = _parent(value, pointer)
        if isinstance(parent, list):
            parent[_index(parent, tok, pointer)] = new
        else:
            parent[tok] = new
    return edit


def remove(pointer: str) -> Edit:
    """Remove the key or array item at ``pointer`` (a missing key is not an error)."""
    def edit(value: dict[str, Any]) -> None:
        parent, tok = _parent(value, pointer)
        if isinstance(parent, list):
            del parent[_index(parent, tok, pointer)]
        else:
            parent.pop(tok, None)
    return edit


def set_optional(pointer: str, text: str) -> Edit:
    """Set a string field, or remove it when ``text`` is empty (``name``, ``tool_call_id``)."""
    return set_value(pointer, text) if text else remove(pointer)


def set_role(message: str, role: str) -> Edit:
    return set_value(f"{message}/role", role)


def set_weight(message: str, *, trained: bool) -> Edit:
    """``weight: 1`` (trained) or ``weight: 0`` (context only) on an assistant message."""
    return set_value(f"{message}/weight", 1 if trained else 0)


WEIGHT_MODES = {"all": "every assistant turn trained (weight 1)",
                "last": "only the last assistant turn trained (the earlier ones weight 0)"}


def set_weights(mode: str) -> Edit:
    """Weights of every assistant message of ``/messages`` at once (``mode``: a key of :data:`WEIGHT_MODES`).

    Only weights that say otherwise are written: a missing weight already means 1, so it is not
    added; a record whose weights already match is left as it is (byte for byte, by the caller).
    """
    if mode not in WEIGHT_MODES:
        raise EditError(f"unknown weight setting {mode!r}; choose one of: {', '.join(WEIGHT_MODES)}")

    def edit(value: dict[str, Any]) -> None:
        msgs = value.get("messages")
        if not isinstance(msgs, list):
            return
        turns = [m for m in msgs if isinstance(m, dict) and m.get("role") == "assistant"]
        for k, m in enumerate(turns):
            want = 1 if mode == "all" or k == len(turns) - 1 else 0
            w = m.get("weight", 1)
            if not (type(w) is int and w == want):
                m["weight"] = want
    return edit


def add_message(messages: str, role: str, content: str = "", *, at: int | None = None) -> Edit:
    """Insert a message into the list at ``messages`` (appended when ``at`` is None)."""
    def edit(value: dict[str, Any]) -> None:
        lst = _list(value, messages, create=True)
        lst.insert(len(lst) if at is None else _index(lst, str(at), messages, end_ok=True),
                   {"role": role, "content": content})
    return edit


def delete_message(messages: str, index: int) -> Edit:
    return remove(f"{messages}/{index}")


def move_message(messages: str, index: int, delta: int) -> Edit:
    """Move message ``index`` by ``delta`` places (-1: up, 1: down)."""
    def edit(value: dict[str, Any]) -> None:
        lst = _list(value, messages)
        to = index + delta
        _index(lst, str(index), messages)
        if not 0 <= to < len(lst):
            raise EditError(f"message {index + 1} cannot move {'up' if delta < 0 else 'down'}: it is already "
                            f"{'first' if delta < 0 else 'last'}")
        lst.insert(to, lst.pop(index))
    return edit


def _list(value: dict[str, Any], pointer: str, *, create: bool = False) -> list[Any]:
    found = get(value, pointer)
    if found is None and create:
        parent, tok = _parent(value, pointer)
        if isinstance(parent, dict):
            parent[tok] = found = []
    if not isinstance(found, list):
        raise EditError(f"{pointer} is not an array of messages in this record")
    return found


def arguments_problem(text: str) -> str | None:
    """Why ``text`` cannot be a tool call's ``arguments`` (None when it is a JSON object)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
    except RecursionError:
        return "nested too deeply"
    if not isinstance(value, dict):
        return "the arguments must be a JSON object, like {\"symbol\": \"Na\"}"
    return None


def _checked(arguments: str) -> str:
    problem = arguments_problem(arguments)
    if problem:
        raise EditError(f"tool call arguments: {problem}")
    return arguments


def call_ids(value: dict[str, Any]) -> list[str]:
    """Every tool call id in the record, in order."""
    out: list[str] = []
    for msgs in message_lists(value):
        for m in get(value, msgs, []):
            calls = m.get("tool_calls") if isinstance(m, dict) else None
            out.extend(c["id"] for c in calls or () if isinstance(c, dict) and isinstance(c.get("id"), str))
    return out


def add_tool_call(message: str, name: str, arguments: str = "{}", *, call_id: str | None = None) -> Edit:
    """Add a function call to an assistant message; ``arguments`` must be a JSON object (as a string)."""
    if not name.strip():
        raise EditError("a tool call needs the name of the function it calls")
    _checked(arguments)

    def edit(value: dict[str, Any]) -> None:
        taken = set(call_ids(value))
        cid = call_id or next(f"call_{n}" for n in range(1, len(taken) + 2) if f"call_{n}" not in taken)
        if cid in taken:
            raise EditError(f"the id {cid!r} is already used by another tool call in this example")
        msg = get(value, message)
        if not isinstance(msg, dict):
            raise EditError(f"{message}: no such message")
        msg.setdefault("tool_calls", []).append(
            {"id": cid, "type": "function", "function": {"name": name, "arguments": arguments}})
    return edit


def set_tool_call(message: str, index: int, *, name: str | None = None, arguments: str | None = None,
                  call_id: str | None = None) -> Edit:
    """Change a tool call's function name, arguments (checked) or id."""
    if arguments is not None:
        _checked(arguments)
    call = f"{message}/tool_calls/{index}"

    def edit(value: dict[str, Any]) -> None:
        target = get(value, call)
        if not isinstance(target, dict):
            raise EditError(f"{call}: no such tool call")
        if not isinstance(target.get("function"), dict):
            target["function"] = {"name": "", "arguments": "{}"}
        if name is not None:
            target["function"]["name"] = name
        if arguments is not None:
            target["function"]["arguments"] = arguments
        if call_id is not None:
            target["id"] = call_id
    return edit


def delete_tool_call(message: str, index: int) -> Edit:
    """Remove one tool call (and the ``tool_calls`` key with the last one)."""
    def edit(value: dict[str, Any]) -> None:
        remove(f"{message}/tool_calls/{index}")(value)
        if get(value, f"{message}/tool_calls") == []:
            remove(f"{message}/tool_calls")(value)
    return edit


def template(records: list[dict[str, Any]]) -> dict[str, Any]:
    """A new, empty example shaped like ``records``: their most common system prompt, then user and assistant."""
    systems: Counter[str] = Counter()
    preference = 0
    for value in records:
        preference += formats.detect(value) == formats.PREFERENCE
        for msgs in message_lists(value):
            for m in get(value, msgs, []):
                if isinstance(m, dict) and m.get("role") == "system" and isinstance(m.get("content"), str):
                    systems[m["content"]] += 1
    head = [{"role": "system", "content": systems.most_common(1)[0][0]}] if systems else []
    if records and preference * 2 > len(records):
        return {"input": {"messages": [*head, {"role": "user", "content": ""}]},
                "preferred_output": [{"role": "assistant", "content": ""}],
                "non_preferred_output": [{"role": "assistant", "content": ""}]}
    return {"messages": [*head, {"role": "user", "content": ""}, {"role": "assistant", "content": ""}]}
