"""toolkit.fix / `tunesmith fix` / `tunesmith lint --fix`: safe repairs that round-trip on every corpus file."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
from pathlib import Path

import pytest
from rules_support import corpus_file, corpus_names, data_file, sample_and_corpus_names

from toolkit import fix, lint, repairs
from toolkit.cli.main import main
from toolkit.errors import InputError, UsageError
from toolkit.rules import RULES, load_all
from toolkit.rules.docs import explain, markdown_table

load_all()
FIXABLE = {code for code, rule in RULES.items() if rule.fixable}
CORPUS = corpus_names()

USER = {"role": "user", "content": "Hi"}
ASSISTANT = {"role": "assistant", "content": "Hello!"}


def put(tmp_path: Path, data: bytes | str, name: str = "data.jsonl") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def line(record: dict, **kw) -> str:
    return json.dumps(record, **kw) + "\n"


# fixable rules that fix repairs only some findings of (an alias, not an unknown role; a "true" string, not any
# other value): lint marks those findings [*]
PARTLY_FIXABLE = repairs.PARTLY_FIXABLE


def fixable_findings(path: Path, **kw) -> list[tuple[int | None, str]]:
    return [(d.line, d.rule) for d in lint(path, **kw).diagnostics
            if d.fix is not None or d.rule in FIXABLE - PARTLY_FIXABLE]


# -- every corpus file round-trips ---------------------------------------------------------


def test_the_corpus_is_all_there():
    corpus_file("cookbook_toy_chat_fine_tuning.jsonl")
    assert len(CORPUS) >= 19


@pytest.mark.parametrize("key", sample_and_corpus_names())
def test_fix_write_then_lint_leaves_no_fixable_finding(tmp_path, key):
    name = key.split("/")[1]
    original = data_file(key).read_bytes()
    path = put(tmp_path, original, name)
    edits = fix.plan(path)
    result = fix.apply(path)
    assert [e.key for e in result.edits] == [e.key for e in edits]
    assert fixable_findings(path) == []
    if edits:
        assert Path(result.backup).read_bytes() == original
    else:  # nothing to fix: the file is not touched, and no backup is made
        assert path.read_bytes() == original and result.backup is None
        assert sorted(p.name for p in tmp_path.iterdir()) == [name]


# a file with one of each line-level and record-level repair: BOM, CRLF, blank line, array, multi-line record,
# role alias, arguments object, tool text parts, fractional weight
MIXED = ("\ufeff" + line({"messages": [{"role": "human", "content": "q"}, ASSISTANT]})
         + "\n"
         + json.dumps([{"messages": [USER, ASSISTANT]}, {"messages": [USER, {**ASSISTANT, "weight": 1.0}]}]) + "\n"
         + json.dumps({"messages": [USER, ASSISTANT]}, indent=2) + "\n"
         + line({"messages": [USER, {"role": "assistant", "tool_calls": [
             {"id": "c1", "type": "function", "function": {"name": "f", "arguments": {"x": 1}}}]},
             {"role": "tool", "tool_call_id": "c1", "content": [{"type": "text", "text": "ok"}]}, ASSISTANT]})
         ).replace("\n", "\r\n")


def _fixable_in_lint_output(out: str) -> int:
    """The count lint's summary gives, checked against the findings it marks [*]."""
    marked = sum(" [*] " in row for row in out.splitlines())
    summary = re.search(r"^\[\*\] (\d+) fixable with `tunesmith fix --write`\.$", out, re.MULTILINE)
    assert (int(summary.group(1)) if summary else 0) == marked, out
    return marked


@pytest.mark.parametrize("provider", ["openai", "azure"])
@pytest.mark.parametrize("key", [*sample_and_corpus_names(), "mixed"])
def test_lint_says_how_many_problems_fix_write_fixes(tmp_path, capsys, key, provider):
    """The "[*] N fixable" of lint's text output is the "fixed N problem(s)" of `fix --write` on the same file."""
    path = put(tmp_path, MIXED if key == "mixed" else data_file(key).read_bytes(), "data.jsonl")
    main(["lint", str(path), "--provider", provider])
    fixable = _fixable_in_lint_output(capsys.readouterr().out)
    main(["fix", "--write", str(path), "--provider", provider])
    out = capsys.readouterr()
    fixed = re.search(r"fixed ([\d,]+) problems?\b", out.out + out.err)
    assert (int(fixed.group(1).replace(",", "")) if fixed else 0) == fixable, out.out + out.err
    if key == "mixed":  # every repair of MIXED is counted; Azure wants the BOM (no F031)
        assert fixable == (7 if provider == "azure" else 8) and "1 more found while fixing (C101" in out.out


