"""The editor headless (streamlit.testing.v1.AppTest): every page flow on a copy of samples/, the Train and
Playground pages against the local sandbox, and `tunesmith app`."""

from __future__ import annotations

import functools
import json
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import openai
import pandas as pd
import pytest
from streamlit.components.v2 import manifest_scanner
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block, Button, Element, TextArea, UnknownElement, Widget, WidgetList

from toolkit import stats
from toolkit.cli import app_cmd
from toolkit.cli.main import main as cli
from toolkit.sandbox import Sandbox
from toolkit.training.local_registry import Registry

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
SAMPLES = ROOT / "samples"
PAGES = "toolkit/ui/app_pages"
SYSTEM = "Elle is a factual chatbot that answers questions about elements in the periodic table with a limerick."
W = TypeVar("W", bound=Widget)
CREDENTIALS = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "AZURE_OPENAI_ENDPOINT",
               "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN", "OPENAI_API_VERSION")


@pytest.fixture(scope="module", autouse=True)
def components_scanned_once() -> Iterator[None]:
    """Each AppTest scans every installed distribution's metadata for Streamlit components before its first run
    (0.4 s, nearly half of this file's time); the installed packages do not change during the run, so the scan's
    answer is kept for the module's AppTests (the app itself uses no such component)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(manifest_scanner, "scan_component_manifests",
                      functools.cache(manifest_scanner.scan_component_manifests))
        yield


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of samples/ as the workspace; a private registry; no credentials from the environment."""
    ws = tmp_path / "ws"
    ws.mkdir()
    for p in SAMPLES.glob("*.jsonl"):
        shutil.copyfile(p, ws / p.name)
    monkeypatch.setenv("TUNESMITH_WORKSPACE", str(ws))
    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path / "home"))
    for var in CREDENTIALS:
        monkeypatch.delenv(var, raising=False)
    return ws


def plain(text: str) -> str:
    """Alert and caption text as the user reads it (Markdown escapes removed)."""
    return re.sub(r"\\(.)", r"\1", text).replace("  \n", "\n")


def texts(elements: Iterable[Element]) -> list[str]:
    return [plain(str(e.value)) for e in elements]


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def start() -> AppTest:
    return run(AppTest.from_file(str(APP), default_timeout=60))


def opened(name: str) -> AppTest:
    at = start()
    at.selectbox(key="ds_file").set_value(name)
    at.button(key="ds_open").click()
    return run(at)


def page(at: AppTest, name: str) -> AppTest:
    at.switch_page(f"{PAGES}/{name}.py")
    return run(at)


def edit(at: AppTest, example: int) -> AppTest:
    """Go from the Dataset page to the Record editor for ``example`` (1-based)."""
    at.number_input(key="ds_goto").set_value(example)
    at.button(key="ds_goto_edit").click()
    run(at)
    assert at.title[0].value == "Record editor"
    assert at.number_input(key="rec_index").value == example
    return at


def button(at: AppTest, label: str) -> Button:
    return next(b for b in at.button if b.label == label)


def save(at: AppTest) -> AppTest:
    at.button(key="save").click()
    run(at)
    assert any(t.startswith("saved ") for t in texts(at.success)), texts(at.error)
    return at


def msg(widgets: WidgetList[W], name: str) -> W:
    """The record editor's widget ``name`` (its key, without the ``__<drawing>`` the editor adds)."""
    found = [w for w in widgets if isinstance(w.key, str) and w.key.rsplit("__", 1)[0] == name]
    assert len(found) == 1, f"{name}: {[w.key for w in widgets]}"
    return found[0]


def chart_rows(chart: Element | Block) -> pd.DataFrame:
    """The data a drawn Altair chart plots (its datasets, as Streamlit sends them to the browser)."""
    from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

    assert isinstance(chart, UnknownElement) and chart.type == "vega_lite_chart", chart
    return pd.concat([convert_arrow_bytes_to_pandas_df(d.data.data) for d in chart.proto.datasets])


def lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")


# -- Dataset page ---------------------------------------------------------------------------------


def test_open_shows_the_table_and_the_file_findings(workspace: Path) -> None:
    at = start()
    assert "elle_broken.jsonl" in at.selectbox(key="ds_file").options
    at.selectbox(key="ds_file").set_value("elle_broken.jsonl")
    at.button(key="ds_open").click()
    run(at)
    assert "opened elle_broken.jsonl: 43 records in 48 entries" in texts(at.success)
    metrics = {m.label: m for m in at.metric}
    # 41 examples, as the F070 finding, Statistics and lint say (it said 43: the 2 records to repair first counted)
    assert metrics["Examples"].value == "41" and "2 records (pretty-printed or not UTF-8)" in metrics["Examples"].help
    assert metrics["Lines that are not examples"].value == "7"
    assert any(t.startswith("F070 few-examples") and "has 41 examples" in t for t in texts(at.warning))
    df = at.dataframe[0].value
    assert len(df) == 48 and list(df.columns[:4]) == ["#", "line", "first user message", "turns"]
    row = df[df["line"] == "23"].iloc[0]
    assert (row["rules"], row["status"], row["errors"]) == ("C100", "error", "1")
    assert df[df["status"] == "not a record"]["tokens"].eq("—").all()  # never a bare None
    assert df.iloc[-1]["line"] == "48"  # the pretty-printed record spans lines 48-63 and is one row


