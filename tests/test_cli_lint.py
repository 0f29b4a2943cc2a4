"""`tunesmith lint` as users run it: exit codes, formats, selection, configuration."""

from __future__ import annotations

import json
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


def test_folder_takes_upper_case_extensions_and_names_a_dangling_link(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "a.jsonl", GOOD)
    write(tmp_path / "C.JSONL", GOOD, b"{broken\n")
    (tmp_path / "broken.jsonl").symlink_to(tmp_path / "gone.jsonl")
    code = main(["lint", "--format", "json", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 2  # the dangling link is an unreadable path, named; the others are linted
    assert sorted(Path(f["path"]).name for f in json.loads(out)["files"]) == ["C.JSONL", "a.jsonl"]
    assert "broken.jsonl: is a symbolic link to" in err and "gone.jsonl, which does not exist" in err


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


def test_lint_path_imports_no_heavy_library(good: Path) -> None:
    code = (
        "import sys\n"
        "from toolkit.cli.main import main\n"
        f"rc = main(['lint', {str(good)!r}, '--format', 'json'])\n"
        "heavy = sorted(m for m in ('openai', 'pandas', 'streamlit', 'tiktoken', 'numpy') if m in sys.modules)\n"
        "print(heavy, file=sys.stderr)\n"
        "raise SystemExit(rc)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "[]"


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
