"""The editor in Chromium, for reviewing many examples: every page at 1280 and 1400 px with nothing cut off,
the message fields across records and versions, bulk weights, highlighted fix previews, and the journal
while a restore offer waits. Fixtures and helpers come from test_browser (same app, same browser set-up).

Screenshots: test-artifacts/screenshots/<page>-<width>.png (git-ignored).
"""
# ruff: noqa: F811  (the fixtures imported from test_browser are the tests' parameters)

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect
from test_browser import (  # noqa: F401  (fixtures are found by name)
    SCREENSHOTS,
    TRAIN_WAIT_MS,
    VIEWPORT,
    browser,
    choose,
    click,
    edit_example,
    expand,
    go_to,
    idle,
    keyed,
    lines,
    load,
    open_sample,
    page,
    save,
    screenshot,
    serve,
    settle,
    table_row,
    type_into,
    workspace,
)

from toolkit.sandbox import Sandbox

pytestmark = pytest.mark.browser

WIDTHS = (1280, 1400)
# What overflows sideways, or is cut off: the page wider than the window, an element of the main area that
# reaches past it, a button or a label whose text does not fit (ellipsis), a table whose columns need a
# sideways scroll, a message box (below its largest size) that hides part of its text.
OVERFLOW_JS = """() => {
  const problems = [];
  const width = window.innerWidth;
  const doc = document.documentElement;
  if (doc.scrollWidth > width) problems.push(`page ${doc.scrollWidth}px wide in a ${width}px window`);
  const main = document.querySelector('[data-testid="stMain"]');
  if (main && main.scrollWidth > main.clientWidth + 1)
    problems.push(`main area scrolls sideways (${main.scrollWidth} > ${main.clientWidth})`);
  const visible = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const name = (el) => (el.innerText || el.getAttribute('aria-label') || el.tagName).trim().slice(0, 60);
  for (const el of document.querySelectorAll('[data-testid="stMain"] *')) {
    if (!visible(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.right > width + 1 && !el.closest('[data-testid="stDataFrame"]'))
      problems.push(`${el.tagName} "${name(el)}" ends at ${Math.round(r.right)}px`);
  }
  for (const b of document.querySelectorAll('[data-testid="stMain"] button')) {
    if (!visible(b)) continue;
    for (const el of [b, ...b.querySelectorAll('*')]) {
      if (el.clientWidth < 4) continue;  // visually hidden on purpose (an icon's screen-reader text)
      if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible') {
        problems.push(`button "${name(b)}" is cut off (${el.scrollWidth} > ${el.clientWidth})`); break;
      }
    }
  }
  for (const el of document.querySelectorAll('[data-testid="stMain"] label *')) {  // "Read v…", "Message 3 tr…"
    if (visible(el) && el.clientWidth >= 4 && el.scrollWidth > el.clientWidth + 1
        && getComputedStyle(el).overflowX !== 'visible')
      problems.push(`label "${name(el)}" is cut off (${el.scrollWidth} > ${el.clientWidth})`);
  }
  for (const box of document.querySelectorAll('[data-testid="stMain"] textarea[aria-label$=" content"]')) {
    if (visible(box) && box.clientHeight < 680 && box.scrollHeight > box.clientHeight + 1)  // grown, not at most
      problems.push(`"${box.getAttribute('aria-label')}" scrolls (${box.scrollHeight} > ${box.clientHeight})`);
  }
  for (const grid of document.querySelectorAll('[data-testid="stMain"] [data-testid="stDataFrame"] .dvn-scroller')) {
    if (visible(grid) && grid.scrollWidth > grid.clientWidth + 1)
      problems.push(`a table needs a sideways scroll (${grid.scrollWidth} > ${grid.clientWidth})`);
  }
  return [...new Set(problems)];
}"""