def test_search_filter_sort_and_pages(workspace: Path) -> None:
    at = opened("elle_broken.jsonl")
    at.text_input(key="ds_search").set_value("MERCURY")
    run(at)
    assert list(at.dataframe[0].value["line"]) == ["14"]
    at.text_input(key="ds_search").set_value("")
    at.selectbox(key="ds_rule").set_value("C152")
    run(at)
    assert list(at.dataframe[0].value["line"]) == ["34"]
    at.selectbox(key="ds_rule").set_value("(any rule)")
    at.selectbox(key="ds_status").set_value("not a record")
    run(at)
    assert list(at.dataframe[0].value["line"]) == ["1", "2", "3", "6", "10"]
    at.selectbox(key="ds_status").set_value("all")
    at.selectbox(key="ds_sort").set_value("tokens")
    at.toggle(key="ds_desc").set_value(True)
    at.selectbox(key="ds_page_size").set_value(25)
    run(at)
    first = at.dataframe[0].value
    tokens = first["tokens"].str.replace(",", "").astype(int)
    assert len(first) == 25 and tokens.iloc[0] == tokens.max()
    at.number_input(key="ds_page").set_value(2)
    run(at)
    assert len(at.dataframe[0].value) == 23


def test_the_filters_are_reset_when_another_file_is_opened(workspace: Path) -> None:
    """The search of one file carried over to the next, which looked empty ("0 of 14 entries · search: …")."""
    at = opened("elle_broken.jsonl")
    at.text_input(key="ds_search").set_value("MERCURY")
    at.selectbox(key="ds_status").set_value("errors")
    at.text_input(key="ds_tag").set_value("draft")
    run(at)
    assert len(at.dataframe[0].value) == 0
    at.selectbox(key="ds_file").set_value("elle_single_turn.jsonl")
    at.button(key="ds_open").click()
    run(at)
    assert len(at.dataframe[0].value) == 14
    assert at.text_input(key="ds_search").value == "" and at.text_input(key="ds_tag").value == ""
    assert at.selectbox(key="ds_status").value == "all"
    assert "14 of 14 entries" in texts(at.caption)


def test_edit_this_example_follows_the_filters(workspace: Path) -> None:
    """With a search that shows one row, "Edit this example" opened example 1 (the number stayed at 1)."""
    at = opened("elle_broken.jsonl")
    at.text_input(key="ds_search").set_value("MERCURY")
    run(at)
    shown = int(at.dataframe[0].value["#"].iloc[0])
    assert shown != 1 and at.number_input(key="ds_goto").value == shown
    at.button(key="ds_goto_edit").click()
    run(at)
    assert at.title[0].value == "Record editor" and at.number_input(key="rec_index").value == shown


def test_a_tag_filter_on_no_rows_shows_an_empty_table(workspace: Path) -> None:
    """A search that matched nothing, then a tag, failed with KeyError 'tokens' (the empty mask selected columns)."""
    at = opened("elle_single_turn.jsonl")
    at.text_input(key="ds_search").set_value("no such text anywhere")
    at.text_input(key="ds_tag").set_value("draft")
    run(at)
    assert len(at.dataframe[0].value) == 0
    assert "0 of 14 entries · search: no such text anywhere · tag: draft" in texts(at.caption)


def test_create_a_dataset_and_add_an_example_from_the_template(workspace: Path) -> None:
    at = start()
    at.text_input(key="ds_new_name").set_value("new.jsonl")
    at.button(key="ds_create").click()
    run(at)
    assert (workspace / "new.jsonl").read_bytes() == b""
    page(at, "record")
    at.button(key="rec_new").click()
    run(at)
    msg(at.text_area, "msg_messages_0_content").set_value("Tell me about tin.")
    run(at)
    msg(at.text_area, "msg_messages_1_content").set_value("Tin is fifty.")
    run(at)
    save(at)
    assert json.loads((workspace / "new.jsonl").read_bytes()) == {
        "messages": [{"role": "user", "content": "Tell me about tin."},
                     {"role": "assistant", "content": "Tin is fifty."}]}


def test_names_outside_the_workspace_are_refused(workspace: Path) -> None:
    at = start()
    for name in ("../evil.jsonl", "/tmp/evil.jsonl", "sub/../../evil.jsonl"):
        at.text_input(key="ds_new_name").set_value(name)
        at.button(key="ds_create").click()
        run(at)
        assert any("outside the workspace folder" in t for t in texts(at.error)), name
    assert not (workspace.parent / "evil.jsonl").exists()


# -- Record editor --------------------------------------------------------------------------------


def test_edit_a_message_and_save_changes_only_that_line(workspace: Path) -> None:
    path = workspace / "elle_single_turn.jsonl"
    before = lines(path)
    at = edit(opened("elle_single_turn.jsonl"), 3)
    assert msg(at.text_area, "msg_messages_1_content").value == json.loads(before[2])["messages"][1]["content"]
    msg(at.text_area, "msg_messages_1_content").set_value("Tell me about lithium, in one limerick.")
    run(at)
    assert "1 unsaved change;" in at.text[0].value
    save(at)
    after = lines(path)
    expected = json.loads(before[2])
    expected["messages"][1]["content"] = "Tell me about lithium, in one limerick."
    assert after[2] == json.dumps(expected, ensure_ascii=False).encode()
    assert after[:2] == before[:2] and after[3:] == before[3:]


def test_the_status_counts_only_the_changes_made_since_the_save(workspace: Path) -> None:
    """After a save and one more edit it said "unsaved changes (2 in the undo list)": one was saved."""
    at = edit(opened("elle_single_turn.jsonl"), 3)
    msg(at.text_area, "msg_messages_1_content").set_value("Tell me about lithium, in one limerick.")
    save(run(at))
    msg(at.text_area, "msg_messages_1_content").set_value("Tell me about sodium, in one limerick.")
    run(at)
    assert at.text[0].value == "elle_single_turn.jsonl: 1 unsaved change; 2 in the undo list"


