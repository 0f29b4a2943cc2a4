"""toolkit.convert / `tunesmith convert`: tables and other trainers' formats in, the same formats out."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from rules_support import corpus_file

from toolkit.cli.main import main
from toolkit.convert import convert, parse_mapping, records_from, records_to
from toolkit.errors import InputError, UsageError

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def write_jsonl(path: Path, records: list) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def chat(*turns: tuple[str, str]) -> dict:
    return {"messages": [{"role": r, "content": c} for r, c in turns]}


# -- tables --------------------------------------------------------------------------------


def test_csv_with_a_column_mapping_and_a_system_column(tmp_path):
    src = tmp_path / "qa.csv"
    src.write_text('question,answer,context\nWhat is 2+2?,4,You are a tutor\n"Two\nlines?",NA,\n', encoding="utf-8")
    out = tmp_path / "qa.jsonl"
    result = convert(src, out, from_format="csv",
                     mapping=parse_mapping(["question=user", "answer=assistant", "context=system"]))
    assert result.records == 2
    assert jsonl(out) == [chat(("system", "You are a tutor"), ("user", "What is 2+2?"), ("assistant", "4")),
                          chat(("user", "Two\nlines?"), ("assistant", "NA"))]  # "NA" stays text


def test_default_system_prompt_and_automatic_mapping(tmp_path):
    src = tmp_path / "qa.tsv"
    src.write_text("Question\tResponse\nHi\tHello\n", encoding="utf-8")
    out = tmp_path / "qa.jsonl"
    convert(src, out, from_format="tsv", system="Be brief")
    assert jsonl(out) == [chat(("system", "Be brief"), ("user", "Hi"), ("assistant", "Hello"))]


def test_a_guessed_mapping_is_said_with_the_unused_columns_and_how_to_override_it(tmp_path, capsys):
    src, out = tmp_path / "qa.csv", tmp_path / "qa.jsonl"
    src.write_text("id,Question,answer,notes\n1,What is H?,Hydrogen,x\n", encoding="utf-8")
    result = convert(src, out, from_format="csv")
    assert result.table is not None and result.table.guessed
    assert result.table.mapping == {"Question": "user", "answer": "assistant"} and result.table.unused == ("id", "notes")
    out.unlink()
    main(["convert", str(src), str(out), "--from", "csv"])
    err = capsys.readouterr().err
    assert (f"columns of {src} (guessed from the column names): 'Question' -> user, 'answer' -> assistant; not used: "
            "'id', 'notes'; if that is wrong, map the columns to use with --map COLUMN=FIELD, one per column") in err
    out.unlink()
    main(["convert", str(src), str(out), "--from", "csv", "--map", "Question=user", "--map", "answer=assistant"])
    assert "columns of" not in capsys.readouterr().err  # the user's own mapping needs no telling


def test_several_columns_for_one_field_are_joined(tmp_path):
    src = tmp_path / "a.csv"
    src.write_text("instruction,input,output\nTranslate,bonjour,hello\nSay hi,,hi\n", encoding="utf-8")
    out = tmp_path / "a.jsonl"
    convert(src, out, from_format="csv", mapping=parse_mapping(["instruction=user", "input=user", "output=assistant"]))
    assert [r["messages"][0]["content"] for r in jsonl(out)] == ["Translate\n\nbonjour", "Say hi"]


def test_xlsx_and_parquet(tmp_path):
    frame = pd.DataFrame({"prompt": ["a?", "b?"], "completion": ["A", "B"], "n": [1, 2]})
    frame.to_excel(tmp_path / "t.xlsx", index=False)
    frame.to_parquet(tmp_path / "t.parquet")
    for fmt in ("xlsx", "parquet"):
        out = tmp_path / f"{fmt}.jsonl"
        convert(tmp_path / f"t.{fmt}", out, from_format=fmt)
        assert jsonl(out) == [chat(("user", "a?"), ("assistant", "A")), chat(("user", "b?"), ("assistant", "B"))]
    out = tmp_path / "numbers.jsonl"
    convert(tmp_path / "t.parquet", out, from_format="parquet", mapping={"prompt": "user", "n": "assistant"})
    assert [r["messages"][1]["content"] for r in jsonl(out)] == ["1", "2"]


def test_xlsx_cells_are_written_as_the_sheet_shows_them(tmp_path):
    """A date cell is 2024-03-01 (not 2024-03-01 00:00:00), a boolean TRUE/FALSE as Excel shows it (not True)."""
    import datetime as dt

    cells = [dt.datetime(2024, 3, 1), dt.datetime(2024, 3, 1, 14, 30), dt.datetime(2024, 3, 1, 14, 30, 5),
             True, False, 1.25, 3, "NA"]
    pd.DataFrame({"question": ["q"] * len(cells), "answer": pd.Series(cells, dtype=object)}).to_excel(
        tmp_path / "d.xlsx", index=False)
    out = tmp_path / "d.jsonl"
    convert(tmp_path / "d.xlsx", out, from_format="xlsx")
    assert [r["messages"][1]["content"] for r in jsonl(out)] == [
        "2024-03-01", "2024-03-01 14:30", "2024-03-01 14:30:05", "TRUE", "FALSE", "1.25", "3", "NA"]


def test_preference_table_becomes_dpo_records(tmp_path):
    src = tmp_path / "p.csv"
    src.write_text("prompt,chosen,rejected\nQ,good,bad\n", encoding="utf-8")
    out = tmp_path / "p.jsonl"
    convert(src, out, from_format="csv")
    assert jsonl(out) == [{"input": {"messages": [{"role": "user", "content": "Q"}]},
                           "preferred_output": [{"role": "assistant", "content": "good"}],
                           "non_preferred_output": [{"role": "assistant", "content": "bad"}]}]


def test_empty_cells_are_errors_naming_the_row_and_nothing_is_written(tmp_path):
    src = tmp_path / "qa.csv"
    src.write_text("question,answer\nok,fine\n,missing question\nno answer,\n", encoding="utf-8")
    out = tmp_path / "qa.jsonl"
    with pytest.raises(InputError) as err:
        convert(src, out, from_format="csv")
    text = str(err.value)
    assert f"{src}: row 3: the 'question' cell (user) is empty" in text
    assert f"{src}: row 4: the 'answer' cell (assistant) is empty" in text
    assert "nothing was written" in text and not out.exists()


def test_mapping_problems_are_explained(tmp_path):
    src = tmp_path / "qa.csv"
    src.write_text("q,a,question,prompt\n1,2,3,4\n", encoding="utf-8")
    with pytest.raises(InputError, match="no column 'nope'; the columns are: 'q', 'a', 'question', 'prompt'"):
        convert(src, tmp_path / "o.jsonl", from_format="csv", mapping={"nope": "user", "a": "assistant"})
    with pytest.raises(UsageError, match="'question' and 'prompt' could both be the user text"):
        convert(src, tmp_path / "o.jsonl", from_format="csv")
    with pytest.raises(UsageError, match="no column for the assistant text"):
        convert(src, tmp_path / "o.jsonl", from_format="csv", mapping={"q": "user"})
    with pytest.raises(UsageError, match="not a field"):
        parse_mapping(["q=bot"])
    with pytest.raises(UsageError, match="COLUMN=FIELD"):
        parse_mapping(["q"])


# -- other trainers' formats in ------------------------------------------------------------


def test_sharegpt_in_both_layouts(tmp_path):
    src = tmp_path / "s.json"
    src.write_text(json.dumps([
        {"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello"}], "system": "Sys"},
        {"conversations": [{"from": "system", "value": "S2"}, {"from": "human", "value": "a"}, {"from": "gpt", "value": "b"}]},
        {"messages": [{"role": "user", "content": "c"}, {"role": "assistant", "content": "d"}]},
    ]), encoding="utf-8")
    assert records_from(src, "sharegpt") == [
        chat(("system", "Sys"), ("user", "Hi"), ("assistant", "Hello")),
        chat(("system", "S2"), ("user", "a"), ("assistant", "b")),
        chat(("user", "c"), ("assistant", "d"))]


def test_sharegpt_unknown_roles_are_errors_naming_the_item(tmp_path):
    src = write_jsonl(tmp_path / "s.jsonl", [
        {"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello"}]},
        {"conversations": [{"from": "human", "value": "Hi"}, {"from": "narrator", "value": "{}"}]}])
    with pytest.raises(InputError, match=r"line 2: turn 2 is from 'narrator', which has no OpenAI role"):
        records_from(src, "sharegpt")


def test_alpaca_with_input_history_and_system(tmp_path):
    src = tmp_path / "a.json"
    src.write_text(json.dumps([{"instruction": "Translate", "input": "bonjour", "output": "hello",
                                "history": [["q1", "a1"]], "system": "You translate"}]), encoding="utf-8")
    assert records_from(src, "alpaca") == [chat(("system", "You translate"), ("user", "q1"), ("assistant", "a1"),
                                                ("user", "Translate\n\nbonjour"), ("assistant", "hello"))]
    src.write_text(json.dumps([{"instruction": "x", "output": ""}]), encoding="utf-8")
    with pytest.raises(InputError, match='item 1: "output" is missing or empty'):
        records_from(src, "alpaca")


def test_trl_messages_and_prompt_completion(tmp_path):
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    src = write_jsonl(tmp_path / "t.jsonl", [
        {"messages": [{"role": "user", "content": [{"type": "text", "text": "look"}]},
                      {"role": "assistant", "content": "ok"}], "tools": tools, "images": []},
        {"prompt": [{"role": "user", "content": "p"}], "completion": [{"role": "assistant", "content": "c"}]}])
    assert records_from(src, "trl-messages", system="S") == [
        {"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "look"},
                      {"role": "assistant", "content": "ok"}], "tools": tools},
        chat(("system", "S"), ("user", "p"), ("assistant", "c"))]


def test_local_images_are_errors_naming_the_line():
    with pytest.raises(InputError) as err:
        records_from(corpus_file("llamafactory_v1_multimodal_demo.jsonl"), "trl-messages")
    assert 'line 1: "messages", message 1 part 1 is \'image_url\' without an https or data: URL' in str(err.value)
    assert "(and 14 more)" in str(err.value)


@pytest.mark.parametrize("item", [
    {"prompt": "Q", "chosen": "good", "rejected": "bad"},
    {"prompt": [{"role": "user", "content": "Q"}], "chosen": [{"role": "assistant", "content": "good"}],
     "rejected": [{"role": "assistant", "content": "bad"}]},
    {"chosen": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "good"}],
     "rejected": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "bad"}]},
])
def test_trl_preference_explicit_and_implicit_prompts(tmp_path, item):
    src = write_jsonl(tmp_path / "p.jsonl", [item])
    assert records_from(src, "trl-preference") == [
        {"input": {"messages": [{"role": "user", "content": "Q"}]},
         "preferred_output": [{"role": "assistant", "content": "good"}],
         "non_preferred_output": [{"role": "assistant", "content": "bad"}]}]


# -- and back out: round trips -------------------------------------------------------------


@pytest.mark.parametrize(("name", "fmt"), [
    ("gaifb_elle_limericks.jsonl", "sharegpt"), ("foundry_gsm8k_chat_validation.jsonl", "sharegpt"),
    ("cookbook_toy_chat_fine_tuning.jsonl", "sharegpt"), ("mslearn_travel_finetune.jsonl", "sharegpt"),
    ("gaifb_elle_limericks.jsonl", "alpaca"), ("cookbook_toy_chat_fine_tuning.jsonl", "trl-messages"),
    ("cookbook_drone_training.jsonl", "trl-messages"), ("foundry_stock_toolcall_validation.jsonl", "trl-messages"),
    ("foundry_orca_dpo_validation.jsonl", "trl-preference"),
])
def test_round_trip_gives_the_same_records(tmp_path, name, fmt):
    src = corpus_file(name)
    for suffix in (".json", ".jsonl"):
        there = tmp_path / f"there{suffix}"
        back = tmp_path / f"back{suffix}.jsonl"
        convert(src, there, to_format=fmt)
        convert(there, back, from_format=fmt)
        assert jsonl(back) == jsonl(src)
    assert there.read_text("utf-8").startswith("{")  # .jsonl: one item per line
    assert (tmp_path / "there.json").read_text("utf-8").startswith("[")


def test_multi_turn_alpaca_round_trip(tmp_path):
    records = [chat(("system", "S"), ("user", "q1"), ("assistant", "a1"), ("user", "q2"), ("assistant", "a2"))]
    src = write_jsonl(tmp_path / "c.jsonl", records)
    convert(src, tmp_path / "a.json", to_format="alpaca")
    assert json.loads((tmp_path / "a.json").read_text("utf-8")) == [
        {"instruction": "q2", "input": "", "output": "a2", "system": "S", "history": [["q1", "a1"]]}]
    convert(tmp_path / "a.json", tmp_path / "back.jsonl", from_format="alpaca")
    assert jsonl(tmp_path / "back.jsonl") == records


@pytest.mark.parametrize(("record", "fmt", "message"), [
    (chat(("user", "q"), ("assistant", "a")) | {"messages": [{"role": "user", "content": "q"},
                                                            {"role": "assistant", "content": "a", "weight": 0}]},
     "sharegpt", "message 2 has weight 0"),
    ({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "tool_calls": [{"id": "c"}]}]},
     "sharegpt", "message 2 is a tool call"),
    (chat(("user", "q"), ("user", "q2"), ("assistant", "a")), "alpaca", "Alpaca holds user/assistant pairs"),
    (chat(("user", "q"), ("assistant", "a")), "trl-preference", r"not a preference \(DPO\) record"),
    ({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x"}}]},
                   {"role": "assistant", "content": "a"}]}, "sharegpt", "message 1 has non-text parts"),
    # keys the target has no place for were dropped without a word
    (chat(("user", "q"), ("assistant", "a")) | {"tools": [{"type": "function", "function": {"name": "f"}}]},
     "sharegpt", 'the record has "tools", which this format cannot hold; use --to trl-messages'),
    (chat(("user", "q"), ("assistant", "a")) | {"parallel_tool_calls": False}, "alpaca", 'the record has "parallel_tool_calls"'),
    ({"messages": [{"role": "user", "content": "q", "name": "bob"}, {"role": "assistant", "content": "a"}]},
     "sharegpt", 'message 1 has "name", which this format cannot hold'),
    (chat(("user", "q"), ("assistant", "a")) | {"functions": [{"name": "f"}]}, "trl-messages", 'the record has "functions"'),
    ({"input": {"messages": [{"role": "user", "content": "q"}], "tools": [{"type": "function", "function": {
        "name": "f"}}]}, "preferred_output": [{"role": "assistant", "content": "a"}],
      "non_preferred_output": [{"role": "assistant", "content": "b"}]}, "trl-preference", '"input" has "tools"'),
])
def test_what_a_target_cannot_hold_is_refused_not_dropped(tmp_path, record, fmt, message):
    src = write_jsonl(tmp_path / "c.jsonl", [chat(("user", "fine"), ("assistant", "ok")), record])
    with pytest.raises(InputError, match=f"line 2: {message}"):
        records_to(src, fmt)


# -- the command ---------------------------------------------------------------------------


def test_cli_converts_lints_and_reports(tmp_path, capsys):
    src = tmp_path / "qa.csv"
    src.write_text("question,answer\n" + "".join(f"q{i}?,a{i}\n" for i in range(12)), encoding="utf-8")
    out = tmp_path / "qa.jsonl"
    assert main(["convert", str(src), str(out), "--from", "csv", "--system", "Be brief"]) == 0
    captured = capsys.readouterr()
    assert "wrote 12 records" in captured.err and "Found 0 errors, 1 warning" in captured.out  # F070
    assert main(["convert", str(src), str(out), "--from", "csv"]) == 2
    assert "exists" in capsys.readouterr().err
    assert main(["convert", str(out), str(tmp_path / "s.json"), "--to", "sharegpt", "--map", "a=user"]) == 2
    assert "--map, --system and --encoding go with --from" in capsys.readouterr().err
    assert main(["convert", str(out), str(tmp_path / "s.json"), "--to", "sharegpt"]) == 0
    assert len(json.loads((tmp_path / "s.json").read_text("utf-8"))) == 12


def test_cli_exit_code_follows_the_lint_report(tmp_path, capsys):
    src = tmp_path / "qa.csv"
    src.write_text("question,answer\nq,a\n", encoding="utf-8")
    assert main(["convert", str(src), str(tmp_path / "qa.jsonl"), "--from", "csv"]) == 1  # F060: < 10 examples
    assert "F060" in capsys.readouterr().out


def test_same_file_and_missing_input_are_refused(tmp_path):
    path = write_jsonl(tmp_path / "c.jsonl", [chat(("user", "q"), ("assistant", "a"))])
    with pytest.raises(UsageError, match="is the input file"):
        convert(path, path, to_format="sharegpt", overwrite=True)
    with pytest.raises(InputError, match="no such file"):
        convert(tmp_path / "none.csv", tmp_path / "o.jsonl", from_format="csv")
    with pytest.raises(UsageError, match="exactly one of"):
        convert(path, tmp_path / "o.json")


def test_bytes_that_are_not_utf8_name_the_line(tmp_path: Path) -> None:
    from toolkit.convert import read_items
    from toolkit.errors import InputError

    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"conversations": []}\n{"conversations": [{"from": "human", "value": "caf\xe9"}]}\n')
    with pytest.raises(InputError, match=r"latin1\.jsonl:2: not UTF-8 text"):
        list(read_items(str(path)))


def test_a_semicolon_table_and_a_jsonl_file_get_advice_not_parser_text(tmp_path, capsys):
    """Excel's ';' CSV said only "no column 'question'"; a JSONL file given as CSV leaked pandas' C parser text."""
    semi = tmp_path / "semi.csv"
    semi.write_text("question;answer\nq1;a1\n", "utf-8")
    assert main(["convert", str(semi), str(tmp_path / "o.jsonl"), "--from", "csv"]) == 2
    assert "the file looks separated by ';', not by commas" in capsys.readouterr().err
    jsonl = tmp_path / "data.csv"
    jsonl.write_bytes((SAMPLES / "elle_single_turn.jsonl").read_bytes())
    assert main(["convert", str(jsonl), str(tmp_path / "p.jsonl"), "--from", "csv"]) != 0
    err = capsys.readouterr().err
    assert "has 11 fields where the header has 9" in err and "is it JSONL?" in err and "C error" not in err


def test_out_dash_is_refused_and_a_pipe_is_written_without_force(tmp_path, capsys, monkeypatch):
    """`convert x.jsonl - --to sharegpt` wrote a file named "-"; a pipe or device (/dev/stdout) is written into."""
    import os

    monkeypatch.chdir(tmp_path)
    src = write_jsonl(tmp_path / "c.jsonl", [chat(("user", "q"), ("assistant", "a"))])
    assert main(["convert", str(src), "-", "--to", "sharegpt"]) == 2
    assert "OUT -: convert writes a file" in capsys.readouterr().err
    assert not (tmp_path / "-").exists()
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        assert main(["convert", str(src), str(fifo), "--to", "sharegpt"]) == 0  # it said "exists; pass --force"
        assert json.loads(os.read(reader, 1 << 16)) == {"conversations": [{"from": "human", "value": "q"},
                                                                           {"from": "gpt", "value": "a"}]}
    finally:
        os.close(reader)
