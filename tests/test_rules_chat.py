"""Chat structure and content rules (C010-C131, C190) through the real engine and against the schema;
odd values and the every-rule contract: tests/test_rule_contract.py."""

from __future__ import annotations

import json

import pytest
from family_support import codes_of
from rules_support import (
    Case,
    assert_flags,
    assert_passes,
    assert_schema_rejects,
    case_id,
    corpus_file,
    data_file,
    run_rule,
    structural_findings_on_valid,
)

from toolkit.config import Settings
from toolkit.engine import Linter
from toolkit.rules import RULES

RFT = "reinforcement"
U = '{"role":"user","content":"hi"}'
A = '{"role":"assistant","content":"yo"}'
CALL = ('{"role":"assistant","tool_calls":[{"id":"c1","type":"function",'
        '"function":{"name":"wx","arguments":"{}"}}]}')
CODES = codes_of("toolkit.rules.chat_structure") + codes_of("toolkit.rules.chat_content")

# Appendix A of FORMAT_RULES.md, verbatim (placeholders "…" filled in with the smallest valid text).
APPENDIX = [
    Case("C010", '{"messages":[]}', "/messages"),
    Case("C010", '{"conversation":[{"role":"user","content":"hi"}]}', None, says='rename "conversation"'),
    Case("C020", '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo"}],"weight":1}',
         "/weight", says="weights go on assistant messages"),
    Case("C030", '{"messages":[{"content":"hi"},{"role":"assistant","content":"yo"}]}', "/messages/0"),
    Case("C030", '{"messages":[{"role":"human","content":"hi"},{"role":"gpt","content":"yo"}]}', "/messages/0/role",
         says='use "user"'),
    Case("C030", '{"messages":[{"role":"human","content":"hi"},{"role":"gpt","content":"yo"}]}', "/messages/1/role",
         says='use "assistant"'),
    Case("C040", '{"messages":[{"role":"user","content":"hi","timestamp":123},{"role":"assistant","content":"yo"}]}',
         "/messages/0/timestamp"),
    Case("C041", '{"messages":[{"role":"tool","content":"21"}]}', "/messages/0", says='no "tool_call_id"'),
    Case("C050", '{"messages":[{"role":"user","content":"hi"},{"role":"assistant"}]}', "/messages/1"),
    Case("C060", '{"messages":[{"role":"user","content":{"text":"hi"}},{"role":"assistant","content":"yo"}]}',
         "/messages/0/content"),
    Case("C060", '{"messages":[{"role":"user","content":[{"text":"hi"}]},{"role":"assistant","content":"yo"}]}',
         "/messages/0/content/0", says='no "type"'),
    Case("C070", '{"messages":[{"role":"user","content":""},{"role":"assistant","content":"yo"}]}',
         "/messages/0/content"),
    Case("C080", '{"messages":[{"role":"user","content":"w?"},' + CALL + ',{"role":"tool","tool_call_id":"c1",'
         '"content":[{"type":"text","text":"21"}]},{"role":"assistant","content":"21C"}]}', "/messages/2/content"),
    Case("C090", '{"messages":[{"role":"function","content":"21"}]}', "/messages/0"),
    Case("C101", '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo","weight":0.5}]}',
         "/messages/1/weight"),
    Case("C100", '{"messages":[{"role":"user","content":"hi","weight":0},{"role":"assistant","content":"yo"}]}',
         "/messages/0/weight"),
    Case("C110", '{"messages":[{"role":"system","content":"s"},{"role":"user","content":"hi"}]}', "/messages",
         says="--method reinforcement"),
    Case("C111", '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo","weight":0}]}',
         "/messages"),
    Case("C120", '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo"},'
         '{"role":"user","content":"thanks"}]}', "/messages/2"),
    Case("C131", '{"messages":[{"role":"assistant","content":"yo"}]}', "/messages"),
    Case("C190", '{"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"…",'
         '"format":"wav"}}]},{"role":"assistant","content":"yo"}]}', "/messages/0/content/0"),
]

