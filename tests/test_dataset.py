"""The editing library (toolkit.edit): byte-exact round trips, edits, atomic saves, conflicts, undo,
workspace sandboxing, fixes through toolkit.fix, and the per-example analysis behind the table."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from toolkit.config import Settings
from toolkit.diagnostics import Diagnostic
from toolkit.edit import (
    Analysis,
    ConflictError,
    Dataset,
    EditError,
    Workspace,
    WorkspaceError,
    bulk,
    findings,
    ops,
    table,
    write_atomic,
)
from toolkit.edit.entries import Entry, entries_from_text

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
SYSTEM = "Elle is a factual chatbot that answers questions about elements in the periodic table with a limerick."


def _copy(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copyfile(SAMPLES / name, target)
    return target


def record(ds: Dataset, index: int) -> dict[str, Any]:
    """The record of entry ``index``, which must be one."""
    value = ds.entries[index].value
    assert value is not None, f"entry {index} is not a record"
    return value


def records(ds: Dataset) -> list[dict[str, Any]]:
    return [record(ds, i) for i in range(len(ds.entries))]


def diagnostics(analysis: Analysis, entry: Entry) -> tuple[Diagnostic, ...]:
    """The findings of an entry the analysis has linted."""
    facts = analysis.get(entry)
    assert facts is not None, "the entry was not linted"
    return facts.diagnostics


def _chat(user: str, answer: str, **extra: object) -> dict:
    return {"messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user},
                         {"role": "assistant", "content": answer}], **extra}


# -- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLES.glob("*.jsonl")))
def test_open_and_save_keeps_every_byte(tmp_path: Path, name: str) -> None:
    path = _copy(tmp_path, name)
    before = path.read_bytes()
    ds = Dataset.open(path)
    assert ds.content() == before
    assert not ds.modified
    ds.save()
    assert path.read_bytes() == before


def test_broken_sample_entries() -> None:
    ds = Dataset.open(SAMPLES / "elle_broken.jsonl")
    assert len(ds) == 48  # 47 one-line entries and the pretty-printed record on lines 48-63
    assert ds.start_lines()[-1] == 48 and ds.entries[-1].lines == 16 and ds.entries[-1].is_record
    assert not ds.entries[0].is_record and "not valid JSON" in ds.entries[0].problem
    assert ds.entries[5].text == "" and "blank line" in ds.entries[5].problem
    assert ds.entries[8].is_record and "invalid UTF-8" in ds.entries[8].problem  # F030: readable with U+FFFD


def test_one_edit_rewrites_only_that_record(tmp_path: Path) -> None:
    lines = [
        json.dumps(_chat("Tell me about gold.", "Gold..."), ensure_ascii=False),
        '{"zeta":1,"messages":[{"role":"user","content":"Wie heißt Fe?","x-note":"keep"},'
        '{"role":"assistant","content":"Eisen ☺"}],"alpha":{"b":2,"a":1}}',
        '{"messages": [{"role": "user", "content": "caf\\u00e9"}, {"role": "assistant", "content": "ok"}]}',
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    ds = Dataset.open(path)
    ds.change(1, ops.set_value("/messages/1/content", "Eisen, Ordnungszahl 26 ☺"), "edit")
    ds.save()
    out = path.read_bytes().decode("utf-8").split("\n")
    assert out[0] == lines[0] and out[2] == lines[2]  # untouched: byte-identical (escapes kept)
    assert out[1] == ('{"zeta":1,"messages":[{"role":"user","content":"Wie heißt Fe?","x-note":"keep"},'
                      '{"role":"assistant","content":"Eisen, Ordnungszahl 26 ☺"}],"alpha":{"b":2,"a":1}}')
    assert out[3] == ""


def test_crlf_bom_and_missing_final_newline_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "win.jsonl"
    a, b = json.dumps(_chat("Na?", "Sodium")), json.dumps(_chat("K?", "Potassium"))
    path.write_bytes(b"\xef\xbb\xbf" + a.encode() + b"\r\n" + b.encode())
    ds = Dataset.open(path)
    assert ds.bom and ds.eol == b"\r\n"
    ds.change(1, ops.set_value("/messages/2/content", "Potassium, K"), "edit")
    ds.insert(2, _chat("Ca?", "Calcium"), "add")
    ds.save()
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf" + a.encode() + b"\r\n")
    assert data.count(b"\r\n") == 2 and not data.endswith(b"\n")  # the old last line now ends with CRLF
    assert json.loads(data.split(b"\r\n")[1])["messages"][2]["content"] == "Potassium, K"


def test_nan_and_lone_surrogates_survive_an_edit(tmp_path: Path) -> None:
    path = tmp_path / "odd.jsonl"
    path.write_bytes(b'{"messages": [{"role": "user", "content": "a\\ud83e"}, {"role": "assistant", "content": "b"}],'
                     b' "score": NaN}\n')
    ds = Dataset.open(path)
    ds.change(0, ops.set_value("/messages/1/content", "c"), "edit")
    ds.save()
    assert path.read_bytes() == (b'{"messages": [{"role": "user", "content": "a\\ud83e"}, '
                                 b'{"role": "assistant", "content": "c"}], "score": NaN}\n')



def test_a_utf16_file_has_the_records_lint_finds(tmp_path: Path) -> None:
    """json.loads(bytes) reads UTF-16: the editor counted a record lint refuses, then failed parsing it."""
    path = tmp_path / "notepad.jsonl"
    path.write_bytes((json.dumps(_chat("Na?", "Sodium")) + "\n").encode("utf-16"))
    ds = Dataset.open(path)
    analysis = Analysis()
    analysis.run_full(ds)
    assert ds.records == analysis.totals(ds).records == 0
    assert not any(e.is_record for e in ds.entries)
    assert any("UTF-16" in d.message for f in map(analysis.get, ds.entries) if f for d in f.diagnostics)


def test_an_edit_keeps_the_record_s_unicode_escapes(tmp_path: Path) -> None:
    """A file written by json.dumps (ASCII, \\u00e9 escapes): an edit does not turn the other escapes into UTF-8."""
    path = tmp_path / "escaped.jsonl"
    path.write_bytes((json.dumps(_chat("Caf\u00e9?", "Cr\u00e8me \u2014 br\u00fbl\u00e9e.")) + "\n").encode())
    ds = Dataset.open(path)
    ds.change(0, ops.set_value("/messages/1/content", "Caf\u00e9, s'il vous pla\u00eet?"), "edit")
    ds.save()
    assert path.read_bytes() == (json.dumps(_chat("Caf\u00e9, s'il vous pla\u00eet?", "Cr\u00e8me \u2014 br\u00fbl\u00e9e."))
                                 + "\n").encode()

# Issue 8: values the author did not change keep their bytes, whatever path the edit takes.
NUMBERS = ('{"messages":[{"role":"human","content":"Hi"},{"role":"assistant","content":"Yo","weight":0}],'
           '"n":1e2,"p":1.50,"big":12345678901234567890123,"f":0.1000000000000000055511151231257827,"z":-0,'
           '"e":"caf\\u00e9"}\n')


def _numbers(tmp_path: Path) -> Dataset:
    path = tmp_path / "numbers.jsonl"
    path.write_bytes(NUMBERS.encode())
    return Dataset.open(path)


def test_every_edit_path_keeps_the_values_it_did_not_change(tmp_path: Path) -> None:
    ds = _numbers(tmp_path)
    ds.change(0, ops.set_value("/messages/1/content", "Yes"), "form field")
    assert ds.entries[0].raw == NUMBERS.replace('"Yo"', '"Yes"').encode()
    ds.undo()
    ds.change(0, ops.set_weight("/messages/1", trained=True), "weight toggle")
    assert ds.entries[0].raw == NUMBERS.replace('"weight":0', '"weight":1').encode()
    ds.undo()
    assert len(bulk.set_weights(ds, [0], "all")) == 1
    assert ds.entries[0].raw == NUMBERS.replace('"weight":0', '"weight":1').encode()
    ds.undo()
    analysis = Analysis(Settings(method="supervised"))
    analysis.run_full(ds)
    planned = findings.plan_fixes(ds, [0], "C030", file_format=analysis.format)
    findings.apply_fixes(ds, planned, "fix C030")
    assert ds.entries[0].raw == NUMBERS.replace('"human"', '"user"').encode()


def test_a_pretty_printed_record_typed_in_the_json_box_keeps_its_literals(tmp_path: Path) -> None:
    ds = _numbers(tmp_path)
    value = json.loads(NUMBERS)
    pretty = json.dumps(value, indent=2).replace("100.0", "1e2").replace('"Yo"', '"Yes"')
    ds.set_text(0, pretty, "text edited")
    assert ds.entries[0].raw == NUMBERS.replace('"Yo"', '"Yes"').replace(
        "1.50", "1.5").replace("0.1000000000000000055511151231257827", "0.1").replace("-0", "0").encode()


# -- atomic writes and conflicts ----------------------------------------------------------------


def test_save_is_atomic_and_keeps_the_file_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _copy(tmp_path, "elle_single_turn.jsonl")
    os.chmod(path, 0o640)
    before = path.read_bytes()
    ds = Dataset.open(path)
    ds.delete(0)

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(WorkspaceError, match="cannot be written"):  # a message, not an OSError
        ds.save()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elle_single_turn.jsonl"]  # no temporary file left
    monkeypatch.undo()
    ds.save()
    assert path.read_bytes() == before.split(b"\n", 1)[1]
    assert (path.stat().st_mode & 0o777) == 0o640


def test_conflict_on_disk_change_then_overwrite_reload_or_save_as(tmp_path: Path) -> None:
    path = _copy(tmp_path, "elle_single_turn.jsonl")
    ds = Dataset.open(path)
    ds.delete(0)
    with path.open("ab") as fh:
        fh.write(json.dumps(_chat("Ar?", "Argon")).encode() + b"\n")
    assert "changed on disk" in (ds.conflict() or "")
    with pytest.raises(ConflictError, match="reload it, overwrite it, or save under another name"):
        ds.save()
    other = ds.save_as(tmp_path / "copy.jsonl")
    assert other.read_bytes() == ds.content() and ds.path == other and ds.conflict() is None
    ds2 = Dataset.open(path)
    ds2.delete(0)
    path.write_bytes(path.read_bytes() + b"")
    os.utime(path, ns=(1, 1))  # touched, same content: not a conflict
    assert ds2.conflict() is None
    path.write_bytes(b"")
    ds2.save(force=True)
    assert path.read_bytes() == ds2.content()
    ds2.delete(0)
    ds2.reload()
    assert not ds2.modified and ds2.content() == path.read_bytes() and ds2.history == []


def test_deleted_file_and_new_file_conflicts(tmp_path: Path) -> None:
    path = _copy(tmp_path, "elle_validation.jsonl")
    ds = Dataset.open(path)
    path.unlink()
    assert "deleted" in (ds.conflict() or "")
    new = Dataset.new(tmp_path / "new.jsonl")
    new.insert(0, _chat("H?", "Hydrogen"), "add")
    (tmp_path / "new.jsonl").write_text("{}\n")
    assert "created on disk" in (new.conflict() or "")
    with pytest.raises(ConflictError):
        new.save_as(tmp_path / "new.jsonl")


def test_write_atomic_refuses_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="cannot write"):
        write_atomic(tmp_path / "nope" / "x.jsonl", b"")


# -- undo -------------------------------------------------------------------------------------


def test_undo_restores_content_and_saved_state(tmp_path: Path) -> None:
    path = _copy(tmp_path, "elle_single_turn.jsonl")
    ds = Dataset.open(path)
    original = ds.content()
    ds.change(0, ops.set_value("/messages/1/content", "x"), "edit user text")
    ds.duplicate(1)
    ds.move(0, 3)
    assert ds.history == ["edit user text", "duplicate example 2", "move example 1 to 4"]
    assert ds.undo() == "move example 1 to 4"
    assert ds.undo() == "duplicate example 2"
    assert ds.undo() == "edit user text"
    assert ds.undo() is None
    assert ds.content() == original and not ds.modified


# -- record edits -----------------------------------------------------------------------------


def test_weight_toggle(tmp_path: Path) -> None:
    path = _copy(tmp_path, "elle_multi_turn.jsonl")
    ds = Dataset.open(path)
    msgs = record(ds, 0)["messages"]
    k = next(i for i, m in enumerate(msgs) if m["role"] == "assistant" and m.get("weight") == 1)
    ds.change(0, ops.set_weight(f"/messages/{k}", trained=False), "weight 0")
    assert record(ds, 0)["messages"][k]["weight"] == 0
    assert not ops.is_trained(record(ds, 0)["messages"][k])
    ds.save()
    saved = path.read_bytes().split(b"\n")
    assert json.loads(saved[0])["messages"][k]["weight"] == 0
    assert saved[1:] == (SAMPLES / "elle_multi_turn.jsonl").read_bytes().split(b"\n")[1:]


def test_tool_calls_add_edit_and_delete() -> None:
    ds = Dataset(Path("x.jsonl"), [])
    ds.insert(0, _chat("Mg?", "Magnesium"), "add")
    with pytest.raises(EditError, match="not valid JSON"):
        ops.add_tool_call("/messages/2", "lookup_element", "symbol=Mg")
    with pytest.raises(EditError, match="must be a JSON object"):
        ops.add_tool_call("/messages/2", "lookup_element", "[1]")
    ds.change(0, ops.add_tool_call("/messages/2", "lookup_element", '{"symbol": "Mg"}'), "call")
    ds.change(0, ops.add_tool_call("/messages/2", "lookup_element", '{"symbol": "Ca"}'), "call")
    calls = record(ds, 0)["messages"][2]["tool_calls"]
    assert [c["id"] for c in calls] == ["call_1", "call_2"]
    assert calls[0] == {"id": "call_1", "type": "function",
                        "function": {"name": "lookup_element", "arguments": '{"symbol": "Mg"}'}}
    ds.change(0, ops.set_tool_call("/messages/2", 1, arguments='{"symbol": "Sr"}', call_id="call_sr"), "edit")
    assert calls != record(ds, 0)["messages"][2]["tool_calls"]
    assert record(ds, 0)["messages"][2]["tool_calls"][1]["id"] == "call_sr"
    with pytest.raises(EditError, match="already used"):
        ds.change(0, ops.add_tool_call("/messages/2", "f", "{}", call_id="call_1"), "dup")
    ds.change(0, ops.add_message("/messages", "tool", '{"name": "Magnesium"}'), "tool result")
    ds.change(0, ops.set_optional("/messages/3/tool_call_id", "call_1"), "link")
    assert ops.call_ids(record(ds, 0)) == ["call_1", "call_sr"]
    ds.change(0, ops.delete_tool_call("/messages/2", 0), "delete")
    ds.change(0, ops.delete_tool_call("/messages/2", 0), "delete")
    assert "tool_calls" not in record(ds, 0)["messages"][2]


def test_messages_add_move_delete_and_role_name() -> None:
    ds = Dataset(Path("x.jsonl"), [])
    ds.insert(0, _chat("B?", "Boron"), "add")
    ds.change(0, ops.add_message("/messages", "user", "And carbon?", at=3), "add")
    ds.change(0, ops.move_message("/messages", 3, -1), "up")
    assert [m["role"] for m in record(ds, 0)["messages"]] == ["system", "user", "user", "assistant"]
    with pytest.raises(EditError, match="already first"):
        ds.change(0, ops.move_message("/messages", 0, -1), "up")
    ds.change(0, ops.set_role("/messages/2", "assistant"), "role")
    ds.change(0, ops.set_optional("/messages/1/name", "ada"), "name")
    assert record(ds, 0)["messages"][1]["name"] == "ada"
    ds.change(0, ops.set_optional("/messages/1/name", ""), "no name")
    ds.change(0, ops.delete_message("/messages", 2), "delete")
    assert ds.entries[0].value == _chat("B?", "Boron")


def test_preference_record_edit(tmp_path: Path) -> None:
    path = _copy(tmp_path, "elle_dpo.jsonl")
    ds = Dataset.open(path)
    value = record(ds, 0)
    assert ops.message_lists(value) == ["/input/messages", "/preferred_output", "/non_preferred_output"]
    ds.change(0, ops.set_value("/non_preferred_output/0/content", "Worse."), "edit")
    ds.save()
    first = json.loads(path.read_bytes().split(b"\n")[0])
    assert first["non_preferred_output"][0]["content"] == "Worse."
    assert first["preferred_output"] == value["preferred_output"]
    assert list(first) == list(value)


def test_templates_take_the_shared_system_prompt() -> None:
    chat = Dataset.open(SAMPLES / "elle_single_turn.jsonl")
    assert ops.template(records(chat)) == {
        "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": ""},
                     {"role": "assistant", "content": ""}]}
    dpo = Dataset.open(SAMPLES / "elle_dpo.jsonl")
    shape = ops.template(records(dpo))
    assert shape["input"]["messages"][0] == {"role": "system", "content": SYSTEM}
    assert shape["preferred_output"] == shape["non_preferred_output"] == [{"role": "assistant", "content": ""}]


def test_text_edits_fix_a_broken_line(tmp_path: Path) -> None:
    path = _copy(tmp_path, "elle_broken.jsonl")
    ds = Dataset.open(path)
    fixed = ds.entries[0].text.replace('"role": "user" "content"', '"role": "user", "content"')
    ds.set_text(0, fixed, "fix the comma")
    assert ds.entries[0].is_record and ds.entries[0].text == fixed
    pretty = json.dumps(_chat("He?", "Helium"), indent=2)
    ds.set_text(1, pretty, "replace")
    assert ds.entries[1].lines == 1 and ds.entries[1].value == _chat("He?", "Helium")
    assert [e.value is None for e in entries_from_text("{}\nnot json")] == [False, True]
    ds.delete(5)
    ds.save()
    out = path.read_bytes().split(b"\n")
    original = (SAMPLES / "elle_broken.jsonl").read_bytes().split(b"\n")
    assert out[0] == fixed.encode() and json.loads(out[1]) == _chat("He?", "Helium")
    assert out[2:5] == original[2:5] and out[5:] == original[6:]


# -- workspace --------------------------------------------------------------------------------


def test_workspace_rejects_escapes(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "sub").mkdir(parents=True)
    (root / "a.jsonl").write_text("{}\n")
    (root / "sub" / "b.jsonl").write_text("{}\n")
    (tmp_path / "secret.jsonl").write_text("{}\n")
    os.symlink(tmp_path / "secret.jsonl", root / "link.jsonl")
    ws = Workspace(root)
    assert ws.files() == ["a.jsonl", "sub/b.jsonl"]
    assert ws.dataset("sub/b.jsonl") == (root / "sub" / "b.jsonl").resolve()
    assert ws.dataset(str(root / "a.jsonl")) == (root / "a.jsonl").resolve()
    outside = ("../secret.jsonl", "sub/../../secret.jsonl", str(tmp_path / "secret.jsonl"), "link.jsonl", "/etc/passwd")
    for bad in outside:
        with pytest.raises(WorkspaceError, match="outside the workspace"):
            ws.resolve(bad)
    with pytest.raises(WorkspaceError, match=r"must end in \.jsonl"):
        ws.dataset("notes.txt", new=True)
    with pytest.raises(WorkspaceError, match="already exists"):
        ws.dataset("a.jsonl", new=True)
    with pytest.raises(WorkspaceError, match="no such file"):
        ws.dataset("missing.jsonl")
    with pytest.raises(WorkspaceError, match="existing folder"):
        Workspace(tmp_path / "nope")


# -- fixes and analysis -----------------------------------------------------------------------


def test_fix_this_and_fix_all_like_this(tmp_path: Path) -> None:
    path = _copy(tmp_path, "elle_broken.jsonl")
    ds = Dataset.open(path)
    analysis = Analysis(Settings(method="supervised"))
    analysis.run_full(ds)
    with_rule = [i for i, e in enumerate(ds.entries) if any(d.rule == "C030" for d in diagnostics(analysis, e))]
    assert with_rule == [13]
    planned = findings.plan_fixes(ds, with_rule, "C030", file_format=analysis.format)
    assert [p.description for p in planned] == ['/messages/1: rename role "human" to "user"']
    assert '"human"' in planned[0].before and '"role": "user", "content": "Tell me about mercury."' in planned[0].after
    findings.apply_fixes(ds, planned, "fix C030")
    line_fixes = {"F011": 2, "F020": 5, "F012": 47}
    planned = [p for rule, i in line_fixes.items()
               for p in findings.plan_fixes(ds, [i], rule, file_format=analysis.format)]
    findings.apply_fixes(ds, planned, "fix the lines")
    assert ds.history == ["fix C030", "fix the lines"]
    assert len(ds) == 48 and all(e.lines == 1 for e in ds.entries)  # +1 from the array, -1 blank line
    assert analysis.update(ds) == 4  # the mercury record, two records from the array, the joined one
    assert {d.rule for i in (2, 3, 13) for d in diagnostics(analysis, ds.entries[i])} == set()


def test_analysis_table_and_placement() -> None:
    ds = Dataset.open(SAMPLES / "elle_broken.jsonl")
    analysis = Analysis(Settings(method="supervised"))
    analysis.run_full(ds)
    assert [d.rule for d in analysis.file_diagnostics] == ["C130", "F070"]  # C130: once for the file
    df = table.frame(ds, analysis)
    assert len(df) == 48 and list(df.columns) == list(table.COLUMNS)
    row = df.iloc[22]  # line 23: C100 weight on a user message
    assert (row["line"], row["rules"], row["status"], row["turns"]) == (23, "C100", "error", 3)
    assert row["tokens"] > row["trained"] > 0
    errors = table.view(df, status="errors")
    assert 0 < len(errors) < len(df)
    assert list(table.view(df, rule="C152")["line"]) == [34]
    hits = table.matches(ds, "MERCURY")
    assert list(table.view(df, hits=hits)["line"]) == [14]
    by_tokens = table.view(df, sort="tokens", descending=True)
    assert by_tokens["tokens"].iloc[0] == df["tokens"].max()
    assert len(table.page(df, 2, 20)) == 20 and table.pages(48, 20) == 3
    entry = ds.entries[22]
    groups = findings.place(diagnostics(analysis, entry), ["/messages/1", "/messages/1/weight"])
    assert [d.rule for d in groups["/messages/1/weight"]] == ["C100"]
    assert groups["/messages/1/weight"][0].line == 1  # counted from the entry's first line (line 23 of the file)
    assert findings.anchor("/messages/9/content", ["/messages/1"]) == ""


def test_sha256_is_the_content_s_whether_or_not_it_is_the_one_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"a": 1}\r\n{"b": 2}')  # BOM, CRLF, no final newline
    ds = Dataset.open(path)

    def same() -> bool:
        return ds.sha256() == hashlib.sha256(ds.content()).hexdigest()
    assert same() and ds.sha256() == hashlib.sha256(path.read_bytes()).hexdigest()
    ds.change(0, lambda v: v.update(a=2), "a = 2")
    assert same()
    assert ds.sha256(ds.entries[1:]) == hashlib.sha256(ds.content(ds.entries[1:])).hexdigest()
    ds.set_bom(False)
    assert same()
    ds.undo()
    ds.undo()
    assert same() and not ds.modified
    ds.set_line_endings(b"\n")
    ds.save()
    assert same() and ds.sha256() == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_utf16_file_is_never_offered_a_cp1252_reading_of_its_lines(tmp_path: Path) -> None:
    """Notepad's "Unicode": the editor's re-read of a line that is not UTF-8 turned each of its characters into two
    (a cp1252 character for each byte, NULs included); it now gives lint's advice (its F030 fix is the whole file's
    conversion, below)."""
    path = tmp_path / "notepad.jsonl"
    record = {"messages": [{"role": "user", "content": "Na?"}, {"role": "assistant", "content": "Sodium."}]}
    path.write_bytes((json.dumps(record) + "\n").encode("utf-16"))
    ds = Dataset.open(path)
    assert ds.entries[0].undecodable  # the byte-order mark and the first line (the next "line" is a NUL byte)
    with pytest.raises(EditError, match=r"the file is UTF-16 .*`tunesmith fix --write FILE` saves it as UTF-8"):
        ds.redecoded(0, "cp1252")
    assert path.read_bytes() == (json.dumps(record) + "\n").encode("utf-16")


def test_a_utf16_file_with_its_mark_is_kept_as_utf8_by_its_f030_fix(tmp_path: Path) -> None:
    """The fix of F030 in a UTF-16 file (with its byte-order mark) reads the whole file as UTF-16 and saves it as
    UTF-8, every character kept: one undo step, and the records are records again."""
    from toolkit.edit import findings

    path = tmp_path / "notepad.jsonl"
    record = {"messages": [{"role": "user", "content": "Ça va ? 你好 🙂"}, {"role": "assistant", "content": "Oui."}]}
    text = (json.dumps(record, ensure_ascii=False) + "\r\n") * 2
    path.write_bytes(text.encode("utf-16"))
    ds = Dataset.open(path)
    planned = findings.plan_fixes(ds, [0], "F030")
    assert [(p.index, p.rule) for p in planned] == [(-1, "F030")]
    assert "UTF-16" in planned[0].description and planned[0].after == text.split("\r\n")[0] + "\r"
    findings.apply_fixes(ds, planned, "fix F030")
    assert [e.value for e in ds.entries] == [record, record]
    ds.save()
    assert path.read_bytes() == text.encode("utf-8")  # its CRLF endings kept: only the encoding changed
    ds.undo()
    assert len(ds.entries) == 3  # the UTF-16 lines again (undo, then save, would write them back)
