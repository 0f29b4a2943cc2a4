"""Chat completions: a fine-tuned model answers with the training reply that best fits the question."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from .state import ApiError, new_id
from .text import approx_tokens, content_text, words

Pairs = list[tuple[frozenset[str], str]]


def complete(body: dict[str, Any], pairs_of: Callable[[str], Pairs | None]) -> dict[str, Any]:
    """The ``chat.completion`` object for a request ``body``.

    A model trained here answers with the assistant reply of the training example
    whose last user message shares the most words with the question; any other
    model echoes the question. Token counts are approximate (words and marks).
    """
    model, messages = body.get("model"), body.get("messages")
    if not isinstance(model, str) or not model:
        raise ApiError(400, "Missing required parameter: 'model'.", param="model")
    if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
        raise ApiError(400, "Invalid 'messages': expected a non-empty array of message objects.", param="messages")
    n = body.get("n") or 1
    if not isinstance(n, int) or not 1 <= n <= 128:
        raise ApiError(400, "Invalid 'n': expected an integer from 1 to 128.", param="n")
    pairs = pairs_of(model)
    if pairs is None and model.startswith("ft:"):
        raise ApiError(404, f"The model `{model}` does not exist or you do not have access to it.",
                       code="model_not_found")
    users = [content_text(m.get("content")) for m in messages if m.get("role") == "user"]
    question = users[-1] if users else ""
    if pairs:
        reply = _best_reply(question, pairs)
    else:
        reply = f"Sandbox reply from {model}: {question}" if question else f"Sandbox reply from {model}."
    prompt_tokens = sum(approx_tokens(content_text(m.get("content"))) for m in messages)
    completion_tokens = approx_tokens(reply) * n
    return {
        "id": new_id("chatcmpl-", 29), "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": [{"index": i, "message": {"role": "assistant", "content": reply, "refusal": None,
                                             "annotations": []}, "logprobs": None, "finish_reason": "stop"}
                    for i in range(n)],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens,
                  "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                  "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                                "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}},
        "service_tier": "default",
    }


def stream_body(completion: dict[str, Any], *, include_usage: bool) -> bytes:
    """The server-sent events of a streamed ``completion``: role, words, finish, [usage], ``[DONE]``."""
    head = {k: completion[k] for k in ("id", "created", "model", "service_tier")}

    def chunk(choices: list[dict[str, Any]], **extra: Any) -> bytes:
        event = {**head, "object": "chat.completion.chunk", "choices": choices, **extra}
        return b"data: " + json.dumps(event).encode() + b"\n\n"

    out = []
    for choice in completion["choices"]:
        index, text = choice["index"], choice["message"]["content"]
        out.append(chunk([{"index": index, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]))
        pieces = text.split(" ")
        for i, piece in enumerate(pieces):
            delta = piece if i == len(pieces) - 1 else piece + " "
            out.append(chunk([{"index": index, "delta": {"content": delta}, "finish_reason": None}]))
        out.append(chunk([{"index": index, "delta": {}, "finish_reason": "stop"}]))
    if include_usage:
        out.append(chunk([], usage=completion["usage"]))
    out.append(b"data: [DONE]\n\n")
    return b"".join(out)


def _best_reply(question: str, pairs: Pairs) -> str:
    asked = words(question)

    def score(pair: tuple[frozenset[str], str]) -> float:
        union = asked | pair[0]
        return len(asked & pair[0]) / len(union) if union else 0.0

    return max(pairs, key=score)[1]
