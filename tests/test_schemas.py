"""The JSON Schemas in schemas/: well-formed, right on real files, and explained by first_error."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
import pytest

from toolkit import formats, pointers, schemas
from toolkit.errors import ToolkitError

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
FORMATS = tuple(schemas.SCHEMA_FILES)


def shared_file(*parts: str) -> Path:
    """A file under ../shared; skip only outside CI when the whole folder is absent."""
    if not SHARED.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{SHARED} is missing: CI must provide the shared reference folder")
        pytest.skip(f"{SHARED} is absent (allowed outside CI only)")
    path = SHARED.joinpath(*parts)
    assert path.is_file(), f"{path} is missing from the shared folder"
    return path


def records(path: Path) -> list[tuple[int, Any]]:
    with path.open(encoding="utf-8") as f:
        return [(n, json.loads(line)) for n, line in enumerate(f, 1) if line.strip()]


def python_validator(fmt: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schemas.load_schema(fmt))


def verdicts(fmt: str, value: Any) -> tuple[bool, bool]:
    """(python-jsonschema, jsonschema_rs) verdicts; the tests require them to agree."""
    return python_validator(fmt).is_valid(value), schemas.validator(fmt).is_valid(value)


# -- the schema files themselves ------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_schema_is_valid_draft_2020_12(fmt: str) -> None:
    schema = schemas.load_schema(fmt)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://tunesmith.dev/schemas/{schemas.SCHEMA_FILES[fmt]}"
    assert schema["title"] and schema["description"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_schema_file_is_pretty_printed_and_self_contained(fmt: str) -> None:
    text = schemas.schema_path(fmt).read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"
    refs = [line.strip() for line in text.splitlines() if '"$ref"' in line]
    assert all('"#/$defs/' in line for line in refs), refs


def _undocumented(node: Any, where: str, documented: bool) -> list[str]:
    """Paths of $defs and properties without a description (conditions like if/contains are skipped)."""
    if isinstance(node, list):
        return [p for i, item in enumerate(node) for p in _undocumented(item, f"{where}/{i}", False)]
    if not isinstance(node, dict):
        return []
    missing = [where] if documented and not node.get("description") else []
    for key, value in node.items():
        if key in ("if", "contains", "not", "anyOf"):
            continue
        if key in ("properties", "$defs"):
            for name, sub in value.items():
                missing += _undocumented(sub, f"{where}/{key}/{name}", True)
        else:
            missing += _undocumented(value, f"{where}/{key}", False)
    return missing


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_property_and_def_has_a_description(fmt: str) -> None:
    assert _undocumented(schemas.load_schema(fmt), "#", False) == []


def test_top_level_extra_keys_policy() -> None:
    assert schemas.load_schema("chat")["additionalProperties"] is False
    assert schemas.load_schema("preference")["additionalProperties"] is False
    assert schemas.load_schema("reinforcement")["additionalProperties"] is True
    assert "additionalProperties" not in schemas.load_schema("completion")


# -- real public files ----------------------------------------------------------------------

VALID_CORPUS = {
    "gaifb_elle_limericks": "chat",
    "cookbook_drone_training": "chat",
    "cookbook_toy_chat_fine_tuning": "chat",  # line 4 has no user message: a lint warning, not a schema error
    "foundry_chartqa_vision_validation": "chat",  # assistant content as an array of text parts
    "foundry_stock_toolcall_validation": "chat",
    "foundry_gsm8k_chat_validation": "chat",
    "azureai_stock_train_hallucination_functions": "chat",  # legacy functions, function_call without content
    "azureai_stock_test_token_reduction_functions": "chat",
    "mslearn_travel_finetune": "chat",
    "gh640_marv_weights_multi_turn": "chat",
    "ganachan_autograding_validation_set_crlf": "chat",
    "foundry_orca_dpo_validation": "preference",
    "foundry_rft_countdown_train_25": "reinforcement",
    "foundry_agentic_rft_train_tool": "reinforcement",
    "foundry_rft_medmcq_validation": "reinforcement",
    "aoaisearchdemo_prompt_completion_train": "completion",
}


@pytest.mark.parametrize(("name", "fmt"), VALID_CORPUS.items(), ids=list(VALID_CORPUS))
def test_real_file_validates_line_by_line(name: str, fmt: str) -> None:
    py, rs = python_validator(fmt), schemas.validator(fmt)
    rows = records(shared_file("corpus", f"{name}.jsonl"))
    assert rows
    failures = [(n, schemas.first_error(fmt, value)) for n, value in rows if not rs.is_valid(value)]
    assert failures == []
    assert [n for n, value in rows if not py.is_valid(value)] == []


@pytest.mark.parametrize(("name", "pointer", "message"), [
    ("llamafactory_v1_multimodal_demo", "/messages/0/content/0", 'missing required key "image_url"'),
    ("mslearn_travel_finetune_validation", "/messages",
     '"messages" must be a non-empty array that includes at least one assistant message'),
])
def test_real_chat_lookalikes_are_rejected(name: str, pointer: str, message: str) -> None:
    rows = records(shared_file("corpus", f"{name}.jsonl"))
    assert rows
    for _, value in rows:
        assert verdicts("chat", value) == (False, False)
    assert schemas.first_error("chat", rows[0][1]) == (pointer, message)


def test_samples_validate_against_their_format() -> None:
    paths = [p for p in sorted((REPO / "samples").glob("*.jsonl")) if "broken" not in p.name]
    if not paths:
        pytest.skip("samples/ has no .jsonl files yet")
    for path in paths:
        rows = records(path)
        found = [formats.detect(value) for _, value in rows]
        known = [f for f in found if f is not None]
        assert len(known) == len(found), f"{path.name}: records of no known format"
        fmt = formats.decide(Counter(known))
        bad = [(n, schemas.first_error(fmt, v)) for n, v in rows if verdicts(fmt, v) != (True, True)]
        assert bad == [], f"{path.name} ({fmt})"


# -- FORMAT_RULES.md Appendix A -------------------------------------------------------------

HI_YO = '[{"role":"user","content":"hi"},{"role":"assistant","content":"yo"}]'
WX_TOOLS = ('[{"type":"function","function":{"name":"wx","parameters":{"type":"object",'
            '"properties":{"city":{"type":"string"}}}}}]')
DPO_OUT = ('"preferred_output":[{"role":"assistant","content":"a"}],'
           '"non_preferred_output":[{"role":"assistant","content":"b"}]')
IMAGE = '{"type":"image_url","image_url":{"url":"%s"%s}}'

SCHEMA_ERRORS = [  # (rule#case, format, record, pointer that first_error reports)
    ("C-01#1", "chat", '{"messages":[]}', "/messages"),
    ("C-01#2", "chat", '{"messages":"hello"}', "/messages"),
    ("C-01#3", "chat", '{"conversation":[{"role":"user","content":"hi"}]}', ""),
    ("C-01#4", "chat", '{"prompt":"hi","completion":"yo"}', ""),
    ("C-02#1", "chat", '{"messages":%s,"weight":1}' % HI_YO, ""),
    ("C-02#2", "chat", '{"messages":%s,"metadata":{"id":7}}' % HI_YO, ""),
    ("C-03#1", "chat", '{"messages":[{"content":"hi"},{"role":"assistant","content":"yo"}]}', "/messages/0"),
    ("C-03#2", "chat", '{"messages":[{"role":"human","content":"hi"},{"role":"gpt","content":"yo"}]}',
     "/messages/0/role"),
    ("C-03#3", "chat", '{"messages":[{"role":"developer","content":"be brief"},'
     '{"role":"assistant","content":"yo"}]}', "/messages/0/role"),
    ("C-04#1", "chat", '{"messages":[{"role":"user","content":"hi","timestamp":123},'
     '{"role":"assistant","content":"yo"}]}', "/messages/0"),
    ("C-04#2", "chat", '{"messages":[{"role":"tool","content":"21"}]}', "/messages/0"),
    ("C-05#1", "chat", '{"messages":[{"role":"user","content":"hi"},{"role":"assistant"}]}', "/messages/1"),
    ("C-05#2", "chat", '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":null}]}',
     "/messages/1"),
    ("C-06#1", "chat", '{"messages":[{"role":"user","content":{"text":"hi"}},{"role":"assistant","content":"yo"}]}',
     "/messages/0/content"),
    ("C-06#2", "chat", '{"messages":[{"role":"user","content":[{"text":"hi"}]},{"role":"assistant","content":"yo"}]}',
     "/messages/0/content/0"),
    ("C-09#1", "chat", '{"messages":[{"role":"function","content":"21"}]}', "/messages/0"),
    ("C-10#1", "chat", '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo","weight":0.5}]}',
     "/messages/1/weight"),
    ("C-10#2", "chat", '{"messages":[{"role":"user","content":"hi","weight":0},{"role":"assistant","content":"yo"}]}',
     "/messages/0"),
    ("C-14#1", "chat", '{"messages":[{"role":"user","content":"w?"},{"role":"assistant","tool_calls":[{"id":"c1",'
     '"type":"function","function":{"name":"wx","arguments":{"city":"SF"}}}]}],"tools":%s}' % WX_TOOLS,
     "/messages/1/tool_calls/0/function/arguments"),
    ("C-16#1", "chat", '{"messages":%s,"tools":[{"type":"function","function":{"name":"get weather!"}}]}' % HI_YO,
     "/tools/0/function/name"),
    ("C-17#1", "chat", '{"messages":%s,"parallel_tool_calls":"no"}' % HI_YO, "/parallel_tool_calls"),
    ("C-19#1", "chat", '{"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"…",'
     '"format":"wav"}}]},{"role":"assistant","content":"yo"}]}', "/messages/0/content/0/type"),
    ("C-21#1", "chat", '{"messages":[{"role":"user","content":"describe"},{"role":"assistant","content":[{"type":'
     '"image_url","image_url":{"url":"https://x/y.png"}}]}]}', "/messages/1/content/0/type"),
    ("C-21#2", "chat", '{"messages":[{"role":"user","content":[%s]},{"role":"assistant","content":"yo"}]}'
     % (IMAGE % ("https://x/y.png", ',"detail":"medium"')), "/messages/0/content/0/image_url/detail"),
    ("C-21#3", "chat", '{"messages":[{"role":"user","content":[%s]},{"role":"assistant","content":"yo"}]}'
     % (IMAGE % ("ftp://x/y.png", "")), "/messages/0/content/0/image_url/url"),
    ("P-01#1", "preference", '{"input":{"messages":[{"role":"user","content":"q"}]},"preferred_completion":[{"role":'
     '"assistant","content":"a"}],"non_preferred_completion":[{"role":"assistant","content":"b"}]}', ""),
    ("P-01#2", "preference", '{"prompt":"q","chosen":"a","rejected":"b"}', ""),
    ("P-02#1", "preference", '{"input":{"messages":[{"role":"user","content":"q"}]},"preferred_output":{"role":'
     '"assistant","content":"a"},"non_preferred_output":[]}', "/preferred_output"),
    ("P-05#1", "preference", '{"input":{"messages":[{"role":"user","content":[{"type":"text","text":"what?"},%s]}]},%s}'
     % (IMAGE % ("https://x/y.png", ""), DPO_OUT), "/input/messages/0/content/1/type"),
    ("P-06#1", "preference", '{"input":{"messages":[{"role":"user","content":"q"}]},"preferred_output":[{"role":'
     '"assistant","content":"a","weight":1}],"non_preferred_output":[{"role":"assistant","content":"b"}]}',
     "/preferred_output/0"),
    ("R-02#1", "reinforcement", '{"messages":[{"role":"system","content":"rules"},{"role":"user","content":"q"}],'
     '"answer":"4"}', "/messages/0/role"),
    ("L-01#1", "completion", '{"prompt":"q","completion":4}', "/completion"),
]

LINT_ONLY = [  # rule violations a schema must accept: the lint rules report them
    ("C-07", "chat", '{"messages":[{"role":"user","content":""},{"role":"assistant","content":"yo"}]}'),
    ("C-08", "chat", '{"messages":[{"role":"user","content":"w?"},{"role":"assistant","tool_calls":[{"id":"c1",'
     '"type":"function","function":{"name":"wx","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c1","content":'
     '[{"type":"text","text":"21"}]},{"role":"assistant","content":"21C"}]}'),
    ("C-11b", "chat", '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo","weight":0}]}'),
    ("C-12", "chat", '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo"},'
     '{"role":"user","content":"thanks"}]}'),
    ("C-13", "chat", '{"messages":[{"role":"assistant","content":"yo"}]}'),
    ("C-15", "chat", '{"messages":[{"role":"user","content":"w?"},{"role":"assistant","tool_calls":[{"id":"c1",'
     '"type":"function","function":{"name":"wx","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c9",'
     '"content":"21"},{"role":"assistant","content":"21C"}]}'),
    ("C-17", "chat", '{"messages":[{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"id":"a",'
     '"type":"function","function":{"name":"wx","arguments":"{}"}},{"id":"b","type":"function","function":'
     '{"name":"wx","arguments":"{}"}}]}],"parallel_tool_calls":false,"tools":%s}' % WX_TOOLS),
    ("C-18", "chat", '{"messages":[{"role":"user","content":"w?"},{"role":"assistant","function_call":{"name":"wx",'
     '"arguments":"{}"}}],"functions":[{"name":"wx"}],"tools":%s}' % WX_TOOLS),
    ("F-10", "chat", '{"messages":[{"role":"user","content":"fill <|fim_suffix|> here"},{"role":"assistant",'
     '"content":"ok"}]}'),
    ("P-03", "preference", '{"input":{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a0"}]},'
     + DPO_OUT + "}"),
    ("P-04", "preference", '{"input":{"messages":[{"role":"user","content":"q"}]},"preferred_output":[{"role":'
     '"assistant","content":"same"}],"non_preferred_output":[{"role":"assistant","content":"same"}]}'),
    ("R-04", "reinforcement", '{"messages":[{"role":"user","content":"2+2?"},{"role":"assistant","content":"4"}],'
     '"answer":"4"}'),
]


BAD = {case: record for case, _, record, _ in SCHEMA_ERRORS}


@pytest.mark.parametrize(("case", "fmt", "record", "pointer"), SCHEMA_ERRORS, ids=list(BAD))
def test_schema_level_violations_are_rejected(case: str, fmt: str, record: str, pointer: str) -> None:
    value = json.loads(record)
    assert verdicts(fmt, value) == (False, False)
    found = schemas.first_error(fmt, value)
    assert found is not None and found[0] == pointer


@pytest.mark.parametrize(("rule", "fmt", "record"), LINT_ONLY, ids=[c[0] for c in LINT_ONLY])
def test_lint_level_violations_pass_the_schema(rule: str, fmt: str, record: str) -> None:
    value = json.loads(record)
    assert verdicts(fmt, value) == (True, True)
    assert schemas.first_error(fmt, value) is None


REFUSAL_AND_TEXT = ('{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"refusal",'
                    '"refusal":"no"},{"type":"text","text":"x"}]}]}')
EDGE_CASES = [  # (format, record, valid): values where validators often disagree; both must give this verdict
    ("chat", '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo","weight":1.0}]}',
     True),  # 1.0 is an integer in JSON Schema; the weight lint rule rejects floats
    ("chat", '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo","weight":true}]}',
     False),
    ("chat", '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo","weight":"1"}]}',
     False),
    ("chat", '{"messages":[{"role":null,"content":"hi"},{"role":"assistant","content":"yo"}]}', False),
    ("chat", '{"messages":["hi",{"role":"assistant","content":"yo"}]}', False),
    ("chat", '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","tool_calls":[]}]}', False),
    ("chat", '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo","function_call":null}]}',
     True),
    ("chat", '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":null,"function_call":null}]}',
     False),
    ("chat", '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"refusal",'
     '"refusal":"no"}]}]}', True),
    ("chat", REFUSAL_AND_TEXT, False),
    ("chat", '{"messages":%s,"tools":[{"type":"function","function":{"name":"%s"}}]}' % (HI_YO, "f" * 65), False),
    ("chat", '{"messages":%s,"functions":[%s]}' % (HI_YO, ",".join(['{"name":"f"}'] * 129)), False),
    ("chat", '{"messages":[{"role":"user","content":[%s]},{"role":"assistant","content":"yo"}]}'
     % (IMAGE % ("data:image/png;base64,iVBORw0KGgo=", ',"detail":"low"')), True),
    ("reinforcement", '{"messages":[{"role":"developer","content":[{"type":"text","text":"x"}]},{"role":"user",'
     '"content":"q"}],"tools":[],"anything":{"nested":[1,2]}}', True),
    ("completion", '{"prompt":"q","completion":"a","extra":1}', True),
]


@pytest.mark.parametrize(("fmt", "record", "valid"), EDGE_CASES, ids=[f"edge-{i}" for i in range(len(EDGE_CASES))])
def test_both_validators_agree_on_edge_cases(fmt: str, record: str, valid: bool) -> None:
    value = json.loads(record)
    assert verdicts(fmt, value) == (valid, valid)
    assert (schemas.first_error(fmt, value) is None) == valid


# -- first_error ----------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "record", "expected"), [
    ("chat", BAD["C-01#3"],
     ("", 'missing required key "messages"')),
    ("chat", BAD["C-02#1"],
     ("", 'unexpected key "weight" (allowed here: "messages", "tools", "parallel_tool_calls", "functions")')),
    ("chat", BAD["C-03#2"],
     ("/messages/0/role", '"human" is not allowed: "role" must be "system", "user", "assistant", "tool" or '
      '"function" ("developer" is only for reinforcement fine-tuning)')),
    ("chat", BAD["C-04#2"], ("/messages/0", 'missing required key "tool_call_id"')),
    ("chat", BAD["C-05#1"],
     ("/messages/1", 'an assistant message needs a non-null "content", or "tool_calls", or "function_call"')),
    ("chat", BAD["C-06#1"],
     ("/messages/0/content", 'an object is not allowed: "content" of a user message must be a string or a '
      "non-empty array of text and image_url parts")),
    ("chat", BAD["C-10#1"],
     ("/messages/1/weight", '0.5 is not allowed: "weight" must be the integer 0 (not trained) or 1 (trained)')),
    ("chat", BAD["C-10#2"],
     ("/messages/0", 'unexpected key "weight" (allowed here: "role", "content", "name")')),
    ("chat", BAD["C-14#1"],
     ("/messages/1/tool_calls/0/function/arguments",
      'an object is not allowed: "arguments" must be a string holding JSON, such as "{\\"city\\": \\"Paris\\"}"')),
    ("chat", BAD["C-17#1"], ("/parallel_tool_calls", 'expected a boolean, got "no"')),
    ("chat", BAD["C-21#1"],
     ("/messages/1/content/0/type", '"image_url" is not allowed: an assistant content part must have "type" "text" '
      'or "refusal"; images can only be sent in user messages')),
    ("chat", BAD["C-21#3"],
     ("/messages/0/content/0/image_url/url", '"ftp://x/y.png" is not allowed: the image URL must start with '
      "http://, https:// or data:image/ (a base64 data URL)")),
    ("chat", REFUSAL_AND_TEXT,
     ("/messages/1/content", "a refusal part must be the only part of the assistant content")),
    ("preference", BAD["P-01#1"], ("", 'missing required key "preferred_output"')),
    ("preference", BAD["P-05#1"],
     ("/input/messages/0/content/1/type", '"image_url" is not allowed: DPO is text-only: system, user and tool '
      'messages take only "text" parts (no images)')),
    ("reinforcement", BAD["R-02#1"],
     ("/messages/0/role", '"system" is not allowed: "role" must be "developer", "user", "assistant" or "tool" '
      '(reinforcement fine-tuning has no "system" role: use "developer")')),
    ("completion", BAD["L-01#1"], ("/completion", "expected a string, got 4")),
    ("chat", '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","tool_calls":[]}]}',
     ("/messages/1/tool_calls", "must have at least 1 item")),
    ("chat", '{"messages":%s,"functions":[%s]}' % (HI_YO, ",".join(['{"name":"f"}'] * 129)),
     ("/functions", "must have at most 128 items")),
    ("chat", '{"messages":[{"role":"user","content":"w?"},{"role":"assistant","tool_calls":[{"id":"c1","type":"fn",'
     '"function":{"name":"wx","arguments":"{}"}}]}]}',
     ("/messages/1/tool_calls/0/type", 'expected "function", got "fn"')),
    ("chat", '{"messages":[{"role":null,"content":"hi"},{"role":"assistant","content":"yo"}]}',
     ("/messages/0/role", 'null is not allowed: "role" must be "system", "user", "assistant", "tool" or "function" '
      '("developer" is only for reinforcement fine-tuning)')),
])
def test_first_error_messages(fmt: str, record: str, expected: tuple[str, str]) -> None:
    assert schemas.first_error(fmt, json.loads(record)) == expected


def test_first_error_quotes_only_a_short_piece_of_long_values() -> None:
    value = {"messages": [{"role": "user", "content": "hi"}, {"role": "x" * 500, "content": "yo"}]}
    error = schemas.first_error("chat", value)
    assert error is not None
    pointer, message = error
    assert pointer == "/messages/1/role"
    assert message.startswith('"' + "x" * 38 + "…" + ' is not allowed')
    assert len(message) < 200


def test_first_error_of_a_valid_record_is_none() -> None:
    assert schemas.first_error("chat", json.loads('{"messages":%s}' % HI_YO)) is None


def test_pointer_escapes_rfc_6901() -> None:
    assert pointers.join([]) == ""
    assert pointers.join(["a/b", "~c", 0]) == "/a~1b/~0c/0"


# -- loading --------------------------------------------------------------------------------


def test_schema_path_prefers_the_packaged_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert schemas.schema_path("chat").resolve() == REPO / "schemas" / "chat.schema.json"  # toolkit/_schemas links there
    (tmp_path / "chat.schema.json").write_text("{}", encoding="utf-8")
    monkeypatch.setattr(schemas, "_PACKAGED", tmp_path)
    assert schemas.schema_path("chat") == tmp_path / "chat.schema.json"


def test_unknown_format_and_missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="unknown format 'sft'"):
        schemas.schema_path("sft")
    monkeypatch.setattr(schemas, "_PACKAGED", tmp_path / "a")
    monkeypatch.setattr(schemas, "_CHECKOUT", tmp_path / "b")
    with pytest.raises(ToolkitError, match=r"chat\.schema\.json is missing"):
        schemas.schema_path("chat")


def test_loaders_are_cached() -> None:
    assert schemas.load_schema("chat") is schemas.load_schema("chat")
    assert schemas.validator("chat") is schemas.validator("chat")
    assert isinstance(schemas.validator("chat"), jsonschema_rs.Validator)


@pytest.mark.slow
def test_wheel_ships_the_schemas(tmp_path: Path) -> None:
    src = tmp_path / "src"  # build from a copy: setuptools writes build/ and *.egg-info into the source tree
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".tools", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis",
        "node_modules", "benchmarks"))
    out = tmp_path / "wheel"
    # built with this environment's setuptools (the test extra pins the build-system's range): an isolated build
    # would fetch setuptools from the package index into a new environment first, three times the time
    run = subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "-w", str(out), "--no-deps", "-q",
                          "--no-build-isolation"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    (wheel,) = out.glob("tunesmith-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        for fmt, name in schemas.SCHEMA_FILES.items():
            assert json.loads(zf.read(f"toolkit/_schemas/{name}")) == schemas.load_schema(fmt)
