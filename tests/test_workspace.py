"""The editor's workspace API on malformed input: no internal error, no hang, nothing written outside it.

Property tests drive Workspace and Dataset with generated names and bytes: every call either works
or raises ToolkitError with a message; files are absent or complete; inputs are unchanged unless asked.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit.edit import Dataset, Workspace, WorkspaceError
from toolkit.errors import ToolkitError

PROPERTY = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
NAMES = st.one_of(
    st.text(min_size=0, max_size=40),
    st.text(alphabet="./\\\x00\n ab.é~", min_size=1, max_size=20).map(lambda t: t + ".jsonl"),
    st.sampled_from(["../x.jsonl", "/etc/x.jsonl", "a/../../x.jsonl", "x" * 300 + ".jsonl", ".h.jsonl",
                     "loop.jsonl", "out.jsonl", "sub", "~/x.jsonl", "a\\b.jsonl", "a\tb.jsonl"]),
)


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.is_symlink()}


@pytest.fixture
def places(tmp_path: Path) -> tuple[Path, Path]:
    ws, outside = tmp_path / "ws", tmp_path / "outside"
    ws.mkdir()
    outside.mkdir()
    (ws / "sub").mkdir()
    (ws / "a.jsonl").write_bytes(b'{"messages": []}\n')
    (outside / "out.jsonl").write_bytes(b"secret\n")
    os.symlink("loop.jsonl", ws / "loop.jsonl")
    os.symlink(outside / "out.jsonl", ws / "out.jsonl")
    return ws, outside


@PROPERTY
@given(name=NAMES)
def test_any_name_is_a_file_inside_or_a_message(places: tuple[Path, Path], name: str) -> None:
    ws_root, outside = places
    ws = Workspace(ws_root)
    before_out = _tree(outside)
    try:
        ds = Dataset.new(name, workspace=ws)
    except ToolkitError as exc:
        assert str(exc)
    else:
        ds.save()
        assert ws.root in ds.path.parents and ds.path.read_bytes() == b""
        ds.path.unlink()
    try:
        ws.dataset(name)
        Dataset.open(name, workspace=ws)
    except ToolkitError as exc:
        assert str(exc)
    assert _tree(outside) == before_out
    assert "loop.jsonl" not in ws.files() and "out.jsonl" not in ws.files()


@PROPERTY
@given(data=st.binary(max_size=400) | st.lists(st.sampled_from(
    [b'{"messages": []}', b"\xff\xfe", b"{", b"", b"\r", b'{"a": "\xe9"}', b"[1]", b"\xef\xbb\xbf"]),
    max_size=8).map(b"\n".join))
def test_open_then_save_keeps_every_byte(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    folder = tmp_path_factory.mktemp("rt")
    path = folder / "x.jsonl"
    path.write_bytes(data)
    ds = Dataset.open(path)
    assert ds.content() == data
    for i, e in enumerate(ds.entries):
        if not e.undecodable:
            ds.set_text(i, e.text, "unchanged")
    ds.save(force=True)
    assert path.read_bytes() == data
    assert sorted(p.name for p in folder.iterdir()) == ["x.jsonl"]  # no temporary file left


def test_save_refuses_a_folder_swapped_for_a_link_out(places: tuple[Path, Path]) -> None:
    ws_root, outside = places
    (ws_root / "sub" / "d.jsonl").write_bytes(b'{"messages": []}\n')
    ds = Dataset.open("sub/d.jsonl", workspace=Workspace(ws_root))
    ds.delete(0)
    (ws_root / "sub" / "d.jsonl").rename(outside / "d.jsonl")
    (ws_root / "sub").rmdir()
    os.symlink(outside, ws_root / "sub")
    with pytest.raises(WorkspaceError, match="outside the workspace"):
        ds.save(force=True)
    with pytest.raises(WorkspaceError, match="outside the workspace"):
        ds.save_as(ws_root / "sub" / "e.jsonl")
    assert (outside / "d.jsonl").read_bytes() == b'{"messages": []}\n' and not (outside / "e.jsonl").exists()


def test_the_library_confines_a_dataset_to_its_folder(places: tuple[Path, Path]) -> None:
    ws_root, outside = places
    ds = Dataset.open(ws_root / "a.jsonl")
    with pytest.raises(WorkspaceError):
        ds.save_as(outside / "copy.jsonl")
    with pytest.raises(WorkspaceError):
        Dataset.open(ws_root / "loop.jsonl", workspace=Workspace(ws_root))
    with pytest.raises(WorkspaceError, match="outside the workspace"):
        Dataset.open(ws_root / "out.jsonl", workspace=Workspace(ws_root))
    assert not (outside / "copy.jsonl").exists()


def test_a_relative_path_from_the_library_is_relative_to_the_current_folder(
        places: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    ws_root, _ = places
    monkeypatch.chdir(ws_root.parent)
    ds = Dataset.open("ws/a.jsonl")
    assert ds.path == ws_root / "a.jsonl"
    assert Dataset.new("ws/sub/b.jsonl").save() == ws_root / "sub" / "b.jsonl"
