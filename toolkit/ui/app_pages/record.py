"""Record editor: the selected example as a conversation, with its lint findings next to the fields."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import streamlit as st

from toolkit import formats, repairs
from toolkit.edit import Analysis, Dataset, EditError, findings, ops, review
from toolkit.edit.records import shown
from toolkit.errors import ToolkitError
from toolkit.plural import plural
from toolkit.ui import conversation, page, state, widgets


def _select(index: int) -> None:
    st.session_state["selected"] = index


def _step(by: int) -> None:
    """Next/previous example, from the one selected when the click arrives (a quick second J moves on again)."""
    ds = state.dataset()
    if ds is not None and len(ds):
        _select(min(max(st.session_state.get("selected", 0) + by, 0), len(ds) - 1))


def _to_finding(forward: bool) -> None:
    """The next (previous) example with an error or a warning, from the one selected when the click arrives."""
    ds, an = state.dataset(), state.analysis()
    if ds is None or an is None:
        return
    here = st.session_state.get("selected", 0)
    found = _with_findings(ds, an, range(here + 1, len(ds)) if forward else range(here - 1, -1, -1))
    if found is not None:
        _select(found)


def _navigator(ds: Dataset, an: Analysis) -> int:
    count = len(ds)
    index: int = min(max(st.session_state.get("selected", 0), 0), count - 1)
    st.session_state["selected"] = index
    st.session_state["rec_index"] = index + 1
    pick, prev, nxt, back, bad, read = st.columns([1.6, 1.5, 1.2, 2.1, 1.9, 2], vertical_alignment="bottom")
    pick.number_input(f"Example (of {count})", min_value=1, max_value=count, step=1, key="rec_index",
                      on_change=lambda: _select(int(st.session_state["rec_index"]) - 1))
    prev.button("Previous", key="rec_prev", disabled=index == 0, on_click=_step, args=(-1,),
                shortcut="K", help="previous example (key K)")
    nxt.button("Next", key="rec_next", disabled=index == count - 1, on_click=_step, args=(1,),
               shortcut="J", help="next example (key J)")
    earlier = _with_findings(ds, an, range(index - 1, -1, -1))
    back.button("Previous finding", key="rec_prev_finding", disabled=earlier is None, on_click=_to_finding,
                args=(False,), shortcut="P", help="the previous example with an error or a warning (key P)")
    later = _with_findings(ds, an, range(index + 1, count))
    bad.button("Next finding", key="rec_next_error", disabled=later is None, on_click=_to_finding,
               args=(True,), shortcut="N", help="the next example with an error or a warning (key N)")
    read.toggle("Read view", key="rec_read", help="the conversation as chat bubbles, every text whole; "
                "switch off to edit the fields")
    return index


def _with_findings(ds: Dataset, an: Analysis, indices: range) -> int | None:
    """The first of ``indices`` whose entry has an error or a warning."""
    return next((i for i in indices if (f := an.get(ds.entries[i])) and (f.errors or f.warnings)), None)


def _set_review(index: int, key: str, what: str) -> None:
    ds = state.dataset()
    if ds is None or not 0 <= index < len(ds):
        return
    value = st.session_state.get(key)
    try:
        if what == "status":
            state.review().set(ds.entries[index], status=value)
        else:
            state.review().set(ds.entries[index], tags=review.parse_tags(value or ""))
    except (ToolkitError, OSError) as exc:
        state.flash("error", f"the review note could not be written: {exc}")


def _review(ds: Dataset, index: int) -> None:
    """Review status and tags of the example, kept in the workspace (never in the file)."""
    entry = ds.entries[index]
    note = state.review().get(entry)
    status_key, tags_key = f"rev_status_{entry.uid}", f"rev_tags_{entry.uid}"
    st.session_state.setdefault(status_key, note.status)
    st.session_state.setdefault(tags_key, ", ".join(note.tags))
    left, right = st.columns([3, 4], vertical_alignment="bottom")
    left.segmented_control("Review", review.STATUSES, key=status_key, on_change=_set_review, required=True,
                           args=(index, status_key, "status"),
                           help="kept beside the dataset in the workspace (.tunesmith/), never in the JSONL")
    right.text_input("Tags (comma-separated)", key=tags_key, on_change=_set_review, args=(index, tags_key, "tags"),
                     placeholder="tone, facts")


def _summary(ds: Dataset, an: Analysis, index: int) -> None:
    entry, facts = ds.entries[index], an.get(ds.entries[index])
    parts = [f"line {ds.start_lines()[index]}"]
    if entry.is_record:
        parts.append(formats.detect(entry.value) or "unknown format")
    if facts is not None and facts.tokens is not None:
        parts.append(f"{facts.tokens:,} tokens ({facts.trained or 0:,} trained)")
    if facts is not None:
        parts.append(f"{plural(facts.errors, 'error')}, {plural(facts.warnings, 'warning')}")
    else:
        parts.append("checking… (tokens and findings appear when done)")
    st.caption(widgets.md(" · ".join(parts)))


def _action(what: str, do: Callable[[Dataset], object]) -> None:
    ds = state.dataset()
    if ds is None:
        return
    try:
        do(ds)
    except EditError as exc:
        state.flash("error", str(exc))
        return
    state.flash("info", what)


def _actions(ds: Dataset, index: int) -> None:
    dup, delete, new = st.columns(3)

    def duplicate(d: Dataset) -> None:
        d.duplicate(index)
        _select(index + 1)

    dup.button("Duplicate example", key="rec_duplicate",
               on_click=_action, args=(f"duplicated example {index + 1}", duplicate))
    delete.button("Delete example", key="rec_delete",
                  on_click=_action, args=(f"deleted example {index + 1}", lambda d: d.delete(index)))
    new.button(f"New example after this one (as {index + 2})", key="rec_new",
               help="the file's shared system prompt, then empty user and assistant messages",
               on_click=_action, args=(f"added example {index + 2} from the template", _new))


def _new(ds: Dataset) -> None:
    index = min(st.session_state.get("selected", -1) + 1, len(ds))
    records = [v for e in ds.entries[:200] if (v := e.value) is not None]
    ds.insert(index, ops.template(records), f"new example {index + 1} from the template")
    _select(index)


def _set_text(key: str, index: int, uid: int) -> None:
    """Apply the text box ``key``, drawn for entry ``uid`` at ``index``; nothing when that entry is not there
    any more (a click that arrived after the page moved on would write one example over another)."""
    ds = state.dataset()
    if ds is None:
        return
    if not 0 <= index < len(ds) or ds.entries[index].uid != uid or st.session_state.get(key) is None:
        state.flash("warning", f"the text of example {index + 1} was not applied: the example changed (or another "
                               "one was shown) before the click arrived; check it and apply again")
        return
    before = ds.entries[index]
    try:
        new = ds.set_text(index, st.session_state.get(key) or "", f"example {index + 1}: text edited")
    except EditError as exc:
        state.flash("error", str(exc))
        return
    if len(new) == 1:
        state.carry_review(before, new[0])
    state.flash("info", f"example {index + 1}: text applied ({state.entries(len(new))})")


def _text_editor(ds: Dataset, index: int, *, broken: bool) -> None:
    """The entry's whole text in a box; its key names the entry (a new one after every edit of it).

    A fixed key would keep the browser's copy of the first entry shown, and "Apply" would then
    write that entry over this one.
    """
    entry = ds.entries[index]
    key = f"edit_json_{entry.uid}"
    label = "Line text (not a valid JSONL record yet)" if broken else "Example as JSON"
    if broken:
        st.text_area(label, value=shown(entry.text), key=key, height=160)
        st.button("Apply text", key=f"edit_json_apply_{entry.uid}", type="primary", on_click=_set_text,
                  args=(key, index, entry.uid))
        return
    if len(entry.raw) > conversation.LONG_TEXT:  # megabytes in a box: drawn only when asked for (see _cut)
        if not st.toggle(f"Edit this example as JSON ({len(entry.raw):,} bytes: slow to draw)",
                         key=f"edit_json_whole_{entry.uid}"):
            return
        st.text_area(label, value=shown(entry.text), key=key, height=200)
        st.button("Apply JSON", key=f"edit_json_apply_{entry.uid}", on_click=_set_text, args=(key, index, entry.uid))
        return
    with st.expander("Edit this example as JSON (every field, including unknown ones)"):
        st.text_area(label, value=shown(entry.text), key=key, height=200)
        st.button("Apply JSON", key=f"edit_json_apply_{entry.uid}", on_click=_set_text, args=(key, index, entry.uid))


def _other_fields(value: dict[str, Any]) -> None:
    shown_keys = {path[0] for path in formats.MESSAGE_ARRAYS}  # the lists drawn as conversations
    rest = {k: v for k, v in value.items() if k not in shown_keys}
    if isinstance(value.get("input"), dict):
        rest.update({f"input.{k}": v for k, v in value["input"].items() if k != "messages"})
    if rest:
        with st.expander(f"Other fields: {', '.join(shown(k) for k in rest)}"):
            st.code(shown(json.dumps(rest, ensure_ascii=False, indent=2)), language="json", wrap_lines=True)


def _redecode(index: int, key: str) -> None:
    ds = state.dataset()
    encoding = st.session_state.get(key) or "cp1252"
    if ds is None:
        return
    try:
        ds.redecode(index, encoding)
    except EditError as exc:
        state.flash("error", str(exc))
        return
    state.flash("success", f"example {index + 1}: re-read as {encoding}; save to write it as UTF-8")


def _encoding_panel(ds: Dataset, index: int) -> None:
    """A line with bytes that are not UTF-8: choose how to read them (preview, then apply) before any edit."""
    entry = ds.entries[index]
    widgets.alert("warning", f"Line {ds.start_lines()[index]} has bytes that are not valid UTF-8 (shown as "
                  "\ufffd). It cannot be edited until you choose how to read them, so that no character is "
                  "replaced without you asking. Files saved by Excel or old Windows programs are usually "
                  "Windows-1252 (cp1252).")
    key = f"rec_encoding_{entry.uid}"
    encoding = st.radio("Read the bytes that are not UTF-8 as", list(repairs.REDECODE_ENCODINGS), key=key,
                        format_func=repairs.REDECODE_ENCODINGS.get, horizontal=True)
    try:
        after = ds.redecoded(index, encoding).decode("utf-8")
    except EditError as exc:
        widgets.alert("error", str(exc))
        return
    before = entry.raw.decode("utf-8", "replace")
    st.caption("What changes (\ufffd before, struck through; the character read after, highlighted):")
    widgets.diff(before, after)
    st.button(f"Re-read this line as {encoding}", key="rec_redecode", type="primary", on_click=_redecode,
              args=(index, key))
    st.caption("The line as it is now (read-only):")
    st.code(shown(entry.text), language=None, wrap_lines=True)


def _record(ds: Dataset, an: Analysis, index: int, drawing: int) -> None:
    entry = ds.entries[index]
    facts = an.get(entry)
    diags = list(facts.diagnostics) if facts else []
    counter = [0]
    first = ds.start_lines()[index]
    if entry.undecodable:
        widgets.show_findings(diags, index=index, counter=counter, first_line=first)
        _encoding_panel(ds, index)
        return
    value = entry.value
    if value is None:
        if not diags:  # the findings say what is wrong, with their rule and column: the reader's words only without
            widgets.alert("error", entry.problem or "this line is not a JSON object")
        widgets.show_findings(diags, index=index, counter=counter, first_line=first)
        _text_editor(ds, index, broken=True)
        return
    card = conversation.Card(ds, index, value, findings.place(diags, findings.anchors(value)), counter, first,
                             drawing)
    widgets.show_findings(card.groups.pop("", []), index=index, counter=counter, first_line=first)
    lists = ops.message_lists(value)
    draw = conversation.read if st.session_state.get("rec_read") else conversation.render
    if lists and lists[0] == "/input/messages":
        st.subheader("Input")
        draw(card, "/input/messages", weights=False)
        preferred, other = st.columns(2)
        with preferred:
            st.subheader("Preferred answer")
            if "/preferred_output" in lists:
                draw(card, "/preferred_output", weights=False)
        with other:
            st.subheader("Non-preferred answer")
            if "/non_preferred_output" in lists:
                draw(card, "/non_preferred_output", weights=False)
    elif lists:
        draw(card, "/messages", weights=True)
    else:
        st.info("This record has no messages the editor knows how to show; edit it as JSON below.")
    for rest in card.groups.values():  # findings inside fields that have no widget of their own
        widgets.show_findings(rest, index=index, counter=counter, first_line=first)
    _other_fields(value)
    _text_editor(ds, index, broken=False)


def record_page() -> None:
    st.session_state.pop("goto", None)  # a link to an example, followed: this is the page it leads to
    ds = page.open_dataset("Record editor")
    if ds is None:
        return
    widgets.save_bar(ds)
    an = state.analysis()
    assert an is not None
    if state.analysing():
        page.wait_for_analysis("Checking the file (lint and token counts)… the findings appear when it is done.")
    widgets.fix_preview(ds)
    if len(ds) == 0:
        st.info("This file has no examples yet.")
        st.button("New example from template", key="rec_new", on_click=_action,
                  args=("added an example from the template", _new))
        return
    index = _navigator(ds, an)
    drawing = conversation.sync(ds, index)
    _summary(ds, an, index)
    _review(ds, index)
    _record(ds, an, index, drawing)
    st.divider()
    _actions(ds, index)


record_page()
