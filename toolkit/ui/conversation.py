"""The record editor's conversation: one card per message, its widgets bound to edits of the open dataset.

Widget keys are ``msg_<list>_<n>_<field>__<drawing>`` (``<list>``: messages, input, preferred,
non_preferred; ``<n>`` counts from 0), so tests and browsers can find them. ``<drawing>`` changes
whenever the fields must show the record afresh (another example, an undo, a fix, messages added,
moved or removed, the JSON box applied), so no widget ever shows another example's text or an
older version of this one's: a fixed key keeps the browser's copy of the first value. An edit made
in a field keeps the drawing: every field already shows the new version, and the browser keeps
them as they are, so the author's cursor stays where it was (and a field typed into while the
edit was being applied is not thrown away as a field of a version no longer drawn).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import streamlit as st

from toolkit.diagnostics import Diagnostic
from toolkit.edit import Dataset, EditError, ops
from toolkit.edit.records import shown
from toolkit.ui import state, widgets

LISTS = {  # pointer -> (key slug, label)
    "/messages": ("messages", "Message"),
    "/input/messages": ("input", "Input message"),
    "/preferred_output": ("preferred", "Preferred message"),
    "/non_preferred_output": ("non_preferred", "Non-preferred message"),
}
KEY_PREFIXES = ("msg_", "edit_json")
LONG_TEXT = 100_000  # characters: a longer text is shown cut, and drawn whole in a text box on demand
SHOWN_CHARS = 20_000


@dataclass
class Card:
    """What every message card of one example needs."""

    ds: Dataset
    index: int
    value: dict[str, Any]
    groups: dict[str, list[Diagnostic]]
    counter: list[int]
    first_line: int
    drawing: int

    @property
    def where(self) -> tuple[int, int]:
        """The example and the drawing its widgets' callbacks belong to (see :func:`_apply`)."""
        return self.index, self.drawing

    def key(self, name: str) -> str:
        """The widget key ``name`` for the drawing of the example shown (see the module's docstring)."""
        return f"{name}__{self.drawing}"


def sync(ds: Dataset, index: int) -> int:
    """The fields' drawing number: a new one (the widgets' values forgotten) when the example shown is not the
    version they were showing."""
    current = (id(ds), ds.entries[index].uid)
    if st.session_state.get("rec_synced") != current:
        for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(KEY_PREFIXES)]:
            del st.session_state[key]
        st.session_state["rec_synced"] = current
        st.session_state["rec_errors"] = {}
        st.session_state["rec_drawing"] = st.session_state.get("rec_drawing", 0) + 1
    drawing: int = st.session_state["rec_drawing"]
    return drawing


def _apply(key: str, where: tuple[int, int], make: Callable[[Any], ops.Edit | None], what: str,
           keep: bool = True) -> None:
    """Widget callback: turn the widget's new value into an edit of the example it was drawn for.

    ``where``: the index of that example and the drawing of its fields. A widget of an earlier
    drawing (the browser sent it while the page moved on: another example shown, an undo) changes
    nothing, and says so: applied to whatever is selected now, it would overwrite another example.
    ``keep``: the widgets already show the result (a field edit): they stay as they are, focus
    included; otherwise (messages added, moved or removed) they are all drawn again from the record.
    """
    ds = state.dataset()
    index, drawing = where
    errors = st.session_state.setdefault("rec_errors", {})
    value = st.session_state.get(key)
    if ds is None or value is None:  # None: a widget no longer drawn (its value is gone with it)
        return
    if (not 0 <= index < len(ds) or st.session_state.get("rec_drawing") != drawing
            or st.session_state.get("rec_synced") != (id(ds), ds.entries[index].uid)):
        state.flash("warning", f"a change to example {index + 1} arrived after the page had moved on, so it was "
                               "not applied; check the example and make it again")
        return
    try:
        edit = make(value)
        if edit is not None:
            before = ds.entries[index]
            state.carry_review(before, ds.change(index, edit, f"example {index + 1}: {what}"))
    except EditError as exc:
        errors[key] = str(exc)
        return
    errors.pop(key, None)
    if keep:
        st.session_state["rec_synced"] = (id(ds), ds.entries[index].uid)


