"""Shape of a chat example: the messages array, roles, per-role keys, content types (FORMAT_RULES C-01..C-11)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .. import formats, pointers
from ..diagnostics import Severity
from ..formats import CHAT_KEYS, FOREIGN, foreign
from ..reader import Record
from ..records import type_name
from .context import Context
from .messages import has_call, has_role, iter_messages, label, messages_of, role_of
from .registry import Finding, record_rule

E = Severity.ERROR
CHAT = ("chat",)
MESSAGES = ("chat", "reinforcement")

_ROLE_HINTS = {"human": "user", "gpt": "assistant", "bot": "assistant", "model": "assistant", "agent": "assistant",
               "ai": "assistant", "chatbot": "assistant", "ipython": "tool", "observation": "tool"}
_ALIASES = ("conversation", "conversations", "chat", "dialog", "dialogue", "turns", "history", "message")
_NAMED = frozenset({"role", "content", "name"})
# Keys each role may carry (SPEC-2507). C040 leaves "weight" to C100 and "audio" to C190.
MESSAGE_KEYS = {
    "system": _NAMED,
    "developer": _NAMED,
    "user": _NAMED,
    "assistant": frozenset({"role", "content", "refusal", "name", "tool_calls", "function_call", "weight"}),
    "tool": frozenset({"role", "content", "tool_call_id"}),
    "function": _NAMED,
}
_OTHER_RULES_KEYS = ("weight", "audio")
_REQUIRED = {"system": ("content",), "developer": ("content",), "user": ("content",),
             "tool": ("content", "tool_call_id"), "function": ("content",)}
# Part types each role's content array accepts. image_url outside user messages is C210's,
# input_audio / file parts are C190's; both are skipped here.
_PART_TYPES = {"system": ("text",), "developer": ("text",), "user": ("text", "image_url"),
               "assistant": ("text", "refusal"), "tool": ("text",)}
_OTHER_RULES_PARTS = ("image_url", "input_audio", "file")
_TEXT_ALIASES = ("value", "content", "data")  # what other tools call a part's text (LLaMA-Factory: "value")


def _roles(ctx: Context) -> tuple[str, ...]:
    return formats.roles(ctx.file_format)


@record_rule("C010", "missing-messages", E, "record has no non-empty messages array",
             formats=CHAT, structural=True, source="C-01")
def missing_messages(rec: Record, ctx: Context) -> Iterator[Finding]:
    """A chat example is an object with a `messages` array holding at least one message. The
    server rejects a record without it: "Example X is missing key 'messages'". An empty array or
    a string is rejected by the schema (`minItems: 1`). Rename the key when the data uses another
    name (`conversation`, `conversations`...), or wrap the turns in `{"messages": [...]}`."""
    value = rec.value
    if not isinstance(value, dict):
        return
    if "messages" not in value:
        alias = next((k for k in _ALIASES if isinstance(value.get(k), list)), None)
        other = FOREIGN.get(foreign(value) or "")
        if other is not None:  # another trainer's record: renaming one key cannot fix its turns
            how = (f"`tunesmith convert --from {other.convert_from}` rewrites such records" if other.convert_from
                   else "rewrite it as chat messages")
            yield Finding(None, f"this record is in the {other.title} format ({other.shape}), not a chat example; "
                          f"{how}")
            return
        hint = (f'rename "{alias}" to "messages"' if alias else
                'write the turns as {"messages": [{"role": "user", "content": "..."}, '
                '{"role": "assistant", "content": "..."}]}')
        yield Finding(None, f'record has no "messages" key; {hint}')
    elif not isinstance(value["messages"], list):
        yield Finding("/messages", f'"messages" is {type_name(value["messages"])}; it must be an array of '
                      'message objects like {"role": "user", "content": "..."}')
    elif not value["messages"]:
        yield Finding("/messages", '"messages" is empty; add at least a user message and the assistant reply')


@record_rule("C020", "unknown-top-level-key", E, "record has a key a chat example does not allow",
             formats=CHAT, structural=True, source="C-02")
def unknown_top_level_key(rec: Record, ctx: Context) -> Iterator[Finding]:
    """A supervised chat example may only have `messages`, `tools`, `parallel_tool_calls` and
    (deprecated) `functions`. Anything else is rejected: "Invalid file format. Example 1 contains
    an extra "weight"." (observed 2025-10-31; the same file also had `metadata`). Keep
    bookkeeping such as ids or sources in a separate file. A top-level `weight` belongs on the
    assistant messages instead (`"weight": 0` or `1`). Reinforcement files are the opposite:
    extra keys are allowed there and reach the grader as `{{ item.X }}`."""
    value = rec.value
    if not isinstance(value, dict) or "messages" not in value:
        return
    for key in value:
        if key in CHAT_KEYS:
            continue
        if key == "weight":
            hint = 'weights go on assistant messages ("weight": 0 or 1), not on the example; move or remove it'
        else:
            hint = ("remove it (keep metadata in a separate file), or use --method reinforcement "
                    "if this is an RFT file")
        yield Finding(f"/{pointers.escape(key)}", f'unknown top-level key "{key}": a chat example may only have '
                      f"messages, tools, parallel_tool_calls and functions; {hint}")


@record_rule("C030", "invalid-role", E, "message has a missing or unknown role",
             formats=MESSAGES, structural=True, source="C-03")
def invalid_role(rec: Record, ctx: Context) -> Iterator[Finding]:
    """Every message is an object with a `role` the format knows. Supervised chat accepts
    `system`, `user`, `assistant`, `tool` and the deprecated `function`; reinforcement accepts
    `developer`, `user`, `assistant` and `tool`. The server says "message 2 Discriminator 'role'
    is missing in value" or "No match for discriminator 'role' and value None". Roles from other
    tools (`human`, `gpt`, `bot`, `model`) and case variants (`User`) are rejected too: use the
    lowercase OpenAI names. (`developer` in a chat file is C031, `system` in an RFT file is R020.)"""
    allowed = _roles(ctx)
    chat = ctx.file_format == "chat"
    for i, m in enumerate(messages_of(rec.value)):
        if not isinstance(m, dict):
            yield Finding(f"/messages/{i}", f'message {i + 1} is {type_name(m)}, not an object like '
                          '{"role": "user", "content": "..."}')
            continue
        if "role" not in m:
            yield Finding(f"/messages/{i}", f'message {i + 1} has no "role"; add one of: {", ".join(allowed)}')
            continue
        role = m["role"]
        if isinstance(role, str) and (role in allowed or role == ("developer" if chat else "system")):
            continue
        hint = _role_hint(role, allowed, chat)
        yield Finding(f"/messages/{i}/role", f"message {i + 1} has role {_show(role)}; {hint}")


def _show(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else type_name(value)


def _role_hint(role: Any, allowed: tuple[str, ...], chat: bool) -> str:
    if isinstance(role, str):
        norm = role.strip().lower()
        target: str | None
        if norm in allowed:
            target = norm
        elif norm == "system" and not chat:
            target = "developer"
        elif norm == "function" and not chat:
            target = "tool"
        else:
            target = _ROLE_HINTS.get(norm)
        if target:
            return f'use "{target}"'
    return f"use one of: {', '.join(allowed)}"


@record_rule("C031", "developer-role-in-chat", E, "developer role in a supervised chat example",
             formats=CHAT, structural=True, source="C-03", evidence="inferred")
def developer_role_in_chat(rec: Record, ctx: Context) -> Iterator[Finding]:
    """The `developer` role exists only in the reinforcement (RFT) format; the supervised chat
    schema has no `developer` message. Use `system` for supervised and preference training, or
    pass `--method reinforcement` if the file is meant for RFT (`tunesmith fix --write` renames
    `developer` to `system` in a supervised file only). Unconfirmed by a server message."""
    for i, m in iter_messages(rec.value):
        if m.get("role") == "developer":
            yield Finding(f"/messages/{i}/role", f'message {i + 1} has role "developer", which only reinforcement '
                          'files accept; use "system" (or --method reinforcement for an RFT file)')


@record_rule("C040", "unknown-message-key", E, "message has a key its role does not allow",
             formats=MESSAGES, structural=True, source="C-04")
def unknown_message_key(rec: Record, ctx: Context) -> Iterator[Finding]:
    """Each role has a fixed set of keys: system/developer/user `role, content, name`; assistant
    `role, content, refusal, name, tool_calls, function_call, weight`; tool `role, content,
    tool_call_id`; function `role, content, name`. Other keys (`timestamp`, `id`, `metadata`...)
    are not part of the schema; the Cookbook flags them as `message_unrecognized_key`. No server
    message was observed, but extra top-level keys are rejected, so treat them as errors and
    remove them."""
    allowed_roles = _roles(ctx)
    for i, m in iter_messages(rec.value):
        role = role_of(m)
        if role not in allowed_roles:
            continue
        allowed = MESSAGE_KEYS[role]
        for key in m:
            if key not in allowed and key not in _OTHER_RULES_KEYS:
                yield Finding(f"/messages/{i}/{pointers.escape(key)}", f'{label(i, m)} has unknown key "{key}"; '
                              f"a {role} message may only have {', '.join(sorted(allowed))}; remove it")


@record_rule("C041", "missing-message-key", E, "message lacks a key its role requires",
             formats=MESSAGES, structural=True, source="C-04")
def missing_message_key(rec: Record, ctx: Context) -> Iterator[Finding]:
    """System, developer, user and tool messages need `content`; tool messages also need the
    `tool_call_id` of the assistant tool call they answer; function messages need `content`
    (string or null). A missing required key fails the schema and the server's validator.
    (An assistant message's content is C050's job, a function message's `name` C090's.)"""
    allowed_roles = _roles(ctx)
    for i, m in iter_messages(rec.value):
        role = role_of(m)
        if role not in allowed_roles:
            continue
        for key in _REQUIRED.get(role, ()):
            if key in m:
                continue
            hint = ("set it to the id of the assistant tool call this message answers" if key == "tool_call_id"
                    else "add the message text")
            yield Finding(f"/messages/{i}", f'{label(i, m)} has no "{key}"; {hint}')


@record_rule("C050", "assistant-without-content", E, "assistant message has no content, tool_calls or function_call",
             formats=MESSAGES, structural=True, source="C-05")
def assistant_without_content(rec: Record, ctx: Context) -> Iterator[Finding]:
    """An assistant message needs a non-null `content`, or `tool_calls`, or `function_call`. The
    server said: "message 11, key "__root__": At least one of content or function_call must be
    set." Add the reply text, or the tool call the assistant makes at that point."""
    for i, m in iter_messages(rec.value):
        if m.get("role") == "assistant" and m.get("content") is None and not has_call(m):
            if any(f"/messages/{i}/{key}" in rec.nulled for key in ("content", "tool_calls", "function_call")):
                continue  # the user wrote a NaN or Infinity there, read as null: F014 reports it
            refusal = " (a `refusal` does not count: content is required unless there is a call)" \
                if isinstance(m.get("refusal"), str) else ""
            yield Finding(f"/messages/{i}", f"{label(i, m)} has neither content nor tool_calls{refusal}; "
                          "add the reply text or the tool call")


