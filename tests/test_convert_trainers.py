"""convert --from: other trainers' tool turns and preference items, ms-swift, JSON arrays, and bad records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toolkit import convert as convert_mod
from toolkit.cli.main import main
from toolkit.convert import convert, records_from
from toolkit.engine import lint
from toolkit.errors import InputError


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def write_jsonl(path: Path, records: list) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


TOOLS = json.dumps([{"name": "get_price", "description": "Stock price",
                     "parameters": {"type": "object", "properties": {"symbol": {"type": "string"}}}}])
SHAREGPT_TOOLS = {"conversations": [
    {"from": "human", "value": "Price of MSFT?"},
    {"from": "function_call", "value": json.dumps({"name": "get_price", "arguments": {"symbol": "MSFT"}})},
    {"from": "observation", "value": "{\"price\": 420}"},
    {"from": "gpt", "value": "MSFT trades at 420."}], "system": "You quote prices.", "tools": TOOLS}


def test_sharegpt_function_call_and_observation_become_tool_calls_and_tool_messages(tmp_path):
    src = write_jsonl(tmp_path / "tools.jsonl", [SHAREGPT_TOOLS] * 10)
    out = tmp_path / "out.jsonl"
    assert convert(src, out, from_format="sharegpt").records == 10
    record = jsonl(out)[0]
    assert record["messages"] == [
        {"role": "system", "content": "You quote prices."},
        {"role": "user", "content": "Price of MSFT?"},
        {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {
            "name": "get_price", "arguments": "{\"symbol\": \"MSFT\"}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "{\"price\": 420}"},
        {"role": "assistant", "content": "MSFT trades at 420."}]
    assert record["tools"][0]["type"] == "function" and record["tools"][0]["function"]["name"] == "get_price"
    assert not [d for d in lint(out).diagnostics if d.severity.value == "error"]


def test_sharegpt_parallel_calls_get_their_observations_in_order(tmp_path):
    item = {"conversations": [
        {"from": "human", "value": "Both?"},
        {"from": "function_call", "value": json.dumps([{"name": "a", "arguments": {}}, {"name": "b", "arguments": {}}])},
        {"from": "observation", "value": "1"}, {"from": "observation", "value": "2"},
        {"from": "gpt", "value": "1 and 2"}]}
    [record] = records_from(write_jsonl(tmp_path / "p.jsonl", [item]), "sharegpt")
    assert [m.get("tool_call_id") for m in record["messages"] if m["role"] == "tool"] == ["call_1", "call_2"]


def test_sharegpt_call_arguments_keep_their_numbers_as_written(tmp_path):
    # re-serialising the parsed object would write 1.1 for 1.10, and Infinity (not JSON) for 1e400
    call = '{"name": "f", "arguments": {"x": 1.10, "y": 1e400,\n "z": 0.1000000000000000055511151231257827}}'
    item = {"conversations": [{"from": "human", "value": "x"}, {"from": "function_call", "value": call},
                              {"from": "observation", "value": "1"}, {"from": "gpt", "value": "done"}]}
    [record] = records_from(write_jsonl(tmp_path / "n.jsonl", [item]), "sharegpt")
    assert record["messages"][1]["tool_calls"][0]["function"]["arguments"] == (
        '{"x": 1.10, "y": 1e400, "z": 0.1000000000000000055511151231257827}')


def test_sharegpt_observation_without_a_call_is_an_error(tmp_path):
    item = {"conversations": [{"from": "human", "value": "x"}, {"from": "observation", "value": "1"}]}
    with pytest.raises(InputError, match="line 1: turn 2 is an observation"):
        records_from(write_jsonl(tmp_path / "o.jsonl", [item]), "sharegpt")


def test_sharegpt_and_alpaca_preference_items_become_dpo_records(tmp_path):
    sg = {"conversations": [{"from": "human", "value": "Q?"}], "chosen": {"from": "gpt", "value": "good"},
          "rejected": {"from": "gpt", "value": "bad"}}
    al = {"instruction": "Q?", "input": "", "chosen": "good", "rejected": "bad"}
    want = {"input": {"messages": [{"role": "user", "content": "Q?"}]},
            "preferred_output": [{"role": "assistant", "content": "good"}],
            "non_preferred_output": [{"role": "assistant", "content": "bad"}]}
    assert records_from(write_jsonl(tmp_path / "sg.jsonl", [sg]), "sharegpt") == [want]
    assert records_from(write_jsonl(tmp_path / "al.jsonl", [al]), "alpaca") == [want]


def test_fields_with_no_place_in_the_openai_format_are_named_once_per_file(tmp_path, capsys):
    """Alpaca's "id" and "category" are in no record: convert says so once, not silently (nor once per item)."""
    src = tmp_path / "alpaca.json"
    src.write_text(json.dumps([{"id": i, "category": "math", "instruction": f"q{i}", "input": "", "output": "a"}
                               for i in range(12)] + [{"instruction": "q", "output": "a"}]), encoding="utf-8")
    result = convert(src, tmp_path / "a.jsonl", from_format="alpaca")
    assert result.dropped == {"id": 12, "category": 12}
    main(["convert", "--from", "alpaca", str(src), str(tmp_path / "b.jsonl")])
    err = capsys.readouterr().err
    assert err.count("not converted") == 1
    assert 'the fields "id" (12 items), "category" (12 items), with no place in the OpenAI format' in err
    table = tmp_path / "t.csv"
    table.write_text("id,question,answer,notes\n1,q,a,x\n2,q2,a2,\n", encoding="utf-8")
    assert convert(table, tmp_path / "t.jsonl", from_format="csv").dropped == {"id": 2, "notes": 1}
    assert convert(src, tmp_path / "c.jsonl", from_format="alpaca", overwrite=True).records == 13
    plain = write_jsonl(tmp_path / "plain.jsonl", [{"instruction": "q", "input": "i", "output": "a", "system": "s"}])
    assert convert(plain, tmp_path / "p.jsonl", from_format="alpaca").dropped == {}


