"""Rules that depend on the tokenizer: example length (C-20) and special-token literals (F-10)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..diagnostics import Severity
from ..reader import Record, walk
from . import hints
from .context import Context
from .registry import Finding, record_rule

E, W = Severity.ERROR, Severity.WARNING
SPECIAL_TOKENS = ("<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|endofprompt|>",
                  "<|im_start|>", "<|im_end|>", "<|im_sep|>")
_SPECIAL = re.compile("|".join(re.escape(t) for t in SPECIAL_TOKENS))


@record_rule("C200", "example-too-long", W, "example has more tokens than the model's training context",
             source="C-20")
def example_too_long(rec: Record, ctx: Context) -> Iterator[Finding]:
    """"Examples longer than the default are truncated to the maximum context length, which
    removes tokens from the end of the training example" (fine-tuning guide). The end is usually
    the assistant answer, so the model learns from a cut-off reply, or from none at all. The limit
    is the model's training context in the catalog (65,536 tokens for gpt-4o/gpt-4.1 families,
    32,768 for gpt-4.1-nano on Azure, 16,385 for gpt-3.5-turbo); tokens are counted the
    Cookbook's way with the model's encoding. Shorten the example or split the conversation."""
    limit = ctx.model.context
    if (len(rec.raw) <= limit and not hints.of(rec).image_url) or not isinstance(rec.value, dict):
        return  # a text token is at least one UTF-8 byte, so a short line cannot be over (images aside)
    from .. import tokenizer  # only for long examples (start-up of lint)

    value = rec.value
    if "preferred_output" in value or "non_preferred_output" in value:  # each answer is trained with the input alone
        sides: tuple[dict[str, Any], ...] = (
            {**value, "non_preferred_output": None},
            {**value, "preferred_output": value.get("non_preferred_output"), "non_preferred_output": None})
    else:
        sides = (value,)
    if max(tokenizer.tokens_at_most(side) for side in sides) <= limit:
        return  # its strings' bytes and fixed tokens, images included, are not over (the usual image example)
    enc = tokenizer.encoding(ctx.model.encoding)
    least = max(tokenizer.tokens_at_least(side, enc) for side in sides)
    if least > limit:  # far over whatever the exact count: say so without tokenizing megabytes
        yield Finding(None, f"example has at least {least:,} tokens (a token holds at most "
                      f"{tokenizer.longest_token(enc)} characters), over the {limit:,}-token limit of "
                      f"{ctx.model.name}: it will be truncated from the end by at least {least - limit:,} tokens "
                      "(the end is usually the assistant answer); shorten it or split it into several examples")
        return
    n = max(tokenizer.count_example(side, enc) for side in sides)
    if n > limit:
        yield Finding(None, f"example has {n:,} tokens, over the {limit:,}-token limit of {ctx.model.name}: it will "
                      f"be truncated from the end by {n - limit:,} tokens (the end is usually the assistant answer); "
                      "shorten it or split it into several examples")


def counted_after(path: str, start: int, limit: int) -> bool:
    """Whether :func:`example_too_long` may count the tokens of a line of ``path`` from byte ``start`` on: a line
    longer than ``limit`` bytes or one naming an ``image_url`` (the lines it looks at further, with
    :func:`toolkit.tokenizer.tokens_at_most`, before loading the encoding)."""
    import mmap
    import os

    with open(path, "rb") as fh:
        if os.fstat(fh.fileno()).st_size <= start:
            return False
        data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    with data:
        if data.find(b"image_url", start) >= 0:
            return True
        pos, end = start, len(data)
        while end - pos > limit:  # the last newline of the next limit + 1 bytes ends every line shorter than that
            nl = data.rfind(b"\n", pos, pos + limit + 1)
            if nl < 0:
                return True
            pos = nl + 1
    return False


@record_rule("F100", "special-token", E, "text contains a special-token literal such as <|endoftext|>",
             formats=("chat", "preference", "reinforcement"), source="F-10")
def special_token(rec: Record, ctx: Context) -> Iterator[Finding]:
    """Tokenizer control sequences written as text (`<|endoftext|>`, `<|fim_prefix|>`,
    `<|fim_middle|>`, `<|fim_suffix|>`, `<|endofprompt|>`, `<|im_start|>`, `<|im_end|>`,
    `<|im_sep|>`) make the job fail: "Invalid file format. Example 6174 message contains an invalid
    token: <|fim_suffix|>" (observed 2026-02). Every string of the record is checked: content,
    text parts, tool arguments, names and RFT data. Remove the marker or break it up (e.g.
    `<| endoftext |>`). Only `<|fim_suffix|>` is confirmed; the others are the tokenizers' special
    tokens. Legacy prompt/completion files are not checked: there `<|endoftext|>` was the documented
    completion terminator, and the report is about chat files.
    Evidence: observed (https://github.com/johny-b/llmcomp/issues/59, a chat file); the other tokens
    are inferred from the tokenizers' special-token lists."""
    if not hints.of(rec).special_token:  # also "<" written as a JSON escape, which still decodes to "<|"
        return
    for pointer, value in walk(rec.value):
        if isinstance(value, str) and "<|" in value:
            found = sorted(set(_SPECIAL.findall(value)), key=SPECIAL_TOKENS.index)
            if found:
                yield Finding(pointer, f"text contains the special token{'s' if len(found) > 1 else ''} "
                              f"{', '.join(found)}; the server rejects the file ('message contains an invalid "
                              "token'): remove it or break it up, e.g. "
                              f"'{found[0].replace('<|', '<| ').replace('|>', ' |>')}'")