def shots(page: Page, name: str, *, height: int = VIEWPORT["height"]) -> None:
    """Screenshots at 1280 and 1400 px wide, each after checking that nothing overflows sideways."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        page.mouse.move(width - 5, height - 5)
        idle(page)
        page.wait_for_timeout(300)  # the layout settles after a resize
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"))
        problems = page.evaluate(OVERFLOW_JS)
        assert not problems, f"{name} at {width} px: {problems}"
    page.set_viewport_size({"width": VIEWPORT["width"], "height": VIEWPORT["height"]})


def field(page: Page, label: str) -> Locator:
    return page.get_by_label(label, exact=True).filter(visible=True)


# -- every page, both widths ----------------------------------------------------------------------


def test_every_page_at_both_widths_shows_everything(serve: Callable[..., str], page: Page, workspace: Path,
                                                     sandbox: Sandbox, tmp_path: Path) -> None:
    """One app and one session through every page: the Dataset table, a tool-calling and a DPO record, the
    Statistics charts, Import's preview, a training against the sandbox and both models in the Playground;
    screenshots of each (test_browser's at 1400 px, and at both widths with nothing cut off)."""
    held_out = workspace / "held_out.jsonl"
    held_out.write_text(json.dumps({"messages": [
        {"role": "user", "content": "<b>Tell</b> me about hydrogen."},
        {"role": "assistant", "content": "Hydrogen's number is one; <script>alert(1)</script> the lightest."}]})
        + "\n", "utf-8")
    load(page, serve(OPENAI_BASE_URL=sandbox.base_url, OPENAI_API_KEY="sandbox"))
    shots(page, "dataset-empty", height=1200)
    open_sample(page, "elle_tools.jsonl", "13 records in 13 entries")
    expect(page.get_by_text("13 of 13 entries")).to_be_visible()
    first = table_row(page, 0, 3)
    expect(first[2]).to_have_text("Does gallium really melt in your hand?")
    screenshot(page, "dataset")
    shots(page, "dataset", height=1400)
    edit_example(page, 1)
    expect(page.get_by_label("Message 3 call 1 function")).to_have_value("lookup_element")
    expect(page.get_by_text("answered by message 4")).to_be_visible()
    expect(page.get_by_label("Message 4 tool_call_id")).to_have_value("call_ga_01")
    screenshot(page, "record-editor", height=3400)  # the whole tool-calling conversation
    shots(page, "record-editor", height=3400)

    go_to(page, "Statistics")
    expect(page.get_by_test_id("stMetric").filter(has_text="Examples")).to_contain_text("13")
    expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(3)
    for chart in page.get_by_test_id("stVegaLiteChart").all():
        expect(chart.locator("canvas, svg").first).to_be_visible()
    screenshot(page, "statistics")

    go_to(page, "Dataset")
    open_sample(page, "elle_dpo.jsonl", "11 records in 11 entries")
    edit_example(page, 1)
    expect(page.get_by_role("button", name="Add non-preferred message")).to_be_visible()
    shots(page, "record-editor-dpo", height=3400)  # "Insert below", "Add non-preferred message" whole

    go_to(page, "Statistics")
    expect(page.get_by_test_id("stMetric").filter(has_text="Examples")).to_contain_text("11")
    shots(page, "statistics", height=2400)

    go_to(page, "Import")
    table = tmp_path / "zinc.csv"
    table.write_text("question,answer\nTell me about zinc.,Zinc is thirty.\n", "utf-8")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(table))
    expect(page.get_by_role("heading", name="Preview: 1 example")).to_be_visible()
    shots(page, "import", height=1600)
    table = tmp_path / "gallium.csv"  # another file in its place: its own preview
    table.write_text("question,answer,notes\nTell me about zinc.,Zinc is thirty.,x\n"
                     "Tell me about gallium.,It melts in your hand.,y\n", "utf-8")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(table))
    expect(page.get_by_role("heading", name="Preview: 2 examples")).to_be_visible()
    expect(page.get_by_role("combobox", name="Column 2: answer")).to_have_value("assistant")
    screenshot(page, "import")

    go_to(page, "Dataset")
    open_sample(page, "elle_single_turn.jsonl", "14 records in 14 entries")
    go_to(page, "Train")
    host = sandbox.base_url.split("//")[1].split("/")[0]
    expect(page.get_by_text(re.compile(f"^Connection to openai: {re.escape(host)}"))).to_be_visible()
    expect(page.get_by_test_id("stMetric").filter(has_text="Epochs")).to_contain_text("7 (auto)")
    start = keyed(page, "tr_start").get_by_role("button")
    expect(start).to_be_enabled()
    click(page, start)
    # not the "created job ftjob-..." message: a rerun replaces it as soon as the sandbox finishes; the job's
    # status stays on the page
    status = page.get_by_test_id("stMetric").filter(has_text="Status")
    # .first: while the job view (a fragment) and the page redraw, Streamlit briefly shows both copies
    expect(status.first).to_contain_text("succeeded", timeout=TRAIN_WAIT_MS)
    idle(page)
    expect(status).to_have_count(1)
    expect(page.get_by_text("Fine-tuned model ready:")).to_have_count(1)
    model = page.get_by_test_id("stCode").filter(has_text="ft:gpt-4.1-mini-2025-04-14:sandbox:",
                                                 has_not_text=":ckpt-step-")  # not the checkpoints
    expect(model).to_have_count(1)
    tuned = model.inner_text().strip()
    expect(page.get_by_test_id("stMetric").filter(has_text="Step")).to_contain_text(re.compile(r"(\d+) / \1$"))
    expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(2)  # loss and accuracy curves
    past = page.get_by_text(re.compile(r"^succeeded; trained on .*elle_single_turn\.jsonl"))  # the job, in the registry
    expect(past).to_contain_text(f"; model {tuned}")
    expect(keyed(page, "tr_checkpoints").get_by_test_id("stCode").first).to_contain_text(":ckpt-step-")
    screenshot(page, "train")
    shots(page, "train", height=3000)

    go_to(page, "Playground")
    expect(page.get_by_role("combobox", name="Fine-tuned model or checkpoint")).to_have_value(tuned)
    expect(page.get_by_role("combobox", name="Base model")).to_have_value("gpt-4.1-mini-2025-04-14")
    type_into(page.get_by_label("Question"), "Tell me about hydrogen.")
    ask = keyed(page, "pg_ask").get_by_role("button")
    expect(ask).to_be_enabled()
    click(page, ask)
    expect(page.get_by_text("Sandbox reply from gpt-4.1-mini-2025-04-14: Tell me about hydrogen.")).to_be_visible()
    expect(page.get_by_test_id("stCode").filter(has_text="Hydrogen's number is one;")).to_be_visible()
    expect(page.get_by_test_id("stMetric").filter(has_text="Latency")).to_have_count(2)
    expect(page.get_by_role("combobox", name="Held-out file")).to_have_value("elle_validation.jsonl")
    click(page, keyed(page, "pg_run_file").get_by_role("button"))
    expect(page.get_by_test_id("stMetric").filter(has_text="tuned: same as the reference")).to_be_visible()
    expect(keyed(page, "pg_row_0").get_by_text("Tuned answer against the reference")).to_be_visible()
    screenshot(page, "playground", height=2400)

    choose(page, "Held-out file", "held_out.jsonl")
    click(page, keyed(page, "pg_run_file").get_by_role("button"))
    row = keyed(page, "pg_row_0")
    expect(row.get_by_text("Hydrogen's number is one; <script>alert(1)</script> the lightest.", exact=True)).to_be_visible()
    expect(row.get_by_text("<b>Tell</b> me about hydrogen.", exact=True)).to_be_visible()  # shown as text, not as HTML
    expect(row.locator("b, script")).to_have_count(0)
    expect(row.locator(".ts-diff ins, .ts-diff del").first).to_be_visible()  # the difference is highlighted
    shots(page, "playground", height=2400)