@pytest.mark.parametrize(("fmt", "item", "dropped"), [
    ("sharegpt", {"conversations": [{"from": "human", "value": "q", "lang": "en"},
                                    {"from": "gpt", "value": "a", "weight": 0}]},
     {"conversations[].lang": 1, "conversations[].weight": 1}),
    ("sharegpt", {"conversations": [{"from": "human", "value": "q"}], "chosen": {"from": "gpt", "value": "a", "x": 1},
                  "rejected": [{"from": "gpt", "value": "b", "x": 2}]}, {"chosen[].x": 1, "rejected[].x": 1}),
    ("trl-messages", {"prompt": [{"role": "user", "content": "q"}],
                      "completion": [{"role": "assistant", "content": "a", "weight": 0}]}, {"completion[].weight": 1}),
    ("trl-preference", {"prompt": [{"role": "user", "content": "q", "extra": 1}], "chosen": "a",
                        "rejected": [{"role": "assistant", "content": "b", "weight": 0}]},
     {"prompt[].extra": 1, "rejected[].weight": 1}),
])
def test_keys_of_turns_with_no_place_in_the_records_are_named_too(tmp_path, fmt, item, dropped):
    """A turn's key the reader does not convert (a weight 0 among them: the turn would train) is named, not lost."""
    src = write_jsonl(tmp_path / "in.jsonl", [item])
    assert convert(src, tmp_path / "out.jsonl", from_format=fmt).dropped == dropped


@pytest.mark.parametrize(("fmt", "item", "message"), [
    ("alpaca", {"instruction": "i", "input": 42, "output": "o"}, '"input" is a number, not text'),
    ("alpaca", {"instruction": "i", "input": ["a", "b"], "output": "o"}, '"input" is an array, not text'),
    ("alpaca", {"instruction": "i", "output": "o", "system": {"x": 1}}, '"system" is an object, not text'),
    ("ms-swift", {"query": "q", "response": "r", "system": ["s"]}, '"system" is an array, not text'),
    ("sharegpt", {"conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}],
                  "system": ["s"]}, '"system" is an array, not text'),
    ("sharegpt", {"conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}],
                  "messages": [{"role": "user", "content": "other"}]}, 'has both "conversations" and "messages"'),
    ("sharegpt", {"system": "A", "conversations": [{"from": "system", "value": "B"}, {"from": "human", "value": "q"},
                                                   {"from": "gpt", "value": "a"}]},
     'the "system" field and turn 1 are two different system prompts'),
    ("trl-messages", {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}],
                      "completion": [{"role": "assistant", "content": "b"}]}, 'has both "messages" and "completion"'),
])
def test_a_value_the_reader_would_pass_over_is_an_error(tmp_path, fmt, item, message):
    """A field read as text that is not text, or a second list of turns, was left out of the record without a word."""
    with pytest.raises(InputError, match=f"line 1: {message}"):
        records_from(write_jsonl(tmp_path / "in.jsonl", [item]), fmt)


