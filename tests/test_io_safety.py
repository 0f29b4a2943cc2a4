"""Inputs are never destroyed: -o onto an input, fix on links, read-only files and backups; OS errors are clear."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from toolkit import fix
from toolkit.atomic import atomic_writer, copy_atomic, write_atomic
from toolkit.cli.main import main
from toolkit.errors import InputError

RECORD = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}
DATA = (json.dumps(RECORD) + "\n").encode() * 3


def data(tmp_path: Path, name: str = "data.jsonl", content: bytes = DATA) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


@pytest.mark.parametrize("command", [["lint"], ["stats"], ["lint", "--format", "json"], ["stats", "--format", "csv"]])
@pytest.mark.parametrize("via_link", [False, True])
def test_output_onto_an_input_is_a_usage_error_and_the_data_stays(tmp_path, capsys, command, via_link):
    src = data(tmp_path)
    out = src
    if via_link:
        out = tmp_path / "link.jsonl"
        out.symlink_to(src)
    assert main([*command, str(src), "-o", str(out)]) == 2
    assert "input file" in capsys.readouterr().err
    assert src.read_bytes() == DATA


@pytest.mark.parametrize("case", ["grader", "config", "found config", "hard link", "dot slash", "in the folder",
                                  "stats config", "convert config", "compare file"])
def test_output_onto_any_other_input_is_refused_too(tmp_path, capsys, monkeypatch, case):
    # the grader, the configuration (given or found) and a file of a linted folder are inputs as much as the data
    monkeypatch.chdir(tmp_path)
    src = data(tmp_path)
    grader = tmp_path / "g.json"
    grader.write_text('{"type": "string_check"}', "utf-8")
    config = tmp_path / "pyproject.toml"
    config.write_text("[tool.tunesmith]\nignore = []\n", "utf-8")
    table = tmp_path / "in.csv"
    table.write_text("q,a\nhi,yo\n", "utf-8")
    argv, victim = {
        "grader": (["lint", str(src), "--grader", str(grader), "-o", str(grader)], grader),
        "config": (["lint", str(src), "--config", str(config), "-o", str(config)], config),
        "found config": (["lint", str(src), "-o", "pyproject.toml"], config),
        "hard link": (["lint", str(src), "--grader", "g.json", "-o", "alias.json"], grader),
        "dot slash": (["lint", "data.jsonl", "--config", "./pyproject.toml", "-o", "pyproject.toml"], config),
        "in the folder": (["lint", ".", "-o", "data.jsonl"], src),
        "stats config": (["stats", str(src), "-o", "./pyproject.toml"], config),
        "convert config": (["convert", str(table), "pyproject.toml", "--from", "csv", "--map", "q=user", "--map",
                            "a=assistant", "--force"], config),
        "compare file": (["compare", "--base", "a", "--tuned", "b", "--file", str(src), "-o", str(src)], src),
    }[case]
    if case == "hard link":
        os.link(grader, tmp_path / "alias.json")
    before = victim.read_bytes()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "that is the" in err and "choose another file" in err, err
    assert victim.read_bytes() == before


def test_convert_and_split_refuse_a_hard_link_to_their_input(tmp_path, capsys):
    src = data(tmp_path)
    os.link(src, tmp_path / "copy.jsonl")
    assert main(["convert", str(src), str(tmp_path / "copy.jsonl"), "--to", "sharegpt", "--force"]) == 2
    os.link(src, tmp_path / "data_train.jsonl")
    assert main(["split", str(src), "--force"]) == 2
    assert "is the input file" in capsys.readouterr().err
    assert src.read_bytes() == DATA


def test_report_file_is_written_whole_with_usual_permissions(tmp_path):
    src = data(tmp_path)
    old = os.umask(0o022)
    try:
        assert main(["lint", str(src), "-o", str(tmp_path / "report.txt")]) == 1
    finally:
        os.umask(old)
    report = tmp_path / "report.txt"
    assert "Found" in report.read_text()
    assert stat.S_IMODE(report.stat().st_mode) == 0o644


@pytest.mark.parametrize("where", ["missing/r.txt", "."])
def test_output_to_a_missing_folder_or_a_folder_is_a_clear_error(tmp_path, capsys, where):
    src = data(tmp_path)
    assert main(["lint", str(src), "-o", str(tmp_path / where)]) == 2
    err = capsys.readouterr().err
    assert "tunesmith: error:" in err and "bug" not in err


@pytest.mark.parametrize("argv, says", [(["lint", ""], "empty file name"), (["lint", "-", "-"], "only once"),
                                       (["lint", "x.jsonl", "-o", ""], "empty")])
def test_odd_paths_get_messages_that_make_sense(argv, says, capsys):
    assert main(argv) == 2
    assert says in capsys.readouterr().err


def test_atomic_writes_respect_the_umask_and_keep_a_replaced_files_mode(tmp_path):
    old = os.umask(0o027)
    try:
        write_atomic(tmp_path / "new.jsonl", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.jsonl").stat().st_mode) == 0o640
    kept = data(tmp_path, "kept.jsonl")
    os.chmod(kept, 0o604)
    write_atomic(kept, b"y")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o604


def test_atomic_write_through_a_symlink_replaces_the_target(tmp_path):
    target = data(tmp_path)
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    write_atomic(link, b"new\n")
    assert link.is_symlink() and target.read_bytes() == b"new\n"


def test_a_symlink_loop_is_a_clear_error(tmp_path):
    loop = tmp_path / "loop.jsonl"
    loop.symlink_to(loop)
    with pytest.raises(InputError, match="symbolic links"):
        write_atomic(loop, b"x")


def test_disk_full_is_a_clear_error(tmp_path, monkeypatch):
    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(InputError, match="disk is full"), atomic_writer(tmp_path / "x.jsonl") as fh:
        fh.write(b"data")
    assert list(tmp_path.iterdir()) == []


def test_copy_atomic_never_overwrites(tmp_path):
    a, b = data(tmp_path, "a"), data(tmp_path, "b", b"other")
    with pytest.raises(InputError, match="exists"):
        copy_atomic(a, b)
    assert b.read_bytes() == b"other"


# -- fix --write ---------------------------------------------------------------------------

ARRAY = (b'[\n  {"messages": [{"role": "human", "content": "a"}, {"role": "gpt", "content": "b"}]},\n'
         b'  {"messages": [{"role": "User", "content": "c"}, {"role": "assistant", "content": "d"}]}\n]\n')


def test_fix_reaches_the_fixed_point_in_one_run(tmp_path):
    src = data(tmp_path, content=ARRAY)
    result = fix.apply(src)
    assert {e.rule for e in result.edits} == {"F011", "C030"}
    assert fix.plan(src) == []
    assert [json.loads(x)["messages"][0]["role"] for x in src.read_text().splitlines()] == ["user", "user"]


def test_fix_on_a_symlink_fixes_the_target_and_keeps_the_link(tmp_path):
    target = data(tmp_path, content=ARRAY)
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    result = fix.apply(link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert fix.plan(target) == []
    assert result.backup is not None and Path(result.backup).read_bytes() == ARRAY


def test_fix_refuses_a_read_only_file(tmp_path):
    src = data(tmp_path, content=ARRAY)
    os.chmod(src, 0o444)
    with pytest.raises(InputError, match="read-only"):
        fix.apply(src)
    assert src.read_bytes() == ARRAY and sorted(p.name for p in tmp_path.iterdir()) == ["data.jsonl"]


def test_the_backup_is_whole_and_written_before_the_file_is_replaced(tmp_path, monkeypatch):
    src = data(tmp_path, content=ARRAY)
    seen: list[bytes] = []
    real_replace = os.replace

    def replace(a, b):  # when the fixed file replaces the original, the backup is already complete
        seen.append((tmp_path / "data.jsonl.bak").read_bytes())
        real_replace(a, b)
    monkeypatch.setattr(os, "replace", replace)
    result = fix.apply(src)
    assert seen == [ARRAY] and Path(result.backup).read_bytes() == ARRAY


def test_fix_on_a_pipe_is_a_clear_error(tmp_path):
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        fix.plan(fifo)


# -- ordinary OS problems are clear errors ---------------------------------------------------


@pytest.mark.parametrize("command", [["lint"], ["stats"], ["fix"], ["fix", "--write"], ["split"]])
def test_unreadable_input_is_a_clear_error(tmp_path, capsys, monkeypatch, command):
    src = data(tmp_path)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if str(p) == str(src) else real_access(p, mode))
    assert main([*command, str(src)]) == 2
    err = capsys.readouterr().err
    assert "permission denied" in err and "bug" not in err


def test_output_in_a_read_only_folder_is_a_clear_error(tmp_path, capsys, monkeypatch):
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")
    src = data(tmp_path)
    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    assert main(["lint", str(src), "-o", str(tmp_path / "r.txt")]) == 2
    err = capsys.readouterr().err
    assert "cannot write in this folder" in err and "bug" not in err


@pytest.mark.parametrize("argv, says", [
    (["lint", "{src}", "--grader", "{tmp}"], "folder"),
    (["lint", "{src}", "--config", "{bin}"], "not valid TOML"),
    (["lint", "{src}", "--select", " "], "no rule code"),
    (["lint", "{src}", "--select", ",,,"], "no rule code"),
    (["lint", "{loop}"], "symbolic links"),
    (["stats", "{loop}"], "symbolic links"),
])
def test_odd_options_and_paths_are_usage_errors(tmp_path, capsys, argv, says):
    src = data(tmp_path)
    (tmp_path / "bin.toml").write_bytes(bytes(range(256)))
    loop = tmp_path / "loop.jsonl"
    loop.symlink_to(loop)
    names = {"src": str(src), "tmp": str(tmp_path), "bin": str(tmp_path / "bin.toml"), "loop": str(loop)}
    assert main([a.format(**names) for a in argv]) == 2
    err = capsys.readouterr().err
    assert says in err and "bug" not in err


def test_utf16_files_are_named_utf16(tmp_path, capsys):
    src = data(tmp_path, content=(json.dumps(RECORD) + "\n").encode("utf-16"))
    assert main(["lint", str(src)]) == 1
    assert "UTF-16" in capsys.readouterr().out


def test_closed_standard_input_is_a_clear_error(capsys, monkeypatch):
    import sys
    monkeypatch.setattr(sys, "stdin", None)
    assert main(["lint", "-"]) == 2
    assert "standard input is closed" in capsys.readouterr().err


def test_stray_carriage_returns_go_in_the_same_run_as_crlf(tmp_path):
    src = data(tmp_path, content=b"0\r\r\n" + DATA.rstrip(b"\n"))
    fix.apply(src)
    assert fix.plan(src) == [] and src.read_bytes().startswith(b"0\n")
