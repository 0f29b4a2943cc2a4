"""Which example format a record (and a file) is in, and which method trains it.

Besides the four OpenAI formats, :func:`foreign` recognises the formats of other trainers
(ShareGPT, Alpaca, ms-swift, TRL), which ``tunesmith convert`` turns into OpenAI records.
"""

from __future__ import annotations

import shlex
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHAT = "chat"
PREFERENCE = "preference"
REINFORCEMENT = "reinforcement"
COMPLETION = "completion"
# How to train a prompt/completion file today (`tunesmith convert` reads tables and other trainers' formats, not this).
COMPLETION_TO_CHAT = ('rewrite each pair as a chat example, {"messages": [{"role": "user", "content": PROMPT}, '
                      '{"role": "assistant", "content": COMPLETION}]}')

CHAT_KEYS = frozenset({"messages", "tools", "parallel_tool_calls", "functions"})
METHOD_FORMAT = {"supervised": CHAT, "dpo": PREFERENCE, "reinforcement": REINFORCEMENT}
FORMAT_METHOD = {CHAT: "supervised", PREFERENCE: "dpo", REINFORCEMENT: "reinforcement", COMPLETION: "completion"}
METHODS = tuple(METHOD_FORMAT)  # the training methods, in the order commands list them
LOOKAHEAD = 64  # records read before a file's format is decided (bounded memory)

# Roles each messages format accepts (SPEC-2507 FineTuneChatRequestInput / FineTuneReinforcementRequestInput);
# a preference record's input messages are chat messages, its outputs answers (and tool results).
CHAT_ROLES = ("system", "user", "assistant", "tool", "function")
REINFORCEMENT_ROLES = ("developer", "user", "assistant", "tool")
PREFERENCE_OUTPUT_ROLES = ("assistant", "tool")
ALL_ROLES = tuple(dict.fromkeys((*CHAT_ROLES, *REINFORCEMENT_ROLES)))

# Where message arrays are: chat/RFT ``messages``, preference ``input.messages`` and the two outputs
# (``*_completion``: their names before 2025-07, which ``tunesmith fix`` renames).
PREFERENCE_OUTPUTS = ("preferred_output", "non_preferred_output")
OLD_PREFERENCE_OUTPUTS = {"preferred_completion": "preferred_output", "non_preferred_completion": "non_preferred_output"}
MESSAGE_ARRAYS = (("messages",), ("input", "messages"), *((side,) for side in PREFERENCE_OUTPUTS))
_PREFERENCE_OUTPUTS = (*PREFERENCE_OUTPUTS, *OLD_PREFERENCE_OUTPUTS)


@dataclass(frozen=True)
class Foreign:
    """Another trainer's format: its name, what its records look like, and the ``convert --from`` that reads it."""

    name: str
    title: str
    shape: str
    convert_from: str | None  # None: tunesmith convert cannot read it
    note: str = ""


FOREIGN = {f.name: f for f in (
    Foreign("sharegpt", "ShareGPT", '"conversations" with "from"/"value" turns', "sharegpt"),
    Foreign("conversations", "Hugging Face conversations", '"conversations" with "role"/"content" messages, where '
            'OpenAI needs "messages"', "sharegpt", note='the sharegpt reader takes "role"/"content" turns too'),
    Foreign("sharegpt-preference", "ShareGPT preference (LLaMA-Factory)",
            '"conversations" with "chosen"/"rejected" turns', "sharegpt"),
    Foreign("alpaca", "Alpaca", '"instruction", "input", "output"', "alpaca"),
    Foreign("alpaca-preference", "Alpaca preference (LLaMA-Factory)", '"instruction", "chosen", "rejected"',
            "alpaca"),
    Foreign("ms-swift", "ms-swift", '"query", "response", "history"', "ms-swift"),
    Foreign("trl-preference", "TRL preference", '"prompt", "chosen", "rejected"', "trl-preference"),
    Foreign("trl-messages", "TRL prompt-completion", '"prompt" and "completion" message lists', "trl-messages"),
    Foreign("llamafactory", "LLaMA-Factory (v1 messages)", 'content parts with "value" instead of "text" or '
            '"image_url"', "trl-messages", note="images given as file paths must first be put at https URLs or "
            "embedded as data: URLs"),
    Foreign("media-paths", "LLaMA-Factory / ms-swift multimodal", '"messages" with "<image>" tags and an "images" '
            "list of file paths", None, note="each image must become an image_url part with an https or data: URL"),
)}


