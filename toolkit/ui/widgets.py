"""Page parts used on several pages: messages, the save bar, lint findings with their fixes.

User content is only ever shown as widget values, ``st.text``/``st.code`` or table cells;
text that goes through Markdown (alerts, captions) is escaped with :func:`md` first, and
highlighted differences are HTML built by :mod:`toolkit.ui.textdiff`, which escapes every piece.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable

import streamlit as st

from toolkit import repairs
from toolkit.diagnostics import Diagnostic, Severity
from toolkit.edit import ConflictError, Dataset, findings
from toolkit.edit.journal import Journal, Kept
from toolkit.edit.records import shown
from toolkit.errors import ToolkitError
from toolkit.plural import plural
from toolkit.ui import state, textdiff

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")
PREVIEWS = 3  # fixes previewed before "and N more"


def md(text: str) -> str:
    """``text`` with every Markdown (and LaTeX ``$``) character escaped, so it shows literally."""
    return _MD_SPECIAL.sub(r"\\\1", shown(text)).replace("\n", "  \n")


def diff(before: str, after: str) -> None:
    """The places where ``after`` differs from ``before``, highlighted (removed: red, struck; added: green)."""
    places, total = textdiff.spans(shown(before), shown(after))
    blocks = [textdiff.to_html(place) for place in places] or [textdiff.text_html("", empty="(no visible change)")]
    if total > len(places):
        blocks.append(f"<p>… and {plural(total - len(places), 'more change')}</p>")
    st.html("".join(blocks))


def alert(kind: str, text: str) -> None:
    """``st.error`` / ``warning`` / ``info`` / ``success`` with ``text`` shown literally.

    ``icon=""`` (no icon) keeps a leading emoji in the text, and spares Streamlit's search for one: a
    text that is not ASCII ("…") would load its emoji catalog, 0.7 s of regex compiling on the first use.
    """
    getattr(st, kind)(md(text), icon="")


def show_flash() -> None:
    for kind, text in state.take_flash():
        alert(kind, text)


def diagnostic_text(d: Diagnostic, first_line: int = 1) -> str:
    """``RULE name (line N, /pointer): message``, or ``(line N, column C)`` for a finding in a line's text (no field
    to point at: the column says where, as lint's ``N:C`` does); ``first_line``: where the entry starts."""
    where = f"line {first_line + d.line - 1}" if d.line else "file"
    if d.line and d.pointer:
        where += f", {d.pointer}"
    elif d.line and d.column:
        where += f", column {d.column}"
    return f"{d.rule} {d.name} ({where}): {d.message}"


_KIND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "info"}


def show_findings(diags: Iterable[Diagnostic], *, index: int | None, counter: list[int],
                  first_line: int = 1) -> None:
    """Each finding as an alert, with "Fix this" / "Fix all like this" when :mod:`toolkit.fix` can fix it.

    ``counter`` numbers the buttons of one page (keys ``fix_N`` and ``fixall_N``); ``first_line`` is
    where the entry ``index`` starts.
    """
    for d in diags:
        alert(_KIND[d.severity], diagnostic_text(d, first_line))
        if "duplicate" in d.name:
            _links(d, counter)
        if not findings.fixable(d.rule) or (d.fix is None and d.rule in repairs.REPAIRS):  # e.g. weight 0.5
            continue
        counter[0] += 1
        n = counter[0]
        one, every = st.columns(2)
        if index is not None and d.rule not in findings.FILE_FIXES:
            one.button("Fix this", key=f"fix_{n}", on_click=_preview, args=(d.rule, [index], "this example"))
        every.button("Fix all like this", key=f"fixall_{n}", on_click=_preview, args=(d.rule, None, "the file"))


_LINE = re.compile(r"\blines? (\d+)")


