"""Preference (DPO) rules P010-P060 through the real engine, against the schema and on the corpus;
odd values and the every-rule contract: tests/test_rule_contract.py."""

from __future__ import annotations

import json

import pytest
from family_support import codes_of, context, dpo, hits, lint, lint_path, messages, run_record_rule
from rules_support import corpus_file, corpus_records

from toolkit import schemas
from toolkit.rules import RULES

Q = '{"input":{"messages":[{"role":"user","content":"q"}]}'
A = '[{"role":"assistant","content":"a"}]'
B = '[{"role":"assistant","content":"b"}]'

# (code, record, pointer, provider, words the message must contain) -- Appendix A records first
VIOLATIONS = [
    ("P010", '{"input":{"messages":[{"role":"user","content":"q"}]},"preferred_completion":[{"role":"assistant",'
             '"content":"a"}],"non_preferred_completion":[{"role":"assistant","content":"b"}]}',
     "/preferred_completion", "openai", '"preferred_completion" is the old name of "preferred_output"'),
    ("P010", '{"prompt":"q","chosen":"a","rejected":"b"}', None, "openai", "tunesmith convert --from trl-preference"),
    ("P010", f'{Q},"preferred_output":{A}}}', None, "openai", 'no "non_preferred_output"'),
    ("P010", f'{{"input":{{"msgs":[]}},"preferred_output":{A},"non_preferred_output":{B}}}', "/input",
     "openai", 'no "messages"'),
    ("P010", f'{{"input":{{"messages":[]}},"preferred_output":{A},"non_preferred_output":{B}}}', "/input/messages",
     "openai", "empty"),
    ("P010", f'{{"input":"q","preferred_output":{A},"non_preferred_output":{B}}}', "/input", "openai", "a string"),
    ("P020", f'{Q},"preferred_output":{{"role":"assistant","content":"a"}},"non_preferred_output":[]}}',
     "/preferred_output", "openai", "wrap it in [ ]"),
    ("P020", f'{Q},"preferred_output":{{"role":"assistant","content":"a"}},"non_preferred_output":[]}}',
     "/non_preferred_output", "openai", "is empty"),
    ("P020", f'{Q},"preferred_output":[{{"role":"user","content":"a"}}],"non_preferred_output":{B}}}',
     "/preferred_output/0/role", "azure", 'role "user"'),
    ("P020", f'{Q},"preferred_output":[{{"role":"tool","tool_call_id":"c","content":"1"}}],'
             f'"non_preferred_output":{B}}}', "/preferred_output", "azure", "no assistant message"),
    ("P020", f'{Q},"preferred_output":[5],"non_preferred_output":{B}}}', "/preferred_output/0", "openai",
     "a number"),
    ("P021", f'{Q},"preferred_output":[{{"role":"assistant","content":"a"}},{{"role":"assistant","content":"c"}}],'
             f'"non_preferred_output":{B}}}', "/preferred_output/1", "openai", "exactly one assistant message"),
    ("P030", '{"input":{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a0"}]},'
             f'"preferred_output":{A},"non_preferred_output":{B}}}', "/input/messages/1", "openai",
     "ends with an assistant message (message 2)"),
    ("P040", '{"input":{"messages":[{"role":"user","content":"q"}]},"preferred_output":[{"role":"assistant",'
             '"content":"same"}],"non_preferred_output":[{"role":"assistant","content":"same"}]}',
     "/non_preferred_output", "openai", "identical"),
    ("P040", f'{Q},"preferred_output":[{{"role":"assistant","content":"same "}}],'
             '"non_preferred_output":[{"role":"assistant","content":" same"}]}', "/non_preferred_output", "openai",
     "identical"),
    ("P050", '{"input":{"messages":[{"role":"user","content":[{"type":"text","text":"q"},{"type":"image_url",'
             '"image_url":{"url":"https://x/y.png"}}]}]},' f'"preferred_output":{A},"non_preferred_output":{B}}}',
     "/input/messages/0/content/1", "openai", "text-only"),
    ("P060", f'{Q},"preferred_output":[{{"role":"assistant","content":"a","weight":1}}],"non_preferred_output":{B}}}',
     "/preferred_output/0/weight", "openai", 'has a "weight"'),
]
PASSING = [
    ("P010", dpo(1), "openai"),
    ("P020", dpo(1), "openai"),
    ("P020", f'{Q},"preferred_output":[{{"role":"assistant","tool_calls":[{{"id":"c","type":"function",'
             '"function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c","content":"1"}],'
             f'"non_preferred_output":{B}}}', "azure"),
    ("P021", f'{Q},"preferred_output":[{{"role":"assistant","content":"a"}},{{"role":"tool","tool_call_id":"c",'
             f'"content":"1"}}],"non_preferred_output":{B}}}', "azure"),
    ("P030", '{"input":{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a0"},'
             f'{{"role":"user","content":"q2"}}]}},"preferred_output":{A},"non_preferred_output":{B}}}', "openai"),
    ("P040", dpo(1), "openai"),
    ("P050", dpo(1), "openai"),
    ("P060", f'{Q},"preferred_output":{A},"non_preferred_output":{B}}}', "openai"),
]
STRUCTURAL = ("P010", "P020", "P050", "P060")