def test_lint_counts_fixable_problems_beyond_the_listing_cap(tmp_path, capsys):
    # 1,500 role aliases: lint lists 1,000 of them (MAX_PER_RULE) but says all 1,500 are fixable, as fix does
    record = {"messages": [{"role": "human", "content": "q"}, ASSISTANT]}
    path = put(tmp_path, line(record) * 1500, "data.jsonl")
    main(["lint", str(path), "--select", "C030"])
    assert "[*] 1,500 fixable with `tunesmith fix --write`." in capsys.readouterr().out
    main(["fix", str(path), "--select", "C030"])
    assert "1,500 problems can be fixed" in capsys.readouterr().err


# role aliases on records fix cannot write again without loss (a duplicate key, invalid UTF-8, NaN, a lone
# surrogate), and one it can
UNREWRITABLE = (b'{"messages": [{"role": "human", "content": "x", "content": "y"}, {"role": "assistant", "content": "a"}]}\n'
                b'{"messages": [{"role": "human", "content": "caf\xe9"}, {"role": "assistant", "content": "a"}]}\n'
                b'{"messages": [{"role": "human", "content": "q"}, {"role": "assistant", "content": "a", "x": NaN}]}\n'
                b'{"messages": [{"role": "human", "content": "\\ud800"}, {"role": "assistant", "content": "a"}]}\n'
                b'{"messages": [{"role": "human", "content": "q"}, {"role": "gpt", "content": "a"}]}\n')


def test_lint_offers_no_fix_that_fix_cannot_make(tmp_path, capsys):
    """Lint marked the role alias of a record with a duplicate key "[*]" (6 fixable) while fix, which never
    rewrites such a record, fixed 5, and lint then said "1 fixable" forever; the dry run counted lines."""
    path = put(tmp_path, UNREWRITABLE, "data.jsonl")
    main(["lint", str(path)])
    assert _fixable_in_lint_output(capsys.readouterr().out) == 2  # the last record's two roles
    main(["fix", str(path)])
    assert "2 problems can be fixed: run with --diff" in capsys.readouterr().err
    main(["fix", "--write", str(path)])
    assert "fixed 2 problems (C030)" in capsys.readouterr().out
    main(["lint", str(path)])
    assert _fixable_in_lint_output(capsys.readouterr().out) == 0


def test_which_corpus_files_need_fixing(tmp_path):
    corpus_file(CORPUS[0])  # skips (fails in CI) when ../shared is absent
    counts = {name: sorted({e.rule for e in fix.plan(corpus_file(name))}) for name in CORPUS}
    assert {name: rules for name, rules in counts.items() if rules} == {
        "cookbook_01_testing_example_prettyprinted.jsonl": ["F012"],
        "ganachan_autograding_validation_set_crlf.jsonl": ["F033"],
        "llamafactory_v1_multimodal_demo.jsonl": ["F020"],
    }


def test_a_repair_and_a_join_keep_the_values_they_do_not_change(tmp_path):
    """Issue 8: the fixed line holds the author's number spellings and escapes; only the repaired value changes."""
    line = ('{"messages":[{"role":"human","content":"caf\\u00e9"},{"role":"assistant","content":"Yo"}],'
            '"n":1e2,"p":1.50,"big":12345678901234567890123,"z":-0}\n')
    path = put(tmp_path, line)
    fix.apply(path)
    assert path.read_text("utf-8") == line.replace('"human"', '"user"')
    pretty = put(tmp_path, '{\n  "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", '
                           '"content": "Yo"}],\n  "n": 1e2,\n  "p": 1.50\n}\n', "pretty.jsonl")
    fix.apply(pretty)
    assert pretty.read_text("utf-8") == ('{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", '
                                         '"content": "Yo"}], "n": 1e2, "p": 1.50}\n')
    array = put(tmp_path, '[{"messages": [{"role": "human", "content": "Hi"}], "n": 1e2},\n'
                          ' {"messages": [{"role": "user", "content": "Ho"}], "p": 1.50}]\n', "array.jsonl")
    fix.apply(array)
    assert array.read_text("utf-8") == ('{"messages": [{"role": "user", "content": "Hi"}], "n": 1e2}\n'
                                        '{"messages": [{"role": "user", "content": "Ho"}], "p": 1.50}\n')


