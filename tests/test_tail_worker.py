"""Large files use both cores: the diagnostics are exactly those of one process."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from toolkit import tail_worker
from toolkit.config import Settings
from toolkit.engine import Linter


def big_file(path: Path) -> Path:
    lines = []
    for i in range(3000):
        record: dict[str, Any] = {"messages": [{"role": "system", "content": "Elle answers in limericks."},
                               {"role": "user", "content": f"Tell me about element {i} " + "x" * (i % 50)},
                               {"role": "assistant", "content": f"Element {i} is fine."}]}
        if i % 97 == 0:
            record["messages"][1]["role"] = "human"
        if i % 211 == 0:
            record["weight"] = 1
        line = json.dumps(record)
        if i % 389 == 0:
            line = line[:40]  # truncated
        lines.append(line)
        if i % 500 == 0:
            lines.append("")
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def test_split_point_is_a_record_boundary(tmp_path: Path) -> None:
    path = big_file(tmp_path / "big.jsonl")
    data = path.read_bytes()
    split = tail_worker.split_point(str(path), len(data))
    assert split is not None
    offset, line = split
    assert data[offset:offset + 2] == b'{"' and data[offset - 1:offset] == b"\n"
    assert data[:offset].count(b"\n") + 1 == line


def test_two_processes_give_the_diagnostics_of_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = big_file(tmp_path / "big.jsonl")
    monkeypatch.setenv("TUNESMITH_PARALLEL", "0")
    one = Linter(Settings()).lint(path).diagnostics
    monkeypatch.setenv("TUNESMITH_PARALLEL", "1")
    monkeypatch.setattr(tail_worker, "MIN_BYTES", 0)
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    started = []
    real_start = tail_worker.start_tail

    def spy(*args: Any, **kwargs: Any) -> tail_worker.Tail | None:
        tail = real_start(*args, **kwargs)
        started.append(tail)
        return tail

    monkeypatch.setattr(tail_worker, "start_tail", spy)
    two = Linter(Settings()).lint(path).diagnostics
    assert started and started[0] is not None, "the worker process did not start"
    assert two == one
    assert {d.rule for d in one} >= {"C030", "C020", "F010", "F020"}
