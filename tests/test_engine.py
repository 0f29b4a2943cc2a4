"""The engine: formats per record and file, the schema safety net (S001), mixed formats (F090)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from toolkit.config import Settings
from toolkit.engine import Linter, looks_like_validation

CHAT = {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "q"},
                     {"role": "assistant", "content": "a"}]}
DPO = {"input": {"messages": [{"role": "user", "content": "q"}]},
       "preferred_output": [{"role": "assistant", "content": "good"}],
       "non_preferred_output": [{"role": "assistant", "content": "bad"}]}
RFT = {"messages": [{"role": "developer", "content": "d"}, {"role": "user", "content": "q"}], "answer": "4"}
PAIR = {"prompt": "q ->", "completion": " a"}


def lint(records: list[Any], **settings: Any) -> Any:
    data = b"".join(json.dumps(r).encode() + b"\n" for r in records)
    return Linter(Settings(ignore=("F060", "F070", "F130", "F131"), **settings)).lint_bytes(data)


def rules(result: Any) -> list[tuple[str, int | None]]:
    return [(d.rule, d.line) for d in result.diagnostics]


@pytest.mark.parametrize(("record", "fmt"), [(CHAT, "chat"), (DPO, "preference"), (RFT, "reinforcement"),
                                             (PAIR, "completion")])
def test_file_format_is_detected(record: dict[str, Any], fmt: str) -> None:
    assert lint([record] * 3).format == fmt


def test_mixed_formats_are_flagged_per_record() -> None:
    result = lint([CHAT, CHAT, PAIR, CHAT])
    assert ("F090", 3) in rules(result)
    assert [r for r, _ in rules(result)].count("F090") == 1


def test_one_format_is_not_mixed() -> None:
    assert "F090" not in [r for r, _ in rules(lint([CHAT] * 4))]


def test_method_mismatch_is_said_once_not_per_record() -> None:
    found = [r for r, _ in rules(lint([CHAT] * 5, method="dpo"))]
    assert found.count("F091") == 1 and "F090" not in found


def test_a_developer_row_in_a_chat_file_gets_the_chat_rules() -> None:
    dev = {"messages": [{"role": "developer", "content": "d"}, {"role": "user", "content": "q"},
                        {"role": "assistant", "content": "a"}]}
    result = lint([CHAT, CHAT, dev, CHAT])
    assert result.format == "chat" and ("C031", 3) in rules(result)


def test_schema_violation_no_rule_names_is_reported_by_s001() -> None:
    odd = {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "q", "name": 7},
                        {"role": "assistant", "content": "a"}]}
    result = lint([CHAT, odd])
    s001 = [d for d in result.diagnostics if d.rule == "S001"]
    assert [(d.line, d.pointer) for d in s001] == [(2, "/messages/1/name")]
    assert "schemas/chat.schema.json" in s001[0].message


def test_valid_records_get_no_s001() -> None:
    assert "S001" not in [r for r, _ in rules(lint([CHAT] * 3))]
    assert "S001" not in [r for r, _ in rules(lint([DPO] * 3))]


def test_s001_stays_quiet_when_a_rule_explains_the_same_value() -> None:
    bad_weight = {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a", "weight": 0.5}]}
    found = [r for r, _ in rules(lint([bad_weight]))]
    assert "C101" in found and "S001" not in found


@pytest.mark.parametrize(("name", "expected"), [("train.jsonl", False), ("validation_set.jsonl", True),
                                                ("data_val.jsonl", True), ("my-test.jsonl", True),
                                                ("contest.jsonl", False), ("eval.jsonl", True)])
def test_validation_files_are_recognised_by_name(name: str, expected: bool) -> None:
    assert looks_like_validation(name) is expected


def test_the_engine_imports_no_rule_family_and_reporters_read_data_only() -> None:
    """Rule facts come through collectors (not imports of rule modules); reporters need no engine."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "toolkit"

    def imported(path: Path) -> set[str]:
        tree = ast.parse(path.read_text("utf-8"))
        return {("." * n.level) + (n.module or "") for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}

    rule_modules = {m for m in imported(root / "engine.py") if m.startswith(".rules")}
    assert rule_modules <= {".rules", ".rules.context", ".rules.registry"}
    for reporter in (root / "reporters").glob("*.py"):
        assert "..engine" not in imported(reporter), reporter.name


