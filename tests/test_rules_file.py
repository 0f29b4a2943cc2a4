"""File-level and cross-file rules F031-F130, F110-F112 through the real engine."""

from __future__ import annotations

import json

import pytest
from family_support import TODAY, chat, context, dpo, hits, lint, lint_path, messages, pair, rft, summary

from toolkit.config import Settings
from toolkit.engine import Linter
from toolkit.errors import UsageError
from toolkit.reader import BOM
from toolkit.rules import RULES, file_rules
from toolkit.rules.context import Context, FileSummary
from toolkit.rules.images import IMAGES, ImageExamples

TEN = [chat(i) for i in range(10)]


# -- bytes: BOM, line endings -----------------------------------------------------------------

def test_f031_bom_present_on_openai() -> None:
    data = BOM + "".join(r + "\n" for r in TEN).encode()
    assert hits(lint(data), "F031") == [(1, None)]
    assert hits(lint(data, provider="azure"), "F031") == []
    assert hits(lint(TEN), "F031") == []


def test_f032_bom_missing_on_azure_only() -> None:
    assert hits(lint(TEN, provider="azure"), "F032") == [(None, None)]
    assert hits(lint(TEN), "F032") == []
    assert hits(lint(BOM + "".join(r + "\n" for r in TEN).encode(), provider="azure"), "F032") == []
    assert RULES["F032"].severity.value == "info"


def test_f033_crlf_line_endings_counts_mixed_lines() -> None:
    data = "".join(r + ("\r\n" if i % 2 else "\n") for i, r in enumerate(TEN)).encode()
    result = lint(data)
    assert hits(result, "F033") == [(None, None)]
    assert "5 lines end with CRLF" in messages(result, "F033")[0] and "mixed" in messages(result, "F033")[0]
    assert hits(lint(TEN), "F033") == []
    assert RULES["F033"].fixable
    one = "".join(r + ("\r\n" if i == 3 else "\n") for i, r in enumerate(TEN)).encode()
    assert messages(lint(one), "F033") == [  # it said "1 line end with CRLF"
        "1 line ends with CRLF (\\r\\n) and 9 with LF (mixed); use LF (\\n) line endings (`tunesmith fix --write` "
        "converts them)"]


# -- name and size --------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "flagged"), [
    ("train.json", True), ("train.txt", True), ("train", True), ("train.jsonl.gz", True),
    ("train.jsonl", False), ("TRAIN.JSONL", False), ("<memory>", False), ("-", False)])
def test_f040_wrong_file_extension(name: str, flagged: bool) -> None:
    result = lint(TEN, name=name)
    assert hits(result, "F040") == ([(None, None)] if flagged else [])
    if flagged:
        assert ".jsonl" in messages(result, "F040")[0]


@pytest.mark.parametrize("array", [True, False])
def test_f040_is_not_said_beside_f092_whose_convert_writes_a_jsonl(tmp_path, array: bool) -> None:
    rows = [{"conversations": [{"from": "human", "value": f"q{i}"}, {"from": "gpt", "value": "a"}]} for i in range(10)]
    path = tmp_path / "sharegpt.json"
    path.write_text(json.dumps(rows) if array else "".join(json.dumps(r) + "\n" for r in rows))
    found = lint_path(path)
    assert hits(found, "F092") and not hits(found, "F040")
    assert "sharegpt.openai.jsonl" in messages(found, "F092")[0]


@pytest.mark.parametrize(("name", "renamed"), [
    ("train.jsonl.gz", "train.jsonl"), ("train.JSONL.txt", "train.JSONL"), ("train.json", "train.jsonl"),
    ("train", "train.jsonl")])
def test_f040_does_not_suggest_a_second_jsonl(name: str, renamed: str) -> None:
    assert f"rename it to {renamed} (" in messages(lint(TEN, name=name), "F040")[0]  # it said train.jsonl.jsonl