MORE = [
    Case("C010", '{"messages":"hello"}', "/messages", says="is a string"),
    Case("C020", '{"messages":[' + U + ',' + A + '],"metadata":{"id":7}}', "/metadata"),
    Case("C030", '{"messages":[{"role":"User","content":"hi"},' + A + ']}', "/messages/0/role", says='use "user"'),
    Case("C030", '{"messages":[5,' + A + ']}', "/messages/0", says="is a number"),
    Case("C030", '{"messages":[{"role":null,"content":"hi"},' + A + ']}', "/messages/0/role"),
    Case("C030", '{"messages":[{"role":"function","name":"f","content":"x"},{"role":"user","content":"q"}]}',
         "/messages/0/role", method=RFT, says='use "tool"'),
    Case("C040", '{"messages":[' + U + ',{"role":"assistant","content":"yo","id":"m1"}]}', "/messages/1/id"),
    Case("C040", '{"messages":[{"role":"developer","content":"d","metadata":{}},{"role":"user","content":"q"}]}',
         "/messages/0/metadata", method=RFT),
    Case("C041", '{"messages":[{"role":"user"},' + A + ']}', "/messages/0", says='no "content"'),
    Case("C041", '{"messages":[{"role":"developer"},{"role":"user","content":"q"}]}', "/messages/0", method=RFT),
    Case("C050", '{"messages":[' + U + ',{"role":"assistant","content":null}]}', "/messages/1"),
    Case("C050", '{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":null},'
         '{"role":"user","content":"q"}]}', "/messages/1", method=RFT),
    Case("C060", '{"messages":[{"role":"user","content":[]},' + A + ']}', "/messages/0/content", says="empty array"),
    Case("C060", '{"messages":[{"role":"system","content":[{"type":"text","text":5}]},' + U + ',' + A + ']}',
         "/messages/0/content/0"),
    Case("C060", '{"messages":[' + U + ',{"role":"assistant","content":[{"type":"refusal","refusal":"no"},'
         '{"type":"text","text":"x"}]}]}', "/messages/1/content/0", says="only part"),
    Case("C060", '{"messages":[{"role":"user","content":[{"type":"text","text":"hi","cache_control":{}}]},' + A + ']}',
         "/messages/0/content/0", says='unknown key "cache_control"'),
    Case("C060", '{"messages":[{"role":"user","content":[{"type":"text","value":"hi"}]},' + A + ']}',
         "/messages/0/content/0", says='rename "value" to "text"'),
    Case("C060", '{"messages":[{"role":"user","content":[{"type":"refusal","refusal":"no"}]},' + A + ']}',
         "/messages/0/content/0", says="allowed here: text, image_url"),
    Case("C060", '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","function_call":'
         '{"name":"f","arguments":"{}"}},{"role":"function","name":"f","content":["x"]},' + A + ']}',
         "/messages/2/content", says="a string or null"),
    Case("C060", '{"messages":[{"role":"tool","tool_call_id":"c1","content":null},' + A + ']}', "/messages/0/content"),
    Case("C060", '{"messages":[{"role":"user","content":5}]}', "/messages/0/content", method=RFT),
    Case("C070", '{"messages":[' + U + ',{"role":"assistant","content":"  \\n"}]}', "/messages/1/content"),
    Case("C070", '{"messages":[{"role":"system","content":[{"type":"text","text":" "}]},' + U + ',' + A + ']}',
         "/messages/0/content"),
    Case("C070", '{"messages":[{"role":"developer","content":""},{"role":"user","content":"q"}]}',
         "/messages/0/content", method=RFT),
    Case("C080", '{"messages":[{"role":"user","content":"q"},' + CALL + ',{"role":"tool","tool_call_id":"c1",'
         '"content":[{"type":"text","text":"21"}]},{"role":"user","content":"q"}]}', "/messages/2/content", method=RFT),
    Case("C090", '{"messages":[{"role":"user","content":"w?"},{"role":"assistant","function_call":{"name":"wx",'
         '"arguments":"{}"}},{"role":"function","name":5,"content":"21"},' + A + ']}', "/messages/2/name"),
    Case("C100", '{"messages":[{"role":"user","content":"q","weight":1}]}', "/messages/0/weight", method=RFT),
    Case("C100", '{"messages":[{"role":"system","content":"s","weight":1},' + U + ',' + A + ']}', "/messages/0/weight"),
    Case("C101", '{"messages":[' + U + ',{"role":"assistant","content":"yo","weight":1.0}]}', "/messages/1/weight",
         says="write the integer 1"),
    Case("C101", '{"messages":[' + U + ',{"role":"assistant","content":"yo","weight":true}]}', "/messages/1/weight",
         says="use 1 instead of true"),
    Case("C101", '{"messages":[' + U + ',{"role":"assistant","content":"yo","weight":"0"}]}', "/messages/1/weight",
         says="not a string"),
    Case("C101", '{"messages":[' + U + ',{"role":"assistant","content":"yo","weight":1' + "0" * 48 + '1}]}',
         "/messages/1/weight", says="has weight 1" + "0" * 48 + "1; "),  # as written, not cut off
    Case("C101", '{"messages":[' + U + ',{"role":"assistant","content":"yo","weight":1.50}]}', "/messages/1/weight",
         says="has weight 1.50; "),
    Case("C101", '{"messages":[' + U + ',{"role":"assistant","content":"yo","weight":"' + "x" * 200 + '"}]}',
         "/messages/1/weight", says='has weight "' + "x" * 39 + "... (shortened: 202 characters in all); "),
    Case("C101", '{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a","weight":2},'
         '{"role":"user","content":"q"}]}', "/messages/1/weight", method=RFT),
    Case("C110", '{"messages":[' + U + ']}', "/messages"),
    Case("C111", '{"messages":[' + U + ',{"role":"assistant","content":"a","weight":0},' + U + ','
         '{"role":"assistant","content":"b","weight":0}]}', "/messages"),
    Case("C120", '{"messages":[' + U + ',' + CALL + ',{"role":"tool","tool_call_id":"c1","content":"21"}]}',
         "/messages/2"),
    Case("C131", '{"messages":[{"role":"system","content":"s"},' + A + ']}', "/messages"),
    Case("C190", '{"messages":[' + U + ',{"role":"assistant","content":"yo","audio":{"id":"a1"}}]}',
         "/messages/1/audio"),
    Case("C190", '{"messages":[{"role":"user","content":[{"type":"text","text":"read"},{"type":"file",'
         '"file":{"file_id":"f1"}}]},' + A + ']}', "/messages/0/content/1"),
    Case("C190", '{"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AA",'
         '"format":"mp3"}}]}]}', "/messages/0/content/0", method=RFT),
]
BAD = APPENDIX + MORE