# -- the message fields follow the record and its version ------------------------------------------


def test_message_fields_show_the_record_and_version_shown(serve: Callable[..., str], page: Page,
                                                          workspace: Path) -> None:
    """Then, in the same session: bulk weights on the filtered examples, and two odd files (blank lines, UTF-16)."""
    (workspace / "blank.jsonl").write_bytes(b"\n\n   \n\n")
    record = {"messages": [{"role": "user", "content": "Na?"}, {"role": "assistant", "content": "Sodium."}]}
    (workspace / "notepad.jsonl").write_bytes((json.dumps(record) + "\n").encode("utf-16"))
    path = workspace / "elle_multi_turn.jsonl"
    before = lines(path)
    records = [json.loads(line) for line in before if line]
    load(page, serve())
    open_sample(page, "elle_multi_turn.jsonl", "11 records in 11 entries")
    edit_example(page, 1)
    for number, then in ((1, "rec_next"), (2, "rec_next"), (3, "rec_prev"), (2, "rec_prev"), (1, None)):
        expect(page.get_by_text(re.compile(f"^line {number} · chat · "))).to_be_visible()  # forward and back
        for m, message in enumerate(records[number - 1]["messages"]):
            expect(field(page, f"Message {m + 1} content")).to_have_value(message["content"])
        if then:
            click(page, keyed(page, then).get_by_role("button"))
            settle(page, page.get_by_text(re.compile(f"^line {number + (1 if then == 'rec_next' else -1)} · chat · ")))

    # add a message, type into it, remove the one before it: every field shows its own message's text
    click(page, page.get_by_role("button", name="Add message", exact=True))
    settle(page, page.get_by_text("elle_multi_turn.jsonl: 1 unsaved change; 1 in the undo list"))
    type_into(field(page, "Message 6 content"), "And its melting point?")
    expect(page.get_by_text("elle_multi_turn.jsonl: 2 unsaved changes; 2 in the undo list")).to_be_visible()
    click(page, page.locator("[class*='st-key-msg_messages_4_delete__']").get_by_role("button"))
    settle(page, page.get_by_text("elle_multi_turn.jsonl: 3 unsaved changes; 3 in the undo list"))
    expect(field(page, "Message 5 content")).to_have_value("And its melting point?")
    expect(field(page, "Message 4 content")).to_have_value(records[0]["messages"][3]["content"])
    expect(field(page, "Message 6 content")).to_have_count(0)
    click(page, keyed(page, "undo").get_by_role("button"))  # the undo shows the older version in every field
    settle(page, page.get_by_text("elle_multi_turn.jsonl: 2 unsaved changes; 2 in the undo list"))
    expect(field(page, "Message 5 content")).to_have_value(records[0]["messages"][4]["content"])
    expect(field(page, "Message 6 content")).to_have_value("And its melting point?")
    click(page, page.locator("[class*='st-key-msg_messages_5_delete__']").get_by_role("button"))
    settle(page, page.get_by_text("elle_multi_turn.jsonl: 3 unsaved changes; 3 in the undo list"))
    click(page, keyed(page, "rec_next").get_by_role("button"))
    settle(page, page.get_by_text(re.compile("^line 2 · chat · ")))  # the second example is drawn
    expect(field(page, "Message 2 content")).to_have_value(records[1]["messages"][1]["content"])
    type_into(field(page, "Message 2 content"), "What is chlorine, exactly?")
    expect(field(page, "Message 2 content")).to_have_value("What is chlorine, exactly?")
    click(page, keyed(page, "rec_prev").get_by_role("button"))
    settle(page, page.get_by_text(re.compile("^line 1 · chat · ")))
    expect(field(page, "Message 2 content")).to_have_value(records[0]["messages"][1]["content"])
    save(page, "elle_multi_turn.jsonl")
    after = lines(path)
    assert after[0] == before[0]  # added then deleted: the same record, byte for byte
    assert after[1] == before[1].replace(b'"What is chlorine?"', b'"What is chlorine, exactly?"') != before[1]
    assert after[2:] == before[2:]

    # bulk weights on the filtered examples (the one about chlorine)
    before = lines(path)
    go_to(page, "Dataset")
    search = page.get_by_role("textbox", name="Search", exact=True)  # not the table toolbar's Search button
    search.fill("chlorine")
    search.press("Enter")
    settle(page, page.get_by_text("1 of 11 entries · search: chlorine"))
    expand(page, "Bulk actions")
    choose(page, "Set the assistant weights", "every assistant turn trained (weight 1)")
    shots(page, "dataset-bulk-weights", height=1400)
    click(page, keyed(page, "ds_bulk_set_weights").get_by_role("button"))
    expect(page.get_by_text(re.compile(r"^set weights \(every assistant turn trained \(weight 1\)\) on 1 of 1"))
           ).to_be_visible()
    save(page, "elle_multi_turn.jsonl")
    after = lines(path)
    assert after[1] == before[1].replace(b'"weight": 0}', b'"weight": 1}') != before[1]
    assert after[:1] == before[:1] and after[2:] == before[2:]
    search.fill("")
    search.press("Enter")
    settle(page, page.get_by_text("11 of 11 entries", exact=True))

    # odd files, as a new author opens them: no clean-looking statistics for a file of blank lines
    open_sample(page, "blank.jsonl", "0 records in 4 entries")
    go_to(page, "Statistics")
    expect(page.get_by_text(re.compile(r"^This file has no examples: none of its 4 lines is a JSON record"))
           ).to_be_visible()
    expect(page.get_by_test_id("stMetric")).to_have_count(0)  # no "0 tokens, $0.00" that looks like a result
    expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(0)
    shots(page, "statistics-blank-lines", height=1000)

    go_to(page, "Dataset")  # UTF-16 (Notepad's "Unicode"): as many records as lint finds, and no traceback
    open_sample(page, "notepad.jsonl", "0 records in 2 entries")
    expect(page.get_by_test_id("stMetric").filter(has_text="Errors")).to_contain_text("1")  # F030 once, at line 1
    edit_example(page, 1)  # its fix reads the whole file as UTF-16 (its byte-order mark says so) and keeps it as UTF-8
    expect(page.get_by_text("example 1 cannot be read as cp1252: the file is UTF-16", exact=False)).to_be_visible()
    click(page, page.get_by_role("button", name="Fix this"))
    expect(page.get_by_text("read the whole file as UTF-16", exact=False)).to_be_visible()
    click(page, keyed(page, "fix_apply").get_by_role("button"))
    expect(page.get_by_text("fixed F030: 1 change; save to write them to the file")).to_be_visible()
    save(page, "notepad.jsonl")
    assert (workspace / "notepad.jsonl").read_bytes() == (json.dumps(record) + "\n").encode("utf-8")