def test_f040_on_a_real_file(tmp_path) -> None:
    path = tmp_path / "data.json"
    path.write_text("\n".join(TEN) + "\n")
    assert hits(lint_path(path), "F040") == [(None, None)]
    assert "rename it to data.jsonl" in messages(lint_path(path), "F040")[0]


def test_f050_f051_file_size(monkeypatch: pytest.MonkeyPatch) -> None:
    size = len("".join(r + "\n" for r in TEN))
    monkeypatch.setattr(file_rules, "FILES_API_MAX", size - 10)
    assert hits(lint(TEN), "F051") == [(None, None)]
    assert hits(lint(TEN), "F050") == []
    monkeypatch.setattr(file_rules, "UPLOADS_API_MAX", size - 5)
    assert hits(lint(TEN), "F050") == [(None, None)]
    assert hits(lint(TEN), "F051") == []
    monkeypatch.setattr(file_rules, "FILES_API_MAX", size + 1)
    monkeypatch.setattr(file_rules, "UPLOADS_API_MAX", size + 2)
    assert hits(lint(TEN), "F050") == hits(lint(TEN), "F051") == []


def first_message(code: str, facts: FileSummary, ctx: Context) -> str:
    """The message of file rule ``code``'s first finding on ``facts``."""
    message = next(iter(RULES[code].checker(facts, ctx))).message
    assert message is not None, code
    return message


def test_f050_f051_real_limits_in_bytes() -> None:
    big = summary(bytes=9 * 1024 ** 3)
    mid = summary(bytes=600 * 1024 ** 2)
    ctx = context()
    assert "9.0 GB" in first_message("F050", big, ctx)
    assert list(RULES["F051"].checker(big, ctx)) == []
    assert "600.0 MB" in first_message("F051", mid, ctx)
    assert list(RULES["F050"].checker(mid, ctx)) == []


# -- number of examples ---------------------------------------------------------------------

def test_f060_too_few_examples_names_the_server_error() -> None:
    result = lint(TEN[:7])
    assert hits(result, "F060") == [(None, None)]
    assert messages(result, "F060")[0].startswith("the training file has 7 examples, but must have at least 10 ")
    assert "invalid_n_examples" in messages(result, "F060")[0]
    assert "has 1 example," in messages(lint(TEN[:1]), "F060")[0]
    assert hits(lint(TEN), "F060") == []
    assert hits(lint(TEN[:7], role="validation"), "F060") == []


def test_f070_few_examples_for_supervised_and_dpo_training_files() -> None:
    assert hits(lint(TEN), "F070") == [(None, None)]
    assert hits(lint([dpo(i) for i in range(12)]), "F070") == [(None, None)]
    assert hits(lint([chat(i) for i in range(50)]), "F070") == []
    assert hits(lint(TEN[:7]), "F070") == []  # F060 already says it
    assert hits(lint(TEN, role="validation"), "F070") == []
    assert hits(lint([rft(i) for i in range(12)]), "F070") == []


def test_f080_rft_limits_come_from_the_catalog() -> None:
    ctx = context("reinforcement")
    assert first_message("F080", summary("reinforcement", records=50_001, examples=50_001), ctx) == (
        "the RFT training file has 50,001 examples; OpenAI allows at most 50,000: sample it down")
    assert list(RULES["F080"].checker(summary("reinforcement", records=50_000), ctx)) == []
    val = context("reinforcement", role="validation")
    assert list(RULES["F080"].checker(summary("reinforcement", "validation", records=1_001), val))
    assert list(RULES["F080"].checker(summary("reinforcement", "validation", records=1_000), val)) == []
    azure = context("reinforcement", "azure", role="validation")
    assert list(RULES["F080"].checker(summary("reinforcement", "validation", records=6_150), azure)) == []
    assert list(RULES["F080"].checker(summary(records=60_000), context())) == []  # no SFT maximum


def test_f080_counts_examples_and_records_to_repair_as_f060_does() -> None:
    """It said "RFT train file has 50,003 examples" for 50,001 examples and 2 pretty-printed records."""
    val = context("reinforcement", role="validation")
    assert first_message("F080", summary("reinforcement", "validation", records=1_003, examples=1_001), val) == (
        "the RFT validation file has 1,001 examples (and 2 records to repair first: pretty-printed or not UTF-8); "
        "OpenAI allows at most 1,000: sample it down")