TOOLS = ('"tools":[{"type":"function","function":{"name":"wx","parameters":{"type":"object","properties":'
         '{"city":{"type":"string"}}}}}]')
GOOD = [
    Case("C010", '{"messages":[' + U + ',' + A + ']}'),
    Case("C020", '{"messages":[' + U + ',' + CALL + '],' + TOOLS + ',"parallel_tool_calls":true}'),
    Case("C020", '{"messages":[{"role":"user","content":"q"}],"reference_answer":"4","nums":"[1, 2]"}', method=RFT),
    Case("C030", '{"messages":[{"role":"system","content":"s"},{"role":"user","content":"w?"},' + CALL + ','
         '{"role":"tool","tool_call_id":"c1","content":"21"},{"role":"assistant","function_call":{"name":"wx",'
         '"arguments":"{}"}},{"role":"function","name":"wx","content":"21"},' + A + ']}'),
    Case("C030", '{"messages":[{"role":"developer","content":"d"},{"role":"user","content":"q"}]}', method=RFT),
    Case("C030", '{"messages":[{"role":"system","content":"s"},{"role":"user","content":"q"}]}', method=RFT),
    Case("C040", '{"messages":[{"role":"user","content":"hi","name":"ann"},{"role":"assistant","content":"yo",'
         '"name":"bot","refusal":null,"weight":1}]}'),
    Case("C041", '{"messages":[' + U + ',' + CALL + ',{"role":"tool","tool_call_id":"c1","content":"21"},' + A + ']}'),
    Case("C050", '{"messages":[' + U + ',' + CALL + ']}'),
    Case("C050", '{"messages":[' + U + ',{"role":"assistant","content":null,"function_call":{"name":"f",'
         '"arguments":"{}"}}]}'),
    Case("C060", '{"messages":[{"role":"user","content":[{"type":"text","text":"chart?"},{"type":"image_url",'
         '"image_url":{"url":"https://x/y.png"}}]},{"role":"assistant","content":[{"type":"text","text":"42"}]}]}'),
    Case("C060", '{"messages":[' + U + ',{"role":"assistant","content":[{"type":"refusal","refusal":"no"}]}]}'),
    Case("C060", '{"messages":[{"role":"user","content":"w?"},{"role":"assistant","function_call":{"name":"f",'
         '"arguments":"{}"}},{"role":"function","name":"f","content":null},' + A + ']}'),
    Case("C070", '{"messages":[' + U + ',{"role":"assistant","content":"","tool_calls":[{"id":"c1",'
         '"type":"function","function":{"name":"wx","arguments":"{}"}}]}]}'),
    Case("C070", '{"messages":[' + U + ',{"role":"assistant","content":"","weight":0},' + U + ',' + A + ']}'),
    Case("C080", '{"messages":[' + U + ',' + CALL + ',{"role":"tool","tool_call_id":"c1","content":"21"},' + A + ']}'),
    Case("C090", '{"messages":[' + U + ',{"role":"assistant","function_call":{"name":"f","arguments":"{}"}},'
         '{"role":"function","name":"f","content":"21"},' + A + ']}'),
    Case("C100", '{"messages":[' + U + ',{"role":"assistant","content":"a","weight":0},' + U + ','
         '{"role":"assistant","content":"b","weight":1}]}'),
    Case("C101", '{"messages":[' + U + ',{"role":"assistant","content":"a","weight":0},' + U + ','
         '{"role":"assistant","content":"b","weight":1}]}'),
    Case("C110", '{"messages":[' + U + ',' + A + ']}'),
    Case("C110", '{"messages":[{"role":"user","content":"q"}]}', method=RFT),
    Case("C111", '{"messages":[' + U + ',{"role":"assistant","content":"a","weight":0},' + U + ',' + A + ']}'),
    Case("C120", '{"messages":[' + U + ',' + A + ']}'),
    Case("C120", '{"messages":[' + U + ',' + CALL + ']}'),
    Case("C120", '{"messages":[{"role":"developer","content":"d"},{"role":"user","content":"q"},'
         '{"role":"assistant","content":"a"},{"role":"user","content":"q2"}]}', method=RFT),
    Case("C130", '{"messages":[{"role":"system","content":"s"},' + U + ',' + A + ']}'),
    Case("C130", '{"messages":[{"role":"user","content":"q"}]}', method=RFT),
    Case("C131", '{"messages":[' + U + ',' + A + ']}'),
    Case("C190", '{"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]},' + A + ']}'),
]


