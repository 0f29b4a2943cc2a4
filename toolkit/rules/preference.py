"""Rules for preference (DPO) records: keys, output arrays, one turn, distinct outputs, text only (P-01..P-06)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..diagnostics import Fix, Severity
from ..formats import FOREIGN, OLD_PREFERENCE_OUTPUTS, PREFERENCE_OUTPUT_ROLES, PREFERENCE_OUTPUTS, foreign
from ..reader import Record
from ..records import type_name
from .context import Context
from .images import image_parts
from .registry import Finding, record_rule

E, W = Severity.ERROR, Severity.WARNING
PREFERENCE = ("preference",)


def _outputs(value: Any) -> Iterator[tuple[str, list[Any]]]:
    """(side, messages) for each output side that is an array."""
    if isinstance(value, dict):
        for side in PREFERENCE_OUTPUTS:
            if isinstance(value.get(side), list):
                yield side, value[side]


@record_rule("P010", "missing-preference-keys", E, "preference record lacks input, preferred_output or "
             "non_preferred_output", formats=PREFERENCE, structural=True, source="P-01")
def missing_preference_keys(rec: Record, ctx: Context) -> Iterator[Finding]:
    """A DPO record has three keys: `input` (an object with a non-empty `messages` array),
    `preferred_output` and `non_preferred_output`. Older versions of the API spec named the
    outputs `preferred_completion` / `non_preferred_completion`; the guides and Azure use
    `*_output` only, so rename them (`tunesmith fix --write` does it). TRL-style records
    (`prompt` / `chosen` / `rejected`) need converting: `tunesmith convert --from trl-preference`."""
    value = rec.value
    if not isinstance(value, dict):
        return
    other = FOREIGN.get(foreign(value) or "")
    if other is not None and other.name != "trl-preference":
        how = (f"`tunesmith convert --from {other.convert_from}` rewrites such records" if other.convert_from
               else "rewrite it in the DPO format")
        yield Finding(None, f"this record is in the {other.title} format ({other.shape}), not a preference (DPO) "
                      f"record; {how}")
        return
    if "chosen" in value and "rejected" in value and "preferred_output" not in value:
        yield Finding(None, "this is a TRL-style preference record (prompt/chosen/rejected); OpenAI DPO needs input, "
                      "preferred_output and non_preferred_output: convert the file with "
                      "`tunesmith convert --from trl-preference`")
        return
    for old, new in OLD_PREFERENCE_OUTPUTS.items():
        if old in value and new not in value:
            yield Finding(f"/{old}", f'"{old}" is the old name of "{new}": rename it',
                          fix=Fix(f'rename "{old}" to "{new}"'))
    for key in ("input", *PREFERENCE_OUTPUTS):
        if key not in value and not any(new == key and old in value for old, new in OLD_PREFERENCE_OUTPUTS.items()):
            yield Finding(None, f'preference record has no "{key}"; a DPO record needs input, preferred_output and '
                          "non_preferred_output")
    if "input" in value:
        inp = value["input"]
        msgs = inp.get("messages") if isinstance(inp, dict) else None
        if not isinstance(inp, dict):
            yield Finding("/input", f'"input" is {type_name(inp)}; it must be an object like '
                          '{"messages": [{"role": "user", "content": "..."}]}')
        elif "messages" not in inp:
            yield Finding("/input", '"input" has no "messages"; put the prompt in '
                          '{"messages": [{"role": "user", "content": "..."}]}')
        elif not isinstance(msgs, list) or not msgs:
            yield Finding("/input/messages", f'"input.messages" is {type_name(msgs) if msgs != [] else "empty"}; '
                          "it must be a non-empty array of messages")


@record_rule("P020", "invalid-preference-output", E, "preferred/non-preferred output is not a non-empty array "
             "with an assistant message", formats=PREFERENCE, structural=True, source="P-02")
def invalid_preference_output(rec: Record, ctx: Context) -> Iterator[Finding]:
    """Each output (`preferred_output`, `non_preferred_output`) is an array of messages: the
    assistant reply, optionally with tool messages (Azure: "can only have roles in (assistant,
    tool)" and "must contain at least one assistant message"). An object instead of an array, an
    empty array, other roles or no assistant message are rejected. OpenAI further allows exactly
    one message (P021)."""
    value = rec.value
    if not isinstance(value, dict):
        return
    for side in PREFERENCE_OUTPUTS:
        if side not in value:
            continue
        out = value[side]
        if not isinstance(out, list):
            hint = ": wrap it in [ ]" if isinstance(out, dict) else ""
            yield Finding(f"/{side}", f'"{side}" is {type_name(out)}; it must be an array of messages like '
                          f'[{{"role": "assistant", "content": "..."}}]{hint}')
            continue
        if not out:
            yield Finding(f"/{side}", f'"{side}" is empty; add the assistant reply')
            continue
        roles_ok = True
        for j, m in enumerate(out):
            role = m.get("role") if isinstance(m, dict) else None
            if not isinstance(m, dict):
                roles_ok = False
                yield Finding(f"/{side}/{j}", f"{side} item {j + 1} is {type_name(m)}, not a message object")
            elif not (isinstance(role, str) and role in PREFERENCE_OUTPUT_ROLES):
                roles_ok = False
                at = f"/{side}/{j}/role" if "role" in m else f"/{side}/{j}"
                shown = f'"{role}"' if isinstance(role, str) else ("missing" if "role" not in m else type_name(role))
                yield Finding(at, f'{side} item {j + 1} has role {shown}; outputs hold "assistant" '
                              '(and "tool") messages only')
        if roles_ok and not any(m.get("role") == "assistant" for m in out):
            yield Finding(f"/{side}", f'"{side}" has no assistant message; add the assistant reply')


@record_rule("P021", "multiple-output-messages", E, "an output holds more than one message",
             formats=PREFERENCE, providers=("openai",), source="P-02")
def multiple_output_messages(rec: Record, ctx: Context) -> Iterator[Finding]:
    """OpenAI's preference schema allows exactly one assistant message per output (`maxItems: 1`).
    Azure also accepts tool messages in the outputs, so this rule runs for OpenAI only. Merge the
    reply into one assistant message."""
    for side, out in _outputs(rec.value):
        if len(out) > 1:
            yield Finding(f"/{side}/1", f'"{side}" has {len(out)} messages; OpenAI takes exactly one assistant '
                          "message per output: merge them into one")


@record_rule("P030", "input-ends-with-assistant", W, "input.messages ends with an assistant message",
             formats=PREFERENCE, source="P-03")
def input_ends_with_assistant(rec: Record, ctx: Context) -> Iterator[Finding]:
    """"Currently, we only train on one-turn conversations for each example, where the preferred
    and non-preferred messages need to be the last assistant message" (DPO guide). If the input
    already ends with an assistant reply, the outputs do not answer the last user turn. End the
    input with the user message; the reply being compared goes in the outputs."""
    value = rec.value
    inp = value.get("input") if isinstance(value, dict) else None
    msgs = inp.get("messages") if isinstance(inp, dict) else None
    if isinstance(msgs, list) and msgs and isinstance(msgs[-1], dict) and msgs[-1].get("role") == "assistant":
        yield Finding(f"/input/messages/{len(msgs) - 1}", f"input.messages ends with an assistant message (message "
                      f"{len(msgs)}); end it with the user turn and put the replies in the outputs")


@record_rule("P040", "identical-preference-outputs", W, "preferred and non-preferred outputs are the same",
             formats=PREFERENCE, source="P-04")
def identical_preference_outputs(rec: Record, ctx: Context) -> Iterator[Finding]:
    """When the preferred and the non-preferred output say the same thing (ignoring surrounding
    whitespace), the example carries no preference signal and only costs tokens. Write a worse
    reply for `non_preferred_output`, or drop the example."""
    sides = dict(_outputs(rec.value))
    good, bad = PREFERENCE_OUTPUTS
    if len(sides) == 2 and sides[good] and _signature(sides[good]) == _signature(sides[bad]):
        yield Finding(f"/{bad}", "preferred_output and non_preferred_output are identical, so the example "
                      "teaches nothing: write a worse reply for non_preferred_output or drop the example")


def _signature(messages: list[Any]) -> list[Any]:
    """What a reply says: role, stripped text content, and tool calls of each message."""
    out = []
    for m in messages:
        if not isinstance(m, dict):
            out.append(m)
            continue
        content = m.get("content")
        out.append((m.get("role"), content.strip() if isinstance(content, str) else content, m.get("tool_calls")))
    return out


@record_rule("P050", "image-in-preference", E, "image in a preference (DPO) record",
             formats=PREFERENCE, structural=True, source="P-05")
def image_in_preference(rec: Record, ctx: Context) -> Iterator[Finding]:
    """"DPO is currently only supported for text inputs and outputs" (DPO guide): no
    `image_url` parts anywhere in a preference record. Describe the image in text, or train
    vision with supervised fine-tuning."""
    for pointer, *_ in image_parts(rec.value):
        yield Finding(pointer, "preference (DPO) training is text-only: remove the image, or describe it in text")


@record_rule("P060", "weight-in-preference-output", E, "weight on a preference output message",
             formats=PREFERENCE, structural=True, source="P-06")
def weight_in_preference_output(rec: Record, ctx: Context) -> Iterator[Finding]:
    """Output messages are plain assistant messages without `weight`: the whole output is what
    is compared. Remove the key. Unconfirmed by a server message."""
    for side, out in _outputs(rec.value):
        for j, m in enumerate(out):
            if isinstance(m, dict) and "weight" in m:
                yield Finding(f"/{side}/{j}/weight", f'{side} item {j + 1} has a "weight"; outputs take no weight: '
                              "remove it")
