"""Tool-call and tool-definition rules (C140-C181) through the real engine and against the schema;
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
    data_file,
    run_rule,
    structural_findings_on_valid,
)

from toolkit.rules import RULES

RFT = "reinforcement"
U = '{"role":"user","content":"w?"}'
A = '{"role":"assistant","content":"21C"}'
WX = ('{"type":"function","function":{"name":"wx","parameters":{"type":"object","properties":'
      '{"city":{"type":"string"}}}}}')
TOOLS = '"tools":[' + WX + ']'


def call(cid: str = "c1", name: str = "wx", args: str = '"{}"') -> str:
    return f'{{"id":"{cid}","type":"function","function":{{"name":"{name}","arguments":{args}}}}}'


def calls(*items: str) -> str:
    return '{"role":"assistant","tool_calls":[' + ",".join(items) + ']}'


def result(cid: str = "c1") -> str:
    return f'{{"role":"tool","tool_call_id":"{cid}","content":"21"}}'


CODES = codes_of("toolkit.rules.tool_calls") + codes_of("toolkit.rules.tool_definitions")
FUNCTION_CALL = '{"role":"assistant","function_call":{"name":"wx","arguments":"{}"}}'

# Appendix A of FORMAT_RULES.md, verbatim (placeholders "…" filled in with the smallest valid text).
APPENDIX = [
    Case("C140", '{"messages":[{"role":"user","content":"w?"},{"role":"assistant","tool_calls":[{"id":"c1",'
         '"type":"function","function":{"name":"wx","arguments":{"city":"SF"}}}]}],' + TOOLS + '}',
         "/messages/1/tool_calls/0/function/arguments", says="json.dumps it"),
    Case("C150", '{"messages":[{"role":"user","content":"w?"},{"role":"assistant","tool_calls":[{"id":"c1",'
         '"type":"function","function":{"name":"wx","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c9",'
         '"content":"21"},{"role":"assistant","content":"21C"}]}', "/messages/2/tool_call_id", says='"c1"'),
    Case("C161", '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo"}],"tools":['
         '{"type":"function","function":{"name":"get weather!","parameters":{"type":"object","properties":{"city":'
         '{"title":"City","anyOf":[{"type":"string"},{"type":"null"}],"default":null}}}}}]}',
         "/tools/0/function/name"),
    Case("C164", '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo"}],"tools":['
         '{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":'
         '{"title":"City","anyOf":[{"type":"string"},{"type":"null"}],"default":null}}}}}]}',
         "/tools/0/function/parameters/properties/city/title", provider="azure",
         says="title (1x), default: null (1x), nullable anyOf (1x)"),
    Case("C171", '{"messages":[{"role":"user","content":"x"},' + calls(call("a"), call("b")) + '],'
         '"parallel_tool_calls":false,' + TOOLS + '}', "/messages/1/tool_calls", says="2 tool calls"),
    Case("C170", '{"messages":[{"role":"user","content":"x"},{"role":"assistant","content":"y"}],'
         '"parallel_tool_calls":"no"}', "/parallel_tool_calls"),
    Case("C180", '{"messages":[{"role":"user","content":"w?"},{"role":"assistant","function_call":{"name":"wx",'
         '"arguments":"{}"}}],"functions":[{"name":"wx"}],' + TOOLS + '}', "/functions"),
    Case("C181", '{"messages":[{"role":"user","content":"w?"},{"role":"assistant","function_call":{"name":"wx",'
         '"arguments":"{}"}}],"functions":[{"name":"wx"}],' + TOOLS + '}', "/functions"),
]

MORE = [
    Case("C140", '{"messages":[' + U + ',{"role":"assistant","content":"x","tool_calls":"wx()"}]}',
         "/messages/1/tool_calls", says="is a string"),
    Case("C140", '{"messages":[' + U + ',{"role":"assistant","content":"x","tool_calls":[]}]}',
         "/messages/1/tool_calls", says="an empty array"),
    Case("C140", '{"messages":[' + U + ',{"role":"assistant","tool_calls":[{"type":"function","function":'
         '{"name":"wx","arguments":"{}"}}]}]}', "/messages/1/tool_calls/0", says='string "id"'),
    Case("C140", '{"messages":[' + U + ',{"role":"assistant","tool_calls":[{"id":"c1","type":"tool","function":'
         '{"name":"wx","arguments":"{}"}}]}]}', "/messages/1/tool_calls/0/type"),
    Case("C140", '{"messages":[' + U + ',{"role":"assistant","tool_calls":[{"id":"c1","index":0,"type":"function",'
         '"function":{"name":"wx","arguments":"{}"}}]}]}', "/messages/1/tool_calls/0/index"),
    Case("C140", '{"messages":[' + U + ',{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":'
         '{"name":"wx"}}]}]}', "/messages/1/tool_calls/0/function", says='no "arguments"'),
    Case("C140", '{"messages":[' + U + ',' + calls(call(args="7")) + ']}',
         "/messages/1/tool_calls/0/function/arguments"),
    Case("C140", '{"messages":[' + U + ',{"role":"assistant","function_call":{"name":"wx","arguments":{"a":1}}}]}',
         "/messages/1/function_call/arguments", says="json.dumps it"),
    Case("C140", '{"messages":[' + U + ',{"role":"assistant","function_call":{"name":"wx","arguments":"{}",'
         '"id":"x"}}]}', "/messages/1/function_call/id"),
    Case("C140", '{"messages":[{"role":"user","content":"q"},' + calls(call(args='{"a":1}')) + ',' + result() + ','
         '{"role":"user","content":"q"}]}', "/messages/1/tool_calls/0/function/arguments", method=RFT),
    Case("C141", '{"messages":[' + U + ',' + calls(call(args='"{\'city\': \'SF\'}"')) + ']}',
         "/messages/1/tool_calls/0/function/arguments", says="not valid JSON"),
    Case("C141", '{"messages":[' + U + ',' + calls(call(args='"{\\"x\\": NaN, \\"y\\": Infinity}"')) + ']}',
         "/messages/1/tool_calls/0/function/arguments", says="NaN is not a JSON value"),
    Case("C141", '{"messages":[' + U + ',' + calls(call(args='"{\\"x\\": -Infinity}"')) + ']}',
         "/messages/1/tool_calls/0/function/arguments", says="-Infinity is not a JSON value"),
    Case("C141", '{"messages":[' + U + ',' + calls(call(args='"5"')) + ']}',
         "/messages/1/tool_calls/0/function/arguments", says="hold a number"),
    Case("C141", '{"messages":[' + U + ',{"role":"assistant","function_call":{"name":"wx","arguments":"city=SF"}}]}',
         "/messages/1/function_call/arguments"),
    Case("C141", '{"messages":[{"role":"user","content":"q"},' + calls(call(args='""')) + ',' + result() + ','
         '{"role":"user","content":"q"}]}', "/messages/1/tool_calls/0/function/arguments", method=RFT),
    Case("C150", '{"messages":[' + U + ',' + result() + ',' + A + ']}', "/messages/1/tool_call_id",
         says="no assistant tool call comes before it"),
    Case("C150", '{"messages":[{"role":"user","content":"q"},' + calls(call()) + ',' + result("c2") + ','
         '{"role":"user","content":"q"}]}', "/messages/2/tool_call_id", method=RFT),
    Case("C151", '{"messages":[' + U + ',' + calls(call()) + ',{"role":"user","content":"and?"},' + A + ']}',
         "/messages/1/tool_calls/0", says="before message 3 (user)"),
    Case("C151", '{"messages":[' + U + ',' + calls(call("a"), call("b")) + ',' + result("a") + ',' + A + ']}',
         "/messages/1/tool_calls/1", says='"b"'),
    Case("C151", '{"messages":[{"role":"user","content":"q"},' + calls(call()) + ',{"role":"user","content":"q"}]}',
         "/messages/1/tool_calls/0", method=RFT),
    Case("C152", '{"messages":[' + U + ',' + calls(call("c1"), call("c1")) + ',' + result() + ',' + result() + ','
         + A + ']}', "/messages/1/tool_calls/1/id"),
    Case("C152", '{"messages":[' + U + ',' + calls(call("call_id")) + ',' + result("call_id") + ','
         + calls(call("call_id")) + ',' + result("call_id") + ',' + A + ']}', "/messages/3/tool_calls/0/id"),
    Case("C153", '{"messages":[' + U + ',' + calls(call()) + ',' + A + ']}', "/messages/2", provider="azure",
         says="contains invalid schema"),
    Case("C160", '{"messages":[' + U + ',' + A + '],"tools":"wx"}', "/tools"),
    Case("C160", '{"messages":[' + U + ',' + A + '],"tools":[{"type":"retrieval"}]}', "/tools/0/type"),
    Case("C160", '{"messages":[' + U + ',' + A + '],"tools":[{"type":"function"}]}', "/tools/0",
         says='"function" object'),
    Case("C160", '{"messages":[' + U + ',' + A + '],"tools":[{"type":"function","function":{"name":"wx",'
         '"parameters":"city"}}]}', "/tools/0/function/parameters"),
    Case("C160", '{"messages":[' + U + ',' + A + '],"tools":[{"type":"function","function":{"name":"wx",'
         '"returns":{}}}]}', "/tools/0/function/returns", says='unknown key "returns"'),
    Case("C160", '{"messages":[' + U + ',' + A + '],"tools":[{"type":"function","function":{"description":"x"}}]}',
         "/tools/0/function", says='string "name"'),
    Case("C160", '{"messages":[' + U + ',' + A + '],"tools":[{"type":"function","function":{"name":"wx"},"id":1}]}',
         "/tools/0/id"),
    Case("C165", '{"messages":[' + U + ',' + A + '],"functions":[]}', "/functions", says="empty array"),
    Case("C165", '{"messages":[' + U + ',' + A + '],"tools":[]}', "/tools", says="empty array"),
    Case("C182", '{"messages":[' + U + ',{"role":"assistant","function_call":{"name":"wx","arguments":"{}"}},'
         '{"role":"function","name":"wx","content":"21"},' + A + ']}', "/messages/2/role", provider="azure",
         says="MicrosoftDocs/azure-docs#120001"),
    Case("C160", '{"messages":[' + U + ',' + A + '],"functions":[{"parameters":{}}]}', "/functions/0"),
    Case("C160", '{"messages":[' + U + ',' + A + '],"functions":[{"name":"wx","strict":true}]}',
         "/functions/0/strict"),
    Case("C160", '{"messages":[{"role":"user","content":"q"}],"tools":[{"type":"code_interpreter"}]}',
         "/tools/0/type", method=RFT),
    Case("C161", '{"messages":[' + U + ',' + A + '],"functions":[{"name":"stock.price"}]}', "/functions/0/name"),
    Case("C161", '{"messages":[' + U + ',' + A + '],"tools":[{"type":"function","function":{"name":"' + "f" * 65
         + '"}}]}', "/tools/0/function/name"),
    Case("C161", '{"messages":[' + U + ',' + A + '],"tools":[{"type":"function","function":{"name":""}}]}',
         "/tools/0/function/name"),
    Case("C161", '{"messages":[{"role":"user","content":"q"}],"tools":[{"type":"function","function":'
         '{"name":"look up"}}]}', "/tools/0/function/name", method=RFT),
    Case("C162", '{"messages":[' + U + ',' + A + '],"tools":[{"type":"function","function":{"name":"wx",'
         '"parameters":{"type":"array"}}}]}', "/tools/0/function/parameters", says='"array"'),
    Case("C162", '{"messages":[' + U + ',' + A + '],"functions":[{"name":"wx","parameters":{"properties":{}}}]}',
         "/functions/0/parameters", says='no "type"'),
    Case("C163", '{"messages":[' + U + ',' + calls(call(name="wy")) + '],' + TOOLS + '}',
         "/messages/1/tool_calls/0/function/name", says="declared: wx"),
    Case("C163", '{"messages":[' + U + ',{"role":"assistant","function_call":{"name":"wy","arguments":"{}"}}],'
         '"functions":[{"name":"wx"}]}', "/messages/1/function_call/name"),
    Case("C163", '{"messages":[{"role":"user","content":"q"},' + calls(call(name="wy")) + ',' + result() + ','
         '{"role":"user","content":"q"}],' + TOOLS + '}', "/messages/1/tool_calls/0/function/name", method=RFT),
    Case("C164", '{"messages":[' + U + ',{"role":"assistant","content":null,"tool_calls":[' + call() + ']}],'
         + TOOLS + '}', "/messages/1/content", provider="azure"),
    Case("C164", '{"messages":[' + U + ',' + A + '],"tools":[{"type":"function","function":{"name":"f","parameters":'
         '{"type":"object","$defs":{"Unit":{"type":"string","default":null}},"properties":{"xs":{"type":"array",'
         '"items":{"$ref":"#/$defs/Unit"}}}}}}]}', "/tools/0/function/parameters/$defs/Unit/default",
         provider="azure", says="default: null (1x)"),
    Case("C180", '{"messages":[' + U + ',' + FUNCTION_CALL + ']}', "/messages/1"),
    Case("C180", '{"messages":[' + U + ',{"role":"function","name":"wx","content":"21"},' + A + ']}', "/messages/1"),
]
BAD = APPENDIX + MORE

GOOD = [
    Case("C140", '{"messages":[' + U + ',' + calls(call()) + ',' + result() + ',' + A + '],' + TOOLS + '}'),
    Case("C140", '{"messages":[' + U + ',{"role":"assistant","content":"x","function_call":null}]}'),
    Case("C140", '{"messages":[{"role":"user","content":"q"},' + calls(call()) + ',' + result() + ','
         '{"role":"user","content":"q"}]}', method=RFT),
    Case("C141", '{"messages":[' + U + ',' + calls(call(args='"{\\"city\\": \\"SF\\"}"')) + ']}'),
    Case("C141", '{"messages":[' + U + ',' + FUNCTION_CALL + ']}'),
    Case("C150", '{"messages":[' + U + ',' + calls(call("a"), call("b")) + ',' + result("b") + ',' + result("a") + ','
         + A + ']}'),
    Case("C151", '{"messages":[' + U + ',' + calls(call()) + ']}'),  # the call itself is what is trained
    Case("C151", '{"messages":[' + U + ',' + calls(call()) + ',' + result() + ',' + A + ']}'),
    Case("C152", '{"messages":[' + U + ',' + calls(call("a"), call("b")) + ',' + result("a") + ',' + result("b") + ','
         + A + ']}'),
    Case("C153", '{"messages":[' + U + ',' + calls(call()) + ',' + A + ']}'),  # OpenAI: Azure-only rule
    Case("C153", '{"messages":[' + U + ',' + calls(call()) + ',' + result() + ',' + A + ']}', provider="azure"),
    # Foundry's data generator: assistant text, then an assistant tool call and its result
    Case("C153", '{"messages":[' + U + ',' + A + ',' + calls(call()) + ',' + result() + ',' + A + ']}',
         provider="azure"),
    Case("C160", '{"messages":[' + U + ',' + A + '],"functions":[]}'),  # empty: C165's warning, like tools
    Case("C165", '{"messages":[' + U + ',' + A + '],"tools":[{"type":"function","function":{"name":"wx"}}]}'),
    Case("C182", '{"messages":[' + U + ',{"role":"assistant","function_call":{"name":"wx","arguments":"{}"}},'
         '{"role":"function","name":"wx","content":"21"},' + A + ']}'),  # OpenAI: Azure-only rule
    Case("C160", '{"messages":[' + U + ',' + A + '],"tools":[{"type":"function","function":{"name":"wx",'
         '"description":"weather","parameters":{"type":"object","properties":{}},"strict":true}}]}'),
    Case("C160", '{"messages":[' + U + ',' + A + '],"functions":[{"name":"wx","description":"w","parameters":{}}]}'),
    Case("C160", '{"messages":[{"role":"user","content":"q"}],"functions":"free data in RFT"}', method=RFT),
    Case("C161", '{"messages":[' + U + ',' + A + '],"tools":[{"type":"function","function":'
         '{"name":"get_Weather-2"}}]}'),
    Case("C162", '{"messages":[' + U + ',' + A + '],"tools":[{"type":"function","function":{"name":"wx",'
         '"parameters":{}}}]}'),
    Case("C162", '{"messages":[' + U + ',' + A + '],' + TOOLS + '}'),
    Case("C163", '{"messages":[' + U + ',' + calls(call(name="wy")) + ']}'),  # no definitions at all: not checked
    Case("C163", '{"messages":[' + U + ',' + calls(call()) + '],' + TOOLS + '}'),
    Case("C164", APPENDIX[3].record),  # OpenAI: Azure-only rule
    Case("C164", '{"messages":[' + U + ',' + A + '],"tools":[{"type":"function","function":{"name":"f","parameters":'
         '{"type":"object","properties":{"title":{"type":"string"},"default":{"type":"integer","default":3}}}}}]}',
         provider="azure"),
    Case("C164", '{"messages":[' + U + ',' + calls(call()) + '],' + TOOLS + '}', provider="azure"),
    Case("C170", '{"messages":[' + U + ',' + A + '],"parallel_tool_calls":false}'),
    Case("C171", '{"messages":[' + U + ',' + calls(call("a"), call("b")) + '],"parallel_tool_calls":true}'),
    Case("C171", '{"messages":[' + U + ',' + calls(call()) + '],"parallel_tool_calls":false}'),
    Case("C180", '{"messages":[' + U + ',' + calls(call()) + '],' + TOOLS + '}'),
    Case("C180", '{"messages":[' + U + ',{"role":"assistant","content":"x","function_call":null}]}'),
    Case("C181", '{"messages":[' + U + ',' + A + '],' + TOOLS + '}'),
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


def test_arguments_object_offers_json_dumps_fix() -> None:
    findings = run_rule("C140", APPENDIX[0].value)
    assert findings[0].fix is not None and "json.dumps" in findings[0].fix.description
    assert RULES["C140"].fixable


def test_deprecated_functions_reported_once_per_record() -> None:
    value = {"messages": [{"role": "user", "content": "w?"},
                          {"role": "assistant", "function_call": {"name": "wx", "arguments": "{}"}},
                          {"role": "function", "name": "wx", "content": "21"}, {"role": "assistant", "content": "x"}],
             "functions": [{"name": "wx"}]}
    assert [f.pointer for f in run_rule("C180", value)] == ["/functions"]


def test_tool_schema_walk_ignores_property_names() -> None:
    # "title" and "default" here are property names, not JSON Schema keywords.
    params = {"type": "object", "properties": {"title": {"type": "string"}, "default": {"type": "null"}}}
    value = {"messages": [], "tools": [{"type": "function", "function": {"name": "f", "parameters": params}}]}
    assert run_rule("C164", value, provider="azure") == []


@pytest.mark.parametrize("key", ["samples/elle_tools.jsonl", "corpus/cookbook_drone_training.jsonl",
                                 "corpus/foundry_stock_toolcall_validation.jsonl",
                                 "corpus/azureai_stock_train_hallucination_functions.jsonl",
                                 "corpus/foundry_agentic_rft_train_tool.jsonl"])
def test_tool_rules_quiet_on_real_tool_files(key: str) -> None:
    fmt = "reinforcement" if "rft" in key else "chat"
    values = [json.loads(line) for line in data_file(key).read_text("utf-8").splitlines() if line.strip()]
    for code in CODES:
        if fmt not in RULES[code].formats or code == "C180":
            continue
        for provider in RULES[code].providers or ("openai", "azure"):
            assert [v for v in values if run_rule(code, v, fmt, provider)] == [], code
    assert structural_findings_on_valid(CODES, [(fmt, v) for v in values]) == []
