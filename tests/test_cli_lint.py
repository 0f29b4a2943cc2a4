"""`tunesmith lint` as users run it: exit codes, formats, selection, configuration."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from toolkit.cli.main import main

GOOD = [{"messages": [{"role": "system", "content": "Elle answers in limericks."},
                      {"role": "user", "content": f"Tell me about element {i}"},
                      {"role": "assistant", "content": f"Element {i} is neat,\nits chemistry sweet."}]}
        for i in range(1, 13)]


def write(path: Path, records: Sequence[object], extra: bytes = b"") -> Path:
    path.write_bytes(b"".join(json.dumps(r).encode() + b"\n" for r in records) + extra)
    return path


@pytest.fixture
def good(tmp_path: Path) -> Path:
    return write(tmp_path / "good.jsonl", GOOD)


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    return write(tmp_path / "bad.jsonl", GOOD, b'{"messages": [\n')


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["lint", "--format", "json", *args])
    return code, json.loads(capsys.readouterr().out)


def test_clean_file_exits_0(good: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = run_json(capsys, str(good))
    assert code == 0
    assert doc["files"][0]["records"] == 12 and doc["files"][0]["format"] == "chat"
    assert not [d for d in doc["files"][0]["diagnostics"] if d["severity"] == "error"]


def test_errors_exit_1_with_line_and_rule(bad: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = run_json(capsys, str(bad))
    assert code == 1
    diag = [d for d in doc["files"][0]["diagnostics"] if d["rule"] == "F010"]
    assert diag and diag[0]["line"] == 13 and diag[0]["severity"] == "error"
    assert set(diag[0]) >= {"line", "column", "pointer", "rule", "name", "severity", "message"}


def test_a_grader_on_a_chat_file_is_said_to_apply_only_to_rft(good: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """A grader (even a broken one) is not checked against a supervised chat file: lint says it applies only to
    reinforcement fine-tuning, with no R080 against the chat file."""
    grader = tmp_path / "g.json"
    grader.write_text(json.dumps({"type": "string_check", "name": "eq", "input": "{{sample.output_text}}",
                                  "reference": "{{item.answer}}", "operation": "equals"}), encoding="utf-8")
    code, doc = run_json(capsys, str(good), "--grader", str(grader))
    assert code == 0 and not [d for d in doc["files"][0]["diagnostics"] if d["rule"].startswith("R08")]
    assert main(["lint", str(good), "--grader", str(grader)]) == 0
    err = capsys.readouterr().err
    assert "--grader applies only to reinforcement fine-tuning" in err and "chat (supervised fine-tuning)" in err
    code, doc = run_json(capsys, str(good), "--grader", str(grader), "--method", "reinforcement")
    assert "R080" in {d["rule"] for d in doc["files"][0]["diagnostics"]}  # said to be an RFT job: checked
    assert "--grader applies only" not in capsys.readouterr().err


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", str(tmp_path / "nope.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "nope.jsonl: no such file" in err and "Traceback" not in err


def test_a_missing_file_among_others_is_named_and_the_others_are_linted(good: Path, bad: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["lint", "--format", "json", str(good), str(good.parent / "nope.jsonl"), str(bad)])
    out, err = capsys.readouterr()
    assert code == 2  # an unreadable path, whatever the other files hold
    assert [Path(f["path"]).name for f in json.loads(out)["files"]] == ["good.jsonl", "bad.jsonl"]
    assert "nope.jsonl: no such file" in err and "Traceback" not in err


def test_empty_folder_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", str(tmp_path)]) == 2
    assert "is a folder without .jsonl files" in capsys.readouterr().err


def test_folder_means_its_jsonl_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "a.jsonl", GOOD)
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub" / "b.jsonl", GOOD, b"{broken\n")
    (tmp_path / "notes.txt").write_text("not checked", "utf-8")
    (tmp_path / ".hidden").mkdir()
    write(tmp_path / ".hidden" / "c.jsonl", GOOD, b"{broken\n")
    code, doc = run_json(capsys, str(tmp_path))
    assert code == 1
    assert [Path(f["path"]).relative_to(tmp_path).as_posix() for f in doc["files"]] == ["a.jsonl", "sub/b.jsonl"]


def test_a_folder_with_symbolic_link_loops_says_what_it_skips(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Link loops were skipped in silence: each is now a warning naming the path; no traceback, no endless walk."""
    data, outside = tmp_path / "data", tmp_path / "outside"
    (data / "sub").mkdir(parents=True)
    outside.mkdir()
    write(data / "a.jsonl", GOOD)
    write(outside / "b.jsonl", GOOD)
    (data / "sub" / "up").symlink_to("..")  # a loop through a folder
    (data / "self.jsonl").symlink_to("self.jsonl")  # a link to itself
    (data / "gone.jsonl").symlink_to("missing.jsonl")  # a link to nothing
    (data / "more").symlink_to(outside)  # a folder the user linked in: read
    (data / "again").symlink_to(data / "more")  # the same folder twice: its file once
    assert main(["lint", str(data)]) == 0
    out, err = capsys.readouterr()
    assert f"warning: {data / 'sub' / 'up'}: a symbolic link back to {data.resolve()}, a folder it is inside " \
           "(a loop); not followed" in err
    assert f"warning: {data / 'self.jsonl'}: a symbolic link loop (it leads back to itself); skipped" in err
    assert f"warning: {data / 'gone.jsonl'}: a symbolic link to missing.jsonl, which does not exist; skipped" in err
    assert f"warning: {data / 'more' / 'b.jsonl'}: the same file as {data / 'again' / 'b.jsonl'}" in err
    assert "Traceback" not in err and "in 2 files" in out
    from toolkit.engine import expand_paths

    said: list[str] = []
    assert expand_paths([data], warn=said.append) == [str(data / "a.jsonl"), str(data / "again" / "b.jsonl")]
    assert len(said) == 4 and all(line in err for line in said)  # the library says what the CLI prints


