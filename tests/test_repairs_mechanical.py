"""The mechanical one-click fixes: integer weights (C101), booleans written as strings (C160 strict, C170),
``developer`` -> ``system`` in supervised chat files (C031).

For each: a violating record is fixed, a passing one is left alone, lint marks exactly what fix changes
(``[*]`` fixable) and a file round-trips (fix, then lint: the finding is gone, other lines byte-identical).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from toolkit import fix, formats, lint, repairs

USER = {"role": "user", "content": "Tell me about neon."}
TOOL: dict[str, Any] = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}


def chat(*, weight: Any = None, role: str = "system", tools: list[Any] | None = None, **top: Any) -> dict[str, Any]:
    answer: dict[str, Any] = {"role": "assistant", "content": "Neon glows red."}
    if weight is not None:
        answer["weight"] = weight
    record: dict[str, Any] = {"messages": [{"role": role, "content": "Be brief."}, USER, answer]}
    if tools is not None:
        record["tools"] = tools
    record.update(top)
    return record


def with_strict(strict: Any) -> list[Any]:
    return [{"type": "function", "function": {**TOOL["function"], "strict": strict}}]


# (rule, violating record, the record once fixed, a passing record)
CASES = [
    ("C101", chat(weight=1.0), chat(weight=1), chat(weight=1)),
    ("C101", chat(weight=0.0), chat(weight=0), chat(weight=0)),
    ("C101", chat(weight=True), chat(weight=1), chat()),
    ("C170", chat(parallel_tool_calls="false", tools=[TOOL]), chat(parallel_tool_calls=False, tools=[TOOL]),
     chat(parallel_tool_calls=True, tools=[TOOL])),
    ("C170", chat(parallel_tool_calls=" True ", tools=[TOOL]), chat(parallel_tool_calls=True, tools=[TOOL]),
     chat(tools=[TOOL])),
    ("C160", chat(tools=with_strict("true")), chat(tools=with_strict(True)), chat(tools=with_strict(False))),
    ("C160", chat(tools=with_strict("FALSE")), chat(tools=with_strict(False)), chat(tools=with_strict(None))),
    ("C031", chat(role="developer"), chat(role="system"), chat(role="system")),
]
IDS = [f"{rule}-{n}" for n, (rule, _, _, _) in enumerate(CASES)]


def fixed(value: dict[str, Any], file_format: str = formats.CHAT) -> tuple[dict[str, Any], list[str]]:
    copy = json.loads(json.dumps(value))
    changes = repairs.find(copy, file_format)
    for change in changes:
        change.apply()
    return copy, [c.rule for c in changes]


@pytest.mark.parametrize(("rule", "bad", "good", "passing"), CASES, ids=IDS)
def test_violating_record_is_fixed(rule: str, bad: dict[str, Any], good: dict[str, Any], passing: dict[str, Any]) -> None:
    after, rules = fixed(bad)
    assert after == good
    assert rules == [rule]
    assert all(type(m.get("weight", 1)) is int for m in after["messages"])  # 1.0 == 1 in Python: check the type


@pytest.mark.parametrize(("rule", "bad", "good", "passing"), CASES, ids=IDS)
def test_passing_record_is_untouched(rule: str, bad: dict[str, Any], good: dict[str, Any],
                                     passing: dict[str, Any]) -> None:
    assert repairs.find(json.loads(json.dumps(passing)), formats.CHAT) == []


@pytest.mark.parametrize(("rule", "bad", "good", "passing"), CASES, ids=IDS)
def test_round_trip_lint_counts_it_and_fix_writes_it(tmp_path: Path, rule: str, bad: dict[str, Any],
                                                     good: dict[str, Any], passing: dict[str, Any]) -> None:
    """A file of 10 passing records and one violating one: lint marks one fix, fix writes only that line."""
    kept = [json.dumps(passing, ensure_ascii=False) + "\n" for _ in range(10)]
    broken = json.dumps(bad) + "\n"
    path = tmp_path / "data.jsonl"
    path.write_text("".join(kept[:5]) + broken + "".join(kept[5:]), "utf-8")
    found = [d for d in lint(path).diagnostics if d.rule == rule]
    assert [(d.line, d.fix is not None and d.fix.safe) for d in found] == [(6, True)]
    planned = fix.plan(path)
    assert [(e.line, e.rule) for e in planned] == [(6, rule)]
    result = fix.apply(path)
    assert result.changed and Path(result.backup or "").read_text("utf-8").splitlines(keepends=True)[5] == broken
    after = path.read_text("utf-8").splitlines(keepends=True)
    assert after[:5] + after[6:] == kept  # the other lines byte for byte
    assert json.loads(after[5]) == good
    assert after[5] == json.dumps(good) + "\n"  # same style (spaces), same key order
    assert [d for d in lint(path).diagnostics if d.rule == rule] == []
    assert fix.plan(path) == []  # a second run has nothing to do


def test_developer_stays_in_reinforcement_files() -> None:
    """RFT needs ``developer`` (R020 renames the other way): C031's fix is for supervised chat files only."""
    record = {"messages": [{"role": "developer", "content": "Grade it."}, USER]}
    assert repairs.find(json.loads(json.dumps(record)), formats.REINFORCEMENT) == []
    assert repairs.find(json.loads(json.dumps(record)), formats.PREFERENCE) == []


@pytest.mark.parametrize("weight", [0.5, 2, -1.0, "yes", "0", "1", "1.0", [1]])
def test_weights_that_need_a_decision_are_left_alone(tmp_path: Path, weight: Any) -> None:
    """0.5 is not a spelling of 0 or 1: C101 is reported, but with no fix, and fix leaves the line alone."""
    path = tmp_path / "data.jsonl"
    path.write_text(json.dumps(chat(weight=weight)) + "\n", "utf-8")
    c101 = [d for d in lint(path).diagnostics if d.rule == "C101"]
    assert c101 and all(d.fix is None for d in c101)
    assert fix.plan(path, rules=["C101"]) == []


def test_weights_on_other_roles_are_not_this_fix() -> None:
    """A user message's weight is C100's (remove it), not something to rewrite as an integer."""
    record = {"messages": [{"role": "user", "content": "Hi", "weight": 1.0}, {"role": "assistant", "content": "Yo"}]}
    assert repairs.find(record, formats.CHAT, rules={"C101"}) == []


def test_strict_is_fixed_only_when_it_is_what_c160_reports(tmp_path: Path) -> None:
    """A tool whose first problem is another (no name) keeps its finding unmarked: fix cannot clear it."""
    tool = {"type": "function", "function": {"parameters": {"type": "object"}, "strict": "true"}}
    path = tmp_path / "data.jsonl"
    path.write_text(json.dumps(chat(tools=[tool])) + "\n", "utf-8")
    c160 = [d for d in lint(path).diagnostics if d.rule == "C160"]
    assert c160 and all(d.fix is None for d in c160)
    assert fix.plan(path, rules=["C160"]) == []


def test_fix_text_and_cli_name_the_new_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from toolkit.cli.main import main

    path = tmp_path / "data.jsonl"
    path.write_text(json.dumps(chat(weight=1.0, role="developer")) + "\n", "utf-8")
    assert {e.rule for e in fix.plan(path)} == {"C031", "C101"}
    main(["fix", str(path), "--write"])
    assert json.loads(path.read_text("utf-8")) == chat(weight=1, role="system")
    capsys.readouterr()