@pytest.mark.parametrize(("code", "record", "pointer", "provider", "says"), VIOLATIONS)
def test_violation_is_flagged(code: str, record: str, pointer: str | None, provider: str, says: str) -> None:
    result = lint([dpo(0), record], provider=provider)
    assert (2, pointer) in hits(result, code), [(d.rule, d.line, d.pointer, d.message) for d in result.diagnostics]
    assert not [h for h in hits(result, code) if h[0] == 1]
    assert any(says in m for m in messages(result, code)), messages(result, code)


@pytest.mark.parametrize(("code", "record", "provider"), PASSING)
def test_clean_record_passes(code: str, record: str, provider: str) -> None:
    assert hits(lint([record], provider=provider), code) == []


def test_p021_is_openai_only() -> None:
    two = next(v[1] for v in VIOLATIONS if v[0] == "P021")
    assert hits(lint([two], provider="azure"), "P021") == []
    assert RULES["P021"].providers == ("openai",)


def test_p010_rename_offers_a_fix() -> None:
    old = VIOLATIONS[0][1]
    diags = [d for d in lint([old]).diagnostics if d.rule == "P010"]
    assert {d.pointer for d in diags} == {"/preferred_completion", "/non_preferred_completion"}
    assert all(d.fix is not None and "rename" in d.fix.description for d in diags)
    assert RULES["P010"].fixable


@pytest.mark.parametrize(("code", "record", "pointer", "provider", "says"),
                         [v for v in VIOLATIONS if v[0] in STRUCTURAL])
def test_structural_violations_fail_the_schema(code: str, record: str, pointer: str | None, provider: str,
                                               says: str) -> None:
    assert RULES[code].structural
    assert not schemas.validator("preference").is_valid(json.loads(record))


def test_rules_are_quiet_on_the_corpus_dpo_file() -> None:
    path = corpus_file("foundry_orca_dpo_validation.jsonl")
    records = corpus_records("foundry_orca_dpo_validation.jsonl")
    assert all(schemas.validator("preference").is_valid(r) for r in records)
    for code in codes_of("toolkit.rules.preference"):
        for provider in ("openai", "azure"):
            assert not [f for r in records for f in run_record_rule(code, r, context("preference", provider))], code
    mine = set(codes_of("toolkit.rules.preference")) | {"C200", "C213", "C214", "C215", "F060", "F070", "F080",
                                                         "F091", "F100", "F130", "M010", "M011", "M020", "M030"}
    for provider in ("openai", "azure"):
        diags = lint_path(path, provider=provider)
        assert not [d for d in diags if d.rule in mine and d.severity.value == "error"], provider


