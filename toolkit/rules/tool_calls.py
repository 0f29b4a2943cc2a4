"""Tool calls made by the assistant and the tool results that answer them (FORMAT_RULES C-14, C-15)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from .. import pointers
from ..diagnostics import Fix, Severity
from ..reader import Record
from ..records import type_name
from . import hints
from .context import Context
from .messages import function_of, has_call, iter_messages, label, messages_of, role_of, tool_calls_of
from .registry import Finding, record_rule

E, W = Severity.ERROR, Severity.WARNING
MESSAGES = ("chat", "reinforcement")
_DUMPS = Fix("serialize the arguments object with json.dumps")
_CALL_KEYS = frozenset({"id", "type", "function"})
_FUNCTION_KEYS = frozenset({"name", "arguments"})


@record_rule("C140", "invalid-tool-call", E, "tool call or function call has the wrong shape",
             formats=MESSAGES, structural=True, source="C-14")
def invalid_tool_call(rec: Record, ctx: Context) -> Iterator[Finding]:
    """Each entry of an assistant's `tool_calls` is `{"id": str, "type": "function", "function":
    {"name": str, "arguments": str}}`, all required; a legacy `function_call` is `{"name": str,
    "arguments": str}`. `arguments` is a *string* holding JSON: an object there is the most common
    mistake (`json.dumps` it; `tunesmith fix --write` does)."""
    for i, m in iter_messages(rec.value):
        if role_of(m) != "assistant":
            continue
        at = f"/messages/{i}"
        if "tool_calls" in m:
            calls = m["tool_calls"]
            if not isinstance(calls, list) or not calls:
                what = "an empty array" if isinstance(calls, list) else type_name(calls)
                yield Finding(f"{at}/tool_calls", f"{label(i, m)} tool_calls is {what}; it must be a non-empty array "
                              'of {"id", "type": "function", "function": {"name", "arguments"}} objects (or leave '
                              "the key out)")
            else:
                for j, call in enumerate(calls):
                    found = _call_problem(call, f"{at}/tool_calls/{j}", f"{label(i, m)} tool call {j + 1}")
                    if found:
                        yield found
        if m.get("function_call") is not None:  # null is allowed (deprecated and nullable)
            found = _function_problem(m["function_call"], f"{at}/function_call", f"{label(i, m)} function_call")
            if found:
                yield found


def _call_problem(call: Any, at: str, who: str) -> Finding | None:
    if not isinstance(call, dict):
        return Finding(at, f'{who} is {type_name(call)}; it must be an object {{"id", "type", "function"}}')
    if not isinstance(call.get("id"), str):
        return Finding(at, f'{who} needs a string "id" (any unique text such as "call_1"); '
                       "the tool message answering it repeats it as tool_call_id")
    if call.get("type") != "function":
        return Finding(at + "/type" if "type" in call else at, f'{who} needs "type": "function"')
    extra = _extra_key(call, _CALL_KEYS)
    if extra is not None:
        return Finding(f"{at}/{pointers.escape(extra)}", f'{who} has unknown key "{extra}"; a tool call has only '
                       "id, type and function: remove it")
    return _function_problem(call.get("function"), at + "/function", who + " function")


def _extra_key(obj: dict[str, Any], allowed: frozenset[str]) -> str | None:
    return next((k for k in obj if k not in allowed), None)


def _function_problem(fn: Any, at: str, who: str) -> Finding | None:
    if not isinstance(fn, dict):
        return Finding(at, f'{who} is {type_name(fn)}; it must be an object {{"name": ..., "arguments": "..."}}')
    if not isinstance(fn.get("name"), str):
        return Finding(at, f'{who} needs a string "name": the called function')
    if "arguments" not in fn:
        return Finding(at, f'{who} has no "arguments"; use "{{}}" for a call without arguments')
    args = fn["arguments"]
    if isinstance(args, (dict, list)):
        return Finding(at + "/arguments", f"{who} arguments is {type_name(args)}; arguments must be a JSON string: "
                       "json.dumps it", fix=_DUMPS)
    if not isinstance(args, str):
        return Finding(at + "/arguments", f"{who} arguments is {type_name(args)}; arguments must be a JSON string "
                       'such as "{\\"city\\": \\"Paris\\"}"')
    extra = _extra_key(fn, _FUNCTION_KEYS)
    if extra is not None:
        return Finding(f"{at}/{pointers.escape(extra)}", f'{who} has unknown key "{extra}"; it has only name and '
                       "arguments: remove it")
    return None


@record_rule("C141", "tool-arguments-not-json", W, "tool call arguments are not a JSON object",
             formats=MESSAGES, source="C-14")
def tool_arguments_not_json(rec: Record, ctx: Context) -> Iterator[Finding]:
    """`arguments` is a string that holds the call's arguments as a JSON object, e.g.
    `"{\\"city\\": \\"Paris\\"}"`. A string that does not parse (single quotes, a truncated
    object, plain text, `NaN` or `Infinity`, which strict parsers refuse: F014) teaches the model to emit calls no
    program can read. Write it with
    `json.dumps(args)`."""
    if not hints.of(rec).arguments:
        return
    for i, m in iter_messages(rec.value):
        if role_of(m) != "assistant":
            continue
        calls = [(f"/messages/{i}/tool_calls/{j}/function/arguments", function_of(c)) for j, c in tool_calls_of(m)]
        if isinstance(m.get("function_call"), dict):
            calls.append((f"/messages/{i}/function_call/arguments", m["function_call"]))
        for at, fn in calls:
            args = fn.get("arguments")
            if isinstance(args, str):
                problem = _json_problem(args)
                if problem:
                    yield Finding(at, f"{label(i, m)} call arguments {problem}; write them with json.dumps")


class _NotJson(ValueError):
    pass


def _not_json(literal: str) -> Any:
    raise _NotJson(f"{literal} is not a JSON value; use a number, a string or null")


def _json_problem(text: str) -> str | None:
    """What keeps ``text`` from being a JSON object as a strict parser reads it (NaN and Infinity, which Python's
    json accepts, are not JSON: F014), or None."""
    # parse_constant is called only for NaN and Infinity (-Infinity holds it): json.loads builds a decoder for each
    # call given one, and reuses its own otherwise (most arguments hold neither word)
    strict = "NaN" in text or "Infinity" in text
    try:
        parsed = json.loads(text, parse_constant=_not_json) if strict else json.loads(text)
    except ValueError as exc:
        if isinstance(exc, _NotJson):
            return f"are not valid JSON ({exc})"
        if isinstance(exc, json.JSONDecodeError):
            return f"are not valid JSON ({exc.msg} at character {exc.pos + 1})"
        return f"cannot be read ({str(exc).split(';')[0]})"  # e.g. an integer of over 4,300 digits
    except RecursionError:
        return "are nested too deeply to parse"
    if not isinstance(parsed, dict):
        return f"hold {type_name(parsed)}, not a JSON object"
    return None


@record_rule("C150", "unknown-tool-call-id", E, "tool message answers a tool call that does not exist",
             formats=MESSAGES, source="C-15")
def unknown_tool_call_id(rec: Record, ctx: Context) -> Iterator[Finding]:
    """A `tool` message's `tool_call_id` must be the `id` of a tool call made by an earlier
    assistant message of the same example; otherwise the result answers nothing. Usually the
    ids were renumbered or the assistant message was cut. Use the id of the call it answers.
    Unconfirmed by a server message."""
    if not hints.of(rec).tool_call_id:
        return
    seen: list[str] = []
    for i, m in iter_messages(rec.value):
        role = role_of(m)
        if role == "assistant":
            seen.extend(c["id"] for _, c in tool_calls_of(m) if isinstance(c.get("id"), str))
        elif role == "tool" and isinstance(m.get("tool_call_id"), str) and m["tool_call_id"] not in seen:
            known = ("earlier calls: " + ", ".join(f'"{s}"' for s in dict.fromkeys(seen)) if seen
                     else "no assistant tool call comes before it")
            yield Finding(f"/messages/{i}/tool_call_id", f'{label(i, m)} answers tool_call_id "{m["tool_call_id"]}", '
                          f"which matches no earlier tool call ({known}); use the id of the call it answers")


@record_rule("C151", "unanswered-tool-call", W, "tool call without a tool result",
             formats=MESSAGES, source="C-15")
def unanswered_tool_call(rec: Record, ctx: Context) -> Iterator[Finding]:
    """Every tool call should be followed by a `tool` message with its result (matching
    `tool_call_id`) before the next user or assistant turn; otherwise the model learns a
    conversation in which tools never answer. A call in the last assistant message is fine:
    the example then teaches the call itself."""
    if not hints.of(rec).tool_calls:
        return
    pending: list[tuple[str, str]] = []  # (id, pointer) of calls still waiting for a result
    for i, m in iter_messages(rec.value):
        role = role_of(m)
        if role == "tool":
            call_id = m.get("tool_call_id")
            match = next((k for k, (cid, _) in enumerate(pending) if cid == call_id), None)
            if match is not None:
                del pending[match]
            continue
        if role not in ("user", "assistant"):
            continue
        for call_id, at in pending:
            yield Finding(at, f'tool call "{call_id}" gets no tool result before {label(i, m)}; add a tool message '
                          f'with "tool_call_id": "{call_id}" and the result')
        pending = [(c["id"], f"/messages/{i}/tool_calls/{j}") for j, c in tool_calls_of(m)
                   if isinstance(c.get("id"), str)] if role == "assistant" else []


@record_rule("C152", "duplicate-tool-call-id", W, "two tool calls share an id in one example",
             formats=MESSAGES, source="C-15")
def duplicate_tool_call_id(rec: Record, ctx: Context) -> Iterator[Finding]:
    """Tool call ids pair each call with its result, so within one example they should be unique;
    with a repeated id the results cannot be told apart. (Reusing the same id in different
    examples is harmless.) Give each call its own id, e.g. `call_1`, `call_2`."""
    if not hints.of(rec).tool_calls:
        return
    seen: set[str] = set()
    for i, m in iter_messages(rec.value):
        for j, call in tool_calls_of(m):
            cid = call.get("id")
            if not isinstance(cid, str):
                continue
            if cid in seen:
                yield Finding(f"/messages/{i}/tool_calls/{j}/id", f'{label(i, m)} reuses tool call id "{cid}" '
                              "from an earlier call of this example; give each call its own id")
            seen.add(cid)


@record_rule("C153", "consecutive-assistant-messages", E, "an assistant tool call directly followed by another "
             "assistant message", formats=("chat",), providers=("azure",), source="C-15", evidence="observed",
             links=("https://github.com/microsoft-foundry/fine-tuning/issues/23",))
def consecutive_assistant_messages(rec: Record, ctx: Context) -> Iterator[Finding]:
    """Azure rejected a training file in which an assistant tool call was directly followed by an
    assistant text reply, with no tool message (the call's result) between them: "contains invalid
    schema (20)" (https://github.com/microsoft-foundry/fine-tuning/issues/23, 2026-03). Only that
    order is flagged: an assistant text followed by an assistant tool call and its result is what
    Foundry's own data generator writes, and no report says Azure refuses it. Put the tool result
    between the call and the reply, or merge the two messages.
    Evidence: observed (one public report of a failed Azure job; the exact trigger is the reporter's
    diagnosis, so this may be narrower or broader than Azure's real check)."""
    prev_call = False
    for i, m in enumerate(messages_of(rec.value)):
        now = isinstance(m, dict) and m.get("role") == "assistant"
        if now and prev_call:
            yield Finding(f"/messages/{i}", f"{label(i, m)} directly follows an assistant tool call that has no tool "
                          'result; Azure rejected this ("contains invalid schema"): put the tool message with the '
                          "call's result between them, or merge them")
        prev_call = now and has_call(m)
