"""Bad data the reader and engine must survive: no crash, no hang, bounded memory, one finding per problem."""

from __future__ import annotations

import io
import json
import os
import threading
import time
from pathlib import Path

import pytest

from toolkit import fix, lint
from toolkit.cli.main import main
from toolkit.engine import Linter
from toolkit.errors import InputError
from toolkit.reader import MAX_SPAN_LINES, ArrayElement, JsonlReader, ParseProblem, Record
from toolkit.rules import RULES, load_all

load_all()
ROOT = Path(__file__).resolve().parents[1]
USER = {"role": "user", "content": "Hi"}
ASSISTANT = {"role": "assistant", "content": "Hello!"}
GOOD = json.dumps({"messages": [USER, ASSISTANT]})


def items(data: bytes, **kw) -> list:
    return list(JsonlReader(io.BytesIO(data), **kw))


def codes(data: bytes) -> list[str]:
    return [i.code for i in items(data) if isinstance(i, ParseProblem)]


def put(tmp_path: Path, data: bytes | str, name: str = "data.jsonl") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def test_an_integer_over_4300_digits_is_a_finding_not_a_crash(tmp_path, capsys):
    line = '{"messages": [{"role": "user", "content": "x", "n": ' + "9" * 5000 + "}]}\n"
    [problem] = items(line.encode())
    assert problem.code == "F010" and "5,000 digits" in problem.message
    path = put(tmp_path, line + GOOD + "\n")
    assert main(["lint", str(path)]) == 1
    assert main(["fix", str(path)]) == 0
    assert "internal error" not in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_a_lone_surrogate_in_a_key_is_reported_by_every_reporter(tmp_path, capfd, fmt):
    path = put(tmp_path, '{"messages": [{"role": "user", "content": "x", "\\udc00": 1}]}\n')
    assert main(["lint", "--format", fmt, str(path)]) == 1
    out, err = capfd.readouterr()
    assert "F015" in out and "internal error" not in err
    if fmt in ("json", "sarif"):
        json.loads(out)


@pytest.mark.parametrize("depth", [500, 985])
def test_nan_nested_deep_is_reported(depth):
    line = ('{"a": ' + "[" * depth + "NaN" + "]" * depth + "}\n").encode()
    found = items(line)  # F017 when the parser itself runs out of stack first (it depends on the caller's depth)
    problems = [i.code for i in found if isinstance(i, ParseProblem)]
    assert problems in (["F014"], ["F017"])
    assert problems == ["F017"] or isinstance(found[-1], Record)


def test_a_pipe_is_read_once_without_seeking(tmp_path):
    r, w = os.pipe()
    os.write(w, ((GOOD + "\n") * 3).encode())
    os.close(w)
    path = f"/dev/fd/{r}"
    try:
        assert sum(isinstance(i, Record) for i in JsonlReader(path)) == 3
    finally:
        os.close(r)


def test_a_fifo_without_writer_is_an_error_not_a_hang(tmp_path, monkeypatch):
    from toolkit import reader
    monkeypatch.setattr(reader, "FIFO_WAIT", 1)
    fifo = tmp_path / "f.jsonl"
    os.mkfifo(fifo)
    start = time.monotonic()
    with pytest.raises(InputError, match="named pipe"):
        list(JsonlReader(fifo))
    assert time.monotonic() - start < 10


def test_a_fifo_with_a_writer_is_linted(tmp_path):
    fifo = tmp_path / "f.jsonl"
    os.mkfifo(fifo)

    def write() -> None:
        with open(fifo, "w") as fh:
            fh.write((GOOD + "\n") * 2)
    t = threading.Thread(target=write)
    t.start()
    result = Linter().lint_many([fifo])
    t.join(timeout=10)
    assert result.files[0].records == 2


def test_devices_are_refused(capsys):
    assert main(["lint", "/dev/zero"]) == 2
    assert "device" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["lint", "stats", "fix"])
def test_the_null_device_reads_as_an_empty_file(command, capsys, monkeypatch):
    """`tunesmith lint - < /dev/null` (a script's empty input) is an empty file, not a device error."""
    assert main([command, os.devnull]) in (0, 1)
    assert "device" not in capsys.readouterr().err
    with open(os.devnull, "rb") as null:
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(null))
        assert main([command, "-"]) in (0, 1)
    assert "device" not in capsys.readouterr().err