def detect(value: Any) -> str | None:
    """The OpenAI format one record looks like, or None when it matches none (or is another trainer's)."""
    if not isinstance(value, dict):
        return None
    if "messages" in value:
        if foreign(value) is not None:
            return None
        return REINFORCEMENT if _looks_reinforcement(value) else CHAT
    if any(k in value for k in _PREFERENCE_OUTPUTS) or isinstance(value.get("input"), dict):
        return PREFERENCE
    if foreign(value) is not None:
        return None
    if "prompt" in value or "completion" in value:
        return COMPLETION
    return None


_MEDIA_PATHS = ("images", "videos", "audios")  # lists of file paths beside "messages" (LLaMA-Factory, ms-swift)


def foreign(value: Any) -> str | None:
    """The name (a key of :data:`FOREIGN`) of the other trainer's format a record is in, or None."""
    if not isinstance(value, dict):
        return None
    if "conversations" in value and "messages" not in value and isinstance(value["conversations"], list):
        if "chosen" in value and "rejected" in value:
            return "sharegpt-preference"
        turns = [m for m in value["conversations"] if isinstance(m, dict)]
        return "conversations" if turns and all("role" in m and "from" not in m for m in turns) else "sharegpt"
    msgs = value.get("messages")
    if isinstance(msgs, list):
        for key in _MEDIA_PATHS:
            media = value.get(key)
            if isinstance(media, list) and media:
                return "media-paths"
        # one pass over the messages (this runs on every record): are all the object turns ShareGPT turns under a
        # "messages" key (from/value instead of role/content), is a content part a LLaMA-Factory one ("value")
        objects, sharegpt, value_part = 0, True, False
        for m in msgs:
            if not isinstance(m, dict):
                continue
            objects += 1
            if sharegpt and ("role" in m or "from" not in m):
                sharegpt = False
            content = m.get("content")
            if not value_part and isinstance(content, list):
                value_part = any(isinstance(p, dict) and "value" in p and "text" not in p and "image_url" not in p
                                 for p in content)
        if objects and sharegpt:
            return "sharegpt"
        return "llamafactory" if value_part else None
    if any(k in value for k in _PREFERENCE_OUTPUTS):
        return None
    if "instruction" in value:
        if "chosen" in value and "rejected" in value:
            return "alpaca-preference"
        if "output" in value:
            return "alpaca"
    if "query" in value and "response" in value:
        return "ms-swift"
    if "chosen" in value and "rejected" in value:
        return "trl-preference"
    if "prompt" in value and "completion" in value and (isinstance(value["prompt"], list)
                                                        or isinstance(value["completion"], list)):
        return "trl-messages"
    return None


def array_foreign(first: Any) -> str | None:
    """The other trainer's format a JSON array of records is in, judged by its ``first`` element (lint's F092 and
    `tunesmith fix`, which then leaves the array for `tunesmith convert`, judge alike), or None."""
    return foreign(first) if first is not None else None


