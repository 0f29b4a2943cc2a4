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
