"""The yardstick: a straightforward checker in the style of the OpenAI Cookbook's data-prep notebook.

    python benchmarks/cookbook_checker.py FILE [--limit 65536] [--encoding o200k_base]

It does what the notebook ``Chat_finetuning_data_prep.ipynb`` documents (see
``FORMAT_RULES.md`` §7), written here from that description, plus the two things
the linter does that the notebook leaves out, so that both sides do the same job:

1. load every line with ``json.loads`` into a list (as the notebook does);
2. validate every record against ``schemas/chat.schema.json`` with python-jsonschema
   (``Draft202012Validator(...).iter_errors``);
3. count the notebook's format errors per key (``data_type``, ``missing_messages_list``,
   ``message_missing_key``, ``message_unrecognized_key``, ``unrecognized_role``,
   ``missing_content``, ``example_missing_assistant_message``);
4. count tokens with tiktoken on every message (3 per message, 1 per name, 3 per
   example; strings of content, text parts and tool calls, plus the tools
   definitions), on one thread, and report the distributions and the number of
   examples over ``--limit``.

Lines that are blank or not JSON are counted (the notebook would crash on them).
Prints one JSON document with the counts and statistics.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ALLOWED_MESSAGE_KEYS = {"role", "content", "name", "function_call", "weight"}
COOKBOOK_ROLES = {"system", "user", "assistant", "function"}


def load(path: Path) -> tuple[list[Any], dict[str, int]]:
    """Every line parsed with ``json.loads``; blank and unparsable lines are counted and skipped."""
    dataset: list[Any] = []
    problems: dict[str, int] = defaultdict(int)
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                problems["blank_line"] += 1
                continue
            try:
                dataset.append(json.loads(line))
            except json.JSONDecodeError:
                problems["invalid_json"] += 1
    return dataset, problems


def schema_errors(dataset: list[Any], schema: dict[str, Any]) -> dict[str, int]:
    """Records failing the JSON Schema, and error counts by schema keyword."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema)
    counts: dict[str, int] = defaultdict(int)
    for ex in dataset:
        errors = list(validator.iter_errors(ex))
        if errors:
            counts["invalid_records"] += 1
        for err in errors:
            counts[f"keyword:{err.validator}"] += 1
    return dict(counts)


def format_errors(dataset: list[Any]) -> dict[str, int]:
    """The notebook's format checks, counted per error key."""
    errors: dict[str, int] = defaultdict(int)
    for ex in dataset:
        if not isinstance(ex, dict):
            errors["data_type"] += 1
            continue
        messages = ex.get("messages")
        if not messages:
            errors["missing_messages_list"] += 1
            continue
        for message in messages:
            if not isinstance(message, dict):
                errors["message_missing_key"] += 1
                continue
            if "role" not in message or "content" not in message:
                errors["message_missing_key"] += 1
            if any(k not in ALLOWED_MESSAGE_KEYS for k in message):
                errors["message_unrecognized_key"] += 1
            if message.get("role") not in COOKBOOK_ROLES:
                errors["unrecognized_role"] += 1
            content = message.get("content")
            if (not content and not message.get("function_call")) or not isinstance(content, str):
                errors["missing_content"] += 1
        if not any(isinstance(m, dict) and m.get("role") == "assistant" for m in messages):
            errors["example_missing_assistant_message"] += 1
    return dict(errors)


def _message_strings(message: dict[str, Any]) -> list[str]:
    out = [v for k in ("role", "name") if isinstance(v := message.get(k), str)]
    content = message.get("content")
    if isinstance(content, str):
        out.append(content)
    elif isinstance(content, list):
        out.extend(p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    calls = message["tool_calls"] if isinstance(message.get("tool_calls"), list) else []
    fns = [c.get("function") for c in calls if isinstance(c, dict)] + [message.get("function_call")]
    out.extend(v for fn in fns if isinstance(fn, dict) for k in ("name", "arguments") if isinstance(v := fn.get(k), str))
    return out


def token_stats(dataset: list[Any], encoding_name: str, limit: int) -> dict[str, Any]:
    """Tokens per example and per assistant reply, as the notebook counts them, and the over-limit count."""
    sys.path.insert(0, str(ROOT))
    from toolkit.tokenizer import encoding

    enc = encoding(encoding_name)
    n_messages: list[int] = []
    totals: list[int] = []
    assistant: list[int] = []
    no_system = no_user = 0
    for ex in dataset:
        if not isinstance(ex, dict) or not isinstance(ex.get("messages"), list):
            continue
        messages = [m for m in ex["messages"] if isinstance(m, dict)]
        no_system += not any(m.get("role") == "system" for m in messages)
        no_user += not any(m.get("role") == "user" for m in messages)
        total = 3
        assistant_total = 0
        for m in messages:
            n = sum(len(enc.encode_ordinary(s)) for s in _message_strings(m))
            total += 3 + n + ("name" in m)
            if m.get("role") == "assistant":
                assistant_total += n
        tools = ex.get("tools", ex.get("functions"))
        if isinstance(tools, list) and tools:
            total += len(enc.encode_ordinary(json.dumps(tools, ensure_ascii=False, separators=(",", ":"))))
        n_messages.append(len(messages))
        totals.append(total)
        assistant.append(assistant_total)
    return {
        "examples_missing_system": no_system,
        "examples_missing_user": no_user,
        "messages_per_example": _distribution(n_messages),
        "tokens_per_example": _distribution(totals),
        "assistant_tokens_per_example": _distribution(assistant),
        "tokens_total": sum(totals),
        "over_limit": sum(t > limit for t in totals),
        "limit": limit,
    }


def _distribution(values: list[int]) -> dict[str, float]:
    if not values:
        return {}
    q = statistics.quantiles(values, n=10) if len(values) > 1 else [values[0]] * 9
    return {"min": min(values), "max": max(values), "mean": statistics.fmean(values),
            "median": statistics.median(values), "p10": q[0], "p90": q[-1]}


def check(path: Path, schema_path: Path, encoding_name: str, limit: int) -> dict[str, Any]:
    """Run every step on ``path`` and return the report."""
    dataset, load_problems = load(path)
    schema = json.loads(schema_path.read_text("utf-8"))
    return {
        "file": str(path),
        "examples": len(dataset),
        "load_problems": dict(load_problems),
        "schema": schema_errors(dataset, schema),
        "format_errors": format_errors(dataset),
        "tokens": token_stats(dataset, encoding_name, limit),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Cookbook-style checker (benchmark yardstick).")
    parser.add_argument("path", type=Path, help="JSONL file to check")
    parser.add_argument("--schema", type=Path, default=ROOT / "schemas" / "chat.schema.json")
    parser.add_argument("--encoding", default="o200k_base", help="tiktoken encoding (default o200k_base)")
    parser.add_argument("--limit", type=int, default=65_536, help="tokens per example (default 65536)")
    args = parser.parse_args(argv)
    json.dump(check(args.path, args.schema, args.encoding, args.limit), sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