def test_pretty_printed_corpus_file_becomes_jsonl_with_the_same_records(tmp_path):
    src = corpus_file("cookbook_01_testing_example_prettyprinted.jsonl")
    path = put(tmp_path, src.read_bytes())
    fix.apply(path)
    lines = path.read_text("utf-8").splitlines()
    records = [json.loads(x) for x in lines]
    assert len(records) == 11 == lint(path).files[0].records
    # the record with a raw line break inside its assistant text keeps that text, now escaped
    assert any("\n\n            OPTION #1." in m["content"] for r in records for m in r["messages"])
    assert not path.read_bytes().endswith(b"\n")  # no final newline before, none after


def test_crlf_corpus_file_keeps_every_byte_but_the_carriage_returns(tmp_path):
    src = corpus_file("ganachan_autograding_validation_set_crlf.jsonl").read_bytes()
    path = put(tmp_path, src)
    [edit] = fix.plan(path)
    assert (edit.line, edit.rule, edit.description) == (None, "F033", "end the 60 CRLF lines with LF")
    fix.apply(path)
    assert path.read_bytes() == src.replace(b"\r\n", b"\n")


# -- line fixes ----------------------------------------------------------------------------


def test_blank_lines_are_dropped_and_other_lines_stay_byte_identical(tmp_path):
    odd = '{ "messages" : [ {"role":"user","content":"caf\\u00e9"}, {"role": "assistant", "content": "x"} ] }\n'
    path = put(tmp_path, odd + "\n   \n" + line({"messages": [USER, ASSISTANT]}))
    edits = fix.plan(path)
    assert [(e.line, e.rule) for e in edits] == [(2, "F020"), (3, "F020")]
    fix.apply(path)
    assert path.read_text("utf-8") == odd + line({"messages": [USER, ASSISTANT]})


def test_json_array_becomes_one_record_per_line(tmp_path):
    records = [{"messages": [USER, ASSISTANT]}, {"messages": [USER, {"role": "assistant", "content": "é"}]}]
    path = put(tmp_path, json.dumps(records, ensure_ascii=False, indent=2) + "\n")
    [edit] = fix.plan(path)
    assert (edit.rule, edit.line) == ("F011", 1)
    fix.apply(path)
    assert [json.loads(x) for x in path.read_text("utf-8").splitlines()] == records
    assert "é" in path.read_text("utf-8")


def test_one_line_array_is_split(tmp_path):
    path = put(tmp_path, json.dumps([{"messages": [USER, ASSISTANT]}] * 2) + "\n")
    fix.apply(path)
    assert path.read_text("utf-8") == line({"messages": [USER, ASSISTANT]}) * 2


def test_array_with_an_element_that_repeats_a_key_is_split_that_element_as_written(tmp_path):
    """Lint marks such an array fixable; fix said "nothing to fix". The element keeps both copies (F016 then names
    the repeat on its own line) and is not repaired; the others are."""
    first = '{"messages": [{"role": "human", "content": "q"}, {"role": "assistant", "content": "a"}]}'
    twice = '{"messages": [{"role": "user", "content": "q", "content": "q2"}, {"role": "gpt", "content": "a"}]}'
    path = put(tmp_path, f"[{first},\n {twice}]\n")
    assert [d.fix is not None for d in lint(path).diagnostics if d.rule == "F011"] == [True]  # lint's [*]
    assert [e.rule for e in fix.plan(path)] == ["F011", "C030"]
    fix.apply(path)
    assert path.read_text("utf-8") == first.replace("human", "user") + "\n" + twice + "\n"