def test_toggle_a_weight(workspace: Path) -> None:
    path = workspace / "elle_multi_turn.jsonl"
    before = lines(path)
    at = edit(opened("elle_multi_turn.jsonl"), 1)
    first, second = msg(at.toggle, "msg_messages_2_weight"), msg(at.toggle, "msg_messages_4_weight")
    assert (first.value, second.value) == (False, True)
    assert "Message 3 · assistant · context only (weight 0)" in texts(at.text)
    first.set_value(True)
    run(at)
    assert "Message 3 · assistant · trained" in texts(at.text)
    save(at)
    assert lines(path)[0] == before[0].replace(b'"weight": 0}', b'"weight": 1}')
    assert lines(path)[1:] == before[1:]


def test_add_a_tool_call_with_checked_arguments(workspace: Path) -> None:
    path = workspace / "elle_single_turn.jsonl"
    before = lines(path)
    at = edit(opened("elle_single_turn.jsonl"), 1)
    msg(at.text_input, "msg_messages_2_newcall_name").set_value("lookup_element")
    msg(at.text_area, "msg_messages_2_newcall_args").set_value("symbol=H")
    run(at)
    assert any(t.startswith("arguments: not valid JSON") for t in texts(at.warning))
    assert msg(at.button, "msg_messages_2_newcall_add").disabled
    msg(at.text_area, "msg_messages_2_newcall_args").set_value('{"symbol": "H"}')
    run(at)
    msg(at.button, "msg_messages_2_newcall_add").click()
    run(at)
    assert msg(at.text_input, "msg_messages_2_call0_name").value == "lookup_element"
    assert msg(at.text_area, "msg_messages_2_call0_args").value == '{"symbol": "H"}'
    assert "no tool message answers this call yet" in texts(at.caption)
    msg(at.text_area, "msg_messages_2_call0_args").set_value('{"symbol": ')
    run(at)
    assert any(t.startswith("tool call arguments: not valid JSON") for t in texts(at.error))
    save(at)
    record = json.loads(lines(path)[0])
    assert record["messages"][2]["tool_calls"] == [
        {"id": "call_1", "type": "function", "function": {"name": "lookup_element", "arguments": '{"symbol": "H"}'}}]
    assert lines(path)[1:] == before[1:]


def test_messages_added_moved_and_deleted(workspace: Path) -> None:
    at = edit(opened("elle_single_turn.jsonl"), 2)
    msg(at.selectbox, "msg_messages_add_role").set_value("user")
    msg(at.button, "msg_messages_add").click()
    run(at)
    assert msg(at.selectbox, "msg_messages_3_role").value == "user"
    msg(at.text_area, "msg_messages_3_content").set_value("And its symbol?")
    run(at)
    msg(at.button, "msg_messages_3_up").click()
    run(at)
    assert msg(at.text_area, "msg_messages_2_content").value == "And its symbol?"
    msg(at.button, "msg_messages_2_delete").click()
    run(at)
    original = json.loads(lines(workspace / "elle_single_turn.jsonl")[1])
    assert msg(at.text_area, "msg_messages_2_content").value == original["messages"][2]["content"]
    assert at.session_state["dataset"].entries[1].value == original


def test_undo(workspace: Path) -> None:
    at = edit(opened("elle_single_turn.jsonl"), 1)
    original = msg(at.text_area, "msg_messages_1_content").value
    msg(at.text_area, "msg_messages_1_content").set_value("changed")
    run(at)
    at.button(key="undo").click()
    run(at)
    assert msg(at.text_area, "msg_messages_1_content").value == original
    assert "undone: example 1: message 2 content" in texts(at.info)
    assert at.button(key="save").disabled
    assert at.get("download_button")  # the current content can be downloaded at any time


def test_preference_example_side_by_side(workspace: Path) -> None:
    path = workspace / "elle_dpo.jsonl"
    before = lines(path)
    at = edit(opened("elle_dpo.jsonl"), 1)
    assert [s.value for s in at.subheader] == ["Input", "Preferred answer", "Non-preferred answer"]
    assert msg(at.text_area, "msg_input_1_content").value == "Tell me about hydrogen."
    msg(at.text_area, "msg_non_preferred_0_content").set_value("Hydrogen? No idea.")
    run(at)
    save(at)
    record = json.loads(lines(path)[0])
    assert record["non_preferred_output"][0]["content"] == "Hydrogen? No idea."
    assert record["preferred_output"] == json.loads(before[0])["preferred_output"]
    assert lines(path)[1:] == before[1:]


def test_findings_next_to_their_field_and_fix_this(workspace: Path) -> None:
    path = workspace / "elle_broken.jsonl"
    at = edit(opened("elle_broken.jsonl"), 14)  # C030: role "human"
    assert msg(at.selectbox, "msg_messages_1_role").value == "human"
    assert any(t.startswith("C030 invalid-role (line 14, /messages/1/role)") for t in texts(at.error))
    button(at, "Fix this").click()
    run(at)
    assert 'rename role "human" to "user"' in " ".join(texts(at.caption))
    at.button(key="fix_apply").click()
    run(at)
    assert msg(at.selectbox, "msg_messages_1_role").value == "user"
    assert not any(t.startswith("C030") for t in texts(at.error))
    save(at)
    assert b'"role": "user", "content": "Tell me about mercury."' in lines(path)[13]


