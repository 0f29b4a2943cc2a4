"""Conversations -> token ids and the exact loss mask: assistant tokens of turns whose weight is not 0.

Each record is rendered with the model's own chat template (tools included). The character span
of every assistant turn comes from the template's ``{% generation %}`` markers, or, for a
template without them, from rendering the conversation up to each assistant turn (the turn is
what the full render adds after the prompt). The token mask is then computed for the whole
sequence at once with NumPy from the tokenizer's offsets: no Python loop runs per token.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InputError
from ..records import is_trained

# the keys a chat template may read; training-only keys (weight) and unknown ones are dropped
_MESSAGE_KEYS = ("role", "content", "name", "tool_calls", "tool_call_id", "refusal")


@dataclass(frozen=True)
class Encoded:
    """One tokenized conversation: ids, the loss mask (1 = trained), and the turns that were masked."""

    input_ids: np.ndarray
    mask: np.ndarray
    truncated: bool


def clean(messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages with only the keys a chat template knows; a missing assistant content becomes ''."""
    out = []
    for m in messages:
        kept = {k: v for k, v in m.items() if k in _MESSAGE_KEYS and v is not None}
        if kept.get("role") == "assistant" and "content" not in kept:
            kept["content"] = ""
        out.append(kept)
    return out


def has_generation_markers(tokenizer: Any) -> bool:
    template = tokenizer.chat_template if isinstance(tokenizer.chat_template, str) else ""
    return "generation" in template and "endgeneration" in template


def assistant_spans(tokenizer: Any, messages: list[dict[str, Any]], tools: list[Any] | None) -> tuple[str, list[tuple[int, int]]]:
    """The rendered text and the character span of each assistant turn, in order."""
    from transformers.utils.chat_template_utils import render_jinja_template

    # transformers annotates the result `str`; with return_assistant_tokens_mask it is (texts, spans per text)
    render: Callable[..., Any] = render_jinja_template
    n_assistant = sum(m.get("role") == "assistant" for m in messages)
    if has_generation_markers(tokenizer):
        rendered, spans = render(conversations=[messages], tools=tools, chat_template=tokenizer.chat_template,
                                 return_assistant_tokens_mask=True, add_generation_prompt=False,
                                 **tokenizer.special_tokens_map)
        text, found = rendered[0], [(int(s[0]), int(s[1])) for s in spans[0]]
        if len(found) == n_assistant:
            return text, found
    return _prefix_spans(tokenizer, messages, tools)


def _render(tokenizer: Any, messages: list[dict[str, Any]], tools: list[Any] | None, prompt: bool) -> str:
    return str(tokenizer.apply_chat_template(messages, tools=tools, tokenize=False, add_generation_prompt=prompt))


def _prefix_spans(tokenizer: Any, messages: list[dict[str, Any]], tools: list[Any] | None) -> tuple[str, list[tuple[int, int]]]:
    text = _render(tokenizer, messages, tools, False)
    spans = []
    for i, m in enumerate(messages):
        if m.get("role") != "assistant":
            continue
        start = len(_render(tokenizer, messages[:i], tools, True)) if i else 0
        upto = _render(tokenizer, messages[: i + 1], tools, False)
        if not text.startswith(upto) or start > len(upto):
            raise InputError("the model's chat template renders earlier turns differently once later turns follow, "
                             "so assistant turns cannot be located exactly; add {% generation %} markers to it")
        spans.append((start, len(upto)))
    return text, spans


def token_mask(offsets: np.ndarray, spans: Sequence[tuple[int, int]], keep: Sequence[bool]) -> np.ndarray:
    """1 for every token whose first character lies in a kept span (vectorised over tokens)."""
    mask = np.zeros(len(offsets), dtype=np.int64)
    if not len(spans) or not len(offsets):
        return mask
    starts = np.fromiter((s for s, _ in spans), dtype=np.int64, count=len(spans))
    ends = np.fromiter((e for _, e in spans), dtype=np.int64, count=len(spans))
    kept = np.fromiter(keep, dtype=bool, count=len(spans))
    first = offsets[:, 0]
    j = np.searchsorted(starts, first, side="right") - 1
    inside = (j >= 0) & (offsets[:, 1] > offsets[:, 0])
    jj = np.clip(j, 0, None)
    inside &= first < ends[jj]
    mask[inside & kept[jj]] = 1
    return mask


def encode(tokenizer: Any, record: dict[str, Any], *, max_length: int | None = None) -> Encoded:
    """Tokenize one chat record; weight-0 assistant turns (and everything not said by the assistant) get mask 0."""
    raw = record.get("messages")
    if not isinstance(raw, list):
        raise InputError("a training record needs a 'messages' list")
    messages = clean(raw)
    tools = record.get("tools") if isinstance(record.get("tools"), list) else None
    text, spans = assistant_spans(tokenizer, messages, tools)
    keep = [is_trained(m) for m in raw if isinstance(m, dict) and m.get("role") == "assistant"]
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    ids = np.asarray(enc["input_ids"], dtype=np.int64)
    offsets = np.asarray(enc["offset_mapping"], dtype=np.int64).reshape(-1, 2)
    mask = token_mask(offsets, spans, keep)
    truncated = max_length is not None and len(ids) > max_length
    if truncated:
        ids, mask = ids[:max_length], mask[:max_length]
    return Encoded(ids, mask, truncated)


def encode_all(tokenizer: Any, records: Iterable[dict[str, Any]], *, max_length: int | None = None) -> list[Encoded]:
    return [encode(tokenizer, r, max_length=max_length) for r in records]
