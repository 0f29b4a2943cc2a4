"""``tunesmith local tiny-model DIR``: a tiny randomly initialised chat model, made on the spot, offline.

A byte-level BPE tokenizer trained on a few hundred lines of text (any text encodes: the 256
bytes are its alphabet), a Llama-style model of about 0.2 M parameters and a ChatML chat
template whose ``{% generation %}`` markers let ``return_assistant_tokens_mask`` find what the
assistant says. It answers gibberish until trained; it exists so that the whole flow (train,
resume, chat, compare) runs on any machine in seconds.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from ..errors import UsageError

SPECIAL = ("<|im_start|>", "<|im_end|>", "<|pad|>")
VOCAB = 512 + len(SPECIAL)

# ChatML; the assistant's words and its closing <|im_end|> sit between the generation markers, the
# header does not. Tools (OpenAI's `tools` list) go into the system turn; tool calls into the assistant turn.
CHAT_TEMPLATE = (
    "{% if tools %}<|im_start|>system\n"
    "{% if messages and messages[0].role in ('system', 'developer') %}{{ messages[0].content }}\n\n{% endif %}"
    "# Tools\n{% for tool in tools %}{{ tool | tojson }}\n{% endfor %}<|im_end|>\n{% endif %}"
    "{% for message in messages %}"
    "{% if not (tools and loop.first and message.role in ('system', 'developer')) %}"
    "{% if message.role == 'assistant' %}<|im_start|>assistant\n{% generation %}"
    "{% if message.content is string %}{{ message.content }}"
    "{% elif message.content %}{% for part in message.content %}{% if part.type == 'text' %}{{ part.text }}"
    "{% endif %}{% endfor %}{% endif %}"
    "{% for call in message.tool_calls or [] %}<tool_call>{{ {'name': call.function.name, "
    "'arguments': call.function.arguments} | tojson }}</tool_call>{% endfor %}"
    "<|im_end|>{% endgeneration %}\n"
    "{% else %}<|im_start|>{{ message.role }}\n"
    "{% if message.content is string %}{{ message.content }}"
    "{% elif message.content %}{% for part in message.content %}{% if part.type == 'text' %}{{ part.text }}"
    "{% endif %}{% endfor %}{% endif %}<|im_end|>\n{% endif %}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

_BUILTIN_TEXT = """\
Hydrogen's number is one; it fuses to power the sun. Helium is a noble gas, inert and light.
Lithium is the lightest of metals. Carbon forms chains for the molecules of life. Nitrogen fills most of the air.
Oxygen keeps us breathing and burns with the fuel. Sodium and chlorine make salt. Iron is the core of the earth.
The quick brown fox jumps over the lazy dog. What is the atomic number of gold? Tell me about hydrogen.
You are a helpful assistant. Answer the question in one short paragraph. Thank you! Yes, no, maybe.
{"name": "lookup_element", "arguments": "{\\"symbol\\": \\"Ga\\"}"} 0123456789 + - * / = ( ) [ ] { } < > ? ! . , ; :
"""


def _corpus(extra: Iterable[str | os.PathLike[str]]) -> list[str]:
    lines = _BUILTIN_TEXT.splitlines()
    for path in extra:
        try:
            lines += Path(path).read_text("utf-8", errors="replace").splitlines()
        except OSError as exc:
            raise UsageError(f"{path}: cannot read ({exc.strerror})") from None
    return [line for line in lines if line.strip()]


def write_tiny_model(folder: str | os.PathLike[str], *, corpus: Iterable[str | os.PathLike[str]] = (),
                     seed: int = 0, layers: int = 2, hidden: int = 64) -> Path:
    """Write a tokenizer, config, chat template and random weights to ``folder``; return its path."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    out = Path(folder)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(f"{out}: exists and is not an empty folder; choose a new one")
    bpe = Tokenizer(models.BPE(unk_token=None))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=VOCAB, special_tokens=list(SPECIAL), show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    bpe.train_from_iterator(_corpus(corpus), trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token=None, eos_token="<|im_end|>",
                                        pad_token="<|pad|>")
    tokenizer.chat_template = CHAT_TEMPLATE
    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=2 * hidden,
                         num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=2048, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id, bos_token_id=None, tie_word_embeddings=True)
    model = LlamaForCausalLM(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    out.mkdir(parents=True, exist_ok=True)
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
