"""What a chat example says: empty text, weights, which roles appear and where (FORMAT_RULES C-07..C-13, C-19)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from .. import formats, jsonpos
from ..diagnostics import Fix, Severity
from ..reader import Record
from ..records import is_trained
from . import hints
from .context import Context, FileSummary
from .messages import has_call, has_role, iter_messages, label, messages_of, role_of
from .registry import Finding, collector, file_rule, record_rule

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO
CHAT = ("chat",)
MESSAGES = ("chat", "reinforcement")
_UNSUPPORTED_PARTS = ("input_audio", "file")


@record_rule("C070", "empty-content", W, "message content is empty or whitespace",
             formats=MESSAGES, source="C-07")
def empty_content(rec: Record, ctx: Context) -> Iterator[Finding]:
    """A system, developer or user message with empty (or whitespace-only) text gives the model no
    context, and a trained assistant message with empty text teaches it to answer with nothing.
    The Cookbook counts `""` as missing content; no server error is known. Write the text, or
    drop the message. Assistant messages that make a tool call may leave content empty."""
    for i, m in iter_messages(rec.value):
        if not _blank(m.get("content")):  # first: most messages have text, and the test is cheap
            continue
        role = role_of(m)
        if role == "assistant":
            if has_call(m) or not is_trained(m):
                continue
        elif role not in ("system", "developer", "user"):
            continue
        yield Finding(f"/messages/{i}/content", f"{label(i, m)} has empty content; write the text or "
                      "remove the message")


def _blank(content: Any) -> bool:
    if isinstance(content, str):
        return not content or content.isspace()  # what `not content.strip()` says, without copying the text
    if isinstance(content, list) and content:
        return all(isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str)
                   and (not p["text"] or p["text"].isspace()) for p in content)
    return False


@record_rule("C080", "tool-content-parts", E, "tool message content is an array of parts",
             formats=MESSAGES, source="C-08")
def tool_content_parts(rec: Record, ctx: Context) -> Iterator[Finding]:
    """The result of a tool call should be one string. A `tool` message whose content is an array
    of text parts was rejected by the fine-tuning validator: "message 3, key "content": Input
    should be a valid string" (2024). The later spec allows text parts, but whether the
    validator accepts them now is unconfirmed, so join the parts into one string
    (`tunesmith fix --write` does it)."""
    if not hints.of(rec).tool:
        return
    for i, m in iter_messages(rec.value):
        content = m.get("content")
        if role_of(m) != "tool" or not isinstance(content, list):
            continue
        texts = all(isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str)
                    for p in content)
        fix = Fix("join the text parts into one content string") if texts and content else None
        yield Finding(f"/messages/{i}/content", f"{label(i, m)} content is an array of parts; the fine-tuning "
                      'validator rejected this ("Input should be a valid string"): give the tool result as '
                      "one string", fix=fix)


@record_rule("C101", "invalid-weight", E, "assistant weight is not the integer 0 or 1",
             formats=MESSAGES, source="C-10")
def invalid_weight(rec: Record, ctx: Context) -> Iterator[Finding]:
    """"The allowed values for weight are currently 0 or 1": 0 skips the message in training, 1
    (the default) trains on it. Fractions such as 0.5 are not supported; whether floats (`1.0`),
    booleans (`true`) or strings (`"1"`) are coerced is unconfirmed, so write the integers.
    Tunesmith reads `false` and `0.0` as 0 and `true` and `1.0` as 1 (in token counts, the
    editor and local training), and `tunesmith fix --write` writes them as those integers; any other
    value counts as no weight (trained)."""
    for i, m in iter_messages(rec.value):
        if "weight" not in m or role_of(m) != "assistant":
            continue
        w = m["weight"]
        if type(w) is int and w in (0, 1):
            continue
        if isinstance(w, bool):
            hint = f"use {int(w)} instead of {str(w).lower()}"
        elif isinstance(w, float) and w in (0.0, 1.0):
            hint = f"write the integer {int(w)}"
        elif isinstance(w, str) and w.strip() in ("0", "1"):
            hint = f"write the number {w.strip()}, not a string"
        else:
            hint = "use 1 to train on this message or 0 to skip it"
        at = f"/messages/{i}/weight"
        yield Finding(at, f"{label(i, m)} has weight {_show(rec, at, w)}; weight must be 0 or 1: {hint}")


SHOWN_CHARS = 60  # a longer value is shortened, and the message says so


def _show(rec: Record, pointer: str, value: Any) -> str:
    """``value`` as the record writes it (its JSON text), shortened with a note when long."""
    text = jsonpos.written(rec.raw.decode("utf-8", "replace"), pointer) or json.dumps(value, ensure_ascii=False)
    if len(text) <= SHOWN_CHARS:
        return text
    return f"{text[:SHOWN_CHARS - 20]}... (shortened: {len(text):,} characters in all)"


@record_rule("C111", "no-trained-assistant-message", W, "every assistant message has weight 0",
             formats=CHAT, source="C-11")
def no_trained_assistant_message(rec: Record, ctx: Context) -> Iterator[Finding]:
    """When every assistant message of an example has `"weight": 0`, the example contributes no
    loss: it costs tokens and trains nothing. Set `"weight": 1` (or remove the weight) on the
    turns the model should learn."""
    untrained = False  # an assistant message, and none of them trained
    for _, m in iter_messages(rec.value):
        if m.get("role") == "assistant":
            if is_trained(m):
                return
            untrained = True
    if untrained:
        yield Finding("/messages", 'every assistant message has "weight": 0, so this example trains nothing; '
                      'set "weight": 1 on the turn the model should learn')


@record_rule("C120", "last-message-not-assistant", W, "messages after the last assistant message",
             formats=CHAT, source="C-12")
def last_message_not_assistant(rec: Record, ctx: Context) -> Iterator[Finding]:
    """Only assistant messages are trained, so messages after the last assistant reply add tokens
    (and cost) but teach nothing. End the example with the assistant reply, or drop the
    trailing messages. No OpenAI source requires the final message to be the assistant's, so
    this is a warning."""
    msgs = messages_of(rec.value)
    if msgs and isinstance(msgs[-1], dict) and msgs[-1].get("role") == "assistant":
        return  # the usual example: no need to look further
    last = next((i for i in range(len(msgs) - 1, -1, -1)
                 if isinstance(msgs[i], dict) and msgs[i].get("role") == "assistant"), None)
    if last is not None and last < len(msgs) - 1:
        end = len(msgs) - 1
        yield Finding(f"/messages/{end}", f"the example ends with {label(end, msgs[end])}, after the last assistant "
                      "reply; trailing messages are not trained: end with the assistant reply or drop them")


SYSTEM_PROMPTS = "system-prompts"


class _SystemPrompts:
    """How many chat examples have a system message and how many have none (with the first line of one); records
    that are no example as written (pretty-printed, not UTF-8) are counted once repaired."""

    def __init__(self) -> None:
        self.with_system = self.without = 0
        self.first_without: int | None = None

    def add(self, rec: Record) -> None:
        msgs = messages_of(rec.value)
        if not msgs or not rec.example:
            return
        if has_role(msgs, "system", formats.CHAT):  # "System" counts: C030 reports the alias (as C131 and C110 do)
            self.with_system += 1
            return
        self.without += 1
        if self.first_without is None:
            self.first_without = rec.line

    def merge(self, later: _SystemPrompts, copies: set[int]) -> None:
        self.with_system += later.with_system
        self.without += later.without
        if self.first_without is None:
            self.first_without = later.first_without


collector(SYSTEM_PROMPTS, rules=("C130",))(_SystemPrompts)


@file_rule("C130", "missing-system-message", I, "examples have no system message", formats=CHAT, source="C-13")
def missing_system_message(summary: FileSummary, ctx: Context) -> Iterator[Finding]:
    """Without a system message the model learns the behaviour with no instructions, and you must
    call it the same way later. Azure: "You need to provide a system message when you fine
    tune; you'll want to provide that same system message when you use the fine-tuned model".
    The Cookbook counts examples missing one. Training without one is a valid choice when the
    fine-tuned model is called without one too, so this is information, reported once per file
    (how many examples lack one, and the first): add the system prompt you will deploy with to
    every example, or leave it out of every call as well."""
    found = summary.collected.get(SYSTEM_PROMPTS)
    if ctx.file_format not in CHAT or ctx.foreign or not isinstance(found, _SystemPrompts) or not found.without:
        return
    if found.with_system:
        said = (f"{found.without:,} of {found.without + found.with_system:,} examples have no system message "
                f"(first at line {found.first_without}) while the others have one: give every example the system "
                "prompt you will use with the fine-tuned model")
    else:
        said = ("no example has a system message: call the fine-tuned model without one too, or add the system "
                "prompt you will use with it to every example")
    yield Finding(None, said)  # about the file (its message names the first line): no example's own finding


@record_rule("C131", "missing-user-message", W, "example has no user message",
             formats=CHAT, source="C-13")
def missing_user_message(rec: Record, ctx: Context) -> Iterator[Finding]:
    """An example without a user message teaches the assistant to speak unprompted; at inference
    there is always a user turn. The Cookbook counts examples missing one. Add the user's
    request the assistant answers."""
    yield from _missing_role(rec.value, "user", "add the user request the assistant answers", ctx.file_format)


def _missing_role(value: Any, role: str, hint: str, file_format: str) -> Iterator[Finding]:
    msgs = messages_of(value)
    if msgs and not has_role(msgs, role, file_format):
        yield Finding("/messages", f"the example has no {role} message; {hint}")


@record_rule("C190", "unsupported-audio-or-file", E, "audio or file input in a message",
             formats=MESSAGES, structural=True, source="C-19")
def unsupported_audio_or_file(rec: Record, ctx: Context) -> Iterator[Finding]:
    """"Audio and file input messages are not currently supported for fine-tuning" (spec).
    `input_audio` and `file` content parts and the assistant `audio` key are rejected. Transcribe
    audio to text and paste file contents as text parts."""
    for i, m in iter_messages(rec.value):
        if "audio" in m:
            yield Finding(f"/messages/{i}/audio", f"{label(i, m)} has an audio key; audio is not supported for "
                          "fine-tuning: remove it and keep the text content")
        content = m.get("content")
        if not isinstance(content, list):
            continue
        for j, part in enumerate(content):
            kind = part.get("type") if isinstance(part, dict) else None
            if isinstance(kind, str) and kind in _UNSUPPORTED_PARTS:
                yield Finding(f"/messages/{i}/content/{j}", f'{label(i, m)} content part {j + 1} is "{kind}"; audio '
                              "and file inputs are not supported for fine-tuning: transcribe or paste it as text")
