# ruff: noqa: F811  (the workspace fixture imported from test_app.py is a parameter of the same name)
"""The editor headless (AppTest) on what made it slow: a message of hundreds of thousands of characters is
shown cut with a switch to edit it whole, and an edit of a big record is checked in the worker while the
page says so. The harness is test_app.py's."""

from __future__ import annotations

import json
import time
from pathlib import Path

from test_app import components_scanned_once, edit, msg, opened, run, texts, workspace  # noqa: F401  (fixtures)

from toolkit.ui import conversation

LONG = "Hydrogen is the lightest element. " * 9_000  # ~306,000 characters


def _long_file(folder: Path) -> None:
    record = {"messages": [{"role": "user", "content": "Tell me everything."},
                           {"role": "assistant", "content": LONG}]}
    (folder / "long.jsonl").write_text(json.dumps(record) + "\n", "utf-8")


def test_a_long_message_is_shown_cut_and_edited_whole_on_demand(workspace: Path) -> None:
    _long_file(workspace)
    at = edit(opened("long.jsonl"), 1)
    deadline = time.monotonic() + 120
    while at.session_state["analysis_job"] is not None:  # the file is over 256 KB: checked in the worker
        assert time.monotonic() < deadline
        time.sleep(0.2)
        run(at)
    assert any(t.startswith(f"Message 2 content: {len(LONG):,} characters, too long to draw whole")
               for t in texts(at.caption))
    assert any(c.value == LONG[:conversation.SHOWN_CHARS] for c in at.code)
    assert not [a for a in at.text_area if str(a.key).startswith("msg_messages_1_content__")]
    assert not [a for a in at.text_area if str(a.key).startswith("edit_json_")]  # the JSON box only when asked for
    msg(at.toggle, "msg_messages_1_whole").set_value(True)
    run(at)
    box = msg(at.text_area, "msg_messages_1_content")
    assert box.value == LONG
    box.set_value(LONG + "The end.")
    run(at)
    assert at.session_state["dataset"].entries[0].value["messages"][1]["content"] == LONG + "The end."
    assert any("checking…" in t for t in texts(at.caption)) or at.session_state["analysis_job"] is None
    deadline = time.monotonic() + 120
    while at.session_state["analysis_job"] is not None:  # the edited 300 KB record is re-checked in the worker
        assert time.monotonic() < deadline
        time.sleep(0.2)
        run(at)
    assert any(t.startswith("line 1 · chat · ") and (" error, " in t or " errors, " in t) for t in texts(at.caption))


def test_the_worker_waits_for_the_page_that_started_it_to_be_drawn(workspace: Path) -> None:
    record = {"messages": [{"role": "user", "content": "Once more?"}, {"role": "assistant", "content": LONG}]}
    (workspace / "other.jsonl").write_text(json.dumps(record) + "\n", "utf-8")  # content not analysed before
    at = opened("other.jsonl")  # over 256 KB: the pass that drew the table submitted the check to the worker
    gate = at.session_state["analysis_gate"]
    assert gate.is_set()  # the pass ended, so the job was let run (it never shares the interpreter with a draw)
    deadline = time.monotonic() + 120
    while at.session_state["analysis_job"] is not None:
        assert time.monotonic() < deadline
        time.sleep(0.2)
        run(at)
    assert at.session_state["analysis"].ready