def _on(card: Card, name: str, make: Callable[[Any], ops.Edit | None], what: str, initial: Any) -> dict[str, Any]:
    """Widget arguments bound to an edit; the widget starts at ``initial``.

    The value is seeded into session state rather than passed as ``value=``: a keyed widget
    keeps its identity when ``value=`` changes, so the browser would go on showing (and later
    send back) the previous example's text; the key changes with the example's version.
    """
    key = card.key(name)
    if key not in st.session_state:
        st.session_state[key] = initial
    return {"key": key, "on_change": _apply, "args": (key, card.where, make, what)}


def _click(card: Card, name: str, edit: ops.Edit, what: str) -> dict[str, Any]:
    key = card.key(name)
    return {"key": key, "on_click": _apply, "args": (key, card.where, lambda _: edit, what, False)}


def _problem(card: Card, name: str) -> None:
    message = st.session_state.get("rec_errors", {}).get(card.key(name))
    if message:
        widgets.alert("error", message)


def _findings(card: Card, anchor: str) -> None:
    widgets.show_findings(card.groups.pop(anchor, []), index=card.index, counter=card.counter,
                          first_line=card.first_line)


def render(card: Card, pointer: str, *, weights: bool) -> None:
    """Every message of the list at ``pointer``, then a row to add one."""
    slug, label = LISTS[pointer]
    messages = ops.get(card.value, pointer, [])
    for i, m in enumerate(messages):
        with st.container(border=True):
            _message(card, pointer, i, m, slug, label, weights)
    role_key = card.key(f"msg_{slug}_add_role")
    pick, add = st.columns([2, 1], vertical_alignment="bottom")
    st.session_state.setdefault(role_key, ops.ROLES[_default_role(messages)])
    pick.selectbox(f"New {label.lower()} role", ops.ROLES, key=role_key)
    add.button(f"Add {label.lower()}", key=card.key(f"msg_{slug}_add"), on_click=_apply, wrap=True,
               args=(role_key, card.where, lambda role: ops.add_message(pointer, role), f"add a {label.lower()}", False))