def _looks_reinforcement(value: dict[str, Any]) -> bool:
    """An RFT row: grader keys (keys a chat example has not) and no final assistant reply, or a
    developer message with either. A developer message before a final assistant reply, with only
    chat keys, is a supervised example written with the newer role name."""
    msgs = value.get("messages")
    if not isinstance(msgs, list):
        return False
    roles = [m.get("role") for m in msgs if isinstance(m, dict)]
    roles = [r for r in roles if isinstance(r, str)]  # a role may be any JSON value
    grader_keys = bool(set(value) - CHAT_KEYS)
    if "developer" in roles:
        return grader_keys or not (bool(roles) and roles[-1] == "assistant")
    return grader_keys and "assistant" not in roles


def roles(file_format: str | None) -> tuple[str, ...]:
    """The roles a ``messages`` file of ``file_format`` accepts (chat's for anything but reinforcement)."""
    return REINFORCEMENT_ROLES if file_format == REINFORCEMENT else CHAT_ROLES


def same_family(record_format: str | None, file_format: str) -> bool:
    """Whether a record of ``record_format`` is checked with the rules of a ``file_format`` file.

    Chat and reinforcement rows are both ``messages`` rows: in a chat file an RFT-looking
    row gets the chat rules (which say what is wrong with it), and a plain chat row is a
    valid reinforcement row.
    """
    if record_format is None or record_format == file_format:
        return True
    return {record_format, file_format} == {CHAT, REINFORCEMENT}


def decide(counts: Counter[str]) -> str:
    """The file's format from per-record counts (the most common family wins).

    A ``messages`` file is reinforcement when RFT-looking rows (developer role, or grader
    keys and no assistant turn) outnumber plain chat rows; otherwise it is chat.
    """
    if not counts:
        return CHAT
    messages = counts.get(REINFORCEMENT, 0) + counts.get(CHAT, 0)
    others = max((n for f, n in counts.items() if f not in (CHAT, REINFORCEMENT)), default=0)
    if messages and messages >= others:
        return REINFORCEMENT if counts.get(REINFORCEMENT, 0) > counts.get(CHAT, 0) else CHAT
    return counts.most_common(1)[0][0]


def decide_values(values: Iterable[Any]) -> str:
    """The format of a file whose first records (up to :data:`LOOKAHEAD`) are ``values``: :func:`decide` on their
    :func:`detect` counts. Lint and train resolve a file's format (so its method) with it."""
    return decide(Counter(f for v in values if (f := detect(v)) is not None))


def method_of(file_format: str) -> str:
    """The training method of a file in ``file_format``: the method of its format (a completion file has none of
    its own: supervised)."""
    method = FORMAT_METHOD.get(file_format, "supervised")
    return method if method in METHODS else "supervised"


def decide_foreign(values: list[Any]) -> str | None:
    """The other trainer's format a file is in, judged on its first records: the most common one,
    when such records are at least half of them and outnumber the OpenAI-format ones; else None."""
    found = Counter(f for v in values if (f := foreign(v)) is not None)
    if not found:
        return None
    name, _n = found.most_common(1)[0]
    openai = sum(detect(v) is not None for v in values)
    return name if 2 * sum(found.values()) >= len(values) and sum(found.values()) > openai else None


def convert_advice(fmt: Foreign, path: str) -> str:
    """What to do with ``path`` in ``fmt``: the ``tunesmith convert`` command (lint's F092 says it)."""
    note = f" ({fmt.note})" if fmt.note else ""
    if fmt.convert_from is None:
        return f"tunesmith convert cannot read it yet: rewrite it as chat messages{note}"
    return f"convert it with `{convert_command(fmt, path)}`, then lint the result{note}"


def convert_command(fmt: Foreign, path: str) -> str:
    """The ``tunesmith convert`` command line that turns ``path`` (in ``fmt``) into OpenAI JSONL."""
    p = Path(path)
    named = p.name not in ("", "-") and not p.name.startswith("<")
    out = p.with_name(f"{p.stem}.openai.jsonl") if named else Path("converted.openai.jsonl")
    return f"tunesmith convert --from {fmt.convert_from} {shlex.quote(path) if named else 'FILE'} {shlex.quote(str(out))}"