# -- the journal while the restore offer waits ----------------------------------------------------


def test_edits_made_while_the_restore_offer_waits_are_not_lost(serve: Callable[..., str], page: Page,
                                                               workspace: Path) -> None:
    path = workspace / "elle_single_turn.jsonl"
    before = lines(path)
    journal = workspace / ".tunesmith" / "journal"
    load(page, serve())
    open_sample(page, "elle_single_turn.jsonl", "14 records in 14 entries")
    edit_example(page, 3)
    type_into(field(page, "Message 2 content"), "What's special about lithium, then?")
    expect(page.get_by_text("elle_single_turn.jsonl: 1 unsaved change; 1 in the undo list")).to_be_visible()
    idle(page)

    page.reload()  # the offer comes; it is not answered, and another example is edited
    idle(page)
    offer = page.get_by_text(re.compile(r"^elle_single_turn\.jsonl has unsaved changes from an earlier session"))
    expect(offer).to_be_visible()
    click(page, keyed(page, "rec_next").get_by_role("button"))
    settle(page, page.get_by_text(re.compile("^line 4 · chat · ")))
    type_into(field(page, "Message 2 content"), "Which element has atomic number 6, please?")
    expect(page.get_by_text("elle_single_turn.jsonl: 1 unsaved change; 1 in the undo list")).to_be_visible()
    idle(page)
    kept = b"".join(p.read_bytes() for p in journal.glob("*.jsonl"))
    assert b"lithium, then?" in kept and b"atomic number 6, please?" in kept  # both, on disk

    page.reload()  # both sets are offered, the newest first; nothing was lost
    idle(page)
    expect(offer).to_contain_text("1 older set of unsaved changes after this one")
    shots(page, "record-editor-two-offers", height=1400)
    click(page, keyed(page, "journal_restore").get_by_role("button"))
    expect(page.get_by_text(re.compile("^restored the unsaved changes of"))).to_be_visible()
    expect(offer).to_be_visible()  # the older set still waits
    expect(offer).not_to_contain_text("older set")
    save(page, "elle_single_turn.jsonl")
    after = lines(path)
    assert after[3] == before[3].replace(b"atomic number 6?", b"atomic number 6, please?") != before[3]
    assert after[:3] == before[:3] and after[4:] == before[4:]
    kept = b"".join(p.read_bytes() for p in journal.glob("*.jsonl"))
    assert b"lithium, then?" in kept  # the older set is still kept, for the user to restore or discard
    click(page, keyed(page, "journal_discard").get_by_role("button"))
    expect(page.get_by_text(re.compile("^discarded the unsaved changes of"))).to_be_visible()
    assert not list(journal.iterdir())


