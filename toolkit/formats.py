"""Which example format a record (and a file) is in, and which method trains it."""

from __future__ import annotations

from collections import Counter
from typing import Any

CHAT = "chat"
PREFERENCE = "preference"
REINFORCEMENT = "reinforcement"
COMPLETION = "completion"

CHAT_KEYS = frozenset({"messages", "tools", "parallel_tool_calls", "functions"})
METHOD_FORMAT = {"supervised": CHAT, "dpo": PREFERENCE, "reinforcement": REINFORCEMENT}
FORMAT_METHOD = {CHAT: "supervised", PREFERENCE: "dpo", REINFORCEMENT: "reinforcement", COMPLETION: "completion"}
METHODS = tuple(METHOD_FORMAT)
_PREFERENCE_KEYS = ("input", "preferred_output", "non_preferred_output", "preferred_completion",
                    "non_preferred_completion")


def detect(value: Any) -> str | None:
    """The format one record looks like, or None when it matches none."""
    if not isinstance(value, dict):
        return None
    if "messages" in value:
        return REINFORCEMENT if _looks_reinforcement(value) else CHAT
    if any(k in value for k in _PREFERENCE_KEYS) or ("chosen" in value and "rejected" in value):
        return PREFERENCE
    if "prompt" in value or "completion" in value:
        return COMPLETION
    return None


def _looks_reinforcement(value: dict[str, Any]) -> bool:
    msgs = value.get("messages")
    if not isinstance(msgs, list):
        return False
    roles = {m.get("role") for m in msgs if isinstance(m, dict)}
    if "developer" in roles:
        return True
    return bool(set(value) - CHAT_KEYS) and "assistant" not in roles


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