def test_array_of_non_objects_is_left_alone(tmp_path):
    path = put(tmp_path, "[1, 2]\n")
    assert fix.plan(path) == []


def test_pretty_printed_record_with_raw_control_characters_is_joined(tmp_path):
    text = '{\n  "messages": [\n    {"role": "user", "content": "a\tb\nc"},\n    {"role": "assistant", "content": "d"}\n  ]\n}\n'
    path = put(tmp_path, text)
    [edit] = fix.plan(path)
    assert (edit.line, edit.end_line, edit.rule) == (1, 7, "F012")
    fix.apply(path)
    [record] = [json.loads(x) for x in path.read_text("utf-8").splitlines()]
    assert record["messages"][0]["content"] == "a\tb\nc"


def test_bom_is_removed_for_openai_and_kept_for_azure(tmp_path):
    body = line({"messages": [USER, ASSISTANT]})
    path = put(tmp_path, b"\xef\xbb\xbf" + body.encode())
    assert fix.plan(path, provider="azure") == []
    [edit] = fix.plan(path)
    assert (edit.line, edit.rule, edit.before, edit.after) == (1, "F031", "\ufeff", "")
    fix.apply(path)
    assert path.read_bytes() == body.encode()


def test_bom_is_added_on_request_for_azure(tmp_path):
    body = line({"messages": [USER, ASSISTANT]})
    path = put(tmp_path, body)
    [edit] = fix.plan(path, provider="azure", add_bom=True)
    assert edit.rule == "F032"
    fix.apply(path, provider="azure", add_bom=True)
    assert path.read_bytes() == b"\xef\xbb\xbf" + body.encode()
    with pytest.raises(UsageError, match="azure"):
        fix.plan(path, add_bom=True)


def test_bom_before_a_blank_first_line_is_kept_at_the_start(tmp_path):
    body = line({"messages": [USER, ASSISTANT]})
    path = put(tmp_path, b"\xef\xbb\xbf\n" + body.encode())
    fix.apply(path, provider="azure")
    assert path.read_bytes() == b"\xef\xbb\xbf" + body.encode()


# -- record fixes --------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "target"), [("human", "user"), ("gpt", "assistant"), ("bot", "assistant"),
                                              ("model", "assistant"), ("User", "user"), ("ASSISTANT", "assistant"),
                                              ("Human", "user")])
def test_role_aliases_and_case_variants(tmp_path, role, target):
    path = put(tmp_path, line({"messages": [{"role": role, "content": "x"}, ASSISTANT]}))
    [edit] = fix.plan(path)
    assert (edit.rule, edit.line) == ("C030", 1)
    fix.apply(path)
    assert json.loads(path.read_text("utf-8"))["messages"][0]["role"] == target
    assert fixable_findings(path) == []


@pytest.mark.parametrize("role", ["narrator", " user", "tool_output", ""])
def test_unknown_roles_are_not_guessed(tmp_path, role):
    path = put(tmp_path, line({"messages": [{"role": role, "content": "x"}, ASSISTANT]}))
    assert fix.plan(path) == []


def test_arguments_object_becomes_a_json_string(tmp_path):
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": {"city": "Zürich", "n": 2}}}
    record = {"messages": [USER, {"role": "assistant", "tool_calls": [call]},
                           {"role": "tool", "tool_call_id": "c1", "content": "sunny"}, ASSISTANT]}
    path = put(tmp_path, line(record, ensure_ascii=False))
    [edit] = fix.plan(path)
    assert edit.rule == "C140" and "/messages/1/tool_calls/0/function/arguments" in edit.description
    fix.apply(path)
    fixed = json.loads(path.read_text("utf-8"))
    assert fixed["messages"][1]["tool_calls"][0]["function"]["arguments"] == '{"city": "Zürich", "n": 2}'
    assert fixable_findings(path) == []


ARGS_TEXT = '{"big":1e400,"tiny":1e-400,"price":1.10,"s":"\\u00e9"}'
PRETTY = ('{\n "messages": [\n  {"role": "user", "content": "Hi"},\n  {"role": "assistant", "tool_calls": [{"id": "c1", '
          '"type": "function", "function": {"name": "f", "arguments": {\n    "big": 1e400,\n    "price": 1.10}}}]}\n ]\n}\n')