def test_a_line_over_the_limit_is_one_finding_read_in_bounded_memory():
    data = b'{"messages": "' + b"x" * 5000 + b'"}\n' + GOOD.encode() + b"\n"
    found = items(data, max_line_bytes=1000)
    assert [(i.code, i.line) for i in found if isinstance(i, ParseProblem)] == [("F018", 1)]
    assert [i.line for i in found if isinstance(i, Record)] == [2]
    assert "F018" in RULES


def test_fix_refuses_a_file_with_a_line_over_the_limit(tmp_path, monkeypatch):
    path = put(tmp_path, '{"messages": "' + "x" * 500 + '"}\n')
    monkeypatch.setitem(JsonlReader.__init__.__kwdefaults__, "max_line_bytes", 100)
    with pytest.raises(InputError, match="over 100 bytes"):
        fix.apply(path)
    assert len(path.read_bytes()) == 517 and not list(tmp_path.glob("*.bak"))


@pytest.mark.parametrize("data", [b"{\n" * 20000, b'{"messages": [{"role": "user", "content": "hal\n' * 5000,
                                  b"[\n" * 5000 + b"]\n" * 4000])
def test_many_unfinished_lines_take_linear_time(data):
    start = time.monotonic()
    found = items(data)
    assert time.monotonic() - start < 30  # quadratic re-scanning took minutes
    assert {i.line for i in found} >= {1}


def _array(n: int, indent: int | None = 2) -> bytes:
    rows = [{"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": f"a{i}"}]}
            for i in range(n)]
    return (json.dumps(rows, indent=indent) + "\n").encode()


def test_an_array_of_any_size_is_one_f011_and_fix_splits_it(tmp_path):
    data = _array(1000)  # 12,002 lines: six times the longest span a record may have (MAX_SPAN_LINES)
    assert data.count(b"\n") > 5 * MAX_SPAN_LINES
    found = items(data)
    problems = [i for i in found if isinstance(i, ParseProblem)]
    assert [(p.code, p.line) for p in problems] == [("F011", 1)] and "1,000 records" in problems[0].message
    assert sum(isinstance(i, ArrayElement) for i in found) == 1000
    path = put(tmp_path, data)
    assert [d.rule for d in lint(path).diagnostics if d.rule.startswith("F01")] == ["F011"]
    assert "".join(fix.iter_diff(path))
    fix.apply(path)
    lines = path.read_text().splitlines()
    assert len(lines) == 1000 and json.loads(lines[-1])["messages"][1]["content"] == "a999"


