"""Session state shared by the pages: the workspace, the open dataset, its analysis, messages to show.

Everything lives in ``st.session_state`` (one browser session), so edits survive reruns
and page switches. Keys: ``workspace``, ``dataset``, ``analysis`` (+ ``analysis_key``,
``analysis_job``), ``selected`` (index of the example being edited), ``flash`` (+ ``flash_shown``, ``flash_again``).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import Any, NoReturn

import streamlit as st

from toolkit.config import Settings, load_settings
from toolkit.edit import Analysis, Dataset, Workspace
from toolkit.edit.entries import Entry
from toolkit.edit.journal import Journal
from toolkit.edit.review import ReviewNotes
from toolkit.errors import ToolkitError
from toolkit.plural import plural

WORKSPACE_ENV = "TUNESMITH_WORKSPACE"
AUTO_MODEL = "(default for the file)"
BACKGROUND_BYTES = 256_000  # bigger files (and edited records) are linted and counted in a worker thread
_WORKER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tunesmith-analysis")
GATE_SECONDS = 10.0  # a worker job waits at most this long for the page that started it to be drawn


def init(folder: str) -> None:
    """Set up the session once: the workspace (stops the page with a message if it is unusable)."""
    if "workspace" in st.session_state:
        return
    try:
        ws = Workspace(folder)
    except ToolkitError as exc:
        st.error(str(exc))
        st.stop()
    st.session_state["flash"] = []  # before the settings are read: a bad pyproject.toml is flashed, not dropped
    configured = _lint_settings(ws)
    st.session_state.update(workspace=ws, dataset=None, selected=0, analysis=None, analysis_key=None,
                            analysis_job=None, lint_settings=configured, journal_offer=None,
                            journal_session=uuid.uuid4().hex[:12])
    # the project's target ([tool.tunesmith] provider and model) is where the sidebar starts
    st.session_state.setdefault("ws_provider", configured.provider)
    if configured.model:
        st.session_state.setdefault("ws_model", configured.model)
    _from_url()


def _from_url() -> None:
    """A new session (a reload, a link) comes back to the file and example its URL names."""
    name = st.query_params.get("file")
    if not name or not open_dataset(name, quiet=True):
        return
    try:
        number = int(st.query_params.get("example") or 1)
    except ValueError:
        number = 1
    ds = dataset()
    if ds is not None and len(ds):
        st.session_state["selected"] = min(max(number, 1), len(ds)) - 1


def remember() -> None:
    """Once per run: keep unsaved changes in the journal and the open file and example in the URL."""
    ds = dataset()
    if ds is None:
        return
    ws = workspace()
    try:
        rel = ws.relative(ds.path)
    except ToolkitError:
        return
    st.query_params["file"] = rel
    st.query_params["example"] = str(st.session_state.get("selected", 0) + 1)
    mark = (id(ds), ds.version)
    if st.session_state.get("journal_mark") == mark:
        return
    try:  # this session's own copy: changes an earlier session kept (offered for restoring) are not touched
        journal().write(ds)
    except ToolkitError as exc:
        flash("warning", f"unsaved changes cannot be kept in the workspace's journal: {exc}")
    except OSError as exc:
        flash("warning", f"unsaved changes cannot be kept in the workspace's journal: {exc.strerror or exc}")
    st.session_state["journal_mark"] = mark


def _lint_settings(ws: Workspace) -> Settings:
    try:
        return load_settings(start=ws.root)
    except ToolkitError as exc:
        flash("warning", f"lint settings ignored: {exc}")
        return Settings()


def workspace() -> Workspace:
    ws: Workspace = st.session_state["workspace"]
    return ws


def journal() -> Journal:
    """The workspace's journal, as this browser session writes it."""
    return Journal(workspace(), session=st.session_state.get("journal_session") or "")


def dataset() -> Dataset | None:
    return st.session_state.get("dataset")


def flash(kind: str, text: str) -> None:
    """Queue a message (``success``, ``info``, ``warning``, ``error``) for the next page drawn.

    It stays on the page until the user's next action: a run the app starts on its own (:func:`rerun`)
    shows it again.
    """
    st.session_state.setdefault("flash", []).append((kind, text))


def new_run() -> None:
    """The start of a script pass: the messages shown before are dropped unless the app itself started this
    pass (:func:`rerun`), not the user."""
    if not st.session_state.pop("flash_again", False):
        st.session_state["flash_shown"] = []


def take_flash() -> list[tuple[str, str]]:
    """The messages to show on this pass: those still shown from before (see :func:`new_run`), then the new ones."""
    messages: list[tuple[str, str]] = [*st.session_state.get("flash_shown", []), *st.session_state.get("flash", [])]
    st.session_state["flash"] = []
    st.session_state["flash_shown"] = messages
    return messages


def rerun() -> NoReturn:
    """Draw the whole page again on the app's own account (a check finished, a job ended): unlike a user's
    action, this keeps the messages on the page."""
    st.session_state["flash_again"] = True
    st.rerun(scope="app")


FILTERS = ("ds_search", "ds_status", "ds_rule", "ds_review", "ds_tag", "ds_page", "ds_goto", "ds_filters")
"""The Dataset page's filters (and page and example number): they belong to one file."""