def json_box(at: AppTest) -> TextArea:
    """The record editor's text box for the whole entry (its key names the entry shown)."""
    (box,) = [t for t in at.text_area if (t.key or "").startswith("edit_json_")]
    return box


def test_fix_all_like_this_and_broken_lines_as_text(workspace: Path) -> None:
    path = workspace / "elle_broken.jsonl"
    at = edit(opened("elle_broken.jsonl"), 6)  # F020: a blank line
    assert json_box(at).label == "Line text (not a valid JSONL record yet)"
    button(at, "Fix all like this").click()
    run(at)
    at.button(key="fix_apply").click()
    run(at)
    at.number_input(key="rec_index").set_value(1)  # F010: the missing comma
    run(at)
    broken = json_box(at).value
    assert broken is not None
    json_box(at).set_value(broken.replace('"role": "user" "content"', '"role": "user", "content"'))
    button(at, "Apply text").click()
    run(at)
    assert msg(at.text_area, "msg_messages_1_content").value == "Tell me about hydrogen."
    save(at)
    out = lines(path)
    original = lines(SAMPLES / "elle_broken.jsonl")
    assert json.loads(out[0])["messages"][1] == {"role": "user", "content": "Tell me about hydrogen."}
    assert out[1:5] == original[1:5] and out[5:] == original[6:]  # the blank line 6 is gone, nothing else moved


def test_content_is_shown_as_text_never_html(workspace: Path) -> None:
    nasty = '<img src=x onerror=alert(1)> **bold** ![pic](http://example.com/p.png) $x$ :smile:'
    record = {"messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": nasty},
                           {"role": "assistant", "content": "ok", "weight": 2}]}
    (workspace / "nasty.jsonl").write_text(json.dumps(record) + "\n", "utf-8")
    at = opened("nasty.jsonl")
    assert at.dataframe[0].value["first user message"][0] == nasty
    edit(at, 1)
    assert msg(at.text_area, "msg_messages_1_content").value == nasty
    assert not at.get("html")
    for element in [*at.markdown, *at.caption, *at.error, *at.warning, *at.info]:
        assert "![" not in element.value and "<img" not in element.value


# -- saving safely --------------------------------------------------------------------------------


def test_conflict_on_disk_then_save_as(workspace: Path) -> None:
    path = workspace / "elle_single_turn.jsonl"
    at = edit(opened("elle_single_turn.jsonl"), 1)
    msg(at.text_area, "msg_messages_1_content").set_value("mine")
    run(at)
    theirs = path.read_bytes() + json.dumps({"messages": [{"role": "user", "content": "theirs"}]}).encode() + b"\n"
    path.write_bytes(theirs)
    run(at)
    assert any("changed on disk since it was opened" in t for t in texts(at.error))
    at.button(key="save").click()
    run(at)
    assert path.read_bytes() == theirs  # never silently overwritten
    at.text_input(key="conflict_name").set_value("mine.jsonl")
    at.button(key="conflict_save_as").click()
    run(at)
    assert path.read_bytes() == theirs
    assert json.loads(lines(workspace / "mine.jsonl")[0])["messages"][1]["content"] == "mine"
    assert "saved as mine.jsonl; that file is now the one open" in texts(at.success)


def test_conflict_reload_or_overwrite(workspace: Path) -> None:
    path = workspace / "elle_single_turn.jsonl"
    at = edit(opened("elle_single_turn.jsonl"), 1)
    msg(at.text_area, "msg_messages_1_content").set_value("mine")
    run(at)
    path.write_bytes(path.read_bytes()[:-1])  # someone drops the final newline
    run(at)
    at.button(key="conflict_overwrite").click()
    run(at)
    assert json.loads(lines(path)[0])["messages"][1]["content"] == "mine" and path.read_bytes().endswith(b"\n")
    msg(at.text_area, "msg_messages_1_content").set_value("mine again")
    run(at)
    path.write_bytes(b"")
    run(at)
    at.button(key="conflict_reload").click()
    run(at)
    assert path.read_bytes() == b"" and not at.session_state["dataset"].modified
    assert "reloaded elle_single_turn.jsonl from disk" in texts(at.info)


# -- Statistics and Import ------------------------------------------------------------------------


def test_statistics_page(workspace: Path) -> None:
    at = page(opened("elle_multi_turn.jsonl"), "statistics")
    numbers = {m.label: m.value for m in at.metric}
    assert numbers["Examples"] == "11"
    assert numbers["Epochs"] == "9 (auto)"
    assert int(numbers["Trained tokens per epoch"].replace(",", "")) < int(
        numbers["Billed tokens per epoch"].replace(",", ""))
    assert numbers["Estimated cost"].startswith("$")
    assert len(at.get("vega_lite_chart")) == 3
    at.number_input(key="st_epochs").set_value(2)
    run(at)
    assert {m.label: m.value for m in at.metric}["Epochs"] == "2"


def test_statistics_shows_the_median_as_stats_does(workspace: Path) -> None:
    """The page said "Median tokens per example 82" where `tunesmith stats` says 81.5."""
    said = stats.compute(SAMPLES / "elle_single_turn.jsonl").tokens.median
    at = page(opened("elle_single_turn.jsonl"), "statistics")
    assert said == 81.5 and {m.label: m.value for m in at.metric}["Median tokens per example"] == "81.5"


def test_statistics_says_what_lint_says_about_the_model(workspace: Path) -> None:
    """`tunesmith stats` names a shut-down model in lint's words (M010); the Statistics page said nothing."""
    at = opened("elle_multi_turn.jsonl")
    at.selectbox(key="ws_model").set_value("gpt-4.1-nano-2025-04-14")
    at = page(run(at), "statistics")
    said = stats.compute(SAMPLES / "elle_multi_turn.jsonl", model="gpt-4.1-nano-2025-04-14").model_findings
    assert [f["rule"] for f in said] == ["M010"]
    assert f"M010: {said[0]['message']}" in texts(at.error)


