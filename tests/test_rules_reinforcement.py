"""Reinforcement (RFT) record rules R010, R020, R040 through the real engine, the schema and the corpus;
odd values and the every-rule contract: tests/test_rule_contract.py."""

from __future__ import annotations

import json

import pytest
from family_support import context, hits, lint, lint_path, messages, rft, run_record_rule
from rules_support import corpus_file, corpus_records

from toolkit import schemas
from toolkit.rules import RULES

# (code, record, pointer, words the message must contain) -- Appendix A records where it has one
VIOLATIONS = [
    ("R010", '{"question":"2+2?","answer":"4"}', None, 'no "messages"'),
    ("R010", '{"messages":[],"answer":"4"}', "/messages", "empty"),
    ("R010", '{"messages":"2+2?","answer":"4"}', "/messages", "a string"),
    ("R020", '{"messages":[{"role":"system","content":"rules"},{"role":"user","content":"q"}],"answer":"4"}',
     "/messages/0/role", 'rename it to "developer"'),
    ("R040", '{"messages":[{"role":"user","content":"2+2?"},{"role":"assistant","content":"4"}],"answer":"4"}',
     "/messages/1", "reference answer goes in another key"),
    ("R040", '{"messages":[{"role":"user","content":"q"},{"role":"developer","content":"d"}],"answer":"4"}',
     "/messages/1", "message 2 (developer)"),
]
PASSING = [
    ("R010", rft(1)),
    ("R020", rft(1)),
    ("R040", rft(1)),
    ("R040", '{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"},'
             '{"role":"user","content":"q2"}],"answer":"4"}'),
]


@pytest.mark.parametrize(("code", "record", "pointer", "says"), VIOLATIONS)
def test_violation_is_flagged(code: str, record: str, pointer: str | None, says: str) -> None:
    result = lint([rft(0), record], method="reinforcement")
    assert (2, pointer) in hits(result, code), [(d.rule, d.line, d.pointer, d.message) for d in result.diagnostics]
    assert not [h for h in hits(result, code) if h[0] == 1]
    assert any(says in m for m in messages(result, code)), messages(result, code)


@pytest.mark.parametrize(("code", "record"), PASSING)
def test_clean_record_passes(code: str, record: str) -> None:
    assert hits(lint([record], method="reinforcement"), code) == []


def test_rft_format_is_detected_without_method() -> None:
    record = '{"messages":[{"role":"developer","content":"d"},{"role":"user","content":"2+2?"},' \
             '{"role":"assistant","content":"4"}],"answer":"4"}'
    assert hits(lint([record]), "R040") == [(1, "/messages/2")]


def test_r020_offers_the_rename_fix() -> None:
    diags = [d for d in lint([VIOLATIONS[3][1]], method="reinforcement").diagnostics if d.rule == "R020"]
    assert diags and diags[0].fix is not None and "developer" in diags[0].fix.description
    assert RULES["R020"].fixable


@pytest.mark.parametrize(("code", "record", "pointer", "says"), [v for v in VIOLATIONS if v[0] in ("R010", "R020")])
def test_structural_violations_fail_the_schema(code: str, record: str, pointer: str | None, says: str) -> None:
    assert RULES[code].structural
    assert not schemas.validator("reinforcement").is_valid(json.loads(record))


@pytest.mark.parametrize("name", ["foundry_rft_countdown_train_25.jsonl", "foundry_agentic_rft_train_tool.jsonl"])
def test_corpus_rft_files_get_no_errors_from_these_rules(name: str) -> None:
    path = corpus_file(name)
    records = corpus_records(name)
    for code in ("R010", "R020", "R040"):
        assert not [f for r in records for f in run_record_rule(code, r, context("reinforcement", "azure"))]
    validation = corpus_file("foundry_rft_medmcq_validation.jsonl")
    mine = {"R010", "R020", "R040", "R050", "R051", "R080", "F060", "F070", "F080", "F091", "F100", "F110", "F111",
            "F112", "F130", "C200", "C210", "C211", "C212", "C213", "C214", "C215", "M010", "M011", "M020", "M030"}
    diags = lint_path(path, validation=validation, provider="azure")
    assert not [(d.rule, d.message) for d in diags if d.rule in mine and d.severity.value == "error"]
    alone = lint_path(path, provider="azure")
    assert not [d.rule for d in alone if d.rule in mine and d.severity.value == "error"]
    job = lint_path(path, provider="azure", method="reinforcement")
    assert [d.rule for d in job if d.rule in mine and d.severity.value == "error"] == ["F111"]