@pytest.mark.parametrize("layout", ["line", "pretty", "array"])
def test_arguments_object_keeps_its_literals(tmp_path, layout):
    """1e400, 1e-400 and 1.10 parse as inf, 0.0 and 1.1: the JSON string holds what the user wrote, never
    `Infinity` (not JSON) or a changed number (a pretty-printed object is put on one line)."""
    text = ('{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","tool_calls":[{"id":"c1","type":'
            '"function","function":{"name":"f","arguments":' + ARGS_TEXT + '}}]}]}')
    data = {"line": text + "\n", "pretty": PRETTY, "array": "[" + text + "]\n"}[layout]
    path = put(tmp_path, data)
    assert "C140" in {e.rule for e in fix.plan(path)}
    fix.apply(path)
    [written] = path.read_text("utf-8").splitlines()
    assert "Infinity" not in written
    args = json.loads(written)["messages"][1]["tool_calls"][0]["function"]["arguments"]
    assert args == ('{"big": 1e400, "price": 1.10}' if layout == "pretty" else ARGS_TEXT)
    assert fixable_findings(path) == []


def test_arguments_object_without_its_text_is_left_when_floats_would_change():
    value = {"messages": [USER, {"role": "assistant", "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": {"price": 1.1}}}]}]}
    assert repairs.find(value, "chat", rules={"C140"}) == []
    value["messages"][1]["tool_calls"][0]["function"]["arguments"] = {"n": 2}
    [change] = repairs.find(value, "chat", rules={"C140"})
    change.apply()
    assert value["messages"][1]["tool_calls"][0]["function"]["arguments"] == '{"n": 2}'


def test_tool_text_parts_are_joined(tmp_path):
    tool = {"role": "tool", "tool_call_id": "c1", "content": [{"type": "text", "text": "a"},
                                                              {"type": "text", "text": "b"}]}
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    record = {"messages": [USER, {"role": "assistant", "tool_calls": [call]}, tool, ASSISTANT]}
    path = put(tmp_path, line(record))
    [edit] = fix.plan(path)
    assert edit.rule == "C080"
    fix.apply(path)
    assert json.loads(path.read_text("utf-8"))["messages"][2]["content"] == "a\nb"
    assert fixable_findings(path) == []


def test_old_preference_key_names_are_renamed_in_place(tmp_path):
    record = {"input": {"messages": [USER]}, "preferred_completion": [ASSISTANT],
              "non_preferred_completion": [{"role": "assistant", "content": "no"}], "extra": 1}
    path = put(tmp_path, line(record))
    assert {e.rule for e in fix.plan(path)} == {"P010"}
    fix.apply(path)
    assert list(json.loads(path.read_text("utf-8"))) == ["input", "preferred_output", "non_preferred_output", "extra"]


def test_system_becomes_developer_in_rft_files(tmp_path):
    record = {"messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "2+2"}],
              "answer": "4"}
    path = put(tmp_path, line(record) * 10)
    assert {e.rule for e in fix.plan(path)} == {"R020"}
    fix.apply(path)
    assert fixable_findings(path) == []
    chat = put(tmp_path, line({"messages": [{"role": "system", "content": "s"}, USER, ASSISTANT]}), "chat.jsonl")
    assert fix.plan(chat) == []


def test_rewritten_records_keep_their_style(tmp_path):
    compact = json.dumps({"messages": [{"role": "human", "content": "é"}, ASSISTANT]}, separators=(",", ":"),
                         ensure_ascii=False) + "\n"
    escaped = json.dumps({"messages": [{"role": "human", "content": "é"}, ASSISTANT]}) + "\n"
    path = put(tmp_path, compact + escaped)
    fix.apply(path)
    out = path.read_text("utf-8").splitlines(keepends=True)
    assert out[0] == compact.replace("human", "user")
    assert out[1] == escaped.replace("human", "user")
    assert "\\u00e9" in out[1]