def test_statistics_and_train_say_the_billed_tokens_as_stats_and_train_do(workspace: Path) -> None:
    """The Statistics page said "7,973 charged tokens", the Train page "7,973 billed tokens over 7 epoch(s)", and
    `stats` "charged: 1,139 x 7 = 7,973 training tokens" for what `train` calls billed tokens."""
    words = "1,139 billed tokens x 7 epochs (auto) = 7,973 billed tokens (the job's trained_tokens)"
    at = page(opened("elle_single_turn.jsonl"), "statistics")
    assert any(words + "; $5.00 per 1M training tokens" in t for t in texts(at.caption))
    at = page(at, "train")
    assert any(t.startswith(words + "; $5.00 per 1M training tokens") for t in texts(at.caption))


def test_statistics_of_unsaved_changes(workspace: Path) -> None:
    at = edit(opened("elle_single_turn.jsonl"), 1)
    at.button(key="rec_delete").click()
    run(at)
    page(at, "statistics")
    assert {m.label: m.value for m in at.metric}["Examples"] == "13"


def test_import_a_csv_into_a_new_file(workspace: Path) -> None:
    at = page(start(), "importer")
    data = b"question,answer,notes\nTell me about zinc.,Zinc is thirty.,x\nTell me about gallium.,It melts.,y\n"
    at.file_uploader(key="imp_file").set_value(("qa.csv", data, "text/csv"))
    run(at)
    assert [s.value for s in at.selectbox if (s.key or "").startswith("imp_col_")] == ["user", "assistant", "(not used)"]
    assert texts(at.warning) == ['qa.csv: not converted: the column "notes" (2 rows), mapped to no field (choose a '
                                 'field for it above)']  # as `tunesmith convert` says it
    at.text_input(key="imp_system").set_value(SYSTEM)
    run(at)
    assert at.subheader[0].value == "Preview: 2 examples"
    at.text_input(key="imp_new_name").set_value("imported.jsonl")
    at.button(key="imp_go").click()
    run(at)
    out = [json.loads(line) for line in (workspace / "imported.jsonl").read_text("utf-8").splitlines()]
    assert out[1] == {"messages": [{"role": "system", "content": SYSTEM},
                                   {"role": "user", "content": "Tell me about gallium."},
                                   {"role": "assistant", "content": "It melts."}]}
    assert "created imported.jsonl with 2 examples" in texts(at.success)


def test_import_appends_jsonl_to_the_open_dataset(workspace: Path) -> None:
    at = page(opened("elle_validation.jsonl"), "importer")
    extra = (SAMPLES / "elle_single_turn.jsonl").read_bytes().split(b"\n")[:2]
    at.file_uploader(key="imp_file").set_value(("more.jsonl", b"\n".join(extra) + b"\n", "application/jsonl"))
    run(at)
    at.radio(key="imp_target").set_value("open")
    run(at)
    at.button(key="imp_go").click()
    run(at)
    save(at)
    assert (workspace / "elle_validation.jsonl").read_bytes() == \
        (SAMPLES / "elle_validation.jsonl").read_bytes() + b"\n".join(extra) + b"\n"


def test_import_says_what_of_another_trainers_file_it_leaves_out(workspace: Path) -> None:
    at = page(start(), "importer")
    item = {"conversations": [{"from": "human", "value": "Hi?"}, {"from": "gpt", "value": "Hello."}], "id": "a1"}
    at.file_uploader(key="imp_file").set_value(("chats.json", json.dumps([item]).encode(), "application/json"))
    run(at)
    assert at.subheader[0].value == "Preview: 1 example"
    assert texts(at.warning) == ['chats.json: not converted: the field "id" (1 item), with no place in the OpenAI '
                                 'format']


def test_import_reports_bad_rows(workspace: Path) -> None:
    at = page(start(), "importer")
    at.file_uploader(key="imp_file").set_value(("qa.csv", b"question,answer\nHi?,\n", "text/csv"))
    run(at)
    assert any("row 2" in t and "is empty" in t for t in texts(at.error))


# -- Train and Playground -------------------------------------------------------------------------


def test_train_without_credentials_names_what_is_needed(workspace: Path) -> None:
    at = page(opened("elle_single_turn.jsonl"), "train")
    assert any("set OPENAI_API_KEY" in t and "Type an API key in the API key field" in t for t in texts(at.warning))
    assert at.button(key="tr_start").disabled
    at.selectbox(key="ws_provider").set_value("azure")
    run(at)
    assert any("set AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_API_KEY" in t for t in texts(at.warning))


