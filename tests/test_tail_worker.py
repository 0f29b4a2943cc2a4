"""Large files use both cores: the diagnostics are exactly those of one process."""

from __future__ import annotations

import json
import random
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit import tail_worker
from toolkit.config import Settings
from toolkit.diagnostics import Diagnostic
from toolkit.engine import Linter
from toolkit.reader import JsonlReader, Record
from toolkit.rules import load_all
from toolkit.rules.registry import COLLECTORS


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


def _two_processes(monkeypatch: pytest.MonkeyPatch, share: float = 0.5) -> list[tail_worker.Tail | None]:
    """Make lint fork its worker for any file, at ``share`` of it; returns the workers started."""
    monkeypatch.setenv("TUNESMITH_PARALLEL", "1")
    monkeypatch.setattr(tail_worker, "MIN_BYTES", 0)
    monkeypatch.setattr(tail_worker, "MAIN_SHARE", share)
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    started: list[tail_worker.Tail | None] = []
    real_start = tail_worker.start_tail

    def spy(*args: Any, **kwargs: Any) -> tail_worker.Tail | None:
        started.append(real_start(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(tail_worker, "start_tail", spy)
    return started


def _one_process(path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Diagnostic]:
    with monkeypatch.context() as m:
        m.setenv("TUNESMITH_PARALLEL", "0")
        return Linter(Settings()).lint(path).diagnostics


def _chat(user: str, answer: str) -> str:
    return json.dumps({"messages": [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]})


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


WORDS = [f"w{i}" for i in range(400)]


def straddling_file(path: Path) -> Path:
    """600 examples; in the second half, copies and rewordings of examples of the first half (and of the second)."""
    rng = random.Random(7)
    lines = [_chat(f"question {i}: {_words(rng, 30)}", f"answer {i}: {_words(rng, 20)}") for i in range(600)]
    for i in range(300, 600, 25):
        lines[i] = lines[i - 290]  # a byte-identical copy of the first half
        lines[i + 1] = lines[i - 290].replace("question", "Question")  # the same words: a near-duplicate
        lines[i + 2] = lines[i - 290]  # a second copy: F130 names the first half's line
    lines[590] = lines[580]  # copies inside the second half
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def test_copies_and_near_duplicates_across_the_split_are_those_of_one_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = straddling_file(tmp_path / "straddle.jsonl")
    one = _one_process(path, monkeypatch)
    started = _two_processes(monkeypatch)
    two = Linter(Settings()).lint(path).diagnostics
    tail = started[0]
    assert tail is not None and 300 < tail.first_line < 310, "the split is not in the middle"
    assert two == one
    f130 = {d.line for d in one if d.rule == "F130"}
    f131 = {d.line for d in one if d.rule == "F131"}
    assert {326, 328, 591} <= f130 and 327 in f131  # lines (1-based) in the worker's part


def test_what_both_parts_sketch_with_is_loaded_once_before_the_fork(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """numpy and the LSH shape are loaded by the main process before it forks (each part would load them, ~0.13 s
    of CPU): the worker inherits them."""
    import multiprocessing.context

    from toolkit import dedup

    path = straddling_file(tmp_path / "straddle.jsonl")
    events: list[str] = []
    real_prepare, real_start = dedup.NearDuplicates.prepare, multiprocessing.context.ForkProcess.start

    def prepare(self: dedup.NearDuplicates) -> None:
        events.append("prepare")
        real_prepare(self)

    def start(self: multiprocessing.context.ForkProcess) -> None:
        events.append("fork")
        real_start(self)

    monkeypatch.setattr(dedup.NearDuplicates, "prepare", prepare)
    monkeypatch.setattr(multiprocessing.context.ForkProcess, "start", start)
    started = _two_processes(monkeypatch)
    Linter(Settings()).lint(path)
    assert started[0] is not None
    assert events == ["prepare", "fork"]


def test_a_first_part_too_small_to_learn_the_boilerplate_is_read_on_by_the_main_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Near-duplicates learn boilerplate from the first 256 examples: with fewer in the first part the
    worker cannot sketch, so the main process stops it and reads the rest itself."""
    rng = random.Random(3)
    first = [_chat(f"same {i % 5}", "same") for i in range(400)]  # 5 examples and their copies
    rest = [_chat(f"q {_words(rng, 12)}", f"a {_words(rng, 8)}") for _ in range(400)]
    rest[300] = rest[100].replace("q ", "Q ")
    path = tmp_path / "copies_first.jsonl"
    path.write_text("\n".join(first + rest) + "\n", "utf-8")
    one = _one_process(path, monkeypatch)
    started = _two_processes(monkeypatch)
    two = Linter(Settings()).lint(path).diagnostics
    tail = started[0]
    assert tail is not None and tail.waiting, "the boilerplate should not have been known in the first part"
    assert two == one
    assert {d.rule for d in one} >= {"F130", "F131"}


def test_reader_stops_at_a_record_boundary_or_reads_on(tmp_path: Path) -> None:
    data = b'{"a": 1}\n{"messages": [\n  {"role": "user"}\n]}\n{"b": 2}\r\n\n{"c": 3}\n'
    path = tmp_path / "f.jsonl"
    path.write_bytes(data)
    whole = JsonlReader(str(path))
    items = list(whole)
    for line_start in [0] + [i + 1 for i, b in enumerate(data) if b == 10][:-1]:
        head = JsonlReader(str(path))
        head.stop_at(line_start)
        first = list(head)
        if head.overran:
            assert first == items and head.facts == whole.facts
            continue
        tail = JsonlReader(str(path), start=line_start, first_line=data[:line_start].count(b"\n") + 1)
        assert first + list(tail) == items
        head.facts.merge(tail.facts)
        assert head.facts == whole.facts
    pending = JsonlReader(str(path))
    pending.stop_at(data.index(b"  {"))  # inside the pretty-printed record
    assert list(pending) == items and pending.overran


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), share=st.floats(0.1, 0.9), size=st.integers(260, 900))
def test_two_processes_agree_with_one_on_random_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      seed: int, share: float, size: int) -> None:
    rng = random.Random(seed)
    pool = [_chat(f"{_words(rng, rng.randint(1, 25))}", _words(rng, rng.randint(0, 15))) for _ in range(size // 3)]
    lines = []
    for _ in range(size):
        kind = rng.random()
        if kind < 0.5:
            lines.append(_chat(_words(rng, rng.randint(1, 30)), _words(rng, rng.randint(1, 20))))
        elif kind < 0.7:
            lines.append(rng.choice(pool))  # a copy
        elif kind < 0.85:
            lines.append(rng.choice(pool).replace("w1", "W1", 1))  # the same words, other bytes
        elif kind < 0.9:
            lines.append(rng.choice(['{"messages": [', '', '{"prompt": "p", "completion": "c"}', '[1, 2]',
                                     '{"messages": [{"role": "human", "content": "x"}]}']))
        else:
            lines.append(json.dumps({"messages": [{"role": "user", "content": _words(rng, 5)}]}, indent=1))
    path = tmp_path / "random.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    one = _one_process(path, monkeypatch)
    _two_processes(monkeypatch, share)
    assert Linter(Settings()).lint(path).diagnostics == one


def test_every_collector_merges_the_next_part() -> None:
    load_all()
    assert COLLECTORS
    for kind in COLLECTORS.values():
        assert callable(getattr(kind.create(), "merge", None)), f"collector {kind.name} has no merge(later, copies)"


def test_collectors_merged_across_a_split_equal_one_collector() -> None:
    """Images, other trainers' formats and legacy completion conventions: two halves merged give one pass's facts."""
    load_all()  # the collectors register with their rules
    values = [{"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/a.png"}}]},
                            {"role": "assistant", "content": "ok"}]},
              {"conversations": [{"from": "human", "value": "hi"}]},
              {"prompt": "Q: 1 ->", "completion": " yes\n"}, {"prompt": "Q: 22 ->", "completion": "no\n"},
              {"instruction": "x", "output": "y"}, {"prompt": "long Q ->", "completion": " maybe\n"}]
    records = [Record(i + 1, v, json.dumps(v).encode()) for i, v in enumerate(values)]
    for name in ("image-examples", "foreign-formats", "completion-style"):
        for cut in range(len(records) + 1):
            one, first, second = (COLLECTORS[name].create() for _ in range(3))
            for r in records:
                one.add(r)
            for r in records[:cut]:
                first.add(r)
            for r in records[cut:]:
                second.add(r)
            first.merge(second, set())
            assert vars(first) == vars(one), (name, cut)


def test_a_failed_worker_leaves_its_part_to_the_main_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = straddling_file(tmp_path / "straddle.jsonl")
    one = _one_process(path, monkeypatch)
    started = _two_processes(monkeypatch)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the worker's bug")

    monkeypatch.setattr(Linter, "lint_part", broken)  # runs in the forked worker only
    assert Linter(Settings()).lint(path).diagnostics == one
    assert started[0] is not None


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lengths=st.lists(st.integers(0, 40), min_size=1, max_size=12), start=st.integers(0, 60),
       limit=st.integers(1, 30), image=st.booleans(), end_newline=st.booleans())
def test_encoding_is_loaded_before_the_fork_when_the_part_may_count_tokens(
        tmp_path: Path, lengths: list[int], start: int, limit: int, image: bool, end_newline: bool) -> None:
    """``counted_after`` finds a line longer than the limit (or naming image_url) after ``start`` as a plain
    split of the lines does."""
    from toolkit.rules import tokens_rule

    data = b"\n".join(b"x" * n for n in lengths) + (b"\n" if end_newline else b"")
    if image:
        data += b'{"image_url": 1}\n'
    path = tmp_path / "part.jsonl"
    path.write_bytes(data)
    start = min(start, len(data))
    line_start = data.rfind(b"\n", 0, start) + 1  # the reader starts at a line's start; take the line holding it
    tail = data[line_start:]
    expected = b"image_url" in tail or any(len(line) > limit for line in tail.split(b"\n"))
    assert tokens_rule.counted_after(str(path), line_start, limit) == expected