def set_dataset(ds: Dataset | None) -> None:
    """Make ``ds`` the open dataset; another file than the open one starts with the table unfiltered."""
    current = dataset()
    if ds is None or current is None or current.path != ds.path:
        for key in FILTERS:
            st.session_state.pop(key, None)
    st.session_state.update(dataset=ds, selected=0, analysis=None, analysis_key=None, analysis_job=None,
                            journal_offer=None)


def open_dataset(name: str, *, quiet: bool = False) -> bool:
    """Open a workspace file; False (with a message queued) when it cannot be opened.

    Unsaved changes kept in the journal for that file are offered for restoring (see :func:`journal_offer`).
    """
    current = dataset()
    if current is not None and current.modified:
        flash("error", f"{workspace().relative(current.path)} has unsaved changes: save or undo them first")
        return False
    try:
        ds = Dataset.open(name, workspace=workspace())
    except ToolkitError as exc:
        flash("error", str(exc))
        return False
    set_dataset(ds)
    rel = workspace().relative(ds.path)
    try:
        offers = []
        for kept in journal().find_all(rel):
            if Journal.differs(ds, kept):
                offers.append(kept)
            else:
                journal().forget(kept)  # the same as the file: nothing to offer, nothing lost
    except (ToolkitError, OSError):
        offers = []
    st.session_state["journal_offer"] = offers or None
    if not quiet:
        flash("success", f"opened {rel}: {plural(ds.records, 'record')} in {entries(len(ds))}")
    return True


def entries(n: int) -> str:
    """``1 entry``, ``2 entries``: the lines of a file, records or not, as the pages count them."""
    return plural(n, "entry", "entries")


def review() -> ReviewNotes:
    """The workspace's review notes (status and tags per example), read once per session."""
    if st.session_state.get("review_notes") is None:
        st.session_state["review_notes"] = ReviewNotes(workspace())
    notes: ReviewNotes = st.session_state["review_notes"]
    return notes


def carry_review(old: Entry, new: Entry) -> None:
    """An edit turned ``old`` into ``new``: the review note follows (a message if it cannot be written)."""
    try:
        review().carry(old, new)
    except (ToolkitError, OSError) as exc:
        flash("warning", f"the review note could not be kept: {exc}")


def provider() -> str:
    """The provider chosen in the sidebar (it starts at the project's ``[tool.tunesmith]`` provider)."""
    name: str = st.session_state.get("ws_provider") or configured().provider
    return name


def configured() -> Settings:
    """The workspace's ``[tool.tunesmith]`` settings (defaults when it has none)."""
    settings: Settings = st.session_state.get("lint_settings") or Settings()
    return settings


def model() -> str | None:
    chosen = st.session_state.get("ws_model")
    return None if chosen in (None, AUTO_MODEL) else chosen


def settings() -> Settings:
    """The workspace's lint settings with the provider and model chosen in the sidebar."""
    base = configured()
    return replace(base, provider=provider(), model=model() or (base.model if provider() == base.provider else None))


def analysis() -> Analysis | None:
    """The open dataset's analysis: started (in a worker for big files, once the page is drawn) and brought up
    to date with edits."""
    ds = dataset()
    if ds is None:
        return None
    key = (id(ds), provider(), model())
    if st.session_state.get("analysis_key") != key:
        st.session_state.update(analysis=Analysis(settings()), analysis_key=key, analysis_job=None)
    an: Analysis = st.session_state["analysis"]
    job: Future[Any] | None = st.session_state.get("analysis_job")
    if not an.ready and job is None and not an.recall(ds):  # recall: this content was analysed before
        if sum(len(e.raw) for e in ds.entries) > BACKGROUND_BYTES:
            job = _submit(an.run_full, ds, entries=list(ds.entries))
            st.session_state["analysis_job"] = job
        else:
            an.run_full(ds)
    if job is not None and job.done():
        st.session_state["analysis_job"] = None
        job.result()  # a failure in the worker shows on the page like any other
    if an.ready and not analysing():
        todo = an.pending(ds)
        if sum(len(ds.entries[i].raw) for i in todo) > BACKGROUND_BYTES:  # a big edited record: in the worker too
            st.session_state["analysis_job"] = _submit(an.update, ds, entries=list(ds.entries))
        elif todo:
            an.update(ds)
    return an


def _submit(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future[Any]:
    """Run ``fn`` in the worker once this script pass has drawn its page (:func:`page_drawn`): a worker
    started earlier shares the interpreter with the drawing and slows it down (by half a second on a
    20k-example file)."""
    gate = threading.Event()
    st.session_state["analysis_gate"] = gate

    def run() -> Any:
        gate.wait(GATE_SECONDS)
        return fn(*args, **kwargs)
    return _WORKER.submit(run)


def page_drawn() -> None:
    """The end of a script pass: the worker job it started may run now."""
    gate = st.session_state.get("analysis_gate")
    if gate is not None:
        gate.set()


def analysing() -> bool:
    """Whether the full analysis is still running in the worker."""
    job = st.session_state.get("analysis_job")
    return job is not None and not job.done()


def relint() -> None:
    """Lint and count the whole current content again (file-level findings included)."""
    an = st.session_state.get("analysis")
    if an is not None:
        an.full_key = None
    st.session_state["analysis_job"] = None