@pytest.mark.parametrize("case", BAD, ids=case_id)
def test_rule_flags_violation(case: Case) -> None:
    assert_flags(case)


@pytest.mark.parametrize("case", GOOD, ids=case_id)
def test_rule_passes_clean_record(case: Case) -> None:
    assert_passes(case)


@pytest.mark.parametrize("case", [c for c in BAD if RULES[c.code].structural], ids=case_id)
def test_schema_rejects_structural_violation(case: Case) -> None:
    assert_schema_rejects(case)


def test_structural_rules_silent_on_schema_valid_records() -> None:
    values = [(c.fmt, c.value) for c in BAD + GOOD]
    assert structural_findings_on_valid(CODES, values) == []


def test_developer_role_in_chat() -> None:
    # Called directly: the engine detects a record with a developer message as reinforcement.
    value = {"messages": [{"role": "developer", "content": "d"}, {"role": "user", "content": "hi"},
                          {"role": "assistant", "content": "yo"}]}
    findings = run_rule("C031", value)
    assert [f.pointer for f in findings] == ["/messages/0/role"]
    assert '"system"' in (findings[0].message or "")
    assert run_rule("C030", value) == []  # C031 alone speaks for it
    assert run_rule("C031", {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "hi"}]}) == []
    assert RULES["C031"].formats == ("chat",)


