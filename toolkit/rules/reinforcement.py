"""Rules for reinforcement fine-tuning (RFT) records: messages, roles, the final user turn (R-01, R-02, R-04)."""

from __future__ import annotations

from collections.abc import Iterator

from ..diagnostics import Fix, Severity
from ..reader import Record
from ..records import type_name
from .context import Context
from .messages import iter_messages, label, messages_of
from .registry import Finding, record_rule

E = Severity.ERROR
REINFORCEMENT = ("reinforcement",)


@record_rule("R010", "missing-reinforcement-messages", E, "RFT record has no non-empty messages array",
             formats=REINFORCEMENT, structural=True, source="R-01")
def missing_reinforcement_messages(rec: Record, ctx: Context) -> Iterator[Finding]:
    """An RFT record needs `messages`: a non-empty array with the prompt the model answers during
    training (`minItems: 1`). The other keys of the row are free-form data for the grader."""
    value = rec.value
    if not isinstance(value, dict):
        return
    if "messages" not in value:
        yield Finding(None, 'RFT record has no "messages"; add the prompt as '
                      '{"messages": [{"role": "user", "content": "..."}], ...}')
    elif not isinstance(value["messages"], list):
        yield Finding("/messages", f'"messages" is {type_name(value["messages"])}; it must be an array of messages')
    elif not value["messages"]:
        yield Finding("/messages", '"messages" is empty; add the prompt (ending with a user message)')


@record_rule("R020", "system-role-in-reinforcement", E, "system message in an RFT record",
             formats=REINFORCEMENT, structural=True, source="R-02")
def system_role_in_reinforcement(rec: Record, ctx: Context) -> Iterator[Finding]:
    """Reinforcement fine-tuning takes `developer`, `user`, `assistant` and `tool` messages; there
    is no `system` role (the RFT schema omits it; Azure: "system messages aren't supported").
    Reasoning models read instructions from `developer` messages: rename the role
    (`tunesmith fix --write` does it)."""
    for i, m in iter_messages(rec.value):
        if m.get("role") == "system":
            yield Finding(f"/messages/{i}/role", f'message {i + 1} has role "system", which RFT does not accept: '
                          'rename it to "developer"', fix=Fix('rename role "system" to "developer"'))


@record_rule("R040", "last-message-not-user", E, "the last message of an RFT record is not a user message",
             formats=REINFORCEMENT, source="R-04")
def last_message_not_user(rec: Record, ctx: Context) -> Iterator[Finding]:
    """In RFT the model writes the answer during training, so the prompt ends with the user's
    turn: "The final message in the data must be assigned a user role" (Azure RFT docs; every
    OpenAI example does the same). A reference answer belongs in another key of the row (e.g.
    `"answer": "4"`, read by the grader as `{{ item.answer }}`), not in an assistant message."""
    msgs = messages_of(rec.value)
    if not msgs or not isinstance(msgs[-1], dict) or not isinstance(msgs[-1].get("role"), str):
        return
    last = msgs[-1]
    if last["role"] != "user":
        hint = (" (a reference answer goes in another key, e.g. \"answer\", for the grader)"
                if last["role"] == "assistant" else "")
        yield Finding(f"/messages/{len(msgs) - 1}", f"the last message is {label(len(msgs) - 1, last)}; an RFT "
                      f"prompt must end with a user message: move or remove it{hint}")
