"""Import: a table (CSV, TSV, XLSX, Parquet) or another trainer's JSON/JSONL becomes examples of a dataset."""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import streamlit as st

from toolkit import convert, text_encoding
from toolkit.convert import tabular
from toolkit.edit import Dataset
from toolkit.edit.entries import parse_entries
from toolkit.edit.records import shown
from toolkit.errors import ToolkitError
from toolkit.plural import plural
from toolkit.ui import state, widgets

JSONL = "jsonl (OpenAI chat or DPO records)"
SKIP = "(not used)"
UPLOAD_TYPES = ["csv", "tsv", "xlsx", "parquet", "json", "jsonl"]
PREVIEW = 3
_BY_SUFFIX = {".csv": "csv", ".tsv": "tsv", ".xlsx": "xlsx", ".parquet": "parquet", ".jsonl": JSONL,
              ".json": "sharegpt"}


ENCODINGS = {"cp1252": "Windows-1252 (Excel's default on Windows)", "latin-1": "Latin-1 (ISO-8859-1)",
             "utf-16": "UTF-16 (Excel's \"Unicode text\")", "mac_roman": "Mac Roman"}
BINARY_FORMATS = ("xlsx", "parquet")


def _as_utf8(data: bytes, name: str, fmt: str) -> bytes | None:
    """The upload's bytes as UTF-8 (read by the converter's own :func:`~toolkit.text_encoding.decode_text`).

    Text that is not UTF-8 (nor UTF-16 with its byte-order mark): the user chooses the encoding,
    starting from the likely one. None (with the choice on the page) while the choice cannot read it.
    """
    if fmt in BINARY_FORMATS:
        return data
    try:
        decoded = text_encoding.decode_text(data, name)
    except text_encoding.NotUtf8 as exc:
        widgets.alert("warning", f"{exc.summary}. Choose the encoding it was saved in and check the preview.")
        options: list[str] = list(ENCODINGS)
        if exc.likely and exc.likely not in options:  # UTF-16 without its byte-order mark names its byte order
            options.insert(0, exc.likely)
        guess = exc.likely if exc.likely in options else "cp1252"
        encoding: str = st.selectbox("Read the file as", options, index=options.index(guess),
                                     format_func=lambda name: ENCODINGS.get(name) or text_encoding.label(name),
                                     key="imp_encoding") or guess
        try:
            decoded = text_encoding.decode_text(data, name, encoding)
        except text_encoding.UnreadableText as exc:
            widgets.alert("error", f"{exc.summary}; choose another encoding")
            return None
    if decoded.encoding not in ("utf-8", "utf-8-sig"):
        st.caption(f"{widgets.md(name)} is read as {text_encoding.label(decoded.encoding)}.")
    return decoded.text.encode("utf-8")


def _named(message: str, tmp: str, name: str) -> str:
    """A converter's message about the private copy, told about the user's file instead."""
    return message.replace(os.path.join(tmp, _copy_name(name)), name).replace(tmp, "(upload)")