@record_rule("C060", "invalid-content", E, "message content has the wrong type or shape",
             formats=MESSAGES, structural=True, source="C-06")
def invalid_content(rec: Record, ctx: Context) -> Iterator[Finding]:
    """`content` is a string or a non-empty array of typed parts. Numbers, objects and `null`
    (except on assistant messages with a call, and function messages) are rejected. Every part
    is an object with a `type`: `text` parts need a string `text`; a `refusal` part (assistant
    only) needs a string `refusal`. System, developer and tool content allow only `text` parts,
    assistant content `text` and `refusal`, user content `text` and `image_url`."""
    allowed_roles = _roles(ctx)
    for i, m in iter_messages(rec.value):
        role = role_of(m)
        if role not in allowed_roles or "content" not in m:
            continue
        content = m["content"]
        at = f"/messages/{i}/content"
        if isinstance(content, str):
            continue
        if content is None:
            if role not in ("assistant", "function"):
                yield Finding(at, f"{label(i, m)} content is null; give the message text as a string")
            continue
        if role == "function" or not isinstance(content, list):
            kinds = "a string or null" if role == "function" else "a string or an array of parts"
            hint = ' (did you mean "content": "..."?)' if isinstance(content, dict) and "text" in content else ""
            yield Finding(at, f"{label(i, m)} content is {type_name(content)}; it must be {kinds}{hint}")
            continue
        if not content:
            yield Finding(at, f'{label(i, m)} content is an empty array; give the text as a string or add a '
                          '{"type": "text", "text": "..."} part')
            continue
        for j, part in enumerate(content):
            problem = _part_problem(part, _PART_TYPES[role])
            if problem is None and len(content) > 1 and isinstance(part, dict) and part.get("type") == "refusal":
                problem = "is a refusal, which must be the only part of the content; drop the other parts"
            if problem:
                yield Finding(f"{at}/{j}", f"{label(i, m)} content part {j + 1} {problem}")