@pytest.mark.parametrize("indent", [None, 2])
@pytest.mark.parametrize(("row", "fmt"), [
    ({"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "yo"}]}, "sharegpt"),
    ({"instruction": "say hi", "output": "hi"}, "alpaca")])
def test_an_array_of_another_trainers_records_gets_the_convert_command_not_fix(tmp_path, capsys, row, fmt, indent):
    """`[{"conversations": ...}]` got F011 "`tunesmith fix --write` does it"; split into lines it is still ShareGPT."""
    path = put(tmp_path, json.dumps([row, row], indent=indent) + "\n", name="data.json")
    found = [d for d in lint(path).diagnostics if d.rule != "F040"]
    assert [(d.rule, d.line, d.fix) for d in found] == [("F092", 1, None)]
    assert f"convert it with `tunesmith convert --from {fmt} {path} {tmp_path / 'data.openai.jsonl'}`" in found[0].message
    before = path.read_bytes()
    assert main(["fix", "--write", str(path)]) == 0 and path.read_bytes() == before  # left for convert
    assert main(["convert", str(path), str(tmp_path / "data.openai.jsonl"), "--from", fmt]) == 1  # F060: 2 examples
    assert "F092" not in capsys.readouterr().out


def test_an_array_of_chat_records_keeps_the_fix_advice(tmp_path):
    path = put(tmp_path, json.dumps([{"messages": [USER, ASSISTANT]}]) + "\n", name="data.json")
    found = [d for d in lint(path).diagnostics if d.rule != "F040"]
    assert [(d.rule, d.fix is not None) for d in found] == [("F011", True)]
    assert "(`tunesmith fix --write` does it)" in found[0].message


def test_a_pretty_printed_record_after_a_truncated_line_is_still_found():
    pretty = json.dumps({"messages": [USER, ASSISTANT]}, indent=2)
    data = ('{"messages": [{"role": "user", "content": "trunc\n' + pretty + "\n" + GOOD + "\n").encode()
    found = items(data)
    assert [i.code for i in found if isinstance(i, ParseProblem)] == ["F010", "F012"]
    assert sum(isinstance(i, Record) for i in found) == 2


def test_a_failing_rule_becomes_one_diagnostic_and_the_run_goes_on(tmp_path, monkeypatch):
    rule = RULES["C131"]

    def boom(rec, ctx):
        raise ValueError("bug")
        yield
    monkeypatch.setitem(RULES, "C131", type(rule)(**{**rule.__dict__, "check": boom}))
    path = put(tmp_path, (GOOD + "\n") * 3)
    diags = lint(path).diagnostics
    internal = [d for d in diags if d.message.startswith("internal: rule C131")]
    assert [d.line for d in internal] == [1, 2, 3]
    assert any(d.rule == "F060" for d in diags)


def test_findings_are_capped_per_rule_with_a_count_of_the_rest(tmp_path, monkeypatch):
    from toolkit.results import Findings
    monkeypatch.setattr(Findings.__init__, "__defaults__", (5,))  # the cap
    monkeypatch.setattr("toolkit.engine.MAX_PER_RULE", 5)  # the linter's own cap (the editor lifts it)
    path = put(tmp_path, "x\n" * 20)
    result = lint(path)
    f010 = [d for d in result.diagnostics if d.rule == "F010"]
    assert len(f010) == 6 and "and 15 more F010" in f010[0].message  # the count has no line: it sorts first
    assert result.errors == 20 + 1  # every F010 counted, and F060


def test_lint_counts_what_fix_fixes():
    sample = ROOT / "samples" / "elle_broken.jsonl"
    fixable = sum(d.fix is not None for d in lint(sample).diagnostics)
    assert fixable == len(fix.plan(sample)) > 2


def test_the_line_limit_is_configurable(tmp_path):
    from toolkit.config import settings_from_table
    from toolkit.errors import UsageError

    settings = settings_from_table({"max-line-mb": 0.001}, where="t")
    assert settings.max_line_bytes == 1048
    path = put(tmp_path, '{"messages": "' + "x" * 2000 + '"}\n')
    assert [d.rule for d in Linter(settings).lint(path).diagnostics if d.line == 1] == ["F018"]
    with pytest.raises(UsageError, match="max-line-mb"):
        settings_from_table({"max-line-mb": "big"}, where="t")


@pytest.mark.parametrize("literal", ["Infinity", "-Infinity", "NaN"])
def test_a_non_finite_weight_is_one_f014_saying_what_a_weight_is(tmp_path, literal):
    # the reader holds NaN and Infinity as null (F014 names them): no rule may then report "weight null"
    line = '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!", "weight": ' \
           + literal + "}]}\n"
    path = put(tmp_path, line)
    found = [d for d in lint(path).diagnostics if d.line == 1]
    assert [(d.rule, d.pointer) for d in found] == [("F014", "/messages/1/weight")]
    assert found[0].message == f"{literal} is not valid JSON; a weight is 0 or 1: use 1 to train on this message " \
                               "or 0 to skip it"


@pytest.mark.parametrize("key", ["content", "tool_calls", "function_call"])
def test_a_non_finite_assistant_content_or_call_is_one_f014_not_also_c050(tmp_path, key):
    # the reader holds NaN as null; C050 ("neither content nor tool_calls") would be about that null, not the file
    content = "" if key == "content" else '"content": null, '
    line = '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", ' + content + f'"{key}": NaN}}]}}\n'
    found = [d for d in lint(put(tmp_path, line)).diagnostics if d.line == 1]
    assert [(d.rule, d.pointer) for d in found] == [("F014", f"/messages/1/{key}")]
    if key == "content":
        assert found[0].message == "NaN is not valid JSON; a message's content is text: write it as a string"
