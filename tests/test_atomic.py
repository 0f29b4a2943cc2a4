"""Atomic writes: all or nothing, permissions kept."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from toolkit.atomic import Discard, atomic_writer, write_atomic
from toolkit.errors import InputError


def test_replaces_and_keeps_permissions(tmp_path: Path) -> None:
    target = tmp_path / "data.jsonl"
    target.write_bytes(b"old\n")
    os.chmod(target, 0o640)
    write_atomic(target, b"new\n")
    assert target.read_bytes() == b"new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["data.jsonl"]


def test_an_exception_leaves_the_file_untouched(tmp_path: Path) -> None:
    target = tmp_path / "data.jsonl"
    target.write_bytes(b"old\n")
    with pytest.raises(RuntimeError), atomic_writer(target) as fh:
        fh.write(b"half")
        raise RuntimeError("boom")
    assert target.read_bytes() == b"old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["data.jsonl"]


def test_discard_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "data.jsonl"
    with atomic_writer(target) as fh:
        fh.write(b"x")
        raise Discard
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot write in this folder"):
        write_atomic(tmp_path / "nope" / "x.jsonl", b"")


def test_a_new_file_gets_the_umask_permissions(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        write_atomic(tmp_path / "new.jsonl", b"x\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.jsonl").stat().st_mode) == 0o640


def _open_reader(fifo: Path) -> int:
    """The read end of a named pipe, opened first so that a writer does not block on it."""
    os.mkfifo(fifo)
    return os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)


def test_a_named_pipe_is_written_into_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "report.fifo"
    reader = _open_reader(fifo)
    try:
        write_atomic(fifo, b"report\n")
        assert stat.S_ISFIFO(os.stat(fifo).st_mode)  # it was replaced by a plain file
        assert os.read(reader, 100) == b"report\n"
    finally:
        os.close(reader)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.fifo"]


def test_lint_output_into_a_named_pipe(tmp_path: Path) -> None:
    """`tunesmith lint ... -o /dev/stdout` (or `-o >(cat)`, a FIFO): the report goes into the pipe."""
    from toolkit.cli.main import main

    data = tmp_path / "train.jsonl"
    data.write_text('{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}\n' * 10)
    fifo = tmp_path / "out.fifo"
    reader = _open_reader(fifo)
    try:
        assert main(["lint", str(data), "--format", "json", "-o", str(fifo)]) == 0
        assert stat.S_ISFIFO(os.stat(fifo).st_mode)
        assert b'"summary"' in os.read(reader, 1 << 16)
    finally:
        os.close(reader)
