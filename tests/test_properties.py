"""Property tests: valid data never errors, mutations are caught by the rule that names them,
and no input crashes the linter."""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

from hypothesis import HealthCheck, assume, given, reject, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from toolkit import schemas
from toolkit.config import Settings
from toolkit.engine import Linter
from toolkit.rules import RULES, load_all

load_all()
# File-level counts are not about one record: a handful of generated records is a tiny file.
LINTER = Linter(Settings(ignore=("F060", "F070", "F130")))
SETTINGS = settings(deadline=None, suppress_health_check=list(HealthCheck))

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30).filter(
    lambda s: bool(s.strip()) and "<|" not in s)
IDS = st.from_regex(r"call_[a-z0-9]{4,8}", fullmatch=True)
NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True)


def lint_records(records: list[dict[str, Any]]) -> list[Any]:
    data = b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records)
    return LINTER.lint_bytes(data, name="gen.jsonl").diagnostics


def errors(diags: list[Any]) -> list[tuple[str, int | None, str | None, str]]:
    return [(d.rule, d.line, d.pointer, d.message) for d in diags if d.severity.value == "error"]


def utf8_clean(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# -- realistic valid chat records ---------------------------------------------------------


@st.composite
def tool_round(draw: st.DrawFn, tool_names: list[str]) -> list[dict[str, Any]]:
    n = draw(st.integers(1, 2))
    ids = draw(st.lists(IDS, min_size=n, max_size=n, unique=True))
    calls = [{"id": i, "type": "function", "function": {
        "name": draw(st.sampled_from(tool_names)),
        "arguments": json.dumps(draw(st.dictionaries(NAMES, st.integers() | TEXT, max_size=3)))}} for i in ids]
    results = [{"role": "tool", "tool_call_id": i, "content": draw(TEXT)} for i in ids]
    return [{"role": "assistant", "tool_calls": calls}, *results]


@st.composite
def chat_record(draw: st.DrawFn) -> dict[str, Any]:
    tool_names = draw(st.lists(NAMES, min_size=1, max_size=3, unique=True))
    use_tools = draw(st.booleans())
    messages: list[dict[str, Any]] = [{"role": "system", "content": draw(TEXT)}]
    for _ in range(draw(st.integers(1, 3))):
        user: dict[str, Any] = {"role": "user", "content": draw(TEXT)}
        if draw(st.booleans()):
            user["content"] = [{"type": "text", "text": draw(TEXT)}]
        messages.append(user)
        if use_tools and draw(st.booleans()):
            messages.extend(draw(tool_round(tool_names)))
        reply: dict[str, Any] = {"role": "assistant", "content": draw(TEXT)}
        if draw(st.booleans()):
            reply["weight"] = draw(st.sampled_from([0, 1]))
        messages.append(reply)
    messages[-1]["weight"] = 1  # at least one trained answer
    record: dict[str, Any] = {"messages": messages}
    if use_tools:
        record["tools"] = [{"type": "function", "function": {
            "name": n, "description": draw(TEXT), "parameters": {"type": "object", "properties": {}}}}
            for n in tool_names]
        if draw(st.booleans()):
            record["parallel_tool_calls"] = True
    return record


@SETTINGS
@given(st.lists(chat_record(), min_size=1, max_size=4))
def test_valid_chat_records_never_error(records: list[dict[str, Any]]) -> None:
    for r in records:
        assert schemas.validator("chat").is_valid(r)
    assert errors(lint_records(records)) == []


# -- messages generated from the project's own schemas -------------------------------------


@cache
def from_def(fmt: str, name: str) -> st.SearchStrategy[Any]:
    """hypothesis-jsonschema strategy for one $def of a project schema (whole-record schemas,
    with their per-role routing, are too slow for it to canonicalise)."""
    schema = schemas.load_schema(fmt)
    return from_schema({"$defs": schema["$defs"], "$ref": f"#/$defs/{name}"})


# Rules that check what JSON Schema cannot express (cross-references, provider limits, text content):
# a schema-valid record may still break them, and that is the reason they exist.
BEYOND_SCHEMA = {"C080", "C150", "F100", "C101", "C215", "C213", "R040", "P021", "C153"}


# hypothesis-jsonschema draws these messages slowly (~0.2 s a user message): 30 examples, not the profile's 50
@settings(SETTINGS, max_examples=30)
@given(system=from_def("chat", "systemMessage"), user=from_def("chat", "userMessage"),
       tool=from_def("chat", "toolMessage"), definition=from_def("chat", "tool"))
def test_schema_generated_messages_get_no_structural_error(system: dict[str, Any], user: dict[str, Any],
                                                            tool: dict[str, Any], definition: dict[str, Any]) -> None:
    tool = {**tool, "tool_call_id": "call_1"}
    record = {"messages": [system, user,
                           {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {
                               "name": definition["function"]["name"], "arguments": "{}"}}]},
                           tool, {"role": "assistant", "content": "done"}],
              "tools": [definition]}
    assume(utf8_clean(record))
    assert schemas.validator("chat").is_valid(record)
    found = errors(lint_records([record]))
    assert not [e for e in found if RULES[e[0]].structural or e[0] == "S001"], found
    assert not [e for e in found if e[0] not in BEYOND_SCHEMA], found


