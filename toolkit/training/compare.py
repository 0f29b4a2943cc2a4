"""Run held-out prompts through a base and a tuned model, next to the reference answers."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from .chat import Reply, ask


@dataclass(frozen=True)
class Prompt:
    """One held-out example: the conversation up to the answer, and the answer the file expects."""

    path: str
    line: int
    messages: list[dict[str, Any]]
    reference: str | None
    tools: list[Any] | None = None


@dataclass(frozen=True)
class Row:
    """One prompt's answers from both models."""

    prompt: Prompt
    base: Reply
    tuned: Reply


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return "" if content is None else str(content)


def prompt_from_record(value: Any, path: str, line: int) -> Prompt:
    """Split a chat, preference or RFT record into prompt messages and the reference answer."""
    if isinstance(value, dict) and isinstance(value.get("input"), dict):  # preference (DPO)
        messages = value["input"].get("messages")
        preferred = value.get("preferred_output") or []
        reference = _content_text(preferred[0].get("content")) if preferred and isinstance(preferred[0], dict) else None
        tools = value["input"].get("tools")
    elif isinstance(value, dict) and isinstance(value.get("messages"), list):
        messages = value["messages"]
        last = max((i for i, m in enumerate(messages) if isinstance(m, dict) and m.get("role") == "assistant"),
                   default=None)
        reference = _content_text(messages[last].get("content")) if last is not None else None
        messages = messages[:last] if last is not None else messages
        ref = value.get("reference_answer")  # RFT rows may carry their own answer
        reference = reference if reference is not None or ref is None else _content_text(ref)
        tools = value.get("tools")
    else:
        raise InputError(f"{path}:{line}: not a chat, preference or RFT record (no 'messages' or 'input')")
    if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
        raise InputError(f"{path}:{line}: no prompt messages before the answer")
    return Prompt(path, line, messages, reference, tools if isinstance(tools, list) else None)


def load_prompts(path: str | os.PathLike[str], *, limit: int | None = None) -> list[Prompt]:
    """The prompts of a held-out JSONL file (at most ``limit``)."""
    from ..reader import JsonlReader, ParseProblem, check_input

    p = Path(path)
    check_input(p)  # a folder, a dangling link, an unreadable file: each named as such ("no such file" for all)
    prompts: list[Prompt] = []
    for item in JsonlReader(p):
        if isinstance(item, ParseProblem):
            raise InputError(f"{p}:{item.line}: {item.message} (run `tunesmith lint {p}`)")
        prompts.append(prompt_from_record(item.value, str(p), item.line))
        if limit is not None and len(prompts) >= limit:
            break
    if not prompts:
        raise InputError(f"{p}: no examples to compare")
    return prompts


def compare(client: Any, base: str, tuned: str, prompts: list[Prompt], *, max_tokens: int | None = None,
            temperature: float | None = None, on_row: Callable[[int, Row], object] | None = None) -> list[Row]:
    """Ask both models every prompt, in order."""
    rows = []
    for i, prompt in enumerate(prompts):
        replies = [ask(client, model, prompt.messages, max_tokens=max_tokens, temperature=temperature,
                       tools=prompt.tools) for model in (base, tuned)]
        rows.append(Row(prompt, *replies))
        if on_row:
            on_row(i, rows[-1])
    return rows


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def matches(answer: str, reference: str | None) -> bool:
    """Same text as the reference, ignoring case and whitespace runs."""
    return reference is not None and _norm(answer) == _norm(reference)


def summary(rows: list[Row]) -> dict[str, dict[str, Any]]:
    """Per side (``base``/``tuned``): model, mean latency, token totals, matches with the reference."""
    out: dict[str, dict[str, Any]] = {}
    for side in ("base", "tuned"):
        replies: list[Reply] = [getattr(r, side) for r in rows]
        out[side] = {
            "model": replies[0].model if replies else "",
            "mean_latency_s": round(sum(r.latency for r in replies) / len(replies), 3) if replies else 0.0,
            "prompt_tokens": sum(r.prompt_tokens or 0 for r in replies),
            "completion_tokens": sum(r.completion_tokens or 0 for r in replies),
            "matches_reference": sum(matches(r.text, row.prompt.reference) for r, row in zip(replies, rows)),
            "with_reference": sum(row.prompt.reference is not None for row in rows),
        }
    return out
