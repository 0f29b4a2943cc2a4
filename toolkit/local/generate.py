"""Answer a conversation with a local model: the chat template's prompt, ``generate``, the new tokens."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .render import clean

DEFAULT_MAX_TOKENS = 256


@dataclass(frozen=True)
class Answer:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str


def answer(model_name: str, messages: Sequence[dict[str, Any]], *, max_tokens: int | None = None,
           temperature: float | None = None, tools: list[Any] | None = None, seed: int | None = None) -> Answer:
    """Generate the assistant's reply: sampled at ``temperature`` (1 when unset, as the hosted APIs), greedy at 0."""
    import torch

    from .loading import for_chat

    model, tokenizer = for_chat(model_name)
    prompt = tokenizer.apply_chat_template(clean(messages), tools=tools, add_generation_prompt=True,
                                           return_dict=True, return_tensors="pt")
    prompt = {k: v.to(model.device) for k, v in prompt.items()}
    limit = max_tokens or DEFAULT_MAX_TOKENS
    options: dict[str, Any] = {"max_new_tokens": limit, "pad_token_id": tokenizer.pad_token_id,
                               "eos_token_id": tokenizer.eos_token_id}
    if tokenizer.pad_token_id is not None and tokenizer.pad_token_id != tokenizer.eos_token_id:
        options["suppress_tokens"] = [tokenizer.pad_token_id]
    temperature = 1.0 if temperature is None else float(temperature)
    if temperature > 0:
        options.update(do_sample=True, temperature=temperature, top_p=1.0, top_k=0)
        if seed is not None:
            torch.manual_seed(seed)
    else:
        options.update(do_sample=False, temperature=None, top_p=None, top_k=None)
    with torch.inference_mode():
        out = model.generate(**prompt, **options)
    new = out[0, prompt["input_ids"].shape[1]:]
    text = tokenizer.decode(new, skip_special_tokens=True)
    stopped = bool(len(new)) and int(new[-1]) == tokenizer.eos_token_id
    return Answer(text.strip(), int(prompt["input_ids"].shape[1]), len(new),
                  "stop" if stopped or len(new) < limit else "length")