# -- mutations are caught by the rule that names them -------------------------------------


def _first(record: dict[str, Any], role: str) -> int:
    return next(i for i, m in enumerate(record["messages"]) if m["role"] == role)


def _last_text_reply(record: dict[str, Any]) -> int:
    return max(i for i, m in enumerate(record["messages"]) if m["role"] == "assistant" and "content" in m)


def _tool_message(record: dict[str, Any]) -> int | None:
    return next((i for i, m in enumerate(record["messages"]) if m["role"] == "tool"), None)


def mutate(kind: str, record: dict[str, Any]) -> tuple[dict[str, Any], str, str | None] | None:
    """Apply one mutation; return (mutated record, expected rule, expected pointer) or None if n/a."""
    r = copy.deepcopy(record)
    msgs = r["messages"]
    if kind == "drop-content":
        i = _last_text_reply(r)
        del msgs[i]["content"]
        return r, "C050", f"/messages/{i}"
    if kind == "human-role":
        i = _first(r, "user")
        msgs[i]["role"] = "human"
        return r, "C030", f"/messages/{i}/role"
    if kind == "top-level-weight":
        r["weight"] = 1
        return r, "C020", "/weight"
    if kind == "fractional-weight":
        i = _last_text_reply(r)
        msgs[i]["weight"] = 0.5
        return r, "C101", f"/messages/{i}/weight"
    if kind == "weight-on-user":
        i = _first(r, "user")
        msgs[i]["weight"] = 1
        return r, "C100", f"/messages/{i}/weight"
    if kind == "unknown-message-key":
        i = _first(r, "system")
        msgs[i]["timestamp"] = 123
        return r, "C040", f"/messages/{i}/timestamp"
    if kind == "content-number":
        i = _first(r, "user")
        msgs[i]["content"] = 42
        return r, "C060", f"/messages/{i}/content"
    if kind == "empty-messages":
        r["messages"] = []
        return r, "C010", "/messages"
    if kind == "special-token":
        i = _first(r, "user")
        msgs[i]["content"] = "please <|endoftext|> now"
        return r, "F100", f"/messages/{i}/content"
    if kind == "unmatched-tool-id":
        tool = _tool_message(r)
        if tool is None:
            return None
        msgs[tool]["tool_call_id"] = "call_nowhere"
        return r, "C150", f"/messages/{tool}/tool_call_id"
    if kind == "arguments-object":
        caller = next((j for j, m in enumerate(msgs) if m.get("tool_calls")), None)
        if caller is None:
            return None
        msgs[caller]["tool_calls"][0]["function"]["arguments"] = {"x": 1}
        return r, "C140", f"/messages/{caller}/tool_calls/0/function/arguments"
    raise AssertionError(kind)


MUTATIONS = ["drop-content", "human-role", "top-level-weight", "fractional-weight", "weight-on-user",
             "unknown-message-key", "content-number", "empty-messages", "special-token", "unmatched-tool-id",
             "arguments-object"]


@SETTINGS
@given(chat_record(), st.sampled_from(MUTATIONS))
def test_mutations_are_caught_by_the_rule_that_names_them(record: dict[str, Any], kind: str) -> None:
    mutated = mutate(kind, record)
    if mutated is None:
        reject()
    value, rule, pointer = mutated
    found = [(d.rule, d.pointer) for d in lint_records([value])]
    assert (rule, pointer) in found, (kind, found)


# -- nothing crashes -------------------------------------------------------------------------


@settings(deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_crash_the_linter(data: bytes) -> None:
    result = LINTER.lint_bytes(data)
    assert all(d.rule in RULES for d in result.diagnostics)


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                               st.sampled_from(["messages", "role", "content", "weight", "tool_calls", "tools",
                                                "function", "arguments", "id", "type", "input", "preferred_output",
                                                "non_preferred_output", "prompt", "completion", "name", "text",
                                                "image_url", "url", "tool_call_id", "x"]), inner, max_size=5),
                           max_leaves=25)


@settings(deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(JSON_VALUES, min_size=1, max_size=5), st.sampled_from(["openai", "azure"]),
       st.sampled_from([None, "supervised", "dpo", "reinforcement"]))
def test_arbitrary_json_never_crashes_any_rule(values: list[Any], provider: str, method: str | None) -> None:
    linter = Linter(Settings(provider=provider, method=method))
    data = b"".join(json.dumps(v).encode() + b"\n" for v in values)
    result = linter.lint_bytes(data)
    assert all(d.rule in RULES for d in result.diagnostics)