def test_c050_says_a_refusal_alone_is_not_content() -> None:
    """A `refusal` with null content is schema-valid but not a reply ("content is required unless tool_calls or
    function_call is specified"): the finding said "neither content nor tool_calls" and nothing of the refusal."""
    value = {"messages": [{"role": "user", "content": "hi"},
                          {"role": "assistant", "refusal": "I cannot help with that.", "content": None}]}
    [finding] = run_rule("C050", value)
    assert "a `refusal` does not count" in (finding.message or "")
    [plain] = run_rule("C050", {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": None}]})
    assert "refusal" not in (plain.message or "")


def test_tool_content_parts_offers_fix_only_for_text_parts() -> None:
    text = {"messages": [{"role": "tool", "tool_call_id": "c", "content": [{"type": "text", "text": "21"}]}]}
    image = {"messages": [{"role": "tool", "tool_call_id": "c", "content": [{"type": "image_url"}]}]}
    assert run_rule("C080", text)[0].fix is not None
    assert run_rule("C080", image)[0].fix is None


def test_line_of_finding_in_multi_line_record() -> None:
    data = b'{"messages": [\n  {"role": "user", "content": "hi"},\n  {"role": "assistant", "content": "yo",\n' \
           b'   "weight": 0.5}\n]}\n'
    diags = Linter(Settings()).lint_bytes(data).diagnostics
    weight = [d for d in diags if d.rule == "C101"]
    assert [(d.line, d.column, d.pointer) for d in weight] == [(4, 14, "/messages/1/weight")]


VALID_CHAT_FILES = ["gaifb_elle_limericks", "cookbook_drone_training", "foundry_stock_toolcall_validation",
                    "foundry_gsm8k_chat_validation", "mslearn_travel_finetune", "gh640_marv_weights_multi_turn",
                    "ganachan_autograding_validation_set_crlf", "foundry_chartqa_vision_validation",
                    "azureai_stock_train_hallucination_functions", "azureai_stock_test_token_reduction_functions"]


@pytest.mark.parametrize("provider", ["openai", "azure"])
@pytest.mark.parametrize("name", VALID_CHAT_FILES)
def test_valid_corpus_files_have_no_chat_errors(name: str, provider: str) -> None:
    result, _ = Linter(Settings(provider=provider)).lint_file(corpus_file(f"{name}.jsonl"))
    assert result.format == "chat"
    errors = [(d.line, d.rule, d.message) for d in result.diagnostics
              if d.rule.startswith("C") and d.rule < "C200" and d.severity.value == "error"]
    assert errors == []


def test_corpus_warnings_that_are_true() -> None:
    chart, _ = Linter(Settings()).lint_file(corpus_file("foundry_chartqa_vision_validation.jsonl"))
    no_system = [(d.line, d.severity.value, d.message) for d in chart.diagnostics if d.rule == "C130"]
    assert [n[:2] for n in no_system] == [(None, "info")] and no_system[0][2].startswith("no example has a system")
    toy, _ = Linter(Settings()).lint_file(corpus_file("cookbook_toy_chat_fine_tuning.jsonl"))
    assert [(d.rule, d.line) for d in toy.diagnostics if d.rule in ("C130", "C131")] == [("C130", None), ("C131", 4)]
    prompts, _ = Linter(Settings()).lint_file(corpus_file("mslearn_travel_finetune_validation.jsonl"))
    assert [d.line for d in prompts.diagnostics if d.rule == "C110"] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("key", [*(f"samples/elle_{n}.jsonl" for n in ("single_turn", "multi_turn", "tools",
                                                                       "validation")),
                                 *(f"corpus/{n}.jsonl" for n in VALID_CHAT_FILES),
                                 "corpus/foundry_agentic_rft_train_tool.jsonl", "corpus/foundry_rft_countdown_train_25.jsonl"])
def test_structural_rules_silent_on_real_files(key: str) -> None:
    fmt = "reinforcement" if "rft" in key else "chat"
    values = [(fmt, json.loads(line)) for line in data_file(key).read_text("utf-8").splitlines() if line.strip()]
    assert structural_findings_on_valid(CODES, values) == []


def test_c130_is_one_finding_per_file_not_one_per_line() -> None:
    """A valid file without system messages is a choice, not 1,000 warnings: one info, saying what to do."""
    plain = '{"messages":[' + U + ',' + A + ']}'
    system = '{"messages":[{"role":"system","content":"s"},' + U + ',' + A + ']}'
    none = Linter(Settings()).lint_bytes(("\n".join([plain] * 60) + "\n").encode())
    found = [d for d in none.diagnostics if d.rule == "C130"]
    assert [(d.line, d.severity.value) for d in found] == [(None, "info")]
    assert found[0].message.startswith("no example has a system message: call the fine-tuned model without one")
    mixed = Linter(Settings()).lint_bytes(("\n".join([system] * 50 + [plain] * 3) + "\n").encode())
    found = [d for d in mixed.diagnostics if d.rule == "C130"]
    assert [d.line for d in found] == [None] and found[0].message.startswith(
        "3 of 53 examples have no system message (first at line 51) while the others have one")
    every = Linter(Settings()).lint_bytes(("\n".join([system] * 60) + "\n").encode())
    assert not any(d.rule == "C130" for d in every.diagnostics)


def test_c130_counts_a_system_role_alias_as_a_system_message() -> None:
    """A "System" role is C030's finding (rename it); C130 does not also call the example one without a system
    message, as C131 and C110 count an alias of the role they look for."""
    alias = '{"messages":[{"role":"System","content":"s"},' + U + ',' + A + ']}'
    system = '{"messages":[{"role":"system","content":"s"},' + U + ',' + A + ']}'
    diags = Linter(Settings()).lint_bytes(("\n".join([system] * 20 + [alias]) + "\n").encode()).diagnostics
    assert [d.line for d in diags if d.rule == "C030"] == [21]
    assert not any(d.rule == "C130" for d in diags)