def box_height(text: str, *, least: int = 96, most: int = 720, chars: int = 90) -> int:
    """Pixels for a text box that shows ``text`` whole (wrapped at about ``chars`` a line), within bounds."""
    rows = sum(1 + len(line) // chars for line in text.split("\n"))
    return min(most, max(least, 24 * rows + 44))


def _default_role(messages: list[Any]) -> int:
    last = messages[-1].get("role") if messages and isinstance(messages[-1], dict) else None
    return ops.ROLES.index("assistant" if last == "user" else "user")


def _message(card: Card, lst: str, i: int, m: Any, slug: str, label: str, weights: bool) -> None:
    at, key, name = f"{lst}/{i}", f"msg_{slug}_{i}", f"{label} {i + 1}"
    if not isinstance(m, dict):
        widgets.alert("error", f"{name} is not a JSON object; edit the example as JSON below")
        st.code(shown(json.dumps(m, ensure_ascii=False)), language=None)
        _findings(card, at)
        return
    role = m.get("role")
    trained = ops.is_trained(m)
    head = f"{name} · {role if isinstance(role, str) else 'no role'}"
    if role == "assistant" and weights:
        head += " · trained" if trained else " · context only (weight 0)"
    st.text(shown(head))
    _findings(card, at)
    roles = list(ops.ROLES) if role in ops.ROLES else [str(role), *ops.ROLES]
    top = st.columns([2, 1.6, 1.4]) if role == "assistant" and weights else st.columns([2, 2])
    top[0].selectbox(f"{name} role", roles, **_on(card, f"{key}_role", lambda r: ops.set_role(at, r),
                                                   f"{name.lower()} role", str(role) if role not in ops.ROLES else role))
    current_name = m["name"] if isinstance(m.get("name"), str) else ""
    top[1].text_input(f"{name} name (optional)", **_on(card, f"{key}_name", lambda t: ops.set_optional(f"{at}/name", t.strip()),
                                                       f"{name.lower()} name", shown(current_name)))
    if role == "assistant" and weights:
        top[2].toggle(f"{name} trained",
                      help="on: weight 1, training learns this answer; off: weight 0, it is only context",
                      **_on(card, f"{key}_weight", lambda on: ops.set_weight(at, trained=on), f"{name.lower()} weight",
                            trained))
    for field in ("role", "name", "weight"):
        _findings(card, f"{at}/{field}")
    _content(card, at, key, name, m)
    if role == "tool" or "tool_call_id" in m:
        _tool_result(card, at, key, name, m)
    if role == "assistant":
        _tool_calls(card, at, key, name, m)
    _moves(card, lst, i, key, name)


def _content(card: Card, at: str, key: str, name: str, m: dict[str, Any]) -> None:
    content = m.get("content")
    if isinstance(content, list):
        for k, part in enumerate(content):
            if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str):
                st.text_area(f"{name} part {k + 1} text", height=box_height(part["text"]),
                             **_on(card, f"{key}_part{k}", partial(ops.set_value, f"{at}/content/{k}/text"),
                                   f"{name.lower()} text", shown(part["text"])))
            else:
                st.text(f"{name} part {k + 1}: " + shown(json.dumps(part, ensure_ascii=False))[:500])
            _findings(card, f"{at}/content/{k}")
    else:
        text = content if isinstance(content, str) else "" if content is None else json.dumps(content)

        def edit(t: str) -> ops.Edit | None:
            return None if content is None and not t else ops.set_value(f"{at}/content", t)

        if not _cut(text, card.key(f"{key}_whole"), f"{name} content"):
            st.text_area(f"{name} content", height=box_height(text),
                         **_on(card, f"{key}_content", edit, f"{name.lower()} content", shown(text)))
    _findings(card, f"{at}/content")


def _cut(text: str, key: str, label: str) -> bool:
    """A text longer than :data:`LONG_TEXT`: its start, read-only, and a switch to edit it whole; True when cut.

    A browser takes seconds to draw (and to send back) a text box of megabytes, on every rerun.
    """
    if len(text) <= LONG_TEXT or st.session_state.get(key):
        if len(text) > LONG_TEXT:
            st.toggle(f"Edit the whole text of {label.lower()}", key=key)
        return False
    st.caption(f"{label}: {len(text):,} characters, too long to draw whole; the first {SHOWN_CHARS:,} are shown")
    st.code(shown(text[:SHOWN_CHARS]), language=None, wrap_lines=True)
    st.toggle(f"Edit the whole text of {label.lower()}", key=key,
              help="draws the whole text in a box you can edit (slow for megabytes)")
    return True


def _tool_result(card: Card, at: str, key: str, name: str, m: dict[str, Any]) -> None:
    cid = m["tool_call_id"] if isinstance(m.get("tool_call_id"), str) else ""
    st.text_input(f"{name} tool_call_id",
                  **_on(card, f"{key}_tool_call_id", lambda t: ops.set_optional(f"{at}/tool_call_id", t.strip()),
                        f"{name.lower()} tool_call_id", shown(cid)))
    call = _calls_by_id(card.value).get(cid)
    if cid:
        st.caption(widgets.md(f"answers {cid}: {call}" if call else f"no tool call in this example has the id {cid}"))
    _findings(card, f"{at}/tool_call_id")


def _calls_by_id(value: dict[str, Any]) -> dict[str, str]:
    out = {}
    for lst in ops.message_lists(value):
        for m in ops.get(value, lst, []):
            for call in (m.get("tool_calls") or []) if isinstance(m, dict) else []:
                fn = call.get("function") if isinstance(call, dict) else None
                if isinstance(fn, dict) and isinstance(call.get("id"), str):
                    out[call["id"]] = f"{fn.get('name')}({shown(str(fn.get('arguments')))[:120]})"
    return out