def _links(d: Diagnostic, counter: list[int]) -> None:
    """A button to each other example a finding names (the one a duplicate repeats)."""
    ds = state.dataset()
    if ds is None:
        return
    starts = ds.start_lines()
    here = st.session_state.get("selected", -1)
    numbers = sorted({int(m) for m in _LINE.findall(d.message)})
    for n in numbers:
        index = bisect.bisect_right(starts, n) - 1
        if not 0 <= index < len(ds) or index == here:
            continue
        counter[0] += 1
        st.button(f"Go to example {index + 1} (line {n:,})", key=f"goto_{counter[0]}", on_click=_go,
                  args=(index,))


def _go(index: int) -> None:
    st.session_state.update(selected=index, goto="record")


def _preview(rule: str, indices: list[int] | None, scope: str) -> None:
    ds, an = state.dataset(), state.analysis()
    if ds is None or an is None:
        return
    if indices is None:
        indices = [i for i, e in enumerate(ds.entries)
                   if (f := an.get(e)) is not None and any(d.rule == rule for d in f.diagnostics)]
    try:
        planned = findings.plan_fixes(ds, indices, rule, provider=state.provider(), file_format=an.format)
    except ToolkitError as exc:
        state.flash("error", str(exc))
        return
    if not planned:
        state.flash("info", f"nothing to fix for {rule} in {scope}: the finding needs a change by hand")
        return
    st.session_state["fix_preview"] = (rule, scope, planned, ds.version)


def fix_preview(ds: Dataset) -> None:
    """The planned fix (before/after) with Apply and Cancel, when one was asked for."""
    pending = st.session_state.get("fix_preview")
    if not pending:
        return
    rule, scope, planned, version = pending
    if version != ds.version:
        st.session_state["fix_preview"] = None
        return
    with st.container(border=True):
        st.subheader(f"Fix {rule} in {scope}: {plural(len(planned), 'change')}")
        for p in planned[:PREVIEWS]:
            st.caption(md(f"example {p.index + 1}: {p.description}" if p.index >= 0 else p.description))
            if not p.after:
                st.code(shown(p.before) + "\n(removed)", language=None, wrap_lines=True)
            else:
                diff(p.before, p.after)
        if len(planned) > PREVIEWS:
            st.caption(f"… and {len(planned) - PREVIEWS} more")
        apply, cancel = st.columns(2)
        apply.button("Apply fix", key="fix_apply", type="primary", on_click=_apply_fix)
        cancel.button("Cancel", key="fix_cancel", on_click=lambda: st.session_state.update(fix_preview=None))


def _apply_fix() -> None:
    ds = state.dataset()
    pending = st.session_state.get("fix_preview")
    st.session_state["fix_preview"] = None
    if ds is None or not pending:
        return
    rule, scope, planned, _ = pending
    count = findings.apply_fixes(ds, planned, f"fix {rule} in {scope}")
    state.flash("success", f"fixed {rule}: {plural(count, 'change')}; save to write them to the file")


# -- unsaved changes kept from an earlier session -------------------------------------------------------


def journal_offer(ds: Dataset) -> None:
    """Offer to restore the unsaved changes the journal kept for the open file (a reload, a closed tab).

    One kept copy at a time, the newest first; edits made meanwhile are journaled as usual (beside it).
    """
    offers = st.session_state.get("journal_offer") or []
    if not offers:
        return
    kept = offers[0]
    with st.container(border=True):
        more = f" ({plural(len(offers) - 1, 'older set')} of unsaved changes after this one)" if len(offers) > 1 else ""
        alert("warning", f"{kept.file} has unsaved changes from an earlier session ({kept.when()}): "
                         + ("; ".join(kept.changes[-5:]) or "edits") + "." + more)
        if ds.fingerprint is not None and kept.base_sha256 not in (None, ds.fingerprint.sha256):
            alert("info", "The file changed on disk since then: restoring puts your version in the editor, and "
                          "saving it would replace what is on disk now (undo takes it back).")
        if ds.modified:
            alert("info", "Restoring replaces the changes made since this page was opened (they are kept in the "
                          "journal meanwhile, and undo takes the restore back).")
        restore, discard = st.columns(2)
        restore.button("Restore my unsaved changes", key="journal_restore", type="primary", on_click=_restore)
        discard.button("Discard them", key="journal_discard", on_click=_discard)


