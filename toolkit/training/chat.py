"""Ask a model one conversation and measure the answer: text, token counts, latency."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

# keys the chat completions API accepts on a message (training-only keys such as ``weight`` are dropped)
_MESSAGE_KEYS = ("role", "content", "name", "tool_calls", "tool_call_id", "refusal")


@dataclass(frozen=True)
class Reply:
    """One model's answer to one conversation."""

    model: str
    text: str
    prompt_tokens: int | None
    completion_tokens: int | None
    latency: float  # seconds, request sent to response parsed

    def as_dict(self) -> dict[str, Any]:
        return {"model": self.model, "text": self.text, "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens, "latency_s": round(self.latency, 3)}


def conversation(question: str, system: str | None = None) -> list[dict[str, str]]:
    """``[system?, user]`` messages for a single question."""
    messages = [{"role": "system", "content": system}] if system else []
    return messages + [{"role": "user", "content": question}]


def clean_messages(messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages with only the keys the chat API accepts."""
    return [{k: v for k, v in m.items() if k in _MESSAGE_KEYS} for m in messages]


def ask(client: Any, model: str, messages: Sequence[dict[str, Any]], *, max_tokens: int | None = None,
        temperature: float | None = None, tools: list[Any] | None = None,
        clock: Callable[[], float] = time.perf_counter) -> Reply:
    """Send ``messages`` to ``model`` and return its :class:`Reply`."""
    opts: dict[str, Any] = {}
    if max_tokens is not None:
        opts["max_completion_tokens"] = max_tokens
    if temperature is not None:
        opts["temperature"] = temperature
    if tools:
        opts["tools"] = tools
    start = clock()
    response = client.chat.completions.create(model=model, messages=clean_messages(messages), **opts)
    latency = clock() - start
    usage = getattr(response, "usage", None)
    return Reply(model, _text(response), getattr(usage, "prompt_tokens", None),
                 getattr(usage, "completion_tokens", None), latency)


def _text(response: Any) -> str:
    choices = getattr(response, "choices", None) or []
    if not choices:
        return ""
    message = choices[0].message
    if getattr(message, "content", None):
        return str(message.content)
    if getattr(message, "refusal", None):
        return f"[refusal] {message.refusal}"
    calls = getattr(message, "tool_calls", None) or []
    return "; ".join(f"[tool call] {c.function.name}({c.function.arguments})" for c in calls
                     if getattr(c, "function", None))
