"""Write a deterministic, realistic chat fine-tuning dataset for the benchmarks.

    python benchmarks/generate.py --examples 100000 --seed 1 -o benchmarks/data/bench_100k.jsonl

The same ``--examples`` and ``--seed`` always give the same bytes. The mix:
single-turn and multi-turn chats (system + 1..8 user/assistant pairs), tool calls
with ``tools`` definitions and tool results, a few legacy ``functions`` examples
and image parts, weights 0/1 on assistant turns, ``name`` fields, prose in
English and seven other languages (CJK included) with emoji, code and lists, and
message lengths drawn from a lognormal, so most examples are short and a few are
long. On top of that, per 10,000 examples: one example far over a 65,536-token
context and one large example (well over 65,536 bytes) that stays under it; and
per 1,000 examples one broken line (truncated JSON, an unknown role, a top-level
``weight``, a blank line, or an assistant message without content).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import string
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import prose

BROKEN_KINDS = ("truncated-json", "unknown-role", "top-level-weight", "blank-line", "assistant-without-content")
OVER_LIMIT_WORDS = (90_000, 150_000)   # ≥ 1 token per word: always over 65,536 tokens
LARGE_UNDER_WORDS = (20_000, 40_000)   # > 65,536 bytes, < 65,536 tokens
_ALNUM = string.ascii_letters + string.digits


def _words(rng: random.Random, mu: float, sigma: float, cap: int = 6000) -> int:
    return min(cap, max(2, int(rng.lognormvariate(mu, sigma))))


def _user(rng: random.Random, lang: str, names: bool) -> dict[str, Any]:
    msg: dict[str, Any] = {"role": "user", "content": prose.text(rng, _words(rng, 2.6, 0.9), lang)}
    if names:
        msg["name"] = prose.short_name(rng)
    return msg


def _assistant(rng: random.Random, lang: str) -> dict[str, Any]:
    return {"role": "assistant", "content": prose.text(rng, _words(rng, 3.2, 1.1), lang)}


def _system(rng: random.Random, shared: list[str]) -> dict[str, Any] | None:
    roll = rng.random()
    if roll < 0.6:
        return {"role": "system", "content": rng.choice(shared)}
    if roll < 0.85:
        return {"role": "system", "content": prose.text(rng, _words(rng, 3.3, 0.7), "en")}
    return None


def _lang(rng: random.Random) -> str:
    return rng.choices(prose.LANGUAGES, weights=prose.LANGUAGE_WEIGHTS)[0]


def chat(rng: random.Random, shared: list[str], turns: int) -> dict[str, Any]:
    """A chat with ``turns`` user/assistant pairs, sometimes with weights and names."""
    lang = _lang(rng)
    names = rng.random() < 0.05
    messages = [m for m in (_system(rng, shared),) if m]
    for _ in range(turns):
        messages.append(_user(rng, lang, names))
        messages.append(_assistant(rng, lang))
    if turns > 1 and rng.random() < 0.35:
        assistants = [m for m in messages if m["role"] == "assistant"]
        for m in assistants[:-1]:
            m["weight"] = rng.choice((0, 1))
        assistants[-1]["weight"] = 1
    return {"messages": messages}


def _param(rng: random.Random) -> dict[str, Any]:
    kind = rng.choice(("string", "string", "integer", "number", "boolean", "enum", "array"))
    desc = prose.sentence(rng, "en")
    if kind == "enum":
        return {"type": "string", "enum": [prose.word(rng) for _ in range(rng.randrange(2, 5))], "description": desc}
    if kind == "array":
        return {"type": "array", "items": {"type": "string"}, "description": desc}
    return {"type": kind, "description": desc}


def tool_pool(rng: random.Random, size: int = 40) -> list[dict[str, Any]]:
    """Function tool definitions shared by the tool-calling examples."""
    pool = []
    for _ in range(size):
        props = {prose.identifier(rng, 1) + f"_{i}": _param(rng) for i in range(rng.randrange(1, 6))}
        pool.append({"type": "function", "function": {
            "name": prose.identifier(rng, 3),
            "description": prose.paragraph(rng, "en", rng.randrange(1, 3)),
            "parameters": {"type": "object", "properties": props,
                           "required": sorted(rng.sample(sorted(props), rng.randrange(1, len(props) + 1)))},
        }})
    return pool


def _arguments(rng: random.Random, params: dict[str, Any]) -> str:
    args: dict[str, Any] = {}
    for key, spec in params["properties"].items():
        kind = spec["type"]
        if "enum" in spec:
            args[key] = rng.choice(spec["enum"])
        elif kind == "integer":
            args[key] = rng.randrange(10_000)
        elif kind == "number":
            args[key] = round(rng.uniform(-1000, 1000), 3)
        elif kind == "boolean":
            args[key] = rng.random() < 0.5
        elif kind == "array":
            args[key] = [prose.word(rng) for _ in range(rng.randrange(1, 4))]
        else:
            args[key] = prose.sentence(rng, _lang(rng))[:60]
    return json.dumps(args, ensure_ascii=False)


def _call_id(rng: random.Random) -> str:
    return "call_" + "".join(rng.choices(_ALNUM, k=24))


def _tool_result(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return json.dumps({prose.identifier(rng, 1): rng.randrange(1000), "status": rng.choice(("ok", "partial")),
                           "summary": prose.paragraph(rng, _lang(rng), rng.randrange(1, 4))}, ensure_ascii=False)
    return prose.text(rng, _words(rng, 3.5, 0.8))


def tool_chat(rng: random.Random, shared: list[str], tools: list[dict[str, Any]]) -> dict[str, Any]:
    """User asks, assistant calls 1..3 tools, tool results come back, assistant answers; maybe repeated."""
    lang = _lang(rng)
    offered = rng.sample(tools, rng.randrange(1, 4))
    messages = [m for m in (_system(rng, shared),) if m]
    for _ in range(rng.choice((1, 1, 1, 2))):
        messages.append(_user(rng, lang, False))
        calls = [{"id": _call_id(rng), "type": "function",
                  "function": {"name": t["function"]["name"], "arguments": _arguments(rng, t["function"]["parameters"])}}
                 for t in rng.choices(offered, k=rng.choice((1, 1, 1, 2, 3)))]
        call_msg: dict[str, Any] = {"role": "assistant", "tool_calls": calls}
        if rng.random() < 0.2:
            call_msg["content"] = prose.sentence(rng, lang)
        messages.append(call_msg)
        messages.extend({"role": "tool", "tool_call_id": c["id"], "content": _tool_result(rng)} for c in calls)
        messages.append(_assistant(rng, lang))
    record: dict[str, Any] = {"messages": messages, "tools": offered}
    if rng.random() < 0.3:
        single = all(len(m.get("tool_calls", ())) < 2 for m in messages)
        record["parallel_tool_calls"] = not single or rng.random() < 0.5
    return record


def function_chat(rng: random.Random, tools: list[dict[str, Any]]) -> dict[str, Any]:
    """Legacy ``functions`` / ``function_call`` example."""
    fn = rng.choice(tools)["function"]
    return {"messages": [
        {"role": "system", "content": prose.sentence(rng, "en")},
        {"role": "user", "content": prose.text(rng, _words(rng, 3.0, 0.7), "en")},
        {"role": "assistant", "content": None,
         "function_call": {"name": fn["name"], "arguments": _arguments(rng, fn["parameters"])}},
        {"role": "function", "name": fn["name"], "content": _tool_result(rng)},
        {"role": "assistant", "content": prose.text(rng, _words(rng, 3.8, 0.8), "en")},
    ], "functions": [fn]}


def image_chat(rng: random.Random) -> dict[str, Any]:
    """A user message with a text part and an image part."""
    url = f"https://images.example.com/{prose.identifier(rng)}/{rng.randrange(10**6)}.png"
    return {"messages": [
        {"role": "user", "content": [{"type": "text", "text": prose.sentence(rng, "en")},
                                     {"type": "image_url",
                                      "image_url": {"url": url, "detail": rng.choice(("low", "high", "auto"))}}]},
        {"role": "assistant", "content": prose.text(rng, _words(rng, 3.5, 0.8), "en")},
    ]}


def long_document(rng: random.Random, shared: list[str], words: int) -> dict[str, Any]:
    """A summarisation example whose user message holds a document of ``words`` words."""
    doc = prose.text(rng, words, "en")
    return {"messages": [m for m in (_system(rng, shared),) if m] + [
        {"role": "user", "content": "Summarize the following report in five bullet points.\n\n" + doc},
        {"role": "assistant", "content": "\n".join(f"- {prose.sentence(rng, 'en')}" for _ in range(5))},
    ]}


def example(rng: random.Random, shared: list[str], tools: list[dict[str, Any]]) -> dict[str, Any]:
    """One ordinary example of a random kind."""
    roll = rng.random()
    if roll < 0.45:
        return chat(rng, shared, 1)
    if roll < 0.78:
        return chat(rng, shared, rng.randrange(2, 9))
    if roll < 0.97:
        return tool_chat(rng, shared, tools)
    if roll < 0.985:
        return function_chat(rng, tools)
    return image_chat(rng)


def broken(rng: random.Random, kind: str, record: dict[str, Any]) -> str:
    """Damage ``record`` in the way ``kind`` names; return the line."""
    if kind == "blank-line":
        return ""
    if kind == "truncated-json":
        line = json.dumps(record, ensure_ascii=False)
        return line[: rng.randrange(10, max(11, len(line) - 2))]
    if kind == "unknown-role":
        rng.choice(record["messages"])["role"] = rng.choice(("human", "gpt", "bot", "User", "model"))
    elif kind == "top-level-weight":
        record["weight"] = 1
    else:  # assistant-without-content
        record["messages"] = [m for m in record["messages"] if "tool_calls" not in m and m["role"] != "tool"]
        for m in record["messages"]:
            if m["role"] == "assistant":
                m.pop("content", None)
                break
        record.pop("tools", None)
        record.pop("parallel_tool_calls", None)
    return json.dumps(record, ensure_ascii=False)


def serialize(rng: random.Random, record: dict[str, Any]) -> str:
    """JSON the way different tools write it: raw UTF-8, ``\\u`` escapes, or compact."""
    roll = rng.random()
    if roll < 0.65:
        return json.dumps(record, ensure_ascii=False)
    if roll < 0.9:
        return json.dumps(record)
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def plan(examples: int) -> dict[str, int]:
    """How many special lines a file of ``examples`` lines gets."""
    return {"examples": examples, "over_limit": examples // 10_000, "large_under_limit": examples // 10_000,
            "broken": examples // 1000}


def generate(examples: int, seed: int, out: Path) -> dict[str, int]:
    """Write ``examples`` lines to ``out`` (atomically); return counts of the special lines."""
    rng = random.Random(seed)
    shared = [prose.text(rng, _words(rng, 3.6, 0.6), "en") for _ in range(20)]
    tools = tool_pool(rng)
    counts = plan(examples)
    k = counts["over_limit"]
    positions = rng.sample(range(examples), 2 * k + counts["broken"])
    over, large, bad = set(positions[:k]), set(positions[k:2 * k]), positions[2 * k:]
    bad_kind = {pos: BROKEN_KINDS[i % len(BROKEN_KINDS)] for i, pos in enumerate(bad)}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + f".{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        for i in range(examples):
            if i in over:
                line = serialize(rng, long_document(rng, shared, rng.randrange(*OVER_LIMIT_WORDS)))
            elif i in large:
                line = serialize(rng, long_document(rng, shared, rng.randrange(*LARGE_UNDER_WORDS)))
            elif i in bad_kind:
                line = broken(rng, bad_kind[i], chat(rng, shared, rng.randrange(1, 3)))
            else:
                line = serialize(rng, example(rng, shared, tools))
            fh.write(line + "\n")
    os.replace(tmp, out)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=100_000, help="lines to write (default 100000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="JSONL file to write")
    args = parser.parse_args(argv)
    if args.examples < 1:
        parser.error("--examples must be at least 1")
    counts = generate(args.examples, args.seed, args.output)
    size = args.output.stat().st_size
    print(f"{args.output}: {counts['examples']} lines, {size / 1e6:.1f} MB, {counts['over_limit']} over a "
          f"65,536-token context, {counts['large_under_limit']} large but under it, {counts['broken']} broken lines")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
