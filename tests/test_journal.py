"""The edit journal (toolkit.edit.journal): every session's unsaved changes are kept, whatever was offered.

The gap this closes: while "restore unsaved changes?" waited for an answer, edits made in the new
session were not journaled (writing them would have overwritten the changes on offer), so a
second reload lost them. Now each session writes its own copy beside the others.
"""

from __future__ import annotations

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
    stem = next(folder.glob("*.good.json")).name.split(".")[0]
    (folder / f"{stem}.bad.json").write_text("{not json", "utf-8")
    assert [k.session for k in Journal(ws, session="z").find_all(NAME)] == ["good"]


def test_a_session_name_cannot_reach_outside_the_folder(ws: Workspace) -> None:
    with pytest.raises(ValueError, match="letters and digits"):
        Journal(ws, session="../x")