def test_records_that_cannot_be_rewritten_safely_are_left_alone(tmp_path):
    dup = '{"messages": [{"role": "human", "content": "a", "content": "b"}]}\n'
    nan = '{"messages": [{"role": "human", "content": "a", "weight": NaN}]}\n'
    path = put(tmp_path, dup + nan)
    assert fix.plan(path) == []


def test_several_fixes_on_one_record_and_a_multi_line_record(tmp_path):
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": {"a": 1}}}
    record = {"messages": [{"role": "human", "content": "x"}, {"role": "gpt", "tool_calls": [call]}]}
    path = put(tmp_path, json.dumps(record, indent=2) + "\n")
    assert [(e.line, e.rule) for e in fix.plan(path)] == [(1, "F012"), (1, "C030"), (1, "C140")]
    fix.apply(path)
    fixed = json.loads(path.read_text("utf-8"))
    assert [m["role"] for m in fixed["messages"]] == ["user", "assistant"]
    assert fixed["messages"][1]["tool_calls"][0]["function"]["arguments"] == '{"a": 1}'
    assert len(path.read_text("utf-8").splitlines()) == 1


def test_repairs_never_raise_on_odd_values():
    odd = [None, 5, "x", [], {}, {"messages": None}, {"messages": [None, 1, {"role": None}, {"role": 5}]},
           {"messages": [{"role": "assistant", "tool_calls": [None, {"function": None}, {"function": {"arguments": 5}}]}]},
           {"input": 5, "preferred_completion": None}, {"messages": [{"role": "tool", "content": [None, {"type": 1}]}]}]
    for value in odd:
        for fmt in ("chat", "reinforcement", "preference"):
            for change in repairs.find(value, fmt):
                change.apply()


# -- selection, diff, write ----------------------------------------------------------------


def test_apply_only_the_chosen_edits(tmp_path):
    bad = line({"messages": [{"role": "human", "content": "x"}, ASSISTANT]})
    path = put(tmp_path, bad + "\n" + bad)
    edits = fix.plan(path)
    assert [(e.line, e.rule) for e in edits] == [(1, "C030"), (2, "F020"), (3, "C030")]
    fix.apply(path, [edits[2]])  # "fix this" on line 3 only
    assert path.read_text("utf-8") == bad + "\n" + bad.replace("human", "user")
    fix.apply(path, rules=["F020"])  # "fix all like this"
    assert path.read_text("utf-8") == bad + bad.replace("human", "user")


def test_edit_previews_show_before_and_after(tmp_path):
    path = put(tmp_path, line({"messages": [{"role": "gpt", "content": "x"}]}))
    [edit] = fix.plan(path)
    assert edit.before == line({"messages": [{"role": "gpt", "content": "x"}]})
    assert edit.after == line({"messages": [{"role": "assistant", "content": "x"}]})
    assert edit.description == '/messages/0: rename role "gpt" to "assistant"'


def test_unknown_rule_selection_is_a_usage_error(tmp_path):
    path = put(tmp_path, line({"messages": [USER, ASSISTANT]}))
    with pytest.raises(UsageError, match="no fix for rule"):
        fix.plan(path, rules=["C050"])
    with pytest.raises(InputError, match="no such file"):
        fix.plan(tmp_path / "missing.jsonl")


def test_backups_never_overwrite_each_other_and_mode_is_kept(tmp_path):
    path = put(tmp_path, "\n" + line({"messages": [USER, ASSISTANT]}))
    os.chmod(path, 0o640)
    first = fix.apply(path)
    assert first.backup == f"{path}.bak"
    path.write_text("\n" + path.read_text("utf-8"), encoding="utf-8")
    second = fix.apply(path)
    assert second.backup == f"{path}.bak.1"
    assert Path(first.backup).read_text("utf-8") == "\n" + line({"messages": [USER, ASSISTANT]})
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_apply_to_another_output_leaves_the_input_alone(tmp_path):
    src = put(tmp_path, "\n" + line({"messages": [USER, ASSISTANT]}))
    out = tmp_path / "out.jsonl"
    result = fix.apply(src, output=out)
    assert (result.output, result.backup) == (str(out), None)
    assert src.read_text("utf-8").startswith("\n") and out.read_text("utf-8") == line({"messages": [USER, ASSISTANT]})


