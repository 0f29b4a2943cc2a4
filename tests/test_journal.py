"""The edit journal (toolkit.edit.journal): every session's unsaved changes are kept, whatever was offered.

The gap this closes: while "restore unsaved changes?" waited for an answer, edits made in the new
session were not journaled (writing them would have overwritten the changes on offer), so a
second reload lost them. Now each session writes its own copy beside the others.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
from pathlib import Path

import pytest

from toolkit.edit import Dataset, Workspace, ops
from toolkit.edit.journal import Journal

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
NAME = "elle_single_turn.jsonl"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    shutil.copyfile(SAMPLES / NAME, tmp_path / NAME)
    return Workspace(tmp_path)


def _edit(ds: Dataset, index: int, text: str) -> None:
    ds.change(index, ops.set_value("/messages/1/content", text), f"example {index + 1}: {text}")


def test_edits_made_while_an_offer_waits_are_kept_beside_it(ws: Workspace) -> None:
    first = Dataset.open(NAME, workspace=ws)
    _edit(first, 0, "edited in session one")
    Journal(ws, session="one").write(first)

    second = Dataset.open(NAME, workspace=ws)  # a reload: session two is offered session one's changes
    offered = Journal(ws, session="two").find_all(NAME)
    assert [k.session for k in offered] == ["one"] and Journal.differs(second, offered[0])
    _edit(second, 1, "edited in session two, offer pending")  # the offer is not answered
    Journal(ws, session="two").write(second)

    third = Journal(ws, session="three").find_all(NAME)  # another reload: both are there, newest first
    assert [k.session for k in third] == ["two", "one"]
    assert third[0].content == second.content() and third[1].content == first.content()
    assert third[0].changes == ["example 2: edited in session two, offer pending"]


def test_restore_then_forget_and_save_leaves_nothing_behind(ws: Workspace) -> None:
    old = Dataset.open(NAME, workspace=ws)
    _edit(old, 2, "kept")
    Journal(ws, session="a").write(old)
    ds = Dataset.open(NAME, workspace=ws)
    mine = Journal(ws, session="b")
    kept = mine.find(NAME)
    assert kept is not None
    Journal.restore(ds, kept)
    assert ds.content() == old.content() and ds.history[-1].startswith("restore the unsaved changes of")
    mine.write(ds)
    mine.forget(kept)
    assert [k.session for k in Journal(ws, session="c").find_all(NAME)] == ["b"]
    ds.save()
    mine.write(ds)  # saved: this session's copy goes
    assert Journal(ws, session="c").find_all(NAME) == []
    assert not list((ws.state_dir() / "journal").glob("*.json*"))


def test_a_session_does_not_see_or_overwrite_its_own_copy_as_an_offer(ws: Workspace) -> None:
    ds = Dataset.open(NAME, workspace=ws)
    _edit(ds, 0, "mine")
    Journal(ws, session="x").write(ds)
    assert Journal(ws, session="x").find_all(NAME) == []
    assert len(Journal(ws, session="y").find_all(NAME)) == 1


def test_the_sessionless_copy_of_earlier_versions_is_still_offered(ws: Workspace) -> None:
    ds = Dataset.open(NAME, workspace=ws)
    _edit(ds, 0, "from before sessions")
    Journal(ws).write(ds)
    kept = Journal(ws, session="new").find(NAME)
    assert kept is not None and kept.session == "" and kept.content == ds.content()
    Journal(ws, session="new").forget(kept)
    assert Journal(ws, session="other").find(NAME) is None


def test_unreadable_copies_are_skipped_not_fatal(ws: Workspace) -> None:
    ds = Dataset.open(NAME, workspace=ws)
    _edit(ds, 0, "fine")
    Journal(ws, session="good").write(ds)
    folder = ws.state_dir() / "journal"
    stem = next(folder.glob("*.good.journal.jsonl")).name.split(".")[0]
    (folder / f"{stem}.bad.json").write_text("{not json", "utf-8")
    assert [k.session for k in Journal(ws, session="z").find_all(NAME)] == ["good"]


def test_a_session_name_cannot_reach_outside_the_folder(ws: Workspace) -> None:
    with pytest.raises(ValueError, match="letters and digits"):
        Journal(ws, session="../x")


# -- the log: a few bytes per write, a torn tail loses only the write it cut ------------------------


def _log(ws: Workspace, session: str) -> Path:
    (log,) = (ws.state_dir() / "journal").glob(f"*.{session}.journal.jsonl")
    return log


def _kept_content(ws: Workspace, name: str = NAME) -> bytes | None:
    kept = Journal(ws, session="reader").find(name)
    return None if kept is None else kept.content


def test_every_write_appends_a_line_of_the_change_not_the_whole_file(ws: Workspace) -> None:
    original = (ws.root / NAME).read_bytes()
    ds = Dataset.open(NAME, workspace=ws)
    journal = Journal(ws, session="s")
    sizes = []
    for k in range(6):
        _edit(ds, k % len(ds), f"edit {k}")
        journal.write(ds)
        sizes.append(_log(ws, "s").stat().st_size)
        assert _kept_content(ws) == ds.content()
    assert all(b - a < len(original) / 4 for a, b in itertools.pairwise(sizes))  # about a record each
    assert len(_log(ws, "s").read_bytes().splitlines()) == 1 + 6  # the header, then one line per write
    ds.undo()
    journal.write(ds)
    assert _kept_content(ws) == ds.content()
    assert (ws.root / NAME).read_bytes() == original  # the journal never writes the dataset


def test_a_torn_tail_restores_every_complete_write_and_nothing_else(ws: Workspace) -> None:
    ds = Dataset.open(NAME, workspace=ws)
    journal = Journal(ws, session="s")
    contents = []
    for k in range(3):
        _edit(ds, k, f"complete write {k}")
        journal.write(ds)
        contents.append(ds.content())
    log = _log(ws, "s")
    whole = log.read_bytes()
    last_start = whole.rstrip(b"\n").rfind(b"\n") + 1
    for cut in range(last_start, len(whole)):  # the last write cut short at every byte, its line ending too
        log.write_bytes(whole[:cut])
        assert _kept_content(ws) == contents[1], cut
    log.write_bytes(whole + b'{"at": 0, "to": 3, "bytes": "xyz", "si')  # a write that never finished
    assert _kept_content(ws) == contents[2]
    log.write_bytes(whole + b"\0" * 64)  # a tail of zeros (a crash before the data reached the disk)
    assert _kept_content(ws) == contents[2]
    header_only = whole[: whole.find(b"\n") + 1]
    log.write_bytes(header_only)  # no complete write: nothing is offered (and nothing fails)
    assert _kept_content(ws) is None


def test_a_torn_tail_in_this_process_starts_the_log_again_whole(ws: Workspace) -> None:
    ds = Dataset.open(NAME, workspace=ws)
    journal = Journal(ws, session="s")
    _edit(ds, 0, "first")
    journal.write(ds)
    log = _log(ws, "s")
    with open(log, "ab") as fh:
        fh.write(b'{"at": 1, "to"')  # what a write that failed half-way (disk full) left
    _edit(ds, 1, "second")
    journal.write(ds)  # the log is not as this process left it: written anew, not appended after the tear
    assert _kept_content(ws) == ds.content()
    assert b'"to"\n' not in _log(ws, "s").read_bytes() and b'{"at": 1, "to"{' not in _log(ws, "s").read_bytes()


def test_a_base_rewritten_in_place_is_never_used(ws: Workspace) -> None:
    path = ws.root / NAME
    ds = Dataset.open(NAME, workspace=ws)
    _edit(ds, 0, "mine")
    Journal(ws, session="s").write(ds)
    expected = ds.content()
    st = path.stat()
    with open(path, "r+b") as fh:  # another program rewrites the file in place (the link's bytes change too)
        fh.write(b"X")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # its clock ticked (not coarse mtimes)
    assert _kept_content(ws) is None  # changes on a base that changed would be a corrupt file: not offered
    _edit(ds, 1, "mine too")
    Journal(ws, session="s").write(ds)  # this session notices and keeps the whole content instead
    expected = ds.content()
    assert _kept_content(ws) == expected


def test_saving_replaces_the_file_and_the_next_edits_start_from_it(ws: Workspace) -> None:
    ds = Dataset.open(NAME, workspace=ws)
    journal = Journal(ws, session="s")
    _edit(ds, 0, "before the save")
    journal.write(ds)
    ds.save()
    journal.write(ds)
    assert not list((ws.state_dir() / "journal").iterdir())
    _edit(ds, 2, "after the save")
    journal.write(ds)
    assert _kept_content(ws) == ds.content()
    ds.save()  # the base keeps the bytes it was linked to: the journal still rebuilds its content
    assert _kept_content(ws) is not None


@pytest.mark.parametrize("raw", [
    b'\xef\xbb\xbf{"messages": []}\r\n{"a": 1}\r\nnot json\r\n{"b": "caf\xe9"}',  # BOM, CRLF, no final newline
    b'{"a": 1}\n\n{"b": 2}\n',
])
def test_line_endings_boms_and_undecodable_bytes_are_rebuilt_byte_for_byte(tmp_path: Path, raw: bytes) -> None:
    (tmp_path / "odd.jsonl").write_bytes(raw)
    ws = Workspace(tmp_path)
    ds = Dataset.open("odd.jsonl", workspace=ws)
    journal = Journal(ws, session="s")
    steps = [lambda: ds.insert(len(ds), {"new": "at the end"}, "append"),
             lambda: ds.set_bom(not ds.bom),
             lambda: ds.move(0, len(ds) - 1),
             lambda: ds.set_line_endings(b"\n" if ds.eol == b"\r\n" else b"\r\n"),
             lambda: ds.delete(1),
             lambda: ds.undo()]
    for step in steps:
        step()
        journal.write(ds)
        assert _kept_content(ws, "odd.jsonl") == ds.content()


def test_a_new_file_is_journaled_from_nothing(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    ds = Dataset.new("fresh.jsonl", workspace=ws)
    ds.insert(0, {"messages": [{"role": "user", "content": "hi"}]}, "new example")
    Journal(ws, session="s").write(ds)
    kept = Journal(ws, session="other").find("fresh.jsonl")
    assert kept is not None and kept.content == ds.content() and kept.base_sha256 is None


def test_copies_kept_by_earlier_versions_are_still_offered(ws: Workspace) -> None:
    folder = ws.state_dir() / "journal"
    folder.mkdir()
    stem = Journal._stem(NAME)
    (folder / f"{stem}.old.jsonl").write_bytes(b'{"kept": "from before"}\n')
    (folder / f"{stem}.old.json").write_text(json.dumps(
        {"file": NAME, "saved_at": 1.0, "base_sha256": None, "changes": ["an edit"], "session": "old"}), "utf-8")
    kept = Journal(ws, session="new").find(NAME)
    assert kept is not None and kept.content == b'{"kept": "from before"}\n' and kept.changes == ["an edit"]
    Journal(ws, session="new").forget(kept)
    assert not list(folder.iterdir())


def test_each_log_keeps_its_own_base_and_only_the_one_it_needs(ws: Workspace) -> None:
    folder = ws.state_dir() / "journal"
    mine, other = Dataset.open(NAME, workspace=ws), Dataset.open(NAME, workspace=ws)
    _edit(mine, 0, "mine")
    _edit(other, 1, "the other session's")
    Journal(ws).write(mine)  # the sessionless name is a prefix of the other session's names
    Journal(ws, session="a").write(other)
    assert len(list(folder.glob("*.base-*"))) == 2
    mine.save()
    _edit(mine, 2, "after the save")
    Journal(ws).write(mine)  # a new base (the saved file); the one before it goes, the other session's stays
    assert len(list(folder.glob("*.base-*"))) == 2
    kept = {k.session: k.content for k in Journal(ws, session="reader").find_all(NAME)}
    assert kept == {"": mine.content(), "a": other.content()}
    Journal(ws).discard(NAME)
    assert [k.session for k in Journal(ws, session="reader").find_all(NAME)] == ["a"]
    assert len(list(folder.glob("*.base-*"))) == 1


def test_a_restore_offers_only_the_changes_made_after_the_last_save(ws: Workspace) -> None:
    """After Save and one more edit, a reload offered "example 3: …; example 4: …": example 3 was saved."""
    ds = Dataset.open(NAME, workspace=ws)
    mine = Journal(ws, session="one")
    _edit(ds, 2, "saved")
    mine.write(ds)
    ds.save()
    mine.write(ds)
    _edit(ds, 3, "not saved")
    mine.write(ds)
    kept = Journal(ws, session="two").find(NAME)
    assert kept is not None and kept.content == ds.content()
    assert kept.changes == ["example 4: not saved"]
    assert ds.history == ["example 3: saved", "example 4: not saved"]


def test_undoing_a_saved_change_is_an_unsaved_change(ws: Workspace) -> None:
    ds = Dataset.open(NAME, workspace=ws)
    _edit(ds, 0, "one")
    _edit(ds, 1, "two")
    ds.save()
    assert ds.unsaved == []
    _edit(ds, 2, "three")
    ds.undo()  # back to the saved content: nothing unsaved
    assert ds.unsaved == [] and not ds.modified
    ds.undo()  # a saved change taken back
    _edit(ds, 3, "four")
    assert ds.unsaved == ["undo example 2: two", "example 4: four"]
    ds.undo()
    assert ds.unsaved == ["undo example 2: two"]