def _part_problem(part: Any, allowed: tuple[str, ...]) -> str | None:
    if not isinstance(part, dict):
        return f'is {type_name(part)}; parts are objects like {{"type": "text", "text": "..."}}'
    kind = part.get("type")
    if kind is None:
        return 'has no "type"; text parts look like {"type": "text", "text": "..."}'
    if isinstance(kind, str) and kind in _OTHER_RULES_PARTS:
        return None
    if not isinstance(kind, str) or kind not in allowed:
        return f"has type {_show(kind)}; allowed here: {', '.join(allowed)}"
    field = "refusal" if kind == "refusal" else "text"
    if not isinstance(part.get(field), str):
        other = next((k for k in _TEXT_ALIASES if isinstance(part.get(k), str)), None)
        return f'({kind}) needs a string "{field}"' + (f' (rename "{other}" to "{field}")' if other else "")
    extra = next((k for k in part if k not in ("type", field)), None)
    if extra is not None:
        return f'({kind}) has unknown key "{extra}"; a {kind} part has only type and {field}: remove it'
    return None


@record_rule("C090", "function-message-without-name", E, "function message has no name",
             formats=CHAT, structural=True, source="C-09")
def function_message_without_name(rec: Record, ctx: Context) -> Iterator[Finding]:
    """A (deprecated) `function` role message carries the result of a function call and must name
    the function in `name`, as a string. Add it, or better, move to tool calls: an assistant
    `tool_calls` entry answered by a `tool` message with its `tool_call_id`."""
    for i, m in iter_messages(rec.value):
        if m.get("role") == "function" and not isinstance(m.get("name"), str):
            at, what = ((f"/messages/{i}/name", "a non-string name") if "name" in m
                        else (f"/messages/{i}", 'no "name"'))
            yield Finding(at, f"{label(i, m)} has {what}; set it to the name of the function whose result it holds")