def _take_offer() -> Kept | None:
    offers = st.session_state.get("journal_offer") or []
    st.session_state["journal_offer"] = offers[1:] or None
    return offers[0] if offers else None


def _restore() -> None:
    ds, kept = state.dataset(), _take_offer()
    if ds is None or kept is None:
        return
    Journal.restore(ds, kept)
    try:
        state.journal().write(ds)  # this session's copy holds it now: the earlier one can go
        state.journal().forget(kept)
    except (ToolkitError, OSError) as exc:  # the earlier copy stays: nothing is lost
        state.flash("warning", f"unsaved changes cannot be kept in the workspace's journal: {exc}")
    state.relint()
    state.flash("success", f"restored the unsaved changes of {kept.when()}; save to write them to the file")


def _discard() -> None:
    kept = _take_offer()
    if kept is not None:
        state.journal().forget(kept)
        state.flash("info", f"discarded the unsaved changes of {kept.when()}")


# -- save bar -----------------------------------------------------------------------------------


def save_bar(ds: Dataset) -> None:
    """Unsaved-changes status, Save, Undo and Download; the conflict choices when the file changed on disk."""
    journal_offer(ds)
    name = state.workspace().relative(ds.path)
    with st.container(border=True, horizontal=True, vertical_alignment="center"):
        st.text(f"{name}: " + (f"{plural(len(ds.unsaved), 'unsaved change')}; "
                                f"{len(ds.history)} in the undo list" if ds.modified else "saved, no changes"))
        st.button("Save", key="save", type="primary", disabled=not ds.modified, on_click=_save, args=(False,))
        last = ds.history[-1] if ds.history else None
        st.button("Undo", key="undo", disabled=last is None, on_click=_undo,
                  help=f"undo: {shown(last)}" if last else "nothing to undo")
        st.download_button("Download", data=ds.content, file_name=ds.path.name, mime="application/jsonl",
                           key="download", on_click="ignore", help="the current content, saved or not")
    reason = st.session_state.get("conflict") or ds.conflict()
    if reason:
        _conflict(reason)


def _save(force: bool) -> None:
    ds = state.dataset()
    if ds is None:
        return
    try:
        ds.save(force=force)
    except ConflictError as exc:
        st.session_state["conflict"] = str(exc)
        return
    except ToolkitError as exc:
        state.flash("error", str(exc))
        return
    st.session_state["conflict"] = None
    state.flash("success", f"saved {state.workspace().relative(ds.path)}")


def _undo() -> None:
    ds = state.dataset()
    done = ds.undo() if ds is not None else None
    if done:
        state.flash("info", f"undone: {done}")


def _conflict(reason: str) -> None:
    with st.container(border=True):
        alert("error", reason)
        st.caption("Choose what to keep: nothing is written until you do.")
        reload, overwrite = st.columns(2)
        reload.button("Reload from disk (drop my changes)", key="conflict_reload", on_click=_reload)
        overwrite.button("Overwrite the file on disk", key="conflict_overwrite", on_click=_save, args=(True,))
        st.text_input("Save my version as (new file name)", key="conflict_name", placeholder="my_copy.jsonl")
        st.button("Save as", key="conflict_save_as", on_click=_save_as)


def _reload() -> None:
    ds = state.dataset()
    if ds is None:
        return
    try:
        ds.reload()
    except ToolkitError as exc:
        state.flash("error", str(exc))
        return
    st.session_state["conflict"] = None
    state.relint()
    state.flash("info", f"reloaded {state.workspace().relative(ds.path)} from disk")


def _save_as() -> None:
    ds = state.dataset()
    name = (st.session_state.get("conflict_name") or "").strip()
    if ds is None or not name:
        state.flash("error", "type a new file name (ending in .jsonl) to save your version under")
        return
    try:
        target = state.workspace().dataset(name, new=True)
        ds.save_as(target)
    except ToolkitError as exc:
        state.flash("error", str(exc))
        return
    st.session_state["conflict"] = None
    state.flash("success", f"saved as {state.workspace().relative(target)}; that file is now the one open")
