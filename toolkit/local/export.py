"""A finished local job's result: the adapter (or full model) and tokenizer under ``local/models/<id>``."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from . import store


def model_id(spec: dict[str, Any]) -> str:
    """``ft-local-<base>[-<suffix>]-<job hex>``: unique, readable, fit for a folder name."""
    suffix = f"-{spec['suffix']}" if spec.get("suffix") else ""
    return f"ft-local-{store.slug(spec['model'])}{suffix}-{spec['id'].rsplit('-', 1)[-1]}"


def save_result(trainer: Any, tokenizer: Any, spec: dict[str, Any]) -> tuple[str, Path]:
    """Save the trained weights (and, with ``merge``, a merged full model in ``merged/``)."""
    name = model_id(spec)
    folder = store.models_dir() / name
    folder.mkdir(parents=True, exist_ok=True)
    trainer.save_model(str(folder))
    tokenizer.save_pretrained(str(folder))
    lora = not spec.get("full")
    base = spec["model"]
    info = {"base_model": _base(base), "trained_from": base, "job_id": spec["id"], "method": spec["method"],
            "lora": lora, "created_at": int(time.time()), "training_sha256": spec.get("training_sha256")}
    if spec.get("merge") and lora:
        merged = trainer.model.merge_and_unload()
        merged.save_pretrained(str(folder / "merged"))
        tokenizer.save_pretrained(str(folder / "merged"))
        info["merged"] = str(folder / "merged")
    (folder / "tunesmith.json").write_text(json.dumps(info, indent=2), "utf-8")
    return name, folder


def _base(name: str) -> str:
    """The base a LoRA adapter is applied to: for a model trained here, its merged weights' base chain."""
    from .loading import describe

    ref = describe(name)
    if ref["info"] is None:
        return str(Path(name).resolve()) if Path(name).is_dir() else name
    return name  # continued training: the adapter applies to the (merged) earlier fine-tuned model
