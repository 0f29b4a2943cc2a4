"""Find and load models: a folder, a model this machine trained (``ft-local-...``), or a Hugging Face id.

A Hugging Face id is read from the local cache (``HF_HUB_OFFLINE=1`` forbids any download);
a model trained here is its base plus the adapter (or the full weights) in the user data folder.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import InputError
from . import store


def _missing(name: str, exc: BaseException) -> InputError:
    return InputError(f"model {name!r} is neither a folder, a model trained here (ft-local-...) nor a Hugging Face "
                      f"model in the local cache ({type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}); "
                      "download it once with `hf download MODEL`, or make a test model with `tunesmith local tiny-model DIR`")


def describe(name: str) -> dict[str, Any]:
    """``{"base": ..., "adapter": folder or None, "weights": folder or id}`` for a model reference."""
    folder = store.model_dir(name)
    path = Path(name)
    if folder is None and (path / "tunesmith.json").is_file():
        folder = path
    if folder is not None:
        info = json.loads((folder / "tunesmith.json").read_text("utf-8"))
        if info.get("lora"):
            return {"base": info["base_model"], "adapter": str(folder), "weights": info["base_model"], "info": info}
        return {"base": info["base_model"], "adapter": None, "weights": str(folder), "info": info}
    return {"base": name, "adapter": None, "weights": name, "info": None}


def check(name: str) -> None:
    """Fail fast (before a job process starts) when ``name`` is no model this machine has."""
    ref = describe(name)
    if ref["adapter"] or ref["info"] is not None:
        return
    path = Path(name)
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise InputError(f"model {name!r}: the folder has no config.json, so it is not a Hugging Face model folder")
        return
    if name.startswith((".", "/", "~")) or "\\" in name or name.count("/") > 1:
        raise InputError(f"model {name!r}: no such folder")
    from huggingface_hub import try_to_load_from_cache

    try:
        found = try_to_load_from_cache(name, "config.json")
    except Exception as exc:  # an id the hub would reject
        raise _missing(name, exc) from None
    if not isinstance(found, str):
        raise _missing(name, FileNotFoundError("not in the cache"))


def quiet() -> None:
    """No progress bars or deprecation chatter from the libraries on the user's terminal."""
    import warnings

    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"(transformers|peft|trl|accelerate)\b")


def _device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _dtype() -> Any:
    import torch

    if torch.cuda.is_available():
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def load_tokenizer(name: str) -> Any:
    from transformers import AutoTokenizer

    quiet()
    ref = describe(name)
    source = ref["adapter"] or ref["weights"]
    try:
        tokenizer = AutoTokenizer.from_pretrained(source)
    except (OSError, ValueError) as exc:
        raise _missing(name, exc) from None
    if not getattr(tokenizer, "chat_template", None):
        raise InputError(f"model {name!r} has no chat template: pick a chat (instruct) model")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(name: str, *, merge: bool = False) -> Any:
    """The causal LM for ``name``; a LoRA model of ours is its base (loaded the same way) plus the adapter,
    as a PEFT model (merged when ``merge``)."""
    from transformers import AutoModelForCausalLM

    ref = describe(name)
    if ref["adapter"]:
        from peft import PeftModel

        model = PeftModel.from_pretrained(load_model(ref["base"], merge=True), ref["adapter"])
        return model.merge_and_unload() if merge else model
    try:
        return AutoModelForCausalLM.from_pretrained(ref["weights"], dtype=_dtype())
    except (OSError, ValueError) as exc:
        raise _missing(ref["weights"], exc) from None


def load_for_training(spec: dict[str, Any]) -> tuple[Any, Any]:
    """The model to train (a fine-tuned model of ours is merged first) and its tokenizer."""
    tokenizer = load_tokenizer(spec["model"])
    model = load_model(spec["model"], merge=True)
    if model.config.pad_token_id is None:
        model.config.pad_token_id = tokenizer.pad_token_id
    return model, tokenizer


@lru_cache(maxsize=4)
def for_chat(name: str) -> tuple[Any, Any]:
    """Model (in eval mode, on the GPU when there is one) and tokenizer, cached for repeated questions."""
    tokenizer = load_tokenizer(name)
    model = load_model(name).to(_device())
    model.eval()
    return model, tokenizer
