"""Dataset: open or create a JSONL file of the workspace, see every example in a table, find the problems."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import streamlit as st

from toolkit.edit import Analysis, Dataset, bulk, review, table
from toolkit.errors import ToolkitError
from toolkit.plural import plural
from toolkit.rules import RULES
from toolkit.ui import main as app
from toolkit.ui import page, state, widgets

if TYPE_CHECKING:
    import pandas as pd

PAGE_SIZES = (25, 50, 100, 200)
ANY_RULE = "(any rule)"
ANY_REVIEW = "(any)"


def _open() -> None:
    name = st.session_state.get("ds_file")
    if name:
        state.open_dataset(name)


def _create() -> None:
    name = (st.session_state.get("ds_new_name") or "").strip()
    current = state.dataset()
    if current is not None and current.modified:
        state.flash("error", "the open file has unsaved changes: save or undo them first")
        return
    try:
        ds = Dataset.new(name, workspace=state.workspace())
        path = ds.path
        ds.save()
    except ToolkitError as exc:
        state.flash("error", str(exc))
        return
    state.set_dataset(ds)
    st.session_state["ds_file"] = state.workspace().relative(path)
    state.flash("success", f"created {state.workspace().relative(path)}; add examples in the Record editor")


def _chooser() -> None:
    ws = state.workspace()
    files = ws.files()
    ds = state.dataset()
    if ds is not None and st.session_state.get("ds_file") not in files:
        st.session_state["ds_file"] = ws.relative(ds.path)
    pick, new = st.columns(2)
    with pick:
        if files:
            st.selectbox("Dataset file", files, key="ds_file", help="JSONL files in the workspace folder")
            st.button("Open", key="ds_open", on_click=_open)
        else:
            st.info("No .jsonl file in the workspace yet: create one, or import a CSV/XLSX/Parquet file.")
    with new:
        st.text_input("New file name", key="ds_new_name", placeholder="my_dataset.jsonl")
        st.button("Create", key="ds_create", on_click=_create)


def _file_findings(ds: Dataset, an: Analysis) -> None:
    """The file's counts as ``tunesmith lint`` reports them (file-level findings included), then those findings.

    Until every entry is checked the counts say "checking…", never a clean-looking 0.
    """
    facts = [an.get(e) for e in ds.entries]
    line_rules: Counter[str] = Counter(d.rule for f in facts if f for d in f.diagnostics
                                       if RULES[d.rule].kind in ("file", "cross"))
    counts = st.columns(4)
    repair = ds.records - ds.examples
    counts[0].metric("Examples", f"{ds.examples:,}", help="records on one line in UTF-8, as `tunesmith lint` and "
                     "`tunesmith stats` count them" + (f"; and {plural(repair, 'record')} (pretty-printed or not "
                                                       "UTF-8) to repair first in the Record editor" if repair else ""))
    counts[1].metric("Lines that are not examples", f"{len(ds) - ds.examples:,}",
                     help="blank lines, broken JSON" + (f" and {plural(repair, 'record')} to repair first"
                                                          if repair else ""))
    if an.complete(ds):
        totals = an.totals(ds)
        counts[2].metric("Errors", f"{totals.errors:,}", help="as tunesmith lint counts them, file-level included")
        counts[3].metric("Warnings", f"{totals.warnings:,}",
                         help="as tunesmith lint counts them, file-level included")
    else:
        counts[2].metric("Errors", "checking…")
        counts[3].metric("Warnings", "checking…")
    widgets.show_findings(an.file_diagnostics, index=None, counter=[0])
    for rule, n in sorted(line_rules.items()):
        widgets.alert("warning", f"{rule} {RULES[rule].name}: {plural(n, 'example')} ({RULES[rule].message})")
    if an.ready and an.stale(ds):
        st.caption("Edited examples are linted as you edit; the findings about the whole file are from the last "
                   "full lint.")
        st.button("Lint the whole file again", key="ds_relint", on_click=state.relint)


def _frame(ds: Dataset, an: Analysis) -> pd.DataFrame:
    key = (id(ds), ds.version, id(an), len(an.facts), an.full_key is not None)
    cached = st.session_state.get("ds_frame")
    if cached is None or cached[0] != key:
        cached = (key, table.frame(ds, an))
        st.session_state["ds_frame"] = cached
    return cached[1]


def _hits(ds: Dataset, text: str) -> list[bool] | None:
    if not text.strip():
        return None
    key = (id(ds), ds.version, text)
    cached = st.session_state.get("ds_hits")
    if cached is None or cached[0] != key:
        cached = (key, table.matches(ds, text))
        st.session_state["ds_hits"] = cached
    return cached[1]


def _edit(index: int) -> None:
    st.session_state.update(selected=index, goto="record")


def _with_review(ds: Dataset, df: pd.DataFrame) -> pd.DataFrame:
    """The table with each example's review status and tags (from the workspace's review notes)."""
    notes = state.review()
    if not notes.any():
        return df.assign(review="unreviewed", tags="")
    found = [notes.get(e) for e in ds.entries]
    return df.assign(review=[n.status for n in found], tags=[", ".join(n.tags) for n in found])


def _reviewed(df: pd.DataFrame) -> pd.DataFrame:
    """The rows as drawn: one "review" column (status · tags), only when some example has a review note."""
    if not state.review().any():
        return df.drop(columns=["review", "tags"])
    both = [s if not t else f"{s} · {t}" for s, t in zip(df["review"], df["tags"], strict=True)]
    return df.drop(columns=["tags"]).assign(review=both)


def _rule_label(code: str) -> str:
    return code if code not in RULES else f"{code} {RULES[code].name}"


def _follow(rows: pd.DataFrame, filters: tuple[object, ...]) -> None:
    """When the filters or the order change, "Example number" becomes the first row shown (it stayed at an
    example the filters hide)."""
    if st.session_state.get("ds_filters") == filters:
        return
    st.session_state["ds_filters"] = filters
    if len(rows):
        st.session_state["ds_goto"] = int(rows["#"].iloc[0])


def _table(ds: Dataset, an: Analysis) -> None:
    df = _with_review(ds, _frame(ds, an))
    rules = sorted({r for cell in df["rules"] for r in cell.split(",") if r})
    search, show, rule, sort = st.columns([3, 2, 2, 2])
    text = search.text_input("Search", key="ds_search", persist_state="session", placeholder="text in the example")
    status = show.selectbox("Show", table.STATUSES, key="ds_status", persist_state="session")
    chosen = rule.selectbox("Rule", [ANY_RULE, *rules], key="ds_rule", persist_state="session",
                            format_func=_rule_label)
    order = sort.selectbox("Sort by", list(table.SORTS), key="ds_sort", persist_state="session")
    flip, size, reviewed, tag, number = st.columns([2, 2, 2, 2, 2])
    descending = flip.toggle("Descending", key="ds_desc", persist_state="session")
    page_size = size.selectbox("Rows per page", PAGE_SIZES, index=1, key="ds_page_size", persist_state="session")
    wanted = reviewed.selectbox("Review", [ANY_REVIEW, *review.STATUSES], key="ds_review", persist_state="session")
    tag_text = tag.text_input("Tag", key="ds_tag", persist_state="session", placeholder="any tag").strip()
    rows = table.view(df, hits=_hits(ds, text), status=status, rule=None if chosen == ANY_RULE else chosen,
                      sort=order, descending=descending)
    if wanted != ANY_REVIEW:
        rows = rows[rows["review"] == wanted]
    if tag_text:
        tagged = rows["tags"].map(lambda cell: tag_text in [t.strip() for t in cell.split(",")])
        rows = rows[tagged.astype(bool)]  # a boolean mask even when empty (an empty object one selects columns)
    _follow(rows, (text, status, chosen, wanted, tag_text, order, descending))
    pages = table.pages(len(rows), page_size)
    if st.session_state.get("ds_page", 1) > pages:
        st.session_state["ds_page"] = pages
    at_page = number.number_input(f"Page (of {pages})", min_value=1, max_value=pages, step=1, key="ds_page")
    filters = [f"{name}: {value}" for name, value, on in (
        ("search", text.strip(), bool(text.strip())), ("show", status, status != table.STATUSES[0]),
        ("rule", _rule_label(chosen), chosen != ANY_RULE), ("review", wanted, wanted != ANY_REVIEW),
        ("tag", tag_text, bool(tag_text))) if on]
    st.caption(widgets.md(" · ".join([f"{len(rows):,} of {state.entries(len(df))}", *filters])))
    shown = table.page(rows, int(at_page), page_size)
    drawn = _reviewed(table.display(shown))
    picked = st.dataframe(drawn, key="ds_table", hide_index=True, on_select="rerun", selection_mode="single-row",
                          column_config={c: st.column_config.TextColumn(width=w)
                                         for c, w in table.widths(list(drawn.columns)).items()})
    selected = picked.selection.rows if picked is not None else []
    go, to = st.columns([3, 2])
    if selected:
        index = int(shown.iloc[selected[0]]["#"]) - 1
        go.button(f"Edit example {index + 1}", key="ds_edit", type="primary", on_click=_edit, args=(index,))
    to.number_input("Example number", min_value=1, max_value=max(1, len(ds)), step=1, key="ds_goto")
    to.button("Edit this example", key="ds_goto_edit", on_click=lambda: _edit(int(st.session_state["ds_goto"]) - 1))
    if len(rows) < len(df):
        _bulk([int(n) - 1 for n in rows["#"]])


def _bulk(indices: list[int]) -> None:
    """Actions on every example the filters show (not only this page)."""
    with st.expander(f"Bulk actions on the filtered {state.entries(len(indices))}"):
        name, export = st.columns([3, 2], vertical_alignment="bottom")
        name.text_input("Export them to a new file", key="ds_bulk_name", placeholder="subset.jsonl")
        export.button(f"Export {state.entries(len(indices))}", key="ds_bulk_export", on_click=_export, args=(indices,))
        mode, weights = st.columns([3, 2], vertical_alignment="bottom")
        mode.selectbox("Set the assistant weights", tuple(bulk.WEIGHT_MODES), key="ds_bulk_weights",
                       format_func=lambda m: bulk.WEIGHT_MODES[m])
        weights.button(f"Set weights on {state.entries(len(indices))}", key="ds_bulk_set_weights", on_click=_weights,
                       args=(indices,))
        sure, delete = st.columns([3, 2], vertical_alignment="bottom")
        sure.checkbox(f"Yes, delete the filtered {state.entries(len(indices))} from the open file (undo takes it back)",
                      key="ds_bulk_sure")
        delete.button(f"Delete {state.entries(len(indices))}", key="ds_bulk_delete", on_click=_delete, args=(indices,),
                      disabled=not st.session_state.get("ds_bulk_sure"))


def _export(indices: list[int]) -> None:
    ds, ws = state.dataset(), state.workspace()
    name = (st.session_state.get("ds_bulk_name") or "").strip()
    if ds is None or not name:
        state.flash("error", "type the new file's name (ending in .jsonl) to export the filtered entries to")
        return
    try:
        subset = Dataset.new(name, workspace=ws)
        subset.eol = ds.eol
        subset.extend([ds.entries[i] if ds.entries[i].eol else ds.entries[i].with_raw(ds.entries[i].raw + ds.eol)
                       for i in indices], f"export {len(indices)} entries")
        subset.save()
    except ToolkitError as exc:
        state.flash("error", str(exc))
        return
    state.flash("success", f"exported {state.entries(len(indices))} to {ws.relative(subset.path)}; the open file is "
                           "unchanged")


def _weights(indices: list[int]) -> None:
    ds = state.dataset()
    if ds is None:
        return
    mode = st.session_state.get("ds_bulk_weights") or "all"
    try:
        changed = bulk.set_weights(ds, indices, mode)
    except ToolkitError as exc:
        state.flash("error", str(exc))
        return
    for old, new in changed:
        state.carry_review(old, new)
    if changed:
        state.flash("info", f"set weights ({bulk.WEIGHT_MODES[mode]}) on {len(changed):,} of {state.entries(len(indices))}; "
                            "save to write the file, or undo")
    else:
        state.flash("info", f"the weights of the filtered {state.entries(len(indices))} already say that: nothing changed")


def _delete(indices: list[int]) -> None:
    ds = state.dataset()
    st.session_state["ds_bulk_sure"] = False
    if ds is None:
        return
    ds.replace_many({i: [] for i in indices}, f"delete {len(indices)} filtered entries")
    state.flash("info", f"deleted {state.entries(len(indices))}; save to write the file, or undo")


def dataset_page() -> None:
    if st.session_state.pop("goto", None) == "record":
        st.switch_page(app.PAGES["record"])
    st.title("Dataset")
    widgets.show_flash()
    _chooser()
    ds = state.dataset()
    if ds is None:
        st.info("Open a file of the workspace above (the Elle samples show every kind of example; "
                "elle_broken.jsonl has one mistake per line to fix), or create a new one.")
        return
    widgets.save_bar(ds)
    an = state.analysis()  # a big file's worker starts once the page is drawn
    assert an is not None
    progress = st.empty()
    _file_findings(ds, an)
    widgets.fix_preview(ds)
    if len(ds) == 0:
        st.info("This file has no examples yet: add one in the Record editor.")
    else:
        _table(ds, an)
    if state.analysing():
        with progress.container():
            page.wait_for_analysis("Linting and counting tokens for the whole file… the table fills in when it is "
                                   "done.")


dataset_page()
