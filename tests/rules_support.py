"""Helpers for the chat and tool rule tests: run one case through the real engine, call rules on odd values."""

from __future__ import annotations

import json
import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from family_support import context, run_record_rule

from toolkit import schemas
from toolkit.config import Settings
from toolkit.diagnostics import Diagnostic
from toolkit.engine import Linter
from toolkit.rules import RULES
from toolkit.rules.registry import Finding

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
# A clean record of each format, written on line 1 so that the case under test sits on line 2.
VALID = {
    "chat": '{"messages":[{"role":"system","content":"s"},{"role":"user","content":"hi"},'
            '{"role":"assistant","content":"yo"}]}',
    "reinforcement": '{"messages":[{"role":"developer","content":"d"},{"role":"user","content":"q"}],"answer":"4"}',
}
ODD_IMAGE_URLS: list[Any] = [None, 5, [], "x", {"url": None}, {"url": 5, "detail": []},
                              {"url": "data:image/", "detail": {}}, {"url": "data:"}]
# Values of every JSON type in places where rules expect objects, arrays or strings.
ODD_RECORDS: list[Any] = [
    None, 5, "text", [], {}, {"messages": None}, {"messages": "hello"}, {"messages": 7}, {"messages": {}},
    {"messages": [None, 5, "x", [], True]},
    {"messages": [{k: None for k in ("role", "content", "name", "weight", "tool_calls", "function_call",
                                     "tool_call_id", "refusal", "audio")}],
     "tools": [{"type": None, "function": {"name": None, "parameters": None, "strict": None}}],
     "functions": [{"name": None, "parameters": None}], "parallel_tool_calls": None},
    {"messages": [{"role": r, **{k: None for k in ("content", "name", "weight", "tool_calls", "function_call",
                                                   "tool_call_id")}} for r in ("system", "developer", "user",
                                                                               "assistant", "tool", "function")]},
    {"messages": [{"role": None, "content": None}, {"role": 5}, {"role": ["user"]}, {"role": {"a": 1}}]},
    {"messages": [{"role": "user", "content": {"text": "hi"}, "name": 5, "weight": None}]},
    {"messages": [{"role": "user", "content": [None, 1, "x", {"type": None}, {"type": ["text"]}, {"type": {"a": 1}},
                                                {"type": "text", "text": None}, {"type": "image_url"}]}]},
    {"messages": [{"role": "assistant", "content": None, "tool_calls": "calls", "function_call": "call",
                   "weight": {"w": 1}}]},
    {"messages": [{"role": "assistant", "tool_calls": [None, 5, "x", {"id": None, "type": None, "function": None},
                                                       {"id": {}, "function": {"name": None, "arguments": None}},
                                                       {"id": "a", "type": "function",
                                                        "function": {"name": [], "arguments": "{"}}]}]},
    {"messages": [{"role": "assistant", "function_call": {"name": None, "arguments": {"a": 1}}},
                  {"role": "function", "name": None, "content": []}]},
    {"messages": [{"role": "tool", "tool_call_id": {"a": 1}, "content": None}, {"role": "tool", "tool_call_id": None},
                  {"role": "assistant", "content": 5, "tool_calls": [{"id": ["a"]}]}]},
    {"messages": [{"role": "developer", "content": None}, {"role": "system", "content": 3}], "tools": None},
    {"messages": [], "tools": "x", "functions": 5, "parallel_tool_calls": None},
    {"messages": [{"role": "assistant", "content": "x"}], "parallel_tool_calls": False,
     "tools": [None, 3, {"type": None}, {"type": "function", "function": None},
               {"type": "function", "function": {"name": 5, "parameters": "x", "strict": "yes"}},
               {"type": "function", "function": {"name": "f", "parameters": {
                   "properties": "x", "anyOf": "y", "items": [None, {"title": 5}], "default": None,
                   "$defs": {"a": None}, "oneOf": [None, {"type": "null"}]}}}],
     "functions": [None, {"name": None}, {"name": "g", "parameters": []}]},
    # images
    {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": v} for v in ODD_IMAGE_URLS]}]},
    {"messages": [{"role": r, "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}]}
                  for r in (None, 5, "human", "tool", "function")]},
    # preference
    {"input": None, "preferred_output": None, "non_preferred_output": None},
    {"input": {"messages": None}, "preferred_output": "x", "non_preferred_output": 5},
    {"input": {"messages": [None, 5, {"role": None}, {"content": [None, {"type": "image_url"}]}]},
     "preferred_output": [None, [], {"role": ["assistant"]}, {"role": "assistant", "weight": None}],
     "non_preferred_output": [{"role": {}}, {"content": {}}]},
    {"chosen": None, "rejected": 5}, {"preferred_completion": None, "input": []},
    {"input": {"messages": [{"role": "assistant"}]}, "preferred_output": [{"role": "assistant", "content": [1]}],
     "non_preferred_output": [{"role": "assistant", "content": [1]}]},
    {"input": "x", "preferred_output": 5}, {"input": "x", "messages": 5}, {"input": {"messages": [None]}, "preferred_output": 5},
    # reinforcement, prompt/completion, special tokens
    {"messages": [{"role": "user"}, {"role": None}]}, {"messages": [{"role": ["user"]}]}, {"messages": [{}]},
    {"messages": [5]}, {"prompt": {}, "completion": []}, {"prompt": 5}, {"prompt": None, "completion": ["<|endoftext|>"]},
    {"<|endoftext|>": "<|endoftext|>"},
]


@dataclass(frozen=True)
class Case:
    """One record for one rule; ``pointer`` (and ``says``) describe the expected finding of a violating case."""

    code: str
    record: str
    pointer: str | None = None
    provider: str = "openai"
    method: str | None = None
    says: str = ""

    @property
    def fmt(self) -> str:
        return "reinforcement" if self.method == "reinforcement" else "chat"

    @property
    def value(self) -> Any:
        return json.loads(self.record)


def case_id(case: Case) -> str:
    return f"{case.code}-{case.fmt}-{case.provider}-{zlib.crc32(case.record.encode()) % 10_000:04d}"


def lint_case(case: Case) -> list[Diagnostic]:
    """Diagnostics of a two-line file: a clean record of the case's format, then the case."""
    data = f"{VALID[case.fmt]}\n{case.record}\n".encode()
    return Linter(Settings(provider=case.provider, method=case.method)).lint_bytes(data).diagnostics


def assert_flags(case: Case) -> None:
    diags = lint_case(case)
    found = [d for d in diags if d.rule == case.code]
    assert (2, case.pointer) in [(d.line, d.pointer) for d in found], [(d.rule, d.line, d.pointer) for d in diags]
    assert not any(d.line == 1 for d in found), "the clean first line must not be flagged"
    if case.says:
        assert any(case.says in d.message for d in found), [d.message for d in found]


def assert_passes(case: Case) -> None:
    diags = lint_case(case)
    assert case.code not in {d.rule for d in diags}, [(d.rule, d.line, d.pointer, d.message) for d in diags]


def assert_schema_rejects(case: Case) -> None:
    """A structural rule's violating record must fail the schema, or the engine's fast path skips the rule."""
    assert RULES[case.code].structural
    assert not schemas.validator(case.fmt).is_valid(case.value), f"schema accepts a {case.code} violation"


def run_rule(code: str, value: Any, fmt: str = "chat", provider: str = "openai") -> list[Finding]:
    """Call one rule function directly on ``value`` (any JSON value) and return its findings."""
    return run_record_rule(code, value, context(fmt, provider))


def assert_survives_odd_values(code: str) -> None:
    """The rule never raises, whatever JSON types sit where it expects others, in either format."""
    for value in ODD_RECORDS:
        for fmt in RULES[code].formats:
            for provider in RULES[code].providers or ("openai", "azure"):
                for f in run_rule(code, value, fmt, provider):
                    assert isinstance(f, Finding)
                    assert f.pointer is None or f.pointer.startswith("/")
                    assert f.message


def structural_findings_on_valid(codes: list[str], values: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """(code, record) pairs where a structural rule fires on a schema-valid record (it never should)."""
    bad = []
    for fmt, value in values:
        if not schemas.validator(fmt).is_valid(value):
            continue
        for code in codes:
            rule = RULES[code]
            if rule.structural and fmt in rule.formats and run_rule(code, value, fmt):
                bad.append((code, value))
    return bad


ABSENT = "shared-corpus-absent"  # the one parameter of a corpus-wide test when ../shared is missing


def corpus_names() -> list[str]:
    """The ../shared/corpus file names to parametrize over; when the folder is absent, one placeholder whose
    test then skips (fails in CI) in ``corpus_file``, rather than pytest's silent "empty parameter set"."""
    folder = SHARED / "corpus"
    return sorted(p.name for p in folder.glob("*.jsonl")) if folder.is_dir() else [ABSENT]


def corpus_file(name: str) -> Path:
    """A file of ../shared/corpus; skip only outside CI when the shared folder is absent."""
    if not SHARED.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{SHARED} is missing: CI must provide the shared reference folder")
        pytest.skip(f"{SHARED} is absent (allowed outside CI only): the public corpus")
    path = SHARED / "corpus" / name
    assert path.is_file(), f"{path} is missing from the shared folder"
    return path


SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def sample_and_corpus_names() -> list[str]:
    """``samples/NAME`` for the project's own sample files and, when ../shared is present, ``corpus/NAME`` for the
    public corpus: for tests of what must hold on any real file, so that they run on the samples without it."""
    samples = [f"samples/{p.name}" for p in sorted(SAMPLES.glob("*.jsonl"))]
    return samples + [f"corpus/{name}" for name in corpus_names() if name != ABSENT]


def data_file(key: str) -> Path:
    """The file of a ``sample_and_corpus_names()`` entry."""
    folder, name = key.split("/", 1)
    return SAMPLES / name if folder == "samples" else corpus_file(name)


def corpus_records(name: str) -> list[Any]:
    with corpus_file(name).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