def test_ms_swift_query_response_history(tmp_path):
    item = {"system": "S", "query": "q2", "response": "a2", "history": [["q1", "a1"]]}
    assert records_from(write_jsonl(tmp_path / "s.jsonl", [item]), "ms-swift") == [{"messages": [
        {"role": "system", "content": "S"}, {"role": "user", "content": "q1"}, {"role": "assistant", "content": "a1"},
        {"role": "user", "content": "q2"}, {"role": "assistant", "content": "a2"}]}]


@pytest.mark.parametrize("chunk", [7, 1 << 16])
def test_a_whole_file_json_array_is_read_item_by_item(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(convert_mod, "ARRAY_CHUNK", chunk)  # items cut across reads
    items = [{"instruction": f"Say {i} ünïcode", "input": "", "output": str(10 ** 20 + i)} for i in range(30)]
    src = tmp_path / "alpaca.json"
    src.write_text("\ufeff  [\n" + ",\n  ".join(json.dumps(i, ensure_ascii=False, indent=1) for i in items) + "\n]\n",
                   encoding="utf-8")
    records = records_from(src, "alpaca")
    assert len(records) == 30 and records[29]["messages"][-1]["content"] == str(10 ** 20 + 29)
    assert records[3]["messages"][0]["content"] == "Say 3 ünïcode"


@pytest.mark.parametrize("text", [
    json.dumps({"data": [{"instruction": "a", "output": "b"}]}, indent=2),
    json.dumps({"instruction": "a", "output": "b"}, indent=2),
])
def test_a_pretty_printed_json_object_file_is_said_to_be_one(tmp_path, text):
    """json.dump(obj, f, indent=2) gave "line 1: not valid JSON (Expecting property name...); fix the line"."""
    src = tmp_path / "one.json"
    src.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"one.json:1: a JSON value spread over several lines, not one item per line"):
        records_from(src, "alpaca")


@pytest.mark.parametrize("text, message", [
    ('[{"instruction": "a", "output": "b"}, {"instruction": "c" "output": "d"}]', "item 2 of the JSON array"),
    ('[{"instruction": "a", "output": "b"} {"instruction": "c", "output": "d"}]', "after item 1"),
    ('[{"instruction": "a", "output": "b"}', "without its closing ]"),
    ("[" + "[" * 5000 + "]" * 5000 + "]", "item 1"),
])
def test_a_broken_json_array_is_an_error_naming_the_item(tmp_path, text, message):
    src = tmp_path / "bad.json"
    src.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        records_from(src, "alpaca")


def test_an_empty_json_array_converts_to_nothing(tmp_path):
    src = tmp_path / "empty.json"
    src.write_text(" [ ] ", encoding="utf-8")
    assert records_from(src, "sharegpt") == []


@pytest.mark.parametrize("to", ["sharegpt", "alpaca"])
@pytest.mark.parametrize("message", [{"content": "no role"}, {"role": ["user"], "content": "x"},
                                     {"role": {"a": 1}, "content": "x"}])
def test_to_other_formats_names_a_message_without_a_string_role(tmp_path, capsys, to, message):
    src = write_jsonl(tmp_path / "in.jsonl", [{"messages": [message, {"role": "assistant", "content": "y"}]}])
    assert main(["convert", str(src), str(tmp_path / "out.jsonl"), "--to", to]) == 2
    err = capsys.readouterr().err
    assert "in.jsonl: line 1: message 1 has" in err and "Traceback" not in err
    assert not (tmp_path / "out.jsonl").exists()


def test_lone_surrogate_nan_and_huge_integers_are_errors_naming_the_line(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text(
        '{"messages": [{"role": "user", "content": "cut \\ud83d"}, {"role": "assistant", "content": "ok"}]}\n'
        '{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}], '
        '"tools": [{"type": "function", "function": {"name": "f", "parameters": {"maximum": NaN}}}]}\n'
        '{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}\n', encoding="utf-8")
    assert main(["convert", str(src), str(tmp_path / "out.jsonl"), "--to", "trl-messages"]) == 2
    err = capsys.readouterr().err
    assert "line 1: holds a lone UTF-16 surrogate" in err and "line 2: holds NaN" in err
    assert not (tmp_path / "out.jsonl").exists()
    big = tmp_path / "big.jsonl"
    big.write_text('{"instruction": "q", "output": "a", "n": ' + "9" * 5000 + "}\n", encoding="utf-8")
    assert main(["convert", str(big), str(tmp_path / "o2.jsonl"), "--from", "alpaca"]) == 2
    err = capsys.readouterr().err
    assert "big.jsonl:1: not valid JSON (Exceeds the limit" in err and "Traceback" not in err