def _copy_name(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return "upload" + (suffix if suffix.isascii() and suffix[1:].isalnum() else "")


def _mapping(path: str, fmt: str) -> dict[str, str]:
    """One select per column of the table: which field of the example it holds."""
    columns = [str(c) for c in tabular.read_table(path, fmt).columns]
    st.caption("Map the table's columns to the parts of each example (system is optional).")
    mapping: dict[str, str] = {}
    cols = st.columns(min(4, max(1, len(columns))))
    for i, column in enumerate(columns):
        guess = tabular.ALIASES.get(column.strip().lower(), SKIP)
        options = [SKIP, *tabular.FIELDS]
        target = cols[i % len(cols)].selectbox(f"Column {i + 1}: {widgets.md(column)}", options,
                                               index=options.index(guess), key=f"imp_col_{i}")
        if target != SKIP:
            mapping[column] = target
    return mapping


def _records(path: str, fmt: str, dropped: Counter[str]) -> list[Any]:
    """The entries the upload becomes (records from the converter, or the JSONL's own lines); what of the upload
    is in none of them is counted into ``dropped``."""
    ds = state.dataset()
    if fmt == JSONL:
        return parse_entries(Path(path).read_bytes().removeprefix(b"\xef\xbb\xbf"))
    mapping = _mapping(path, fmt) if fmt in convert.TABLES else None
    system = st.text_input("System prompt for every example (optional)", key="imp_system").strip() or None
    values = convert.records_from(path, fmt, mapping=mapping, system=system, dropped=dropped)
    maker = ds if ds is not None else Dataset(Path("new.jsonl"), [])
    return [maker.entry_for(v) for v in values]


_NOT_SETTINGS = ("imp_go", "imp_new_name", "imp_target")  # read when clicked, not what the preview was made from


def _settings() -> dict[str, Any]:
    """The import's widget values the preview was made from (file, format, encoding, columns, system prompt)."""
    return {k: getattr(v, "file_id", v) for k, v in st.session_state.items()  # an upload: by its id
            if isinstance(k, str) and k.startswith("imp_") and k not in _NOT_SETTINGS}


def _import(entries: list[Any], target: str, shown: dict[str, Any]) -> None:
    if _settings() != shown:  # clicked on a button drawn before the last change: its examples are stale
        state.flash("warning", "the import settings changed while the page was updating; check the preview "
                               "and click Import again")
        return
    ws = state.workspace()
    if target == "open":
        ds = state.dataset()
        assert ds is not None
        ds.extend(entries, f"import {plural(len(entries), 'example')}")
        state.flash("success", f"added {plural(len(entries), 'example')} to {ws.relative(ds.path)}; save to keep them")
        return
    name = (st.session_state.get("imp_new_name") or "").strip()
    current = state.dataset()
    if current is not None and current.modified:
        state.flash("error", f"{ws.relative(current.path)} has unsaved changes: save or undo them first")
        return
    try:
        ds = Dataset.new(name, workspace=ws)
        ds.extend(entries, f"import {plural(len(entries), 'example')}")
        ds.save()
    except ToolkitError as exc:
        state.flash("error", str(exc))
        return
    state.set_dataset(Dataset.open(ds.path, workspace=ws))
    state.flash("success", f"created {ws.relative(ds.path)} with {plural(len(entries), 'example')}")


def importer_page() -> None:
    st.title("Import")
    widgets.show_flash()
    if (ds := state.dataset()) is not None:
        widgets.save_bar(ds)
    upload = st.file_uploader("Upload a CSV, TSV, XLSX, Parquet, JSON or JSONL file", type=UPLOAD_TYPES,
                              key="imp_file")
    if upload is None:
        st.info("Tables become one example per row (map the columns below); JSON/JSONL from ShareGPT, Alpaca "
                "or TRL is converted; OpenAI-format JSONL is added as it is.")
        return
    formats = [JSONL, *convert.FROM_FORMATS]
    guess = _BY_SUFFIX.get(Path(upload.name).suffix.lower(), "csv")
    fmt = st.selectbox("Format", formats, index=formats.index(guess), key="imp_format")
    data = _as_utf8(upload.getvalue(), upload.name, fmt)
    if data is None:
        return
    # the converter reads files: a private copy that lives only for this run (nothing stays in the temp folder)
    with tempfile.TemporaryDirectory(prefix="tunesmith-import-") as tmp:
        path = os.path.join(tmp, _copy_name(upload.name))
        with open(path, "wb") as fh:
            fh.write(data)
        dropped: Counter[str] = Counter()
        try:
            entries = _records(path, fmt, dropped)
        except ToolkitError as exc:
            widgets.alert("error", _named(str(exc), tmp, upload.name))
            return
    if dropped:  # never silent, as `tunesmith convert` says it
        widgets.alert("warning", convert.dropped_text(upload.name, dropped, fmt, remedy="choose a field for it above"))
    st.subheader(f"Preview: {plural(len(entries), 'example')}")
    for e in entries[:PREVIEW]:
        st.code(shown(json.dumps(e.value, ensure_ascii=False, indent=1)) if e.is_record else shown(e.text),
                language="json", wrap_lines=True)
    if len(entries) > PREVIEW:
        st.caption(f"… and {len(entries) - PREVIEW} more")
    ds = state.dataset()
    options = ["new", "open"] if ds is not None else ["new"]
    labels = {"new": "a new file", "open": f"the open dataset ({state.workspace().relative(ds.path)})" if ds else ""}
    target = st.radio("Add the examples to", options, format_func=labels.get, key="imp_target", horizontal=True)
    if target == "new":
        st.text_input("New file name", key="imp_new_name", placeholder="imported.jsonl")
    st.button(f"Import {plural(len(entries), 'example')}", key="imp_go", type="primary", disabled=not entries,
              on_click=_import, args=(entries, target, _settings()))


importer_page()
