"""Load an RFT grader config (JSON) and check its shape before it is sent (FORMAT_RULES R-08)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import InputError

_REQUIRED: dict[str, tuple[str, ...]] = {
    "string_check": ("name", "input", "reference", "operation"),
    "text_similarity": ("name", "input", "reference", "evaluation_metric"),
    "python": ("name", "source"),
    "score_model": ("name", "input", "model"),
    "label_model": ("name", "model", "input", "labels", "passing_labels"),
    "multi": ("name", "graders", "calculate_output"),
}
_STRINGS = ("name", "input", "reference", "operation", "evaluation_metric", "source", "model",
            "calculate_output", "image_tag")
_ENUMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("string_check", "operation"): ("eq", "ne", "like", "ilike"),
    ("text_similarity", "evaluation_metric"): ("fuzzy_match", "bleu", "gleu", "meteor", "rouge_1", "rouge_2",
                                               "rouge_3", "rouge_4", "rouge_5", "rouge_l"),
}
_HINTS = {"neq": "ne", "equals": "eq", "cosine": "fuzzy_match (cosine is only available for evals)"}
PYTHON_SOURCE_LIMIT = 256 * 1024


def load_grader(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check a grader config; raise :class:`InputError` listing every problem."""
    p = Path(path)
    try:
        grader = json.loads(p.read_text("utf-8-sig"))
    except FileNotFoundError:
        raise InputError(f"{p}: grader file not found") from None
    except UnicodeDecodeError:
        raise InputError(f"{p}: grader file is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{p}:{exc.lineno}:{exc.colno}: grader config is not valid JSON: {exc.msg}") from None
    problems = list(grader_problems(grader))
    if problems:
        raise InputError(f"{p}: the grader config is not one the API accepts:\n  " + "\n  ".join(problems))
    return grader


def grader_problems(grader: Any, pointer: str = "", *, nested: bool = False) -> Iterator[str]:
    """Every shape problem in ``grader``, as ``/json/pointer: message`` strings."""
    where = pointer or "/"
    if not isinstance(grader, dict):
        yield f"{where}: a grader must be a JSON object"
        return
    kind = grader.get("type")
    allowed = [k for k in _REQUIRED if nested or k != "label_model"]
    if kind == "label_model" and not nested:
        yield f"{pointer}/type: label_model is only allowed inside a multi grader's graders"
        return
    if kind not in allowed:
        yield f"{pointer}/type: must be one of {', '.join(allowed)} (got {kind!r})"
        return
    for key in _REQUIRED[kind]:
        if key not in grader:
            yield f"{pointer}/{key}: required for a {kind} grader"
    messages_input = kind in ("score_model", "label_model")  # their input is a list of messages
    for key in _STRINGS:
        if key in grader and not (messages_input and key == "input") and not isinstance(grader[key], str):
            yield f"{pointer}/{key}: must be a string"
    for (k, key), values in _ENUMS.items():
        value = grader.get(key)
        if k == kind and isinstance(value, str) and value not in values:
            hint = f" (did you mean {_HINTS[value]}?)" if value in _HINTS else ""
            yield f"{pointer}/{key}: {value!r} is not one of {', '.join(values)}{hint}"
    yield from _specific(kind, grader, pointer)


def _specific(kind: str, grader: dict[str, Any], pointer: str) -> Iterator[str]:
    if kind == "python" and isinstance(grader.get("source"), str):
        size = len(grader["source"].encode("utf-8"))
        if size >= PYTHON_SOURCE_LIMIT:
            yield f"{pointer}/source: {size} bytes; python grader source must be under 256 KB"
        if "def grade(" not in grader["source"]:
            yield f"{pointer}/source: must define grade(sample, item) returning a float"
    if kind in ("score_model", "label_model"):
        yield from _messages(grader.get("input"), f"{pointer}/input")
    if kind == "score_model" and "range" in grader:
        rng = grader["range"]
        if not (isinstance(rng, list) and len(rng) == 2 and all(_number(v) for v in rng) and rng[0] < rng[1]):
            yield f"{pointer}/range: must be [low, high] with low < high"
    if kind == "label_model":
        for key in ("labels", "passing_labels"):
            if key in grader and not (isinstance(grader[key], list) and all(isinstance(v, str) for v in grader[key])):
                yield f"{pointer}/{key}: must be a list of strings"
    if kind == "multi":
        graders = grader.get("graders")
        if isinstance(graders, dict) and "type" not in graders:  # the guides' form: {name: grader}
            if not graders:
                yield f"{pointer}/graders: must hold at least one grader"
            for name, sub in graders.items():
                yield from grader_problems(sub, f"{pointer}/graders/{name}", nested=True)
        elif graders is not None:  # the spec's form: one grader
            yield from grader_problems(graders, f"{pointer}/graders", nested=True)


def _messages(value: Any, pointer: str) -> Iterator[str]:
    if not isinstance(value, list) or not value:
        yield f"{pointer}: must be a non-empty list of messages"
        return
    for i, msg in enumerate(value):
        if not isinstance(msg, dict) or "role" not in msg or "content" not in msg:
            yield f"{pointer}/{i}: each message needs role and content"


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