def _with_images(count: int) -> FileSummary:
    images = ImageExamples()
    images.count, images.first_line = count, 1
    return summary(records=60_000, collected={IMAGES: images})


def test_f080_image_examples() -> None:
    ctx = context()
    assert "50,001 examples contain images" in first_message("F080", _with_images(50_001), ctx)
    assert list(RULES["F080"].checker(_with_images(50_000), ctx)) == []


def test_f080_rft_validation_file_through_the_engine() -> None:
    rows = [rft(i) for i in range(1_001)]
    assert hits(lint(rows, role="validation"), "F080") == [(None, None)]
    assert hits(lint(rows[:1_000], role="validation"), "F080") == []
    assert hits(lint(rows, role="validation", provider="azure"), "F080") == []


# -- format vs method, duplicates -------------------------------------------------------------

def test_f091_chat_file_with_method_dpo() -> None:
    result = lint(TEN, method="dpo")
    assert hits(result, "F091") == [(1, None)]
    assert "use --method supervised" in messages(result, "F091")[0]
    assert hits(lint([dpo(i) for i in range(10)], method="dpo"), "F091") == []
    assert hits(lint(TEN), "F091") == []  # no --method: the format decides the method


def test_f091_prompt_completion_file_with_method_supervised() -> None:
    result = lint([pair(i) for i in range(10)], method="supervised")
    assert hits(result, "F091") == [(1, None)]
    message = messages(result, "F091")[0]  # it named `tunesmith convert`, which reads no prompt/completion file
    assert "tunesmith convert" not in message
    assert message.endswith('the server rejects the job: rewrite each pair as a chat example, {"messages": [{"role": '
                            '"user", "content": PROMPT}, {"role": "assistant", "content": COMPLETION}]}')


def test_f091_plain_chat_rows_fit_reinforcement_and_minorities_are_f090s() -> None:
    assert hits(lint(TEN, method="reinforcement"), "F091") == []
    mostly_chat = TEN + [dpo(1)]
    assert hits(lint(mostly_chat, method="supervised"), "F091") == []


def test_f130_duplicate_example() -> None:
    result = lint([TEN[0], TEN[1], TEN[0], TEN[1], TEN[0]] + TEN[2:])
    assert hits(result, "F130") == [(3, None), (4, None), (5, None)]
    assert messages(result, "F130")[0] == "line 3 repeats line 1 exactly; remove the copy"
    assert hits(lint(TEN), "F130") == []


# -- cross-file -----------------------------------------------------------------------------

def write(path, records: list[str]):
    path.write_text("".join(r + "\n" for r in records))
    return path


def test_f110_validation_format_mismatch(tmp_path) -> None:
    train = write(tmp_path / "train.jsonl", TEN)
    bad = write(tmp_path / "val.jsonl", [dpo(i) for i in range(3)])
    good = write(tmp_path / "val_ok.jsonl", [chat(i) for i in range(20, 23)])
    diags = lint_path(train, validation=bad)
    assert hits(diags, "F110") == [(None, None)]
    assert "val.jsonl" in messages(diags, "F110")[0] and "preference" in messages(diags, "F110")[0]
    assert hits(lint_path(train, validation=good), "F110") == []
    assert hits(lint_path(train), "F110") == []


def test_f110_plain_chat_validation_rows_fit_an_rft_training_file(tmp_path) -> None:
    train = write(tmp_path / "train.jsonl", [rft(i) for i in range(10)])
    val = write(tmp_path / "valid.jsonl", [json.dumps({"messages": [{"role": "user", "content": "q"}]})])
    assert hits(lint_path(train, validation=val), "F110") == []


