"""A local job's JSONL files -> the datasets its trainer takes (SFT: ids and masks; DPO: conversations)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import formats
from ..errors import InputError
from ..plural import plural
from .render import clean, encode


def read_records(path: str | Path) -> list[dict[str, Any]]:
    """Every record of a JSONL file; a line that is not a JSON object is an error naming it."""
    from ..reader import JsonlReader, ParseProblem

    records = []
    for item in JsonlReader(path):
        if isinstance(item, ParseProblem):
            raise InputError(f"{path}:{item.line}: {item.message} (run `tunesmith lint {path}`)")
        if not isinstance(item.value, dict):
            raise InputError(f"{path}:{item.line}: expected a JSON object")
        records.append(item.value)
    if not records:
        raise InputError(f"{path}: no examples")
    return records


def sft_dataset(records: list[dict[str, Any]], tokenizer: Any, *, max_length: int | None, name: str
                ) -> tuple[Any, list[str]]:
    """``input_ids`` and ``labels`` (-100 for every token that is not trained), plus notes."""
    import numpy as np
    from datasets import Dataset

    ids, masks, notes = [], [], []
    truncated = skipped = 0
    for number, record in enumerate(records, 1):
        if "messages" not in record:
            raise InputError(f"{name}:{number}: local supervised training takes chat records ({{\"messages\": "
                             f"[...]}}); for a prompt/completion file, {formats.COMPLETION_TO_CHAT}")
        enc = encode(tokenizer, record, max_length=max_length)
        truncated += enc.truncated
        if not enc.mask.any():
            skipped += 1
            continue
        ids.append(enc.input_ids.tolist())
        masks.append(np.where(enc.mask == 1, enc.input_ids, -100).tolist())
    if truncated:
        were = "was" if truncated == 1 else "were"
        notes.append(f"{name}: {plural(truncated, 'example')} longer than {max_length} tokens {were} truncated from the end")
    if skipped:
        were = "was" if skipped == 1 else "were"
        notes.append(f"{name}: {plural(skipped, 'example')} with no trained assistant token (all weight 0) {were} skipped")
    if not ids:
        raise InputError(f"{name}: no example has an assistant turn to train on")
    return Dataset.from_dict({"input_ids": ids, "labels": masks}), notes


def dpo_dataset(records: list[dict[str, Any]], *, name: str) -> Any:
    """Conversational ``prompt``/``chosen``/``rejected`` columns from OpenAI preference records."""
    from datasets import Dataset

    rows: dict[str, list[Any]] = {"prompt": [], "chosen": [], "rejected": []}
    for number, record in enumerate(records, 1):
        inp = record.get("input")
        good, bad = record.get("preferred_output"), record.get("non_preferred_output")
        if not isinstance(inp, dict) or not isinstance(good, list) or not isinstance(bad, list):
            raise InputError(f"{name}:{number}: DPO needs preference records (input, preferred_output, "
                             "non_preferred_output)")
        rows["prompt"].append(clean(inp.get("messages") or []))
        rows["chosen"].append(clean(good))
        rows["rejected"].append(clean(bad))
    return Dataset.from_dict(rows)


def datasets_for(spec: dict[str, Any], tokenizer: Any) -> tuple[Any, Any, list[str]]:
    """The training and validation datasets of a job spec, and notes for its events."""
    max_length = spec.get("max_length")
    out: list[Any] = []
    notes: list[str] = []
    for key in ("training_path", "validation_path"):
        path = spec.get(key)
        if not path:
            out.append(None)
            continue
        name = spec.get(key.replace("_path", "_name")) or path
        records = read_records(path)
        if spec["method"] == "dpo":
            out.append(dpo_dataset(records, name=name))
        else:
            data, more = sft_dataset(records, tokenizer, max_length=max_length, name=name)
            out.append(data)
            notes += more
    return out[0], out[1], notes