@record_rule("C100", "weight-on-non-assistant", E, "weight on a message that is not from the assistant",
             formats=MESSAGES, structural=True, source="C-10")
def weight_on_non_assistant(rec: Record, ctx: Context) -> Iterator[Finding]:
    """`weight` (0 or 1) says whether an assistant message is trained; only assistant messages
    are trained, and the schema defines `weight` only on them. On a system, user or tool
    message it is an error: remove it."""
    allowed_roles = _roles(ctx)
    for i, m in iter_messages(rec.value):
        role = role_of(m)
        if "weight" in m and role != "assistant" and role in allowed_roles:
            yield Finding(f"/messages/{i}/weight", f"{label(i, m)} has a weight, but only assistant messages are "
                          "trained and weighted; remove it")


@record_rule("C110", "no-assistant-message", E, "example has no assistant message",
             formats=CHAT, structural=True, source="C-11")
def no_assistant_message(rec: Record, ctx: Context) -> Iterator[Finding]:
    """Supervised training learns from assistant messages; an example without one has nothing to
    train on (Cookbook: `example_missing_assistant_message`). Add the assistant reply. A file of
    prompts only is either a reinforcement (RFT) file (`--method reinforcement`) or a list of
    test prompts that does not belong in training."""
    msgs = messages_of(rec.value)
    if msgs and not has_role(msgs, "assistant", ctx.file_format):
        yield Finding("/messages", "the example has no assistant message, so there is nothing to train on; add the "
                      "assistant reply (if this is an RFT file, use --method reinforcement)")