def test_f111_missing_validation_file_for_rft(tmp_path) -> None:
    train = write(tmp_path / "train.jsonl", [rft(i) for i in range(10)])
    val = write(tmp_path / "valid.jsonl", [rft(i) for i in range(10, 13)])
    assert hits(lint_path(train, method="reinforcement"), "F111") == [(None, None)]
    assert "--validation" in messages(lint_path(train, method="reinforcement"), "F111")[0]
    assert hits(lint_path(train), "F111") == []  # not announced as an RFT job: a file linted on its own
    assert hits(lint_path(train, method="reinforcement", validation=val), "F111") == []
    sft = write(tmp_path / "sft.jsonl", TEN)
    assert hits(lint_path(sft), "F111") == []
    assert hits(lint([rft(i) for i in range(3)], role="validation"), "F111") == []


def test_f112_train_validation_overlap(tmp_path) -> None:
    train = write(tmp_path / "train.jsonl", TEN)
    val = write(tmp_path / "val.jsonl", [chat(50), TEN[3], chat(51)])
    diags = lint_path(train, validation=val)
    assert hits(diags, "F112") == [(4, None)]
    assert messages(diags, "F112") == ["line 4 is also line 2 of the validation file val.jsonl; "
                                       "keep each example in one file only"]
    clean = write(tmp_path / "val2.jsonl", [chat(50), chat(51)])
    assert hits(lint_path(train, validation=clean), "F112") == []
    # the training file itself as the validation file: one usage error, not one F112 per line
    (tmp_path / "link.jsonl").symlink_to(train)
    with pytest.raises(UsageError, match="the validation file is the training file itself"):
        lint_path(train, validation=tmp_path / "link.jsonl")


# -- odd inputs -----------------------------------------------------------------------------

def test_empty_file_gets_f060_but_no_crash() -> None:
    result = lint(b"")
    assert hits(result, "F060") == [(None, None)]
    assert "has 0 examples," in messages(result, "F060")[0]


def test_f040_not_for_data_without_a_file_name(tmp_path) -> None:
    """A FIFO, a pipe (`<(cat f)`) and /dev/stdin have no name an upload would carry: no false "no extension"."""
    import os
    import subprocess
    import sys
    import threading

    data = ("\n".join(TEN) + "\n").encode()
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    writer = threading.Thread(target=fifo.write_bytes, args=(data,), daemon=True)
    writer.start()
    assert hits(lint_path(fifo), "F040") == []
    writer.join(timeout=30)
    saved = tmp_path / "saved"  # /dev/stdin redirected from a file resolves to that file: still no name of its own
    saved.write_bytes(data)
    for source in (saved, None):
        with open(saved if source is None else source, "rb") as stdin:
            out = subprocess.run([sys.executable, "-m", "toolkit", "lint", "/dev/stdin"], stdin=stdin, cwd=tmp_path,
                                 capture_output=True, text=True, timeout=120).stdout
        assert "F040" not in out and "(10 examples;" in out, out
    assert hits(lint_path(saved), "F040") == [(None, None)]  # the file itself, by its name, still is checked


@pytest.mark.parametrize("text", [
    json.dumps([json.loads(line) for line in TEN[:3]]),  # one line
    json.dumps([json.loads(line) for line in TEN[:3]], indent=2)])  # the whole file pretty-printed
def test_a_json_array_file_is_one_f011_that_says_what_to_do_and_no_f060(text: str) -> None:
    """The root problem is said once: F060 "0 examples" beside F011 would be noise."""
    result = lint([text])
    assert [d.rule for d in result.diagnostics if d.severity.value == "error"] == ["F011"]
    assert "`tunesmith fix --write` does it" in messages(result, "F011")[0]
    assert hits(lint(['[1, 2]', *TEN[:3]]), "F060") == [(None, None)]  # records beside the array: still too few
    # F011 turned off: nothing else said the file has no examples ("All checks passed" on a file the server refuses)
    off = Linter(Settings(provider="openai", ignore=("F011",)), today=TODAY)
    ignored = off.lint_bytes((text + "\n").encode(), name="<memory>")
    assert [d.rule for d in ignored.diagnostics if d.severity.value == "error"] == ["F060"]