def _tool_calls(card: Card, at: str, key: str, name: str, m: dict[str, Any]) -> None:
    calls = m["tool_calls"] if isinstance(m.get("tool_calls"), list) else []
    answered = _answered(card.value)
    for c, call in enumerate(calls):
        ck, cn = f"{key}_call{c}", f"{name} call {c + 1}"
        call = call if isinstance(call, dict) else {}
        fn = call["function"] if isinstance(call.get("function"), dict) else {}
        args = fn.get("arguments")
        with st.container(border=True):
            left, right = st.columns(2)
            cid = call["id"] if isinstance(call.get("id"), str) else ""
            left.text_input(f"{cn} id",
                            **_on(card, f"{ck}_id", partial(lambda c, t: ops.set_tool_call(at, c, call_id=t.strip()), c),
                                  f"{cn.lower()} id", shown(cid)))
            right.text_input(f"{cn} function",
                             **_on(card, f"{ck}_name", partial(lambda c, t: ops.set_tool_call(at, c, name=t.strip()), c),
                                   f"{cn.lower()} function", shown(str(fn.get("name") or ""))))
            text = args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)
            st.text_area(f"{cn} arguments (JSON)", height=box_height(text, least=68),
                         **_on(card, f"{ck}_args", partial(lambda c, t: ops.set_tool_call(at, c, arguments=t), c),
                               f"{cn.lower()} arguments", shown(text)))
            _problem(card, f"{ck}_args")
            st.caption(widgets.md(f"answered by message {answered[cid] + 1}" if cid in answered
                                  else "no tool message answers this call yet"))
            st.button(f"Delete {cn.lower()}", **_click(card, f"{ck}_delete", ops.delete_tool_call(at, c),
                                                          f"delete {cn.lower()}"))
            _findings(card, f"{at}/tool_calls/{c}")
    _new_call(card, at, key, name)


def _answered(value: dict[str, Any]) -> dict[str, int]:
    msgs = value["messages"] if isinstance(value.get("messages"), list) else []
    return {m["tool_call_id"]: i for i, m in enumerate(msgs)
            if isinstance(m, dict) and isinstance(m.get("tool_call_id"), str)}


def _new_call(card: Card, at: str, key: str, name: str) -> None:
    declared = [t["function"]["name"] for t in card.value.get("tools") or []
                if isinstance(t, dict) and isinstance(t.get("function"), dict)
                and isinstance(t["function"].get("name"), str)]
    with st.expander(f"Add a tool call to {name.lower()}"):
        fn_key, args_key = card.key(f"{key}_newcall_name"), card.key(f"{key}_newcall_args")
        st.session_state.setdefault(fn_key, declared[0] if declared else "")
        st.session_state.setdefault(args_key, "{}")
        st.text_input(f"New call function ({name.lower()})", key=fn_key,
                      help="declared functions: " + (", ".join(declared) if declared else "none in this example"))
        st.text_area(f"New call arguments, JSON ({name.lower()})", key=args_key, height=68)
        problem = ops.arguments_problem(st.session_state.get(args_key) or "{}")
        if problem:
            widgets.alert("warning", f"arguments: {problem}")
        st.button(f"Add tool call to {name.lower()}", key=card.key(f"{key}_newcall_add"), disabled=bool(problem),
                  on_click=_add_call, args=(card, at, fn_key, args_key, card.key(f"{key}_newcall_add"), name))
        _problem(card, f"{key}_newcall_add")


def _add_call(card: Card, at: str, fn_key: str, args_key: str, add_key: str, name: str) -> None:
    def make(_: Any) -> ops.Edit:
        return ops.add_tool_call(at, (st.session_state.get(fn_key) or "").strip(),
                                 st.session_state.get(args_key) or "{}")
    _apply(add_key, card.where, make, f"add a tool call to {name.lower()}", False)


