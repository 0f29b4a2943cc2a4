"""Any JSON value in any field of a record: lint and stats report, never crash (issue 9)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit import stats
from toolkit.config import Settings
from toolkit.engine import Linter
from toolkit.errors import ToolkitError

SETTINGS = settings(deadline=None, suppress_health_check=list(HealthCheck))
LINTERS = [Linter(Settings(provider=p, method=m)) for p in ("openai", "azure") for m in (None, "reinforcement")]

SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
JSON = st.recursive(SCALARS, lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=6), kids,
                                                                                         max_size=3), max_leaves=8)
# Records of every format whose every field (at any depth) may be swapped for an arbitrary JSON value.
TEMPLATES: list[Any] = [
    {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": [
        {"type": "text", "text": "q"}, {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBO",
                                                                          "detail": "low"}}]},
        {"role": "assistant", "content": None, "weight": 1, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "r"}, {"role": "assistant", "content": "a"}],
     "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
     "functions": [{"name": "g"}], "parallel_tool_calls": False},
    {"input": {"messages": [{"role": "user", "content": "q"}]}, "preferred_output": [
        {"role": "assistant", "content": "a"}], "non_preferred_output": [{"role": "assistant", "content": "b"}]},
    {"messages": [{"role": "developer", "content": "d"}, {"role": "user", "content": "q"}], "answer": "4"},
    {"prompt": "p", "completion": " c"},
    {"conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}], "system": "s"},
    {"instruction": "i", "input": "", "output": "o"},
]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = json.loads(json.dumps(value))
    node = copy
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = new
    return copy


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    record = draw(st.sampled_from(TEMPLATES))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(record)
        record = _replace(record, draw(st.sampled_from(paths)), draw(JSON))
    return record


@SETTINGS
@given(st.lists(mutated(), min_size=1, max_size=4))
def test_any_value_in_any_field_never_crashes_lint_or_stats(tmp_path_factory, records):
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8", "surrogatepass")
    for linter in LINTERS:
        result = linter.lint_bytes(data, name="any.jsonl")
        assert all(d.message for d in result.diagnostics)
    path = tmp_path_factory.mktemp("any") / "any.jsonl"
    path.write_bytes(data)
    for provider in ("openai", "azure"):
        try:
            result = stats.compute(path, provider=provider, workers=1)
        except ToolkitError as exc:  # e.g. a file in another trainer's format: a message, not a crash
            assert str(exc)
            continue
        assert result.examples + result.unreadable == len(records)


def test_roles_that_are_arrays_or_objects_are_reported(tmp_path):
    record = {"messages": [{"role": ["user"], "content": "q"}, {"role": {"r": "assistant"}, "content": "a"},
                           {"role": "developer", "content": "d"}], "answer": 1}
    data = (json.dumps(record) + "\n").encode()
    diags = Linter(Settings()).lint_bytes(data).diagnostics
    assert {d.pointer for d in diags if d.rule == "C030"} >= {"/messages/0/role", "/messages/1/role"}
    path = tmp_path / "r.jsonl"
    path.write_bytes(data)
    assert stats.compute(path, workers=1).examples == 1


@SETTINGS
@given(st.lists(mutated(), min_size=1, max_size=3))
def test_any_value_in_any_field_never_crashes_convert(tmp_path_factory, records):
    from toolkit.convert import convert, trainers
    from toolkit.errors import ToolkitError

    folder = tmp_path_factory.mktemp("conv")
    src = folder / "in.jsonl"
    src.write_bytes("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8", "surrogatepass"))
    for k, fmt in enumerate(trainers.READERS):
        try:
            convert(src, folder / f"from{k}.jsonl", from_format=fmt)
        except ToolkitError as exc:
            assert "in.jsonl" in str(exc)
    for k, fmt in enumerate(trainers.WRITERS):
        try:
            convert(src, folder / f"to{k}.json", to_format=fmt)
        except ToolkitError as exc:
            assert "in.jsonl" in str(exc)
