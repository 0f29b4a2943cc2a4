"""Bulk "set weights" on a filtered set of examples (toolkit.edit.bulk): one undo step, untouched bytes kept,
kept in the journal like any other edit, and a save round-trips."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from toolkit.edit import Dataset, EditError, Workspace, bulk, ops
from toolkit.edit.journal import Journal

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def _open(tmp_path: Path, name: str) -> tuple[Workspace, Dataset, Path]:
    shutil.copyfile(SAMPLES / name, tmp_path / name)
    ws = Workspace(tmp_path)
    return ws, Dataset.open(name, workspace=ws), tmp_path / name


def _weights(line: bytes) -> list[object]:
    return [m.get("weight") for m in json.loads(line)["messages"] if m["role"] == "assistant"]


def test_all_turns_trained_on_the_chosen_examples_only(tmp_path: Path) -> None:
    _, ds, path = _open(tmp_path, "elle_multi_turn.jsonl")
    before = path.read_bytes().split(b"\n")
    assert _weights(before[0]) == [0, 1]
    changed = bulk.set_weights(ds, [0, 2], "all")
    assert [old.raw for old, _ in changed] == [before[0] + b"\n", before[2] + b"\n"]
    assert [new.raw for _, new in changed] == [ds.entries[0].raw, ds.entries[2].raw]
    assert ds.history[-1] == "set weights (every assistant turn trained (weight 1)) on 2 examples"
    ds.save()
    after = path.read_bytes().split(b"\n")
    assert _weights(after[0]) == [1, 1] and _weights(after[2]) == [1, 1]
    assert after[0] == before[0].replace(b'"weight": 0}', b'"weight": 1}')  # same spacing, same key order
    assert after[1] == before[1] and after[3:] == before[3:]  # untouched examples byte for byte


def test_only_the_last_turn_trained(tmp_path: Path) -> None:
    _, ds, path = _open(tmp_path, "elle_multi_turn.jsonl")
    ds.change(1, ops.set_weight("/messages/2", trained=True), "weight 1 on message 3")
    changed = bulk.set_weights(ds, range(len(ds)), "last")
    assert 1 in [ds.entries.index(new) for _, new in changed]
    value = ds.entries[1].value
    assert value is not None and [m.get("weight") for m in value["messages"]] == [None, None, 0, None, 1]
    for entry in ds.entries:  # every example: earlier turns 0, the last one trained
        weights = [m.get("weight", 1) for m in (entry.value or {})["messages"] if m["role"] == "assistant"]
        assert weights[-1] == 1 and all(w == 0 for w in weights[:-1])
    unchanged = set(range(len(ds))) - {ds.entries.index(new) for _, new in changed}
    original = path.read_bytes().split(b"\n")
    assert all(ds.entries[i].raw == original[i] + b"\n" for i in unchanged if i != 1)


def test_nothing_to_change_is_no_change(tmp_path: Path) -> None:
    _, ds, path = _open(tmp_path, "elle_single_turn.jsonl")  # no weights: every assistant turn is trained
    original = path.read_bytes()
    assert bulk.set_weights(ds, range(len(ds)), "all") == []
    assert not ds.modified and ds.content() == original
    assert bulk.set_weights(ds, range(len(ds)), "last") == []  # one turn each: the last one, already trained


def test_float_and_boolean_weights_are_rewritten_as_integers(tmp_path: Path) -> None:
    path = tmp_path / "w.jsonl"
    record = {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b", "weight": 1.0},
                           {"role": "user", "content": "c"}, {"role": "assistant", "content": "d", "weight": True}]}
    path.write_text(json.dumps(record) + "\n", "utf-8")
    ds = Dataset.open(path)
    assert len(bulk.set_weights(ds, [0], "all")) == 1  # 1.0 == True == 1 in Python, but not in the file
    value = ds.entries[0].value
    assert value is not None and [type(m.get("weight")) for m in value["messages"][1::2]] == [int, int]


def test_other_lines_and_formats_are_skipped(tmp_path: Path) -> None:
    _, ds, path = _open(tmp_path, "elle_broken.jsonl")
    original = path.read_bytes()
    changed = bulk.set_weights(ds, range(len(ds)), "last")
    content = ds.content()
    assert len(content.split(b"\n")) == len(original.split(b"\n"))  # no line lost or added
    broken_lines = [i for i, e in enumerate(ds.entries) if not e.is_record]
    assert broken_lines and all(ds.entries[i].raw == Dataset.open(path).entries[i].raw for i in broken_lines)
    assert all(new.is_record for _, new in changed)
    _, dpo, dpo_path = _open(tmp_path, "elle_dpo.jsonl")
    assert bulk.set_weights(dpo, range(len(dpo)), "all") == [] and dpo.content() == dpo_path.read_bytes()


def test_undo_takes_the_whole_bulk_edit_back_and_the_journal_keeps_it(tmp_path: Path) -> None:
    ws, ds, path = _open(tmp_path, "elle_multi_turn.jsonl")
    original = path.read_bytes()
    bulk.set_weights(ds, range(len(ds)), "all")
    Journal(ws, session="editor").write(ds)
    kept = Journal(ws, session="reload").find("elle_multi_turn.jsonl")
    assert kept is not None and kept.content == ds.content() != original
    assert kept.changes[-1].startswith("set weights")
    ds.undo()
    assert ds.content() == original and not ds.modified


def test_unknown_mode_is_a_clear_error(tmp_path: Path) -> None:
    _, ds, _ = _open(tmp_path, "elle_multi_turn.jsonl")
    with pytest.raises(EditError, match="choose one of: all, last"):
        bulk.set_weights(ds, [0], "half")
