"""One meaning for each record fact (toolkit.records, toolkit.formats, toolkit.pointers), and the in-memory entry
points of stats and fix that the editor uses instead of temporary files."""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest

from toolkit import file_tokens, fix, formats, pointers, records, stats, tokenizer
from toolkit.config import Settings
from toolkit.convert import trainers
from toolkit.edit import Analysis, Dataset, findings, ops
from toolkit.engine import Linter

# weight as written in the file -> whether the turn is trained (what every part of Tunesmith must say)
WEIGHTS = [("false", False), ("true", True), ("0.0", False), ("1.0", True), ("0", False), ("1", True),
           ("-0.0", False), ('"0"', True), ("0.5", True), ("null", True)]


def _record(weight: str) -> bytes:
    return (b'{"messages": [{"role": "user", "content": "What is the boiling point of water?"}, '
            b'{"role": "assistant", "content": "One hundred degrees Celsius at sea level.", "weight": '
            + weight.encode() + b"}]}\n")


@pytest.mark.parametrize(("weight", "trained"), WEIGHTS)
def test_one_meaning_of_weight(weight: str, trained: bool) -> None:
    message = json.loads(_record(weight))["messages"][1]
    assert records.is_trained(message) is trained
    assert ops.is_trained(message) is trained  # the editor's toggle
    assert bool(tokenizer.assistant_strings(json.loads(_record(weight)), trained_only=True)) is trained


@pytest.mark.parametrize(("weight", "trained"), WEIGHTS)
def test_editor_stats_and_lint_agree_on_a_weight(tmp_path: Path, weight: str, trained: bool) -> None:
    data = _record(weight) * 12
    path = tmp_path / "train.jsonl"
    path.write_bytes(data)
    counted = stats.compute(path)
    assert (counted.trained_tokens > 0) is trained
    assert stats.compute(data).trained_tokens == counted.trained_tokens
    ds = Dataset.open(path)
    analysis = Analysis(Settings())
    analysis.run_full(ds)
    facts = analysis.get(ds.entries[0])
    assert facts is not None and facts.trained is not None and (facts.trained > 0) is trained
    linted = {d.rule for d in Linter(Settings()).lint_bytes(data).diagnostics}
    assert ("C111" in linted) is (not trained)  # "every assistant message has weight 0"
    assert ("C101" in linted) is (weight not in ("0", "1"))


@pytest.mark.parametrize(("weight", "trained"), [w for w in WEIGHTS if records.weight_value(json.loads(w[0])) is not None])
def test_fix_writes_the_integer_a_weight_means(weight: str, trained: bool) -> None:
    data = _record(weight) * 12
    edits = fix.plan(data)
    if weight in ("0", "1"):
        assert edits == []
        return
    assert {e.rule for e in edits} == {"C101"} and len(edits) == 12
    after = json.loads(edits[0].after)["messages"][1]
    assert type(after["weight"]) is int and records.is_trained(after) is trained  # what trains stays the same
    diag = next(d for d in Linter(Settings()).lint_bytes(data).diagnostics if d.rule == "C101")
    assert diag.fix is not None and "write the weight" in diag.fix.description


def test_fix_leaves_weights_without_a_meaning_alone() -> None:
    assert fix.plan((_record("0.5") + _record('"1"')) * 6) == []


def test_convert_refuses_a_turn_that_is_not_trained() -> None:
    problems: list[str] = []
    assert trainers._plain(json.loads(_record("false"))["messages"], problems.append, tools_ok=True) is None
    assert problems and "weight false (not trained)" in problems[0]


def test_local_training_masks_what_is_not_trained() -> None:
    pytest.importorskip("transformers")  # the local extra
    from toolkit.local import render

    class Chars:  # a tokenizer with one token per character and a plain template
        chat_template = None

        def apply_chat_template(self, messages: list[dict[str, Any]], tools: Any = None, tokenize: bool = False,
                                **_: Any) -> str:
            return "".join(f"<{m['role']}>{m['content']}" for m in messages)

        def __call__(self, text: str, **_: Any) -> dict[str, Any]:
            return {"input_ids": [ord(c) for c in text], "offset_mapping": [(i, i + 1) for i in range(len(text))]}

    for weight, trained in WEIGHTS:
        encoded = render.encode(Chars(), json.loads(_record(weight)))
        assert (int(encoded.mask.sum()) > 0) is trained, weight


def test_roles_message_arrays_and_type_names_have_one_home() -> None:
    assert formats.roles(formats.CHAT) == formats.CHAT_ROLES and "developer" not in formats.CHAT_ROLES
    assert formats.roles(formats.REINFORCEMENT) == formats.REINFORCEMENT_ROLES
    assert ops.ROLES == formats.ALL_ROLES and set(formats.ALL_ROLES) == {*formats.CHAT_ROLES,
                                                                         *formats.REINFORCEMENT_ROLES}
    pref = {"input": {"messages": [{"role": "user", "content": "q"}]}, "preferred_output": [],
            "non_preferred_output": [], "preferred_completion": []}
    assert [p for p, _ in records.message_arrays(pref)] == ["/input/messages", "/preferred_output",
                                                            "/non_preferred_output"]
    assert [p for p, _ in records.message_arrays(pref, old_names=True)][-1] == "/preferred_completion"
    assert ops.message_lists(pref) == ["/input/messages", "/preferred_output", "/non_preferred_output"]
    assert list(records.message_arrays([1])) == []
    values: list[Any] = [{}, [], "", True, 1, 1.5, None]
    assert [records.type_name(v) for v in values] == [
        "an object", "an array", "a string", "a boolean", "a number", "a number", "null"]
    assert formats.METHODS == ("supervised", "dpo", "reinforcement")