def _moves(card: Card, lst: str, i: int, key: str, name: str) -> None:
    up, down, insert, delete = st.columns(4)
    up.button("Move up", disabled=i == 0, wrap=True,
              **_click(card, f"{key}_up", ops.move_message(lst, i, -1), f"move {name.lower()} up"))
    count = len(ops.get(card.value, lst, []))
    down.button("Move down", disabled=i == count - 1, wrap=True,
                **_click(card, f"{key}_down", ops.move_message(lst, i, 1), f"move {name.lower()} down"))
    insert.button("Insert below", help="a new empty message after this one", wrap=True,
                  **_click(card, f"{key}_insert", ops.add_message(lst, "user", at=i + 1), f"insert after {name.lower()}"))
    delete.button("Delete message", wrap=True,
                  **_click(card, f"{key}_delete", ops.delete_message(lst, i), f"delete {name.lower()}"))


# -- read view ----------------------------------------------------------------------------------


def read(card: Card, pointer: str, *, weights: bool) -> None:
    """Every message of the list at ``pointer`` as a chat bubble: whole texts, linked tool calls, weights, findings."""
    _, label = LISTS[pointer]
    messages = ops.get(card.value, pointer, [])
    calls = _calls_by_id(card.value)
    answered = _answered(card.value)
    for i, m in enumerate(messages):
        at = f"{pointer}/{i}"
        role = m.get("role") if isinstance(m, dict) else None
        avatar = role if role in ("user", "assistant") else None
        with st.chat_message(role if isinstance(role, str) and role else "?", avatar=avatar):
            head = f"{label} {i + 1} · {role if isinstance(role, str) else 'no role'}"
            if isinstance(m, dict) and isinstance(m.get("name"), str):
                head += f" · name {m['name']}"
            if role == "assistant" and weights:
                head += " · trained" if ops.is_trained(m) else " · context only (weight 0)"
            st.caption(widgets.md(head))
            if not isinstance(m, dict):
                st.code(shown(json.dumps(m, ensure_ascii=False)), language=None, wrap_lines=True)
            else:
                _read_content(m.get("content"))
                for c, call in enumerate(m.get("tool_calls") or [] if isinstance(m.get("tool_calls"), list) else []):
                    call = call if isinstance(call, dict) else {}
                    fn = call["function"] if isinstance(call.get("function"), dict) else {}
                    cid = call["id"] if isinstance(call.get("id"), str) else ""
                    args = fn.get("arguments")
                    text = args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)
                    st.code(shown(f"call {c + 1} · {cid}: {fn.get('name')}({text})"), language=None,
                            wrap_lines=True)
                    st.caption(widgets.md(f"answered by message {answered[cid] + 1}" if cid in answered
                                          else "no tool message answers this call"))
                cid = m.get("tool_call_id")
                if isinstance(cid, str):
                    st.caption(widgets.md(f"answers {cid}: {calls[cid]}" if cid in calls
                                          else f"answers {cid}, but no tool call in this example has that id"))
            for anchor in [a for a in list(card.groups) if a == at or a.startswith(at + "/")]:
                _findings(card, anchor)


def _read_content(content: Any) -> None:
    if isinstance(content, str) and len(content) > LONG_TEXT:
        st.caption(f"{len(content):,} characters; the first {SHOWN_CHARS:,} are shown (switch the read view off "
                   "to edit the whole text)")
        st.markdown(widgets.md(content[:SHOWN_CHARS]) + " …")
    elif isinstance(content, str):
        st.markdown(widgets.md(content) if content else "*(empty)*")
    elif isinstance(content, list):
        for part in content:
            if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str):
                st.markdown(widgets.md(part["text"]))
            else:
                st.code(shown(json.dumps(part, ensure_ascii=False))[:500], language=None, wrap_lines=True)
    elif content is not None:
        st.code(shown(json.dumps(content, ensure_ascii=False)), language=None, wrap_lines=True)
