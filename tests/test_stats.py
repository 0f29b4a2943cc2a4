"""toolkit.stats and `tunesmith stats`: the Cookbook's numbers reproduced, and what Tunesmith counts on top."""

from __future__ import annotations

import io
import itertools
import json
from pathlib import Path

import pytest
from rules_support import corpus_file

from toolkit import cost, stats, tokenizer
from toolkit.catalog import resolve
from toolkit.cli.main import main
from toolkit.errors import InputError

TOY = "cookbook_toy_chat_fine_tuning.jsonl"
# Per-example totals of the Cookbook notebook (cl100k_base) on its own toy file; the fifth is
# "Eat a banana!" x 2000, "about 8,000 tokens" in the notebook's printed output.
TOY_TOKENS = [45, 111, 26, 28, 8032]


def cookbook_count(example: dict, enc) -> int:
    """The notebook's num_tokens_from_messages: 3 per message, every value encoded, +1 per name, +3."""
    n = 0
    for message in example["messages"]:
        n += 3
        for key, value in message.items():
            n += len(enc.encode(value))
            if key == "name":
                n += 1
    return n + 3


def write(tmp_path: Path, records: list, name: str = "data.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def chat(user: str, assistant: str, **extra) -> dict:
    return {"messages": [{"role": "user", "content": user}, {"role": "assistant", "content": assistant, **extra}]}


# -- the Cookbook, reproduced -----------------------------------------------------------------


def test_token_counts_per_example_match_the_cookbook():
    rows = list(stats.examples(corpus_file(TOY), model="gpt-3.5-turbo-0125"))
    assert [r.tokens for r in rows] == TOY_TOKENS
    assert [r.line for r in rows] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("name", [TOY, "gaifb_elle_limericks.jsonl", "mslearn_travel_finetune.jsonl",
                                  "ganachan_autograding_validation_set_crlf.jsonl"])
def test_same_method_same_numbers_on_plain_chat_files(name):
    """Files with only role/content strings: Tunesmith and the notebook count the same tokens."""
    path = corpus_file(name)
    enc = tokenizer.encoding("cl100k_base")
    expected = [cookbook_count(json.loads(line), enc) for line in path.read_text("utf-8").splitlines()]
    assert [r.tokens for r in stats.examples(path, encoding="cl100k_base")] == expected


def test_charged_tokens_of_the_4096_token_notebook():
    """The notebook (MAX_TOKENS_PER_EXAMPLE = 4096) prints ~4306 tokens x 20 epochs = 86,120."""
    s = stats.compute(corpus_file(TOY), model="gpt-3.5-turbo-0613")  # cl100k_base, context 4,096
    assert (s.billed_tokens, s.epochs, s.cost.charged_tokens) == (4306, 20, 86_120)
    assert s.epochs_auto
    assert (s.over_limit, s.over_by_max, s.over_lines) == (1, 8032 - 4096, [(5, 8032 - 4096)])
    assert s.total_tokens == sum(TOY_TOKENS)


def test_trained_tokens_are_counted_after_the_cut():
    """Line 5 (8,032 tokens, 8,000 of them its answer) is cut by 3,936 from the end, where its answer is: it trains
    on 4,064 tokens, and the file never on more tokens than it is billed for."""
    s = stats.compute(corpus_file(TOY), model="gpt-3.5-turbo-0613")
    assert (s.trained.max, s.trained_tokens) == (8000 - 3936, 4115)
    assert s.trained_tokens <= s.billed_tokens
    rows = list(stats.examples(corpus_file(TOY), model="gpt-3.5-turbo-0613"))
    assert sum(r.trained_tokens for r in rows) == s.trained_tokens
    assert stats.compute(corpus_file(TOY), model="gpt-3.5-turbo-0125").trained_tokens == 4115 - 4064 + 8000


def test_the_16385_token_notebook_clips_nothing():
    s = stats.compute(corpus_file(TOY), model="gpt-3.5-turbo-0125")
    assert (s.billed_tokens, s.epochs, s.cost.charged_tokens, s.over_limit) == (8242, 20, 164_840, 0)
    assert s.cost.usd == pytest.approx(164_840 * 8.00 / 1e6)
    assert (s.cost.price_date, s.cost.price_source) == (resolve("openai", "gpt-3.5-turbo-0125").price_date,
                                                        resolve("openai", "gpt-3.5-turbo-0125").price_source)


def test_distributions_use_the_notebooks_quantiles():
    """The notebook's "p5 / p95" line computes the 0.1 / 0.9 quantiles with numpy's default."""
    s = stats.compute(corpus_file(TOY), model="gpt-3.5-turbo-0125")
    assert (s.tokens.min, s.tokens.max, s.tokens.median) == (26, 8032, 45)
    assert s.tokens.mean == pytest.approx(sum(TOY_TOKENS) / 5)
    assert s.tokens.p10 == pytest.approx(26.8)   # numpy.quantile([26, 28, 45, 111, 8032], 0.1)
    assert s.tokens.p90 == pytest.approx(4863.6)
    assert (s.messages.min, s.messages.max, s.messages.median) == (2, 9, 3)


@pytest.mark.parametrize(("examples", "epochs"), [
    (1, 25), (3, 25), (5, 20), (10, 10), (33, 3), (34, 3), (100, 3), (8333, 3), (8334, 2), (25_000, 1),
    (30_000, 1), (0, 3),
])
def test_auto_epochs_is_the_cookbook_heuristic(examples, epochs):
    assert cost.auto_epochs(examples) == epochs


# -- what Tunesmith counts on top of the Cookbook -----------------------------------------------


def test_tool_definitions_and_calls_are_counted(tmp_path):
    """The notebook crashes on tool_calls and ignores tools; Tunesmith adds both (an approximation)."""
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    call = {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
    record = {"messages": [{"role": "user", "content": "Weather in Paris?"},
                           {"role": "assistant", "tool_calls": [call]}], "tools": tools}
    path = write(tmp_path, [record])
    # Counted by hand from cl100k_base's pieces, not with the implementation's formula:
    # - messages: 3 + "user" (1) + "Weather| in| Paris|?" (4); 3 + "assistant" (1); 3 to prime the reply = 15
    # - the call: "get|_weather" (2) + '{"|city|":| "|Paris|"}' (6) = 8, and it is what the example trains on
    # - the tools as compact JSON: '[|{"|type|":"|function|","|function|":{"|name|":"|get|_weather|","|parameters|
    #   ":{"|type|":"|object|"}}|}]' = 20
    enc = tokenizer.encoding("cl100k_base")
    assert [enc.decode([t]) for t in enc.encode('{"city": "Paris"}')] == ['{"', "city", '":', ' "', "Paris", '"}']
    [row] = stats.examples(path, encoding="cl100k_base")
    assert row.tokens == 15 + 8 + 20
    assert row.trained_tokens == 8


def test_weight_zero_turns_are_billed_but_not_trained(tmp_path):
    record = {"messages": [{"role": "user", "content": "Hi"},
                           {"role": "assistant", "content": "Hello there, friend", "weight": 0},
                           {"role": "user", "content": "Again"},
                           {"role": "assistant", "content": "Hi", "weight": 1}]}
    [row] = stats.examples(write(tmp_path, [record]), encoding="cl100k_base")
    enc = tokenizer.encoding("cl100k_base")
    assert row.trained_tokens == len(enc.encode("Hi"))
    assert row.tokens == 4 * 3 + 3 + sum(len(enc.encode(t)) for t in
                                         ("user", "Hi", "assistant", "Hello there, friend", "user", "Again",
                                          "assistant", "Hi"))


def test_weights_in_a_real_multi_turn_file():
    path = corpus_file("gh640_marv_weights_multi_turn.jsonl")
    enc = tokenizer.encoding("o200k_base")
    for line, row in zip(path.read_text("utf-8").splitlines(), stats.examples(path), strict=True):
        msgs = json.loads(line)["messages"]
        trained = [m["content"] for m in msgs if m["role"] == "assistant" and m.get("weight", 1) != 0]
        assert row.trained_tokens == sum(len(enc.encode(t)) for t in trained)
        assert 0 < row.trained_tokens < row.tokens


def test_preference_completion_and_rft_formats(tmp_path):
    enc = tokenizer.encoding("o200k_base")
    dpo = {"input": {"messages": [{"role": "user", "content": "Q"}]},
           "preferred_output": [{"role": "assistant", "content": "good answer"}],
           "non_preferred_output": [{"role": "assistant", "content": "bad"}]}
    [row] = stats.examples(write(tmp_path, [dpo], "dpo.jsonl"))
    assert (row.format, row.messages, row.trained_tokens) == ("preference", 3, len(enc.encode("good answer")))
    rft = {"messages": [{"role": "developer", "content": "Be brief"}, {"role": "user", "content": "2+2?"}],
           "answer": "4"}
    s = stats.compute(write(tmp_path, [rft], "rft.jsonl"))
    assert (s.format, s.model, s.trained_tokens) == ("reinforcement", "o4-mini-2025-04-16", 0)
    assert s.cost.usd is None and "per training hour" in s.cost.note
    legacy = {"prompt": "Say hi ->", "completion": " hi"}
    [row] = stats.examples(write(tmp_path, [legacy], "legacy.jsonl"))
    assert (row.format, row.trained_tokens) == ("completion", len(enc.encode(" hi")))


def test_unknown_price_says_so():
    s = stats.compute(corpus_file(TOY), model="gpt-3.5-turbo-0613")
    assert s.cost.usd is None and s.cost.note == "no price in the catalog for gpt-3.5-turbo-0613"


def test_lines_that_are_not_records_are_counted_not_fatal(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(chat("a", "b")).encode() + b"\n\n{broken\n[1, 2]\n"
                     + json.dumps(chat("c", "d")).encode())
    s = stats.compute(path)
    assert (s.examples, s.unreadable, s.unreadable_lines) == (2, 2, [3, 4])


def test_pretty_printed_file_has_no_readable_records():
    with pytest.raises(stats.NoExamples, match=r"no examples to count \(none of its [\d,]+ non-blank lines? is a "
                                               r"JSON record: `tunesmith lint` says why\)"):
        stats.compute(corpus_file("cookbook_01_testing_example_prettyprinted.jsonl"))


@pytest.mark.parametrize("data", [b"", b"\n  \n\r\n\n"])
@pytest.mark.parametrize("output", ["text", "json", "csv"])
def test_a_file_without_examples_has_no_estimate_and_fails_as_lint_does(tmp_path, capsys, data, output):
    """It printed "epochs: 3" and a zero cost, and exited 0, while lint reports F060 (an error, exit 1)."""
    path = tmp_path / "empty.jsonl"
    path.write_bytes(data)
    assert main(["stats", str(path), "--format", output]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err == (f"tunesmith: error: {path}: no examples to count (" + (
        "no line of it is a JSON record" if output == "csv" else "it is empty or has only blank lines") +
        "), so there is no training estimate: add examples, one JSON object per line (lint reports this as F060)\n")
    assert main(["lint", str(path), "--select", "F060"]) == 1
    assert "F060 error: the training file has 0 examples," in capsys.readouterr().out


@pytest.mark.parametrize("output", ["text", "json", "csv"])
def test_records_in_no_format_are_no_examples_to_count(tmp_path, capsys, output):
    """{"foo": 1} lines: lint reports each as an error (C010, exit 1); stats counted 0 tokens, a $0.00 estimate, exit 0."""
    path = tmp_path / "foo.jsonl"
    path.write_text('{"foo": 1}\n{"foo": 2}\n', "utf-8")
    assert main(["lint", str(path), "--select", "C010"]) == 1
    assert capsys.readouterr().out.count("C010 error") == 2
    assert main(["stats", str(path), "--format", output]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"tunesmith: error: {path}: none of its 2 examples is in a fine-tuning "
                                        'format (chat "messages", ') and "no training estimate" in err


def test_examples_in_no_format_among_others_are_named(tmp_path, capsys):
    path = write(tmp_path, [chat("q", "a"), {"foo": 1}])
    assert main(["stats", str(path)]) == 0
    out = capsys.readouterr().out
    assert "2 examples (1 chat, 1 unknown)" in out
    assert "  in no fine-tuning format (no tokens counted): 1 example; `tunesmith lint` says what each one lacks" in out


def test_examples_in_no_format_stay_out_of_the_distributions(tmp_path, capsys):
    """Their tokens are not counted, so a 0 for them made the minimum 0 and pulled the mean down."""
    path = write(tmp_path, [chat("q", "a"), chat("q2", "a2"), {"foo": 1}])
    assert main(["stats", str(path), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["examples"] == 3 and doc["formats"] == {"chat": 2, "unknown": 1}
    assert doc["messages"]["min"] == 2 and doc["messages"]["mean"] == 2
    assert doc["tokens"]["min"] > 0 and doc["tokens"]["mean"] == (doc["tokens"]["min"] + doc["tokens"]["max"]) / 2
    assert doc["trained"]["min"] > 0


def test_worker_processes_and_one_process_agree(tmp_path, monkeypatch):
    """Chunks of 4 kB on 2 worker processes give the same rows, in order, as one process."""
    from toolkit import file_tokens

    records = [chat(f"question {i} " * (i % 7), f"answer {i} " * (i % 13)) for i in range(3000)]
    path = write(tmp_path, records)
    with path.open("a", encoding="utf-8") as fh:
        fh.write("not json\n" + json.dumps(chat("last", "one")) + "\n")
    monkeypatch.setattr(file_tokens, "CHUNK_BYTES", 4096)
    monkeypatch.setattr(file_tokens, "PARALLEL_BYTES", 0)
    one = list(stats.examples(path, workers=1))
    two = list(stats.examples(path, workers=2))
    assert one == two and len(one) == 3001 and [r.line for r in two] == [*range(1, 3001), 3002]
    assert [r.tokens for r in two[:3000]] == tokenizer.count_examples(records, tokenizer.encoding("o200k_base"))
    s = stats.compute(path, workers=2)
    assert (s.examples, s.unreadable, s.unreadable_lines) == (3001, 1, [3001])


def test_chunks_end_at_line_ends(tmp_path):
    from toolkit import file_tokens

    path = tmp_path / "d.jsonl"
    path.write_bytes(b"".join(b"x" * (i % 50) + b"\n" for i in range(1000)) + b"tail")
    parts = list(file_tokens.chunks(str(path), size=100))
    data = path.read_bytes()
    assert parts[0].start == 0 and parts[-1].end == len(data)
    for a, b in itertools.pairwise(parts):
        assert a.end == b.start and data[a.end - 1:a.end] == b"\n"
    assert len(parts) > 100


@pytest.mark.parametrize("name", ["cl100k_base", "o200k_base"])
def test_counter_equals_encode_ordinary(name):
    """The buffer API and the memo of short strings give tiktoken's own counts, special-token text included."""
    enc = tokenizer.encoding(name)
    strings = ["hello <|endoftext|> world", "<|im_start|>user", "", "é😀中文", "a" * 10_000, "user", "assistant"]
    for path in sorted((corpus_file(TOY).parent).glob("*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                strings += tokenizer.example_strings(value)[0]
    count = tokenizer.counter(enc)
    expected = [len(enc.encode_ordinary(s)) for s in strings]
    assert count(strings) == expected and count(strings) == expected  # the second time from the memo


def test_count_batches_keeps_order_and_payloads():
    enc = tokenizer.encoding("o200k_base")
    batches = [(i, ["word " * i, "x"]) for i in range(50)]
    out = list(tokenizer.count_batches(iter(batches), enc, threads=2))
    assert [p for p, _ in out] == list(range(50))
    assert [c for _, c in out] == [[len(enc.encode_ordinary("word " * i)), 1] for i in range(50)]


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        stats.compute(tmp_path / "nope.jsonl")


# -- the table and the command -----------------------------------------------------------------


def test_frame_has_one_row_per_example_with_lint_status():
    df = stats.frame(corpus_file(TOY), model="gpt-3.5-turbo-0613")
    assert list(df.columns) == ["line", "format", "messages", "tokens", "trained_tokens", "over_limit", "lint",
                                "rules"]
    assert df["tokens"].tolist() == TOY_TOKENS
    assert df["over_limit"].tolist() == [0, 0, 0, 0, 8032 - 4096]
    by_line = dict(zip(df["line"], df["rules"]))
    assert "C130" not in by_line[3]  # no system message: C130 is one info about the file, not about this example
    assert "C131" in by_line[4]  # no user message
    assert df.loc[df["line"] == 3, "lint"].item() == "ok"


def test_cli_text_report(capsys):
    assert main(["stats", str(corpus_file(TOY)), "--model", "gpt-3.5-turbo-0613"]) == 0
    out = capsys.readouterr().out
    assert "5 examples" in out
    assert "billed in all: 4,306 billed tokens x 20 epochs (auto) = 86,120 billed tokens (the job's trained_tokens)" in out
    assert "1 example exceeds 4,096 tokens" in out
    assert "no price in the catalog" in out


def test_cli_text_shows_price_date_and_source(capsys):
    assert main(["stats", str(corpus_file(TOY)), "--model", "gpt-4.1-mini-2025-04-14", "--epochs", "2"]) == 0
    out = capsys.readouterr().out
    model = resolve("openai", "gpt-4.1-mini-2025-04-14")
    assert f"price as of {model.price_date}; source: {model.price_source}" in out
    assert "epochs: 2 (--epochs)" in out
    assert "billed in all: 8,233 billed tokens x 2 epochs = 16,466 billed tokens (the job's trained_tokens)" in out


def test_cli_json_and_csv(capsys, tmp_path):
    assert main(["stats", str(corpus_file(TOY)), "--model", "gpt-3.5-turbo-0613", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["billed_tokens"] == 4306 and data["cost"]["charged_tokens"] == 86_120
    out = tmp_path / "rows.csv"
    assert main(["stats", str(corpus_file(TOY)), "--format", "csv", "-o", str(out)]) == 0
    lines = out.read_text("utf-8").splitlines()
    assert lines[0] == "line,format,messages,tokens,trained_tokens,over_limit,lint,rules"
    assert len(lines) == 6


def test_cli_rejects_out_of_range_epochs(capsys):
    assert main(["stats", str(corpus_file(TOY)), "--epochs", "0"]) == 2
    assert "1 to 50" in capsys.readouterr().err


def test_write_text_is_a_pure_formatter():
    from toolkit.cli.stats_cmd import write_text

    buf = io.StringIO()
    write_text(stats.compute(corpus_file(TOY), model="gpt-3.5-turbo-0125"), buf)
    assert "estimated cost: $1.32" in buf.getvalue()


def test_lone_surrogates_are_counted_not_fatal(tmp_path) -> None:
    from toolkit import stats as stats_module

    path = tmp_path / "surrogate.jsonl"
    path.write_text('{"messages": [{"role": "user", "content": "cut emoji \\ud83e here"}, '
                    '{"role": "assistant", "content": "ok"}]}\n', "utf-8")
    summary = stats_module.compute(path)
    assert summary.examples == 1 and summary.billed_tokens > 0


def test_an_unknown_model_is_said_as_lint_says_it(tmp_path, capsys):
    """stats counted for "nonsense-model" with the default's limits and said nothing; lint says M030."""
    path = write(tmp_path, [chat("q", "a")])
    assert main(["stats", str(path), "--model", "nonsense-model"]) == 0
    assert ("M030 warning: nonsense-model is not in Tunesmith's OpenAI catalog; the limits of "
            "gpt-4.1-mini-2025-04-14 (65,536-token context) are used" in capsys.readouterr().out)
    assert main(["stats", str(path), "--model", "nonsense-model", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["model_known"] is False
    assert main(["stats", str(path)]) == 0
    assert "not in Tunesmith's" not in capsys.readouterr().out


@pytest.mark.parametrize(("model", "code"), [("o4-mini", "M010"), ("o4-mini-2025-04-16", "M010"), (None, "M011"),
                                             ("gpt-4.1-mini", "M020")])
def test_stats_says_what_lint_says_about_the_model(tmp_path, capsys, model, code):
    """A retired RFT model (o4-mini on OpenAI, shut down 2026-10-23) was counted without a word; lint says M010."""
    from toolkit import lint

    path = tmp_path / "rft.jsonl"
    path.write_text("".join(json.dumps({"messages": [{"role": "user", "content": f"What is {i}+1?"}],
                                        "answer": str(i + 1)}) + "\n" for i in range(12)), "utf-8")
    said = [d for d in lint(path, model=model).diagnostics if d.rule.startswith("M")]
    assert [d.rule for d in said] == [code]
    assert main(["stats", str(path), *(["--model", model] if model else [])]) == 0
    assert f"  {code} {said[0].severity.value}: {said[0].message}\n" in capsys.readouterr().out
    assert main(["stats", str(path), "--format", "json", *(["--model", model] if model else [])]) == 0
    assert json.loads(capsys.readouterr().out)["model_findings"] == [
        {"rule": code, "severity": said[0].severity.value, "message": said[0].message}]


@pytest.mark.parametrize(("config", "said"), [('ignore = ["M011"]', None),
                                              ('[tool.tunesmith.severity]\nM011 = "error"', "error"),
                                              ('[tool.tunesmith.per-file-ignores]\n"data/*" = ["M"]', None),
                                              ('[tool.tunesmith.per-file-ignores]\n"other/*" = ["M"]', "warning")])
def test_stats_reports_the_model_findings_as_the_projects_lint_settings_say(tmp_path, capsys, config, said):
    """A model finding the project turned off in ``[tool.tunesmith]`` was still printed by stats (and its severity
    was the rule's, not the project's): stats says what lint says, or nothing."""
    from toolkit import lint

    (tmp_path / "pyproject.toml").write_text(f'[tool.tunesmith]\nprovider = "openai"\n{config}\n', "utf-8")
    (tmp_path / "data").mkdir()
    path = tmp_path / "data" / "rft.jsonl"
    path.write_text("".join(json.dumps({"messages": [{"role": "user", "content": f"What is {i}+1?"}],
                                        "answer": str(i + 1)}) + "\n" for i in range(12)), "utf-8")
    linted = [d.severity.value for d in lint(path).diagnostics if d.rule == "M011"]
    assert linted == ([said] if said else [])
    assert main(["stats", str(path), "--format", "json"]) == 0
    assert [f["severity"] for f in json.loads(capsys.readouterr().out)["model_findings"]] == linted


def test_stats_and_lint_name_the_snapshot_an_alias_resolves_to(capsys):
    path = str(Path(__file__).parent.parent / "samples" / "elle_single_turn.jsonl")
    main(["stats", path, "--model", "o4-mini"])
    assert "model: o4-mini-2025-04-16 (openai;" in capsys.readouterr().out
    main(["lint", path, "--model", "o4-mini"])
    assert capsys.readouterr().out.rstrip().endswith("(14 examples; openai o4-mini-2025-04-16).")
    assert resolve("openai", "o4-mini").full_name == "o4-mini-2025-04-16"
    assert resolve("openai", "gpt-4.1-mini-2025-04-14").full_name == "gpt-4.1-mini-2025-04-14"


def test_stats_says_a_model_cannot_take_the_files_method_without_naming_an_option_it_lacks(capsys):
    path = str(Path(__file__).parent.parent / "samples" / "elle_single_turn.jsonl")
    main(["stats", path, "--model", "o4-mini-2025-04-16"])
    out = capsys.readouterr().out
    assert "M020 error: o4-mini-2025-04-16 cannot be trained with the supervised method on OpenAI;" in out
    assert "--method" not in out


def test_the_report_names_a_pipe_by_its_path_not_a_bare_number() -> None:
    """`tunesmith stats <(cat x.jsonl)` headed its report "63:" (the basename of /dev/fd/63); a file keeps its name."""
    from toolkit.cli.stats_cmd import write_text

    data = (Path(__file__).parent.parent / "samples" / "elle_single_turn.jsonl").read_bytes()
    out = io.StringIO()
    write_text(stats.compute(data, name="/dev/fd/63"), out)
    assert out.getvalue().startswith("/dev/fd/63: 14 examples (14 chat)\n")
    out = io.StringIO()
    write_text(stats.compute(Path(__file__).parent.parent / "samples" / "elle_single_turn.jsonl"), out)
    assert out.getvalue().startswith("elle_single_turn.jsonl: 14 examples")
