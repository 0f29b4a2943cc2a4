"""stats, fix, split and convert read standard input (``-``) and named pipes as lint does: the same results as from
the file itself, and clear errors (no traceback) for input they cannot use."""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
import threading
from pathlib import Path

import pytest

from toolkit.cli.main import main

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
SINGLE = SAMPLES / "elle_single_turn.jsonl"
BROKEN = SAMPLES / "elle_broken.jsonl"


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no [tool.tunesmith] here: the defaults
    return tmp_path


def stdin_of(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def feed(path: Path, data: bytes) -> threading.Thread:
    writer = threading.Thread(target=path.write_bytes, args=(data,), daemon=True)
    writer.start()
    return writer


def test_stats_reads_standard_input_and_a_pipe_like_the_file(here: Path, capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = run(capsys, "stats", str(SINGLE), "--format", "json")
    assert code == 0, err
    expected = {k: v for k, v in json.loads(out).items() if k != "path"}
    stdin_of(monkeypatch, SINGLE.read_bytes())
    code, out, err = run(capsys, "stats", "-", "--format", "json")
    got = json.loads(out)
    assert code == 0 and got.pop("path") == "<stdin>" and got == expected, err
    fifo = here / "pipe.jsonl"
    os.mkfifo(fifo)
    writer = feed(fifo, SINGLE.read_bytes())
    code, out, err = run(capsys, "stats", str(fifo), "--format", "json")
    writer.join(timeout=30)
    got = json.loads(out)
    assert code == 0 and got.pop("path") == str(fifo) and got == expected, err
    # the per-example table reads its input twice (counts, then lint): a pipe is copied first
    code, table, _ = run(capsys, "stats", str(BROKEN), "--format", "csv")
    stdin_of(monkeypatch, BROKEN.read_bytes())
    assert run(capsys, "stats", "-", "--format", "csv")[:2] == (0, table) and "F014" in table


def test_fix_lists_and_diffs_standard_input_like_the_file(here: Path, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    for mode in ([], ["--diff"]):
        code, expected, _ = run(capsys, "fix", str(BROKEN), *mode)
        stdin_of(monkeypatch, BROKEN.read_bytes())
        got = run(capsys, "fix", "-", *mode)
        assert got[:2] == (code, expected.replace(str(BROKEN), "<stdin>")) and code == 1
        assert "<stdin>:14: C030" in got[1] or "+++ <stdin> (fixed)" in got[1]
    fifo = here / "pipe.jsonl"
    os.mkfifo(fifo)
    writer = feed(fifo, BROKEN.read_bytes())
    code, out, _ = run(capsys, "fix", str(fifo), "--diff")
    writer.join(timeout=30)
    assert code == 1 and out == run(capsys, "fix", str(BROKEN), "--diff")[1].replace(str(BROKEN), str(fifo))


def test_fix_cannot_write_what_it_reads_as_it_comes(here: Path, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    stdin_of(monkeypatch, BROKEN.read_bytes())
    code, _, err = run(capsys, "fix", "-", "--write")
    assert code == 2 and "--write rewrites files; <stdin> is read as it comes and cannot be rewritten" in err
    code, _, err = run(capsys, "fix", "-", "-")
    assert code == 2 and "- (standard input) can be read only once" in err


def test_split_of_standard_input_keeps_every_line_and_splits_as_the_file(here: Path, capsys: pytest.CaptureFixture[str],
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    copy = here / "copy" / "data.jsonl"
    copy.parent.mkdir()
    shutil.copyfile(SINGLE, copy)
    assert run(capsys, "split", str(copy), "--validation", "3")[0] == 0
    stdin_of(monkeypatch, SINGLE.read_bytes())
    code, out, err = run(capsys, "split", "-", "--validation", "3")
    assert code == 0, err
    assert "wrote stdin_train.jsonl (11 examples) and stdin_validation.jsonl (3 examples)" in out
    for side in ("train", "validation"):  # the same assignment, byte for byte
        assert (here / f"stdin_{side}.jsonl").read_bytes() == (copy.parent / f"data_{side}.jsonl").read_bytes()
    assert not [p for p in here.iterdir() if p.name.startswith("tunesmith-")]  # the copy is gone
    stdin_of(monkeypatch, SINGLE.read_bytes())
    code, _, err = run(capsys, "split", "-", "--validation", "3")
    assert code == 2 and "stdin_train.jsonl exists; remove it or pass --force" in err


def test_split_of_a_pipe_writes_next_to_it(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = here / "rows.jsonl"
    os.mkfifo(fifo)
    writer = feed(fifo, SINGLE.read_bytes())
    code, _, err = run(capsys, "split", str(fifo), "--validation", "3")
    writer.join(timeout=30)
    assert code == 0, err
    lines = sorted((here / "rows_train.jsonl").read_bytes().splitlines() +
                   (here / "rows_validation.jsonl").read_bytes().splitlines())
    assert lines == sorted(SINGLE.read_bytes().splitlines())


def test_convert_reads_standard_input_both_ways(here: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    table = b"question,answer\nWhat is H?,Hydrogen.\nWhat is He?,Helium.\n"
    (here / "rows.csv").write_bytes(table)
    mapping = ["--from", "csv", "--map", "question=user", "--map", "answer=assistant"]
    assert run(capsys, "convert", "rows.csv", "from-file.jsonl", *mapping)[0] in (0, 1)
    stdin_of(monkeypatch, table)
    code, _, err = run(capsys, "convert", "-", "from-stdin.jsonl", *mapping)
    assert code in (0, 1) and "wrote 2 records to from-stdin.jsonl" in err
    assert (here / "from-stdin.jsonl").read_bytes() == (here / "from-file.jsonl").read_bytes()
    stdin_of(monkeypatch, (here / "from-stdin.jsonl").read_bytes())  # and back out: the round trip
    assert run(capsys, "convert", "-", "out.json", "--to", "sharegpt")[0] == 0
    assert run(capsys, "convert", "out.json", "back.jsonl", "--from", "sharegpt")[0] in (0, 1)
    assert (here / "back.jsonl").read_bytes() == (here / "from-file.jsonl").read_bytes()


@pytest.mark.parametrize(("argv", "data", "says"), [
    (["convert", "-", "out.jsonl", "--from", "sharegpt"], b'{"conversations": []}\nnot json\n',
     "<stdin>:2: not valid JSON"),
    (["split", "-"], b'{"messages": [\n', "<stdin>:1: "),
    (["split", "-"], b'{"messages": [{"role": "user", "content": "hi"}]}\n', "<stdin>: 1 example; a split needs"),
    (["stats", "-"], b'{"prompt": "a", "chosen": "b", "rejected": "c"}\n', "<stdin>: is in the TRL preference format"),
])
def test_bad_standard_input_is_a_clear_error_naming_it(here: Path, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch, argv: list[str], data: bytes,
                                                       says: str) -> None:
    stdin_of(monkeypatch, data)
    code, _, err = run(capsys, *argv)
    assert code == 2 and says in err and "Traceback" not in err and "tunesmith-" not in err, err


@pytest.mark.parametrize("command", [["stats", "-"], ["fix", "-"], ["split", "-"],
                                     ["convert", "-", "o.jsonl", "--to", "alpaca"]])
def test_closed_standard_input_is_a_clear_error(here: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch, command: list[str]) -> None:
    closed = io.TextIOWrapper(io.BytesIO(b""))
    closed.close()
    monkeypatch.setattr(sys, "stdin", closed)
    code, _, err = run(capsys, *command)
    assert code == 2 and "standard input is closed; pass a file name, or pipe the data in" in err


class _FullDisk(io.StringIO):
    """Standard output redirected to a file on a full disk: the flush fails with ENOSPC."""

    def flush(self) -> None:
        import errno

        raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("command", ["lint", "stats"])
def test_a_full_disk_under_standard_output_is_named(monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str], command: str) -> None:
    monkeypatch.setattr(sys, "stdout", _FullDisk())
    assert main([command, str(SINGLE)]) == 2
    assert capsys.readouterr().err == ("tunesmith: error: standard output: cannot write: the disk is full; free some "
                                       "space and run the command again\n")  # it said "tunesmith: tunesmith: cannot..."


@pytest.mark.parametrize("argv", [["{data}", "--validation", "-"], ["-", "--validation", "{data}"]])
def test_standard_input_with_validation_is_a_usage_error(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    stdin_of(monkeypatch, SINGLE.read_bytes())
    assert main(["lint", *(a.format(data=SINGLE) for a in argv)]) == 2
    assert capsys.readouterr().err == (  # it said "tunesmith: error: -: no such file"
        "tunesmith: error: --validation reads the training and the validation file by name, not standard input (-): "
        "pass both names (a pipe works too: <(zcat train.jsonl.gz))\n")