# -- fix previews highlight the change; the author's place is kept across an edit ------------------


def test_fix_previews_then_an_edit_keeps_the_cursor_and_the_keyboard_still_navigates(
        serve: Callable[..., str], page: Page, workspace: Path) -> None:
    """A mechanical fix is previewed as a highlighted change (a small diff, the whole word), applied and saved.
    Then, in the same session, a committed edit leaves the cursor in the field (no redraw); J/K and N still move
    afterwards; text typed into the next field while the edit is applied is kept."""
    weights = workspace / "weights.jsonl"
    good = json.dumps({"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}]})
    bad = json.dumps({"messages": [{"role": "developer", "content": "Be brief. " * 30},
                                   {"role": "user", "content": "Hi"},
                                   {"role": "assistant", "content": "Yo", "weight": 1.0}]})
    weights.write_text(good + "\n" + bad + "\n", "utf-8")
    path = workspace / "review.jsonl"
    records = [json.loads(line) for line in lines(workspace / "elle_multi_turn.jsonl")[:5]]
    records[3]["messages"][1]["role"] = "human"  # the only finding: C030 on example 4
    path.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    load(page, serve())
    open_sample(page, "weights.jsonl", "2 records in 2 entries")
    edit_example(page, 2)
    card = page.get_by_role("alert").filter(has_text="C101 invalid-weight").locator(
        "xpath=ancestor::div[@data-testid='stVerticalBlock'][1]")
    click(page, card.get_by_role("button", name="Fix this"))
    expect(page.get_by_text("/messages/2/weight: write the weight 1.0 as 1")).to_be_visible()
    preview = page.locator(".ts-diff").filter(has=page.locator("del"))
    expect(preview.locator("del")).to_have_text(".0")
    expect(preview).not_to_contain_text("Be brief. Be brief. Be brief. Be brief.")  # a small diff, not the blob
    shots(page, "record-editor-fix-preview", height=1600)
    click(page, keyed(page, "fix_apply").get_by_role("button"))
    settle(page, page.get_by_text("fixed C101: 1 change; save to write them to the file"))  # C101's card gone
    card = page.get_by_role("alert").filter(has_text="C031 developer-role-in-chat").locator(
        "xpath=ancestor::div[@data-testid='stVerticalBlock'][1]")
    click(page, card.get_by_role("button", name="Fix this"))
    expect(page.locator(".ts-diff ins")).to_have_text("system")  # the word, not "syst" + "m"
    click(page, keyed(page, "fix_apply").get_by_role("button"))
    expect(page.get_by_text("fixed C031: 1 change; save to write them to the file")).to_be_visible()
    save(page, "weights.jsonl")
    after = lines(weights)
    assert after[0] == good.encode()
    assert after[1] == bad.replace('"weight": 1.0', '"weight": 1').replace('"developer"', '"system"').encode()

    # -- the author's place is kept across an edit
    go_to(page, "Dataset")
    open_sample(page, "review.jsonl", "5 records in 5 entries")
    edit_example(page, 1)
    summary = page.get_by_text(re.compile(r"^line \d+ · "))

    question = field(page, "Message 2 content")
    type_into(question, "Tell me about aluminium, please.")
    expect(page.get_by_text("review.jsonl: 1 unsaved change; 1 in the undo list")).to_be_visible()
    idle(page)
    expect(field(page, "Message 2 content")).to_be_focused()  # the same field, the cursor still in it
    page.keyboard.press("End")
    page.keyboard.type(" Now.")
    page.keyboard.press("Control+Enter")
    expect(page.get_by_text("review.jsonl: 2 unsaved changes; 2 in the undo list")).to_be_visible()
    idle(page)
    expect(field(page, "Message 2 content")).to_be_focused()
    expect(field(page, "Message 2 content")).to_have_value("Tell me about aluminium, please. Now.")

    # two fields in a row, the second typed into while the first edit is applied: both are kept
    type_into(field(page, "Message 4 content"), "And its melting point, please?")
    type_into(field(page, "Message 5 content"), "It melts at 660 °C.")
    expect(page.get_by_text("review.jsonl: 4 unsaved changes; 4 in the undo list")).to_be_visible()
    idle(page)

    page.get_by_role("heading", name="Record editor", level=1).click()  # out of the field: keys navigate
    page.keyboard.press("n")
    expect(summary).to_have_text(re.compile(r"^line 4 · "))
    idle(page)
    page.keyboard.press("j")
    expect(summary).to_have_text(re.compile(r"^line 5 · "))
    idle(page)
    page.keyboard.press("p")
    expect(summary).to_have_text(re.compile(r"^line 4 · "))
    idle(page)
    page.keyboard.press("k")
    expect(summary).to_have_text(re.compile(r"^line 3 · "))
    save(page, "review.jsonl")
    first = json.loads(lines(path)[0])
    assert [m["content"] for m in first["messages"][1:]] == [
        "Tell me about aluminium, please. Now.", records[0]["messages"][2]["content"],
        "And its melting point, please?", "It melts at 660 °C."]
    assert lines(path)[1:5] == [json.dumps(r).encode() for r in records[1:]]