def test_json_pointers_round_trip() -> None:
    keys = ["a/b", "~c", "~1", "0", ""]
    assert pointers.join(keys) == "/a~1b/~0c/~01/0/"
    assert pointers.split(pointers.join(keys)) == keys
    assert pointers.split("") == []
    assert ops.tokens("/a~1b/~0c") == ["a/b", "~c"]


# -- streams and bytes -----------------------------------------------------------------------------------------


def _mixed(n: int) -> bytes:
    lines = [_record("0" if i % 3 == 0 else "1") for i in range(n)]
    lines.insert(5, b"not json\n")
    return b"\xef\xbb\xbf" + b"".join(lines)


class _Pipe(io.RawIOBase):
    """A stream that cannot seek, handing out a few bytes per read, like a pipe."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), 37, len(self.data))
        buffer[:n] = self.data[:n]
        self.data = self.data[n:]
        return n


def test_stats_of_bytes_and_streams_equal_stats_of_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _mixed(150)  # more records than formats.LOOKAHEAD, over several pieces
    path = tmp_path / "train.jsonl"
    path.write_bytes(data)
    monkeypatch.setattr(file_tokens, "CHUNK_BYTES", 1000)
    want = stats.compute(path).to_dict()
    assert want["examples"] == 150 and want["unreadable_lines"] == [6]
    for source in (data, io.BytesIO(data), io.BufferedReader(_Pipe(data))):
        got = stats.compute(source, name=str(path)).to_dict()
        assert got == want
    assert [e.trained_tokens for e in stats.examples(data)] == [e.trained_tokens for e in stats.examples(path)]


def test_stats_of_big_bytes_use_worker_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _mixed(120)
    want = stats.compute(data, workers=1).to_dict()
    monkeypatch.setattr(file_tokens, "CHUNK_BYTES", 2000)
    monkeypatch.setattr(file_tokens, "PARALLEL_BYTES", 1000)
    assert stats.compute(data, workers=2).to_dict() == want


def test_stats_of_bytes_name_them_in_errors() -> None:
    sharegpt = b'{"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "yo"}]}\n' * 3
    with pytest.raises(Exception, match=r"^upload\.jsonl: is in the ShareGPT format"):
        stats.compute(sharegpt, name="upload.jsonl")


def test_fix_plans_bytes_and_streams_like_the_file(tmp_path: Path) -> None:
    data = b'{"messages": [{"role": "human", "content": "hi"}, {"role": "assistant", "content": "yo"}]}\r\n\n' * 11
    path = tmp_path / "train.jsonl"
    path.write_bytes(data)
    want = fix.plan(path)
    assert {e.rule for e in want} == {"C030", "F020", "F033"}
    assert fix.plan(data) == want and fix.plan(io.BytesIO(data)) == want
    assert path.read_bytes() == data


def test_the_editor_counts_and_plans_fixes_without_temporary_files(monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    path.write_bytes(_record("false") * 11)
    ds = Dataset.open(path)
    ds.change(0, ops.set_value("/messages/1/content", "Changed, not saved."), "edit")

    def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError("a temporary file was written")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    monkeypatch.setattr(tempfile, "NamedTemporaryFile", refuse)
    analysis = Analysis(Settings())
    analysis.run_full(ds)
    facts = analysis.get(ds.entries[0])
    assert facts is not None and facts.tokens and facts.trained == 0
    planned = findings.plan_fixes(ds, range(len(ds)), "C101", file_format=analysis.format)
    assert len(planned) == 11 and '"weight": 0' in planned[0].after


@pytest.mark.parametrize(("a", "b", "same"), [
    (1, 1.0, False), (1, True, False), (0, False, False), ({"a": 1, "b": 2}, {"b": 2, "a": 1}, False),
    ([1, {"w": 1}], [1, {"w": 1}], True), (float("nan"), float("nan"), True), ("x", "x", True), (None, None, True),
])
def test_same_json_tells_the_types_apart(a: Any, b: Any, same: bool) -> None:
    assert records.same_json(a, b) is same


def test_the_editor_keeps_an_edit_that_only_changes_a_type(tmp_path: Path) -> None:
    """Writing weight 1.0 as 1 is an edit (it clears C101), though 1.0 == 1 in Python."""
    from toolkit.edit import Dataset, ops

    path = tmp_path / "w.jsonl"
    path.write_text('{"messages": [{"role": "user", "content": "Hi"}, '
                    '{"role": "assistant", "content": "Yo", "weight": 1.0}]}\n', "utf-8")
    ds = Dataset.open(path)
    new = ds.change(0, ops.set_value("/messages/1/weight", 1), "weight 1")
    assert new.edited and b'"weight": 1}' in new.raw
