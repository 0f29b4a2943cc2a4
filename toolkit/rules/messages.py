"""Tiny helpers the chat-shaped rules share: find messages, name them for humans."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .. import repairs


def messages_of(value: Any) -> list[Any]:
    """The record's ``messages`` list, or an empty list when there is none (or it is not a list)."""
    if isinstance(value, dict):
        msgs = value.get("messages")
        if isinstance(msgs, list):
            return msgs
    return []


_last: tuple[Any, list[Any], int, list[tuple[int, dict[str, Any]]]] = (None, [], 0, [])


def iter_messages(value: Any) -> list[tuple[int, dict[str, Any]]]:
    """(index, message) for every message that is an object; other items are skipped.

    Many rules ask for the same record's messages in a row, so the last answer is kept
    while the record, its messages list and that list's length are the same objects (the
    cache holds them, so their identities cannot be reused meanwhile).
    """
    global _last
    msgs = messages_of(value)
    if _last[0] is value and _last[1] is msgs and _last[2] == len(msgs):
        return _last[3]
    pairs = [(i, m) for i, m in enumerate(msgs) if isinstance(m, dict)]
    _last = (value, msgs, len(msgs), pairs)
    return pairs


def role_of(message: dict[str, Any]) -> str | None:
    """The message's role when it is a string, else None."""
    role = message.get("role")
    return role if isinstance(role, str) else None


def has_role(messages: list[Any], role: str, file_format: str) -> bool:
    """Whether a message has ``role``, or an alias of it (``human`` for ``user``): C030 reports the alias, so the
    rules that look for a role do not report its absence as well."""
    roles = [r for m in messages if isinstance(m, dict) and isinstance(r := m.get("role"), str)]
    return role in roles or any(repairs.role_target(r, file_format) == role for r in roles)  # aliases: only then


def label(i: int, message: Any) -> str:
    """Human name of a message, 1-based: ``message 2 (assistant)``."""
    role = message.get("role") if isinstance(message, dict) else None
    return f"message {i + 1} ({role})" if isinstance(role, str) and role else f"message {i + 1}"


def has_call(message: dict[str, Any]) -> bool:
    """Whether a message carries a tool call or a legacy function call."""
    return message.get("tool_calls") is not None or message.get("function_call") is not None


def tool_calls_of(message: dict[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(index, call) for every tool call object of a message."""
    calls = message.get("tool_calls")
    if isinstance(calls, list):
        for j, call in enumerate(calls):
            if isinstance(call, dict):
                yield j, call


def function_of(call: dict[str, Any]) -> dict[str, Any]:
    """The ``function`` object of a tool call or tool definition (empty when missing)."""
    fn = call.get("function")
    return fn if isinstance(fn, dict) else {}