def _with(**assistant: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a", **assistant}]}


@pytest.mark.parametrize(("record", "code"), [
    (_with(weight=2), "C101"),
    ({"messages": [{"role": "human", "content": "q"}, {"role": "assistant", "content": "a"}]}, "C030"),
    ({"messages": [{"role": "user", "content": "q"}, {"role": "assistant"}]}, "C050"),
    ({**CHAT, "id": 7}, "C020"),
])
def test_an_ignored_rule_does_not_come_back_as_s001(record: dict[str, Any], code: str) -> None:
    """`--ignore C020` silenced C020 and S001 then reported the same key; the user asked for silence."""
    ignore = ("F060", "F070", "F130", "F131", "C130", "C131")
    assert code in [r for r, _ in rules(lint([record] * 2))]
    assert rules(Linter(Settings(ignore=(*ignore, code))).lint_bytes(
        (json.dumps(record) + "\n").encode() * 2)) == []


def test_s001_still_reports_what_no_rule_explains() -> None:
    record = _with(name=5)  # a name must be a string: only the schema says so
    assert "S001" in [r for r, _ in rules(lint([record]))]
    assert [r for r, _ in rules(Linter(Settings(ignore=("F060", "F070", "F130", "F131", "C130", "C101"))).lint_bytes(
        (json.dumps(record) + "\n").encode()))] == ["S001"]


def test_findings_of_one_record_share_one_decoding_and_skip_long_strings(monkeypatch) -> None:
    import re

    from toolkit import jsonpos

    texts: list[str] = []
    real_line_column = jsonpos.line_column

    def line_column(text: str, pointer: str) -> Any:
        texts.append(text)  # held: a new decoding could not reuse the address of a freed one
        return real_line_column(text, pointer)

    class ShortStrings:
        def match(self, text: str, pos: int = 0) -> Any:
            m = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL).match(text, pos)
            assert m is None or m.end() - m.start() < 1000, "a long string was stepped through by the regex"
            return m

    monkeypatch.setattr(jsonpos, "line_column", line_column)
    monkeypatch.setattr(jsonpos, "_STRING", ShortStrings())
    filler = "plain words here " * 20_000
    record = {"messages": [{"role": "user", "content": filler + '\\" quoted \\\\'},
                           {"role": "assistant", "content": " ".join(["call +1 415 555 2671"] * 5)}]}
    result = Linter(Settings()).lint_bytes((json.dumps(record) + "\n").encode())
    phones = [d for d in result.diagnostics if d.rule == "D030"]
    assert len(phones) == 5 and {d.pointer for d in phones} == {"/messages/1/content"}
    line = json.dumps(record)
    assert phones[0].column == line.index('"content": "call') + len('"content": ') + 1
    assert len(texts) >= 5 and len({id(t) for t in texts}) == 1


def test_string_end_is_the_json_string_regex() -> None:
    import random

    from toolkit import jsonpos

    rng = random.Random(3)
    for _ in range(5000):
        text = '"' + "".join(rng.choice('ab\\"\n') for _ in range(rng.randint(0, 12)))
        m = jsonpos._STRING.match(text, 0)
        assert jsonpos._string_end(text, 0) == (m.end() if m else len(text)), text


def test_a_repeated_key_is_located_at_its_last_copy_the_one_parsers_keep() -> None:
    """The finding shows and points at the value that is read: with a key twice, the last one."""
    weights = '{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "x", ' \
              '"weight": 1, "weight": 2.50}]}'
    lists = '{"messages": [{"role": "user", "content": "q"}], "messages": [{"role": "user", "content": "q2"}, ' \
            '{"role": "assistant", "content": "x", "weight": 7}]}'
    result = Linter(Settings(select=("C101",))).lint_bytes((weights + "\n" + lists + "\n").encode())
    first, second = result.diagnostics
    assert "has weight 2.50;" in first.message and first.column == weights.index("2.50") + 1
    assert (second.line, second.column) == (2, lists.index("7}") + 1)