def test_folder_takes_upper_case_extensions_and_names_a_dangling_link(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "a.jsonl", GOOD)
    write(tmp_path / "C.JSONL", GOOD, b"{broken\n")
    (tmp_path / "broken.jsonl").symlink_to(tmp_path / "gone.jsonl")
    code = main(["lint", "--format", "json", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 1  # C.JSONL's broken line; the dangling link is named and skipped, the others are linted
    assert sorted(Path(f["path"]).name for f in json.loads(out)["files"]) == ["C.JSONL", "a.jsonl"]
    assert "broken.jsonl: a symbolic link to" in err and "gone.jsonl, which does not exist; skipped" in err


def test_a_folder_names_a_pipe_it_skips(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A named pipe called *.jsonl in a folder was passed over in silence (reading it would wait for a writer)."""
    write(tmp_path / "a.jsonl", GOOD)
    os.mkfifo(tmp_path / "live.jsonl")
    assert main(["lint", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert f"warning: {tmp_path / 'live.jsonl'}: a named pipe, not a file; skipped" in err and "in 1 file" in out


def test_usage_error_exits_2(good: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", str(good), "--format", "yaml"]) == 2
    assert main(["lint", str(good), "--select", "Z999"]) == 2
    assert "matches no rule" in capsys.readouterr().err


def test_ignore_and_select(bad: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = run_json(capsys, str(bad), "--ignore", "F010")
    assert code == 0 and not [d for d in doc["files"][0]["diagnostics"] if d["rule"] == "F010"]
    code, doc = run_json(capsys, str(bad), "--select", "F01")
    assert code == 1 and {d["rule"][:3] for d in doc["files"][0]["diagnostics"]} == {"F01"}


def test_severity_override_and_strict(bad: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = run_json(capsys, str(bad), "--severity", "F010=warning")
    assert code == 0
    assert [d["severity"] for d in doc["files"][0]["diagnostics"] if d["rule"] == "F010"] == ["warning"]
    code, _ = run_json(capsys, str(bad), "--severity", "F010=warning", "--strict")
    assert code == 1


def test_pyproject_configuration_and_cli_override(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "data").mkdir()
    data = write(tmp_path / "data" / "train.jsonl", GOOD, b"\n")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.tunesmith]\nprovider = "azure"\nignore = ["F020"]\n'
        '[tool.tunesmith.per-file-ignores]\n"data/*.jsonl" = ["F03"]\n', "utf-8")
    _, doc = run_json(capsys, str(data))
    assert doc["summary"]["provider"] == "azure"
    assert not [d for d in doc["files"][0]["diagnostics"] if d["rule"] in ("F020", "F032")]
    _code, doc = run_json(capsys, str(data), "--provider", "openai")
    assert doc["summary"]["provider"] == "openai"


def test_bad_configuration_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write(tmp_path / "train.jsonl", GOOD)
    (tmp_path / "pyproject.toml").write_text('[tool.tunesmith]\nselct = ["C"]\n', "utf-8")
    assert main(["lint", str(data)]) == 2
    assert "unknown key selct" in capsys.readouterr().err


@pytest.mark.parametrize(("toml", "message"), [
    ("[tool]\ntunesmith = 5\n", "[tool.tunesmith] must be a table, not 5"),
    ('[tool.tunesmith]\nseverity = "C150"\n', "[tool.tunesmith] severity must be a table such as "
                                             "{ C150 = \"warning\" }, not 'C150'"),
    ('[tool.tunesmith]\nper-file-ignores = ["F070"]\n', "[tool.tunesmith] per-file-ignores must be a table such as "
                                                        "{ \"data/*.jsonl\" = [\"F070\"] }, not ['F070']")])
def test_a_setting_that_is_not_a_table_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str], toml: str,
                                                         message: str) -> None:
    """They were internal errors: "TypeError: 'int' object is not iterable", "ValueError: dictionary update..."."""
    data = write(tmp_path / "train.jsonl", GOOD)
    (tmp_path / "pyproject.toml").write_text(toml, "utf-8")
    assert main(["lint", str(data)]) == 2
    assert capsys.readouterr().err == f"tunesmith: error: {tmp_path / 'pyproject.toml'} {message}\n"


def test_text_output_and_output_file(bad: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.txt"
    assert main(["lint", str(bad), "-o", str(out)]) == 1
    text = out.read_text("utf-8")
    assert f"{bad}:13:" in text and "F010" in text and text.rstrip().splitlines()[-1].startswith("Found")


@pytest.mark.parametrize("fmt", ["github", "sarif"])
def test_ci_formats(bad: Path, fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", str(bad), "--format", fmt]) == 1
    out = capsys.readouterr().out
    if fmt == "github":
        assert "::error title=tunesmith (F010 invalid-json)" in out
    else:
        assert json.loads(out)["version"] == "2.1.0"


def test_rules_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    assert "F010  invalid-json" in capsys.readouterr().out
    assert main(["rules", "F012"]) == 0
    assert "pretty-printed" in capsys.readouterr().out
    assert main(["rules", "multi-line-record"]) == 0
    assert main(["rules", "Z123"]) == 2


def _loaded_by_lint(path: Path, modules: tuple[str, ...]) -> str:
    """Which of ``modules`` `tunesmith lint PATH` imported, in a fresh interpreter (printed as a sorted list)."""
    code = (
        "import sys\n"
        "from toolkit.cli.main import main\n"
        f"rc = main(['lint', {str(path)!r}, '--format', 'json'])\n"
        f"print(sorted(m for m in {modules!r} if m in sys.modules), file=sys.stderr)\n"
        "raise SystemExit(rc)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stderr.strip().splitlines()[-1]


def test_lint_path_imports_no_heavy_library(good: Path) -> None:
    assert _loaded_by_lint(good, ("openai", "pandas", "streamlit", "tiktoken", "numpy")) == "[]"


def test_lint_imports_only_what_the_file_needs(good: Path) -> None:
    """A small plain-chat file: no other command's module, no compiled validator, tokenizer, sketching thread pool
    or importlib.resources (each costs `tunesmith lint` start-up time)."""
    unneeded = ("toolkit.cli.train_cmd", "toolkit.cli.stats_cmd", "toolkit.cli.training_opts", "jsonschema_rs",
                "toolkit.tokenizer", "concurrent.futures", "importlib.resources")
    assert _loaded_by_lint(good, unneeded) == "[]"


@pytest.mark.parametrize("argv", [["lint", "--help"], ["stats", "--help"], ["lint", "--format", "nope", "x"],
                                  ["stats"]])
def test_a_commands_own_parser_parses_as_the_whole_one(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """`tunesmith COMMAND ...` builds COMMAND's parser alone: same help, same usage errors as with every command."""
    from toolkit.cli.main import build_parser

    outcomes = []
    for parser in (build_parser(), build_parser(argv[0])):
        with pytest.raises(SystemExit) as exc:
            parser.parse_args(argv)
        outcomes.append((exc.value.code, capsys.readouterr()))
    assert outcomes[0] == outcomes[1]


def test_an_unknown_command_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    from toolkit.cli.main import COMMANDS

    assert main(["lnit"]) == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'lnit'" in err and all(name in err for name in COMMANDS)


def test_console_script_runs(good: Path) -> None:
    exe = Path(sys.executable).with_name("tunesmith")
    proc = subprocess.run([str(exe), "lint", str(good)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "All checks passed" in proc.stdout or "Found 0 errors" in proc.stdout


def test_with_a_validation_file_the_first_file_is_the_training_file(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    train = write(tmp_path / "gsm8k_validation_train.jsonl", GOOD[:5])  # named like a validation set
    val = write(tmp_path / "val.jsonl", GOOD[5:8])
    code, doc = run_json(capsys, str(train), "--validation", str(val))
    assert [f["role"] for f in doc["files"]] == ["train", "validation"]
    assert "F060" in [d["rule"] for d in doc["files"][0]["diagnostics"]] and code == 1


def test_dash_reads_standard_input(good: Path) -> None:
    exe = Path(sys.executable).with_name("tunesmith")
    proc = subprocess.run([str(exe), "lint", "-", "--format", "json"], input=good.read_bytes() + b"{broken\n",
                          capture_output=True, check=False)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["files"][0]["path"] == "<stdin>"
    assert [(d["rule"], d["line"]) for d in doc["files"][0]["diagnostics"] if d["severity"] == "error"] == [("F010", 13)]


def test_a_file_given_twice_is_linted_once(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """`lint x ./x` or `lint data/x data` listed every finding twice and counted 2 files (24 examples)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    write(tmp_path / "data" / "b.jsonl", GOOD)
    write(tmp_path / "data" / "a.jsonl", GOOD)
    _, doc = run_json(capsys, "data/b.jsonl", "./data/b.jsonl", "data")
    assert [f["path"] for f in doc["files"]] == ["data/b.jsonl", "data/a.jsonl"]
    assert doc["summary"]["files"] == 2 and doc["summary"]["examples"] == 24
