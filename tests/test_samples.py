"""The sample datasets in samples/: the clean ones lint clean, the broken one breaks exactly the rules
its README table lists, line by line (the table is parsed here, so the two cannot drift apart)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from toolkit.config import Settings
from toolkit.diagnostics import Diagnostic, Severity
from toolkit.engine import Linter
from toolkit.rules import RULES

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
TODAY = dt.date(2026, 6, 1)  # pinned: the default model's shutdown date must not change these results
CLEAN = {
    "elle_single_turn.jsonl": "chat",
    "elle_multi_turn.jsonl": "chat",
    "elle_tools.jsonl": "chat",
    "elle_dpo.jsonl": "preference",
    "elle_validation.jsonl": "chat",
}
SHOWN = (Severity.ERROR, Severity.WARNING)
_ROW = re.compile(r"^\|\s*(\d+)\s*\|\s*([A-Z]\d{3})\s*\|", re.MULTILINE)


def _lint(name: str, **settings: Any) -> list[Diagnostic]:
    result = Linter(Settings(**settings), today=TODAY).lint(SAMPLES / name)
    return result.diagnostics


def _records(name: str) -> list[dict]:
    return [json.loads(line) for line in (SAMPLES / name).read_text("utf-8").splitlines()]


def _broken_table() -> list[tuple[int, str]]:
    section = (SAMPLES / "README.md").read_text("utf-8").split("## elle_broken.jsonl", 1)[1]
    return [(int(line), code) for line, code in _ROW.findall(section)]


# -- clean samples ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CLEAN))
def test_clean_sample_has_no_errors(name: str) -> None:
    result = Linter(Settings(), today=TODAY).lint(SAMPLES / name)
    assert result.files[0].format == CLEAN[name]
    assert [(d.line, d.rule, d.message) for d in result.diagnostics if d.severity is Severity.ERROR] == []
    # the only warning a small training file may get is "fewer than 50 examples"
    assert {d.rule for d in result.diagnostics if d.severity is Severity.WARNING} <= {"F070"}


def test_validation_sample_fits_the_training_sample() -> None:
    result = Linter(Settings(), today=TODAY).lint(SAMPLES / "elle_single_turn.jsonl",
                                                  validation=SAMPLES / "elle_validation.jsonl")
    assert result.files[1].role == "validation"
    assert [(d.rule, d.message) for d in result.diagnostics if d.rule != "F070"] == []


@pytest.mark.parametrize("name", ["elle_single_turn.jsonl", "elle_multi_turn.jsonl", "elle_tools.jsonl",
                                  "elle_validation.jsonl"])
def test_every_trained_answer_is_a_five_line_limerick(name: str) -> None:
    for rec in _records(name):
        answers = [m for m in rec["messages"]
                   if m["role"] == "assistant" and m.get("weight", 1) == 1 and "tool_calls" not in m]
        assert answers, rec
        for m in answers:
            assert isinstance(m.get("content"), str) and len(m["content"].split("\n")) == 5, m


def test_multi_turn_sample_trains_the_correction_not_the_draft() -> None:
    records = _records("elle_multi_turn.jsonl")
    assert len(records) >= 10
    drafts = 0
    for rec in records:
        assistant = [m for m in rec["messages"] if m["role"] == "assistant"]
        assert len(assistant) >= 2 and all(m["weight"] in (0, 1) for m in assistant)
        assert assistant[-1]["weight"] == 1
        drafts += assistant[0]["weight"] == 0
    assert drafts >= 10


def test_tools_sample_links_every_result_to_its_own_call() -> None:
    for rec in _records("elle_tools.jsonl"):
        assert [t["function"]["name"] for t in rec["tools"]] == ["lookup_element"]
        calls = [c for m in rec["messages"] if m["role"] == "assistant" for c in m.get("tool_calls", [])]
        ids = [c["id"] for c in calls]
        assert calls and len(ids) == len(set(ids))
        assert all(isinstance(json.loads(c["function"]["arguments"])["symbol"], str) for c in calls)
        assert sorted(m["tool_call_id"] for m in rec["messages"] if m["role"] == "tool") == sorted(ids)
        assert rec["messages"][-1]["role"] == "assistant" and "content" in rec["messages"][-1]


def test_dpo_sample_has_one_limerick_against_one_worse_answer() -> None:
    for rec in _records("elle_dpo.jsonl"):
        assert [m["role"] for m in rec["input"]["messages"]] == ["system", "user"]
        good, bad = rec["preferred_output"], rec["non_preferred_output"]
        assert len(good) == len(bad) == 1 and good[0]["role"] == bad[0]["role"] == "assistant"
        assert len(good[0]["content"].split("\n")) == 5
        assert good[0]["content"] != bad[0]["content"]


# -- the broken sample -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def broken() -> list[Diagnostic]:
    return _lint("elle_broken.jsonl", method="supervised")


def test_broken_table_is_well_formed() -> None:
    table = _broken_table()
    lines = [line for line, _ in table]
    assert len(table) >= 40 and lines == sorted(set(lines))
    assert not [code for _, code in table if code not in RULES], "README names a rule that is not registered"
    file_lines = (SAMPLES / "elle_broken.jsonl").read_bytes().split(b"\n")
    assert lines[-1] < len(file_lines)


@pytest.mark.parametrize(("line", "code"), _broken_table(), ids=lambda v: str(v))
def test_broken_line_breaks_its_rule(broken: list[Diagnostic], line: int, code: str) -> None:
    found = {d.rule for d in broken if d.line == line and d.severity in SHOWN}
    assert code in found, f"line {line} should show {code}; it shows {sorted(found) or 'nothing'}"


def test_broken_sample_has_no_unexpected_errors(broken: list[Diagnostic]) -> None:
    expected = set(_broken_table())
    unexpected = [(d.line, d.rule, d.message) for d in broken
                  if d.severity is Severity.ERROR and (d.line, d.rule) not in expected]
    assert unexpected == []