def test_cli_lists_diffs_and_writes(tmp_path, capsys):
    text = line({"messages": [{"role": "human", "content": "x"}, ASSISTANT]})
    path = put(tmp_path, "\n" + text)
    assert main(["fix", str(path)]) == 1
    out = capsys.readouterr()
    assert f"{path}:1: F020 remove the blank line" in out.out and "--write" in out.err
    assert main(["fix", str(path), "--diff"]) == 1
    diff = capsys.readouterr().out
    assert diff.startswith(f"--- {path}\n+++ {path} (fixed)\n@@ -1,1 +0,0 @@\n-\n@@ -2,1 +1,1 @@\n-")
    assert '+{"messages": [{"role": "user"' in diff
    assert path.read_text("utf-8") == "\n" + text  # --diff changes nothing
    assert main(["fix", str(path), "--write"]) == 0
    assert "fixed 2 problems (C030, F020); original kept as" in capsys.readouterr().out
    assert main(["fix", str(path)]) == 0


def test_diff_applies_with_patch(tmp_path):
    patch = shutil.which("patch")
    if patch is None:
        pytest.skip("no patch program")
    import subprocess

    text = "\n" + line({"messages": [{"role": "human", "content": "x"}, ASSISTANT]}) + line({"messages": [USER]})
    path = put(tmp_path, text)
    diff = "".join(fix.iter_diff(path))
    subprocess.run([patch, str(path)], input=diff.encode(), check=True, capture_output=True)
    copy = put(tmp_path, text, "copy.jsonl")
    fix.apply(copy, backup=False)
    assert path.read_bytes() == copy.read_bytes()


def test_lint_fix_repairs_then_reports(tmp_path, capsys):
    records = "".join(line({"messages": [{"role": "human", "content": f"q{i}"}, ASSISTANT]}) for i in range(10))
    path = put(tmp_path, records.replace("\n", "\r\n"))
    assert main(["lint", str(path), "--select", "C030,F033"]) == 1
    capsys.readouterr()
    assert main(["lint", "--fix", str(path), "--select", "C030,F033"]) == 0
    err = capsys.readouterr().err
    assert "fixed 11 problems (C030, F033)" in err
    assert path.read_text("utf-8") == records.replace("human", "user")


def test_lint_fix_only_fixes_the_selected_rules(tmp_path, capsys):
    records = "".join(line({"messages": [{"role": "human", "content": f"q{i}"}, ASSISTANT]}) for i in range(10))
    path = put(tmp_path, records.replace("\n", "\r\n"))
    main(["lint", "--fix", str(path), "--ignore", "C030"])
    assert "fixed 1 problem (F033)" in capsys.readouterr().err
    assert path.read_text("utf-8") == records


def test_one_write_reaches_the_fixed_point_when_a_fix_uncovers_another(tmp_path: Path) -> None:
    """Found by the property test: removing the blank line after a "[" line turns the rest into an unclosed
    array of records, which the same run then splits; the backup is the original."""
    record = b'{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}'
    path = tmp_path / "data.jsonl"
    original = b"[\n\n" + record + b"\n"
    path.write_bytes(original)
    result = fix.apply(path)
    assert path.read_bytes() == record + b"\n"
    assert {e.rule for e in result.edits} == {"F011", "F020"}
    assert (tmp_path / "data.jsonl.bak").read_bytes() == original
    assert fix.plan(path) == []