@pytest.mark.parametrize("model", ["gpt-4.1-mini-2025-04-14", "gpt-4o-mini-2024-07-18", "gpt-3.5-turbo-0125"])
def test_train_counts_from_the_editors_analysis_as_tunesmith_stats(workspace: Path, model: str,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The Train page sums the editor's per-example counts (no second pass over the file); the numbers are
    `tunesmith stats --model`'s. A model with another tokenizer says how to count for it."""
    cli = stats.compute(workspace / "elle_multi_turn.jsonl", model=model)
    at = page(opened("elle_multi_turn.jsonl"), "train")
    monkeypatch.setattr(stats, "compute", lambda *a, **k: pytest.fail("the Train page counted the file again"))
    at.selectbox(key="tr_model").set_value(model)
    run(at)
    numbers = {m.label: m.value for m in at.metric}
    if model == "gpt-3.5-turbo-0125":  # cl100k_base; the editor counted with o200k_base
        assert "Billed tokens per epoch" not in numbers
        assert any(t.startswith("gpt-3.5-turbo-0125 counts tokens with cl100k_base") for t in texts(at.warning))
        return
    assert numbers["Examples"] == f"{cli.examples:,}"
    assert numbers["Billed tokens per epoch"] == f"{cli.billed_tokens:,}"
    assert numbers["Epochs"] == f"{cli.epochs} (auto)"
    assert numbers["Estimated cost"] == f"${cli.cost.usd:,.2f}"


def _connect_by_typing(at: AppTest, sandbox: Sandbox, key: str) -> None:
    at.text_input(key="conn_base_url").set_value(sandbox.base_url)
    at.text_input(key="conn_key").set_value(key)
    at.button(key="conn_use").click()
    run(at)
    assert at.session_state["conn_secret"] == key
    assert at.session_state["conn_key"] == ""
    shown = [str(e.value) for e in [*at.text_input, *at.text_area, *at.text, *at.caption, *at.markdown, *at.code]]
    assert not any(key in s for s in shown)


def _wait_for_status(at: AppTest, wanted: str, *, timeout: float = 30) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while True:
        run(at)
        numbers = {m.label: m.value for m in at.metric}
        if numbers.get("Status") == wanted:
            return numbers
        assert time.monotonic() < deadline, numbers
        time.sleep(0.2)


def test_train_refuses_a_file_without_examples_even_forced(workspace: Path, sandbox: Sandbox) -> None:
    """The button was enabled and "Upload even if lint finds errors" uploaded a file with nothing to train on."""
    (workspace / "none.jsonl").write_bytes(b"not json\n\n{\"broken\n")
    at = page(opened("none.jsonl"), "train")
    _connect_by_typing(at, sandbox, "sk-typed-in-the-page")
    at.checkbox(key="tr_force").check()
    run(at)
    assert "none.jsonl: no examples to count (none of its 2 non-blank lines is a JSON record: `tunesmith lint` says " \
           "why), so there is no training estimate: add examples, one JSON object per line (lint reports this as " \
           "F060)" in texts(at.error)
    assert at.button(key="tr_start").disabled
    assert not [m for m in at.metric if m.label == "Estimated cost"]


def test_train_then_compare_in_the_playground(workspace: Path, sandbox: Sandbox) -> None:
    at = page(opened("elle_single_turn.jsonl"), "train")
    _connect_by_typing(at, sandbox, "sk-typed-in-the-page")
    numbers = {m.label: m.value for m in at.metric}
    assert numbers["Examples"] == "14" and numbers["Epochs"] == "7 (auto)"
    at.selectbox(key="tr_validation").set_value("elle_validation.jsonl")
    at.text_input(key="tr_suffix").set_value("elle")
    run(at)
    at.button(key="tr_start").click()
    run(at)
    # the job, not the "created job ftjob-..." message: a rerun replaces that once the sandbox finishes
    monitor = at.session_state["tr_monitor"] if "tr_monitor" in at.session_state else None
    assert monitor is not None and str(monitor.job_id).startswith("ftjob-"), texts(at.error)
    numbers = _wait_for_status(at, "succeeded")
    assert numbers["Step"].split(" / ")[0] == numbers["Step"].split(" / ")[1]
    model = at.code[0].value
    assert model.startswith("ft:gpt-4.1-mini-2025-04-14:sandbox:elle:")
    # the loss curves drawn are the sandbox's own metrics events for the job, read here with the SDK
    events = openai.OpenAI(base_url=sandbox.base_url, api_key="sk-typed-in-the-page").fine_tuning.jobs.list_events(
        monitor.job_id, limit=1000).data
    metrics = [d for e in events if e.type == "metrics" and isinstance(d := e.data, dict)]
    sent = {(int(d["step"]), name, float(d[name])) for d in metrics for name in ("train_loss", "valid_loss")}
    loss = chart_rows(at.get("vega_lite_chart")[0])
    assert sent and set(zip(loss["step"], loss["metric"], loss["value"], strict=True)) == sent
    checkpoints = [c.value for c in at.code if ":ckpt-step-" in c.value]  # each whole, wrapped (not a wide table)
    assert checkpoints and all(c.startswith("ft:") for c in checkpoints)
    job = Registry().jobs()[0]
    assert (job.status, job.fine_tuned_model, job.validation_path) == (
        "succeeded", model, str(workspace / "elle_validation.jsonl"))

    page(at, "playground")
    assert at.selectbox(key="pg_tuned").value == model
    assert at.selectbox(key="pg_base").value == "gpt-4.1-mini-2025-04-14"
    assert at.text_area(key="pg_system").value == SYSTEM
    at.text_area(key="pg_question").set_value("Tell me about hydrogen.")
    run(at)
    at.button(key="pg_ask").click()
    run(at)
    assert len(at.code) == 2, (texts(at.error), texts(at.warning), texts(at.info))
    base, tuned = at.code[0].value, at.code[1].value
    assert base == "Sandbox reply from gpt-4.1-mini-2025-04-14: Tell me about hydrogen."
    assert tuned.startswith("Hydrogen's number is one;")
    assert [m.label for m in at.metric][:3] == ["Latency", "Prompt tokens", "Answer tokens"]
    at.number_input(key="pg_limit").set_value(3)
    at.button(key="pg_run_file").click()
    run(at)
    shown = [t for t in texts(at.caption) if re.match(r"^line \d+ · tuned answer", t)]
    assert [t.split(" ")[1] for t in shown] == ["1", "2", "3"]
    html = "".join(str(h.proto.body) for h in at.get("html"))
    assert html.count('class="ts-diff"') >= 3 * 5  # question, reference, two answers and the difference, per row
    assert "<ins " in html or "<del " in html


def test_past_jobs_can_be_reopened(workspace: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", sandbox.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sandbox")
    at = page(opened("elle_multi_turn.jsonl"), "train")
    at.button(key="tr_start").click()
    run(at)
    _wait_for_status(at, "succeeded")
    job_id = Registry().jobs()[0].job_id
    fresh = page(opened("elle_multi_turn.jsonl"), "train")
    assert fresh.selectbox(key="tr_past").value == job_id
    fresh.button(key="tr_past_open").click()
    _wait_for_status(fresh, "succeeded")
    assert fresh.subheader[0].value == f"Job {job_id}"


def test_lint_gate_stops_a_broken_file(workspace: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", sandbox.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sandbox")
    at = page(opened("elle_broken.jsonl"), "train")
    at.button(key="tr_start").click()
    run(at)
    assert any(t.startswith("lint found") and "Record editor" in t for t in texts(at.error))
    assert not any(method == "POST" for method, _, _ in sandbox.requests)  # nothing was uploaded


# -- tunesmith app --------------------------------------------------------------------------------


def test_app_command_line() -> None:
    cmd = app_cmd.command("/data/ws", 8600)
    assert cmd[:4] == [sys.executable, "-m", "streamlit", "run"] and Path(cmd[4]).name == "streamlit_app.py"
    options = dict(zip(cmd[5:-3:2], cmd[6:-3:2], strict=True))
    assert options == {"--server.address": "127.0.0.1", "--server.port": "8600", "--server.headless": "true",
                       "--browser.gatherUsageStats": "false", "--client.toolbarMode": "viewer"}
    assert cmd[-3:] == ["--", "--workspace", "/data/ws"]


def test_app_refuses_a_missing_folder(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["app", "no/such/folder"]) == 2
    assert "no/such/folder: no such folder" in capsys.readouterr().err


def test_app_given_a_file_names_the_folder_to_open(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "my data" / "train.jsonl"  # it said "no such folder" for a file that is there
    data.parent.mkdir()
    data.write_text("")
    assert cli(["app", str(data)]) == 2
    assert capsys.readouterr().err == (f"tunesmith: error: {data}: is a file; the editor's workspace is a folder: run "
                                       f"`tunesmith app '{data.parent}'` and open train.jsonl there\n")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_tunesmith_app_serves_the_editor(workspace: Path, tmp_path: Path) -> None:
    port = _free_port()
    log = tmp_path / "app.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "toolkit", "app", str(workspace), "--port", str(port)],
                                stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    assert r.read() == b"ok"
                    break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
    finally:
        proc.terminate()  # `tunesmith app` became the server itself: nothing is left running
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert f"Tunesmith editor on http://127.0.0.1:{port}" in log.read_text()


@pytest.mark.parametrize("script", [APP, ROOT / "toolkit" / "ui" / "streamlit_app.py"])
def test_worker_processes_can_import_the_entry_script(script: Path) -> None:
    """Spawned worker processes (the token counter's) import the script as __mp_main__: it must not start the app."""
    import runpy

    namespace = runpy.run_path(str(script), run_name="__mp_main__")
    assert callable(namespace["main"])


def test_a_finding_in_the_text_of_a_line_names_its_column(workspace: Path) -> None:
    """Where a finding has no field to sit next to (a line that is not JSON), the column says where, as lint does."""
    at = edit(opened("elle_broken.jsonl"), 1)  # F010: a missing comma at 1:168
    assert any(t.startswith("F010 invalid-json (line 1, column 168): not valid JSON") for t in texts(at.error))
    assert sum("not valid JSON" in t for t in texts(at.error)) == 1  # said once: the reader's words were shown too


def test_findings_of_an_edited_example_name_its_line_in_the_file(workspace: Path) -> None:
    at = edit(opened("elle_broken.jsonl"), 24)  # C101: weight 1.0
    msg(at.toggle, "msg_messages_2_weight").set_value(False)
    run(at)
    assert any(t.startswith("C111 no-trained-assistant-message (line 24, /messages)") for t in texts(at.warning))


def test_token_histogram_counts_every_example_and_draws_the_limit() -> None:
    from toolkit.ui import charts

    chart = charts.token_histogram([90, 100, 120, 5_000, 70_000], 65_536)
    bars, limit = chart.layer[0].data, chart.layer[1].data
    assert isinstance(bars, pd.DataFrame) and isinstance(limit, pd.DataFrame)
    assert bars["examples"].sum() == 5 and (bars["from"] < bars["to"]).all()
    assert bars["from"].min() <= 90 and bars["to"].max() >= 70_000
    assert list(limit["from"]) == [65_536]


def test_big_files_are_analysed_in_the_background(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from toolkit.edit import Analysis
    from toolkit.ui import state

    release = threading.Event()
    full = Analysis.run_full

    def slow(self: Analysis, *args: Any, **kwargs: Any) -> None:
        release.wait(30)
        full(self, *args, **kwargs)

    monkeypatch.setattr(state, "BACKGROUND_BYTES", 0)  # every file counts as big
    monkeypatch.setattr(Analysis, "run_full", slow)
    monkeypatch.setattr(Analysis, "recall", lambda self, ds: False)  # not the result kept from another test
    at = opened("elle_multi_turn.jsonl")
    assert any(t.startswith("Linting and counting tokens for the whole file") for t in texts(at.info))
    pending = at.dataframe[0].value
    assert len(pending) == 11 and (pending["status"] == "checking…").all() and (pending["tokens"] == "checking…").all()
    assert {m.label: m.value for m in at.metric}["Errors"] == "checking…"  # never a clean-looking 0
    release.set()
    deadline = time.monotonic() + 60
    while at.session_state["analysis_job"] is not None:
        assert time.monotonic() < deadline
        time.sleep(0.1)
        run(at)
    df = at.dataframe[0].value
    assert (df["status"] == "ok").all() and df["tokens"].str.fullmatch(r"[\d,]+").all()


def test_train_on_azure_says_how_to_deploy(workspace: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", sandbox.url)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "azure-key-SECRET")
    at = opened("elle_single_turn.jsonl")
    at.selectbox(key="ws_provider").set_value("azure")
    page(at, "train")
    assert at.expander[0].label.endswith(sandbox.url.split("//")[1])
    assert at.selectbox(key="tr_training_type").options == ["standard", "globalstandard", "developer"]
    at.selectbox(key="tr_training_type").set_value("developer")
    run(at)
    at.button(key="tr_start").click()
    run(at)
    _wait_for_status(at, "succeeded")
    assert any("az cognitiveservices account deployment create" in c.value for c in at.code)
    everything = [str(e.value) for e in [*at.text_input, *at.text, *at.caption, *at.markdown, *at.code, *at.success]]
    assert not any("azure-key-SECRET" in s for s in everything)


def test_a_near_duplicate_links_to_the_other_example(workspace: Path) -> None:
    first, other_line = (SAMPLES / "elle_single_turn.jsonl").read_text("utf-8").splitlines()[:2]
    copy = json.loads(first)  # the same question and answer, reworded a little: F131 on line 3
    copy["messages"][1]["content"] = copy["messages"][1]["content"].rstrip(".?") + ", please."
    (workspace / "near.jsonl").write_text("\n".join([first, other_line, json.dumps(copy)]) + "\n", "utf-8")
    at = edit(opened("near.jsonl"), 3)
    assert any(t.startswith("F131 near-duplicate-example") and "to line 1" in t for t in texts(at.warning))
    button(at, "Go to example 1 (line 1)").click()
    run(at)
    assert at.number_input(key="rec_index").value == 1
    assert not any(b.label.startswith("Go to example") and "(line 1)" in b.label for b in at.button)


def test_statistics_counts_the_examples_as_stats_and_lint_do(workspace: Path) -> None:
    """41 examples, as `tunesmith stats` and lint's summary say; the 2 other records (lines 9 and 48-63: not UTF-8,
    pretty-printed) are not examples until repaired, and their lines are listed with the other 19."""
    at = page(opened("elle_broken.jsonl"), "statistics")
    assert {m.label: m.value for m in at.metric}["Examples"] == "41"
    assert any(t.startswith("21 lines are not examples") and "(lines 1, 2, 3, 9, 10, 48," in t  # line 6 is blank
               for t in texts(at.warning))


# -- the project's target and the registry --------------------------------------------------------


def test_the_project_config_sets_the_provider_and_model(workspace: Path) -> None:
    """[tool.tunesmith] provider and model: the sidebar starts there and the statistics use Azure's limits."""
    nano = "gpt-4.1-nano-2025-04-14"  # context 32,768 on Azure, 65,536 on OpenAI
    (workspace / "pyproject.toml").write_text(f'[tool.tunesmith]\nprovider = "azure"\nmodel = "{nano}"\n', "utf-8")
    at = page(opened("elle_single_turn.jsonl"), "statistics")
    assert (at.selectbox(key="ws_provider").value, at.selectbox(key="ws_model").value) == ("azure", nano)
    assert "Over the 32,768-token limit" in [m.label for m in at.metric]
    at.selectbox(key="ws_provider").set_value("openai")  # the sidebar overrides the config, as a flag does
    run(at)
    assert "Over the 65,536-token limit" in [m.label for m in at.metric]


def test_a_failed_job_is_recorded_with_its_error(workspace: Path, sandbox: Sandbox,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The Train page records a failure's error in the registry, as `tunesmith train` does."""
    monkeypatch.setenv("OPENAI_BASE_URL", sandbox.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sandbox")
    lines = (workspace / "elle_single_turn.jsonl").read_bytes().splitlines(keepends=True)
    (workspace / "small.jsonl").write_bytes(b"".join(lines[:7]))  # the provider fails jobs under 10 examples
    at = page(opened("small.jsonl"), "train")
    at.checkbox(key="tr_force").check()
    run(at)
    at.button(key="tr_start").click()
    run(at)
    _wait_for_status(at, "failed")
    assert any("invalid_n_examples" in t for t in texts(at.error))
    job = Registry().jobs()[0]
    assert job.status == "failed" and "failed: invalid_n_examples: Training file has 7 example(s)" in (job.error or "")
    assert any(t.startswith("failed;") and "invalid_n_examples" in t for t in texts(at.caption))  # past jobs show it


def test_a_malformed_project_config_is_shown_not_skipped(workspace: Path) -> None:
    """The editor said nothing and used the defaults (openai) when pyproject.toml was not valid TOML."""
    config = workspace / "pyproject.toml"
    config.write_text('[tool.tunesmith]\nprovider = "azure"\nstrict = tru\n', "utf-8")
    at = start()
    assert any(t.startswith(f"lint settings ignored: {config}:3:10: not valid TOML: invalid value in `strict = tru`")
               for t in texts(at.warning)), texts(at.warning)