def test_one_list_of_fixable_rules_everywhere(capsys):
    # the registry, fix's --select, `rules --format json`, fix's help and the README all name the same rules
    assert FIXABLE == set(fix.RULES) == set(repairs.FIXABLE)
    assert main(["rules", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {r["code"] for r in (listed["rules"] if isinstance(listed, dict) else listed) if r["fixable"]} == FIXABLE
    assert {r["code"] for r in listed if r["partly_fixable"]} == repairs.PARTLY_FIXABLE  # lint marks only some [*]
    with pytest.raises(UsageError, match="fixable rules: " + ", ".join(fix.RULES)):
        fix.plan(b"", rules=["C010"], provider="openai", add_bom=False, method=None)
    assert main(["fix", "--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    readme = " ".join((Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8").split())
    paragraph = readme[readme.index("**fix** repairs only"):readme.index("Untouched lines stay byte-identical")]
    for code in fix.RULES:
        assert code in help_text and code in paragraph, code


def test_fix_says_when_the_configuration_turns_a_selected_rule_off(tmp_path, capsys, monkeypatch):
    # ignore = ["F0"] turns F033 off: `fix --select F033` says so (and how to fix it anyway) instead of nothing
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.tunesmith]\nignore = ["F0"]\n', "utf-8")
    data = line({"messages": [USER, ASSISTANT]}).replace("\n", "\r\n")
    path = put(tmp_path, data, "m.jsonl")
    assert main(["fix", "m.jsonl", "--select", "F033"]) == 0
    err = capsys.readouterr().err
    assert 'm.jsonl: F033 is turned off by ignore = ["F0"] in [tool.tunesmith] of' in err and "pyproject.toml" in err
    assert "--config" in err and path.read_bytes() == data.encode()
    assert main(["fix", "m.jsonl"]) == 0 and capsys.readouterr().err == ""  # not asked for by name: nothing to say


# one finding fix cannot repair per partly fixable rule (lint gives it no [*]), and one it can
UNREPAIRED = {
    "C030": {"messages": [{"role": "narrator", "content": "a"}, {"role": "assistant", "content": "x"}]},
    "C101": {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "x", "weight": 0.5}]},
    "C140": {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "tool_calls": [
        {"type": "function", "function": {"name": "f", "arguments": "{}"}}]}]},
    "C170": {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "x"}],
             "parallel_tool_calls": "yes"},
    "C160": {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "x"}],
             "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"},
                                                         "strict": "maybe"}}]},
    "C080": {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "tool_calls": [
        {"id": "1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "1", "content": [{"type": "image_url", "image_url": {"url": "http://x"}}]},
        {"role": "assistant", "content": "ok"}]},
    "P010": {"input": {"messages": [{"role": "user", "content": "a"}]},
             "preferred_output": [{"role": "assistant", "content": "x"}]},
}


@pytest.mark.parametrize("code", sorted(UNREPAIRED))
def test_a_partly_fixable_rule_says_so_and_lint_marks_only_what_fix_repairs(tmp_path, code):
    assert code in repairs.PARTLY_FIXABLE and RULES[code].fixable
    path = put(tmp_path, line(UNREPAIRED[code]))
    found = [d for d in lint(path).diagnostics if d.rule == code]
    assert found and all(d.fix is None for d in found)
    fmt = "preference" if code == "P010" else "chat"
    assert list(repairs.find(UNREPAIRED[code], fmt, rules={code}, text=path.read_text())) == []
    assert "some findings fixable" in explain(RULES[code]) and f"{code} " in explain(RULES[code])
    table_row = next(r for r in markdown_table(RULES.values()).splitlines() if f"</a>{code} |" in r)
    assert "(some findings fixable)" in table_row


def test_partly_fixable_rules_are_exactly_those_with_unrepaired_findings():
    assert set(UNREPAIRED) == repairs.PARTLY_FIXABLE
    assert "(fixable)" in next(r for r in markdown_table(RULES.values()).splitlines() if "</a>C031 |" in r)


def test_file_names_are_written_with_their_control_characters_escaped(tmp_path: Path, capsys) -> None:
    """An ESC in a file name drove the terminal in fix's plan, summary and backup messages (lint's escaped it)."""
    name = tmp_path / "a\x1b[31mb.jsonl"
    name.write_bytes(b'{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}]}\r\n')
    assert main(["fix", str(name)]) == 1
    assert main(["fix", str(name), "--diff"]) == 1
    assert main(["fix", str(name), "--write"]) == 0
    out, err = capsys.readouterr()
    assert "\x1b" not in out + err
    assert out.count("a\\x1b[31mb.jsonl") >= 4  # the plan, the diff's two headers, the summary
    assert "original kept as " in out and "a\\x1b[31mb.jsonl" in out.split("original kept as ")[1]
