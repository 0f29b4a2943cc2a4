"""Train: choose the model and method, see the cost, then lint, upload and follow the job live."""

from __future__ import annotations

from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from toolkit import catalog, cost, formats, stats
from toolkit.edit import Dataset
from toolkit.errors import ToolkitError, UsageError
from toolkit.plural import plural
from toolkit.training.gate import blocking_errors, lint_for_job
from toolkit.training.graders import load_grader
from toolkit.training.job_request import Hyperparameters, JobSpec, validate
from toolkit.training.local_registry import Registry
from toolkit.training.pipeline import start_job
from toolkit.training.progress import human_bytes
from toolkit.ui import connect, job_panel, live, page, state, widgets

OTHER_MODEL = "(another model id)"
NO_FILE = "(none)"
SHOWN_FINDINGS = 10


def _number(key: str, label: str, kind: type) -> Any:
    text = (st.session_state.get(key) or "auto").strip().lower()
    if text in ("", "auto"):
        return None
    try:
        return kind(text)
    except ValueError:
        raise UsageError(f"{label}: {text!r} is not a {'whole ' if kind is int else ''}number (or auto)") from None


def _default_method(ds: Dataset) -> str:
    an = state.analysis()
    fmt = an.format if an is not None else None
    return formats.FORMAT_METHOD.get(fmt or "", "supervised") if fmt in formats.METHOD_FORMAT.values() else "supervised"


def _form(ds: Dataset) -> tuple[JobSpec, str | None, int | None]:
    """The job settings widgets; the spec, the validation file and the epochs for the estimate."""
    provider = state.provider()
    ws = state.workspace()
    left, right = st.columns(2)
    method = left.selectbox("Method", formats.METHODS, index=formats.METHODS.index(_default_method(ds)), key="tr_method",
                            persist_state="session")
    names = [m.name for m in catalog.models(provider) if method in m.methods] + [OTHER_MODEL]
    preferred = state.model() or catalog.provider(provider).default_model
    model = right.selectbox("Base model", names, index=names.index(preferred) if preferred in names else 0,
                            key="tr_model", persist_state="session")
    if model == OTHER_MODEL:
        model = right.text_input("Model id (a snapshot, or a fine-tuned model to continue from)",
                                 key="tr_model_id", persist_state="session").strip()
    others = [f for f in ws.files() if f != ws.relative(ds.path)]
    validation = left.selectbox("Validation file", [NO_FILE, *others], key="tr_validation", persist_state="session")
    grader = None
    if method == "reinforcement":
        graders = ws.files((".json",))
        chosen = right.selectbox("Grader (JSON file)", [NO_FILE, *graders], key="tr_grader", persist_state="session")
        grader = load_grader(ws.resolve(chosen), provider=provider) if chosen != NO_FILE else None
    cols: tuple[DeltaGenerator, ...] = st.columns(4)
    cols[0].text_input("Epochs", value="auto", key="tr_epochs", persist_state="session")
    cols[1].text_input("Batch size", value="auto", key="tr_batch_size", persist_state="session")
    cols[2].text_input("Learning-rate multiplier", value="auto", key="tr_lr", persist_state="session")
    cols[3].text_input("Beta (DPO only)", value="auto", key="tr_beta", persist_state="session",
                       disabled=method != "dpo")
    cols = st.columns(2)
    suffix = cols[0].text_input("Suffix (optional)", key="tr_suffix", persist_state="session",
                                help="added to the fine-tuned model's name")
    seed = cols[1].text_input("Seed (optional)", key="tr_seed", persist_state="session")
    tiers = catalog.provider(provider).training_types
    training_type = st.selectbox("Training type", list(tiers), key="tr_training_type", persist_state="session",
                                 help="; ".join(f"{t}: {what}" for t, what in tiers.items())) if tiers else None
    epochs = _number("tr_epochs", "Epochs", int)
    hp = Hyperparameters(n_epochs=epochs, batch_size=_number("tr_batch_size", "Batch size", int),
                         learning_rate_multiplier=_number("tr_lr", "Learning-rate multiplier", float),
                         beta=_number("tr_beta", "Beta", float) if method == "dpo" else None)
    spec = JobSpec(model=model or "", method=method, hyperparameters=hp, grader=grader, suffix=suffix.strip() or None,
                   seed=int(seed) if seed.strip().isdigit() else None, training_type=training_type)
    if seed.strip() and not seed.strip().isdigit():
        raise UsageError(f"Seed: {seed.strip()!r} is not a whole number")
    validate(spec, provider=provider, has_validation=validation != NO_FILE)
    return spec, None if validation == NO_FILE else validation, epochs


def _estimate(ds: Dataset, spec: JobSpec, epochs: int | None) -> None:
    """Examples, tokens and cost, summed from the editor's analysis (the Statistics page's numbers, no recount)."""
    an = page.complete_analysis(ds, "Counting the tokens of every example… the examples, tokens and cost appear "
                                    "when it is done.")
    if an is None:
        return
    s = an.statistics(ds, model=spec.model if catalog.resolve(state.provider(), spec.model).known else None)
    n = epochs or s.epochs
    est = cost.estimate(catalog.resolve(s.provider, spec.model), s.billed_tokens, n)
    cols = st.columns(4)
    cols[0].metric("Examples", f"{s.examples:,}")
    cols[1].metric("Billed tokens per epoch", f"{s.billed_tokens:,}")
    cols[2].metric("Epochs", f"{n}" + ("" if epochs else " (auto)"))
    cols[3].metric("Estimated cost", f"${est.usd:,.2f}" if est.usd is not None else "not known")
    st.caption(widgets.md(f"{est.billed(not epochs)}; {est.note}"))


def _no_examples(ds: Dataset) -> str | None:
    """Why a file without one example cannot be trained on (``tunesmith train``'s error, even forced), else None."""
    if any(e.is_example for e in ds.entries):
        return None
    lines = sum(bool(line.strip()) for e in ds.entries for line in e.raw.split(b"\n"))
    return str(stats.no_examples(state.workspace().relative(ds.path), lines))


def _lint_gate(ds: Dataset, spec: JobSpec, validation: str | None, conn: Any) -> bool:
    result = lint_for_job(ds.path, state.workspace().resolve(validation) if validation else None, conn, spec)
    blocking = blocking_errors(result, conn)
    if not blocking:
        st.caption(f"lint: {plural(result.errors, 'error')}, {plural(result.warnings, 'warning')}")
        return True
    if st.session_state.get("tr_force"):
        widgets.alert("warning", f"lint found {plural(len(blocking), 'error')}; uploading anyway as asked")
        return True
    widgets.alert("error", f"lint found {plural(len(blocking), 'error')} that the provider would reject: fix them in the "
                           "Record editor first (or tick 'Upload even if lint finds errors')")
    for d in blocking[:SHOWN_FINDINGS]:
        st.text(widgets.diagnostic_text(d))
    return False


def _start(ds: Dataset, spec: JobSpec, validation: str | None, conn: Any, client: Any) -> None:
    with st.status("Starting the job…", expanded=True) as box:
        st.write("Linting the data…")
        if not _lint_gate(ds, spec, validation, conn):
            box.update(label="Lint errors: nothing was uploaded", state="error")
            return
        bar = st.progress(0.0, text="Uploading…")

        def progress(sent: int, total: int) -> None:
            bar.progress(min(1.0, sent / total) if total else 1.0,
                         text=f"Uploading {human_bytes(sent)} of {human_bytes(total)}")

        def uploaded(up: Any) -> None:
            st.text(("reusing " if up.reused else "uploaded ") + f"{up.source.path} as {up.file_id}")

        val = state.workspace().resolve(validation) if validation else None
        try:
            with connect.guarded(conn):
                started = start_job(client, conn, Registry(), spec, ds.path, val, on_progress=progress,
                                    on_upload=uploaded, notice=st.text)
        except ToolkitError as exc:
            box.update(label="The job could not be started", state="error")
            widgets.alert("error", str(exc))
            return
        box.update(label=f"Created job {started.job.id}", state="complete")
    st.session_state["tr_monitor"] = live.JobMonitor(str(started.job.id))
    state.flash("success", f"created job {started.job.id} ({spec.method}, {spec.model}) on {conn.host}")
    st.rerun()


def _monitor_running() -> bool:
    mon = st.session_state.get("tr_monitor")
    return mon is not None and not mon.done


def train_page() -> None:
    st.title("Train")
    widgets.show_flash()
    connected = connect.panel()
    ds = state.dataset()
    if ds is None:
        st.info("Open the dataset to train on, on the Dataset page.")
    else:
        st.caption(widgets.md(f"Training file: {state.workspace().relative(ds.path)}"))
        empty = _no_examples(ds)
        if empty:
            widgets.alert("error", empty)
        try:
            spec, validation, epochs = _form(ds)
        except ToolkitError as exc:
            widgets.alert("error", str(exc))
            spec = None
        try:
            if spec is not None and not empty:
                _estimate(ds, spec, epochs)
        except ToolkitError as exc:  # no estimate (another tokenizer, another trainer's format): lint decides
            widgets.alert("warning", str(exc))
        if ds.modified:
            widgets.alert("warning", "Save your changes first: training uploads the file as it is on disk.")
            widgets.save_bar(ds)
        st.checkbox("Upload even if lint finds errors", key="tr_force", persist_state="session")
        running = _monitor_running()
        ready = spec is not None and connected is not None and not ds.modified and not running and not empty
        if running:
            st.caption("A job is running: follow it below (or cancel it) before starting another.")
        if st.button("Lint, upload and train", key="tr_start", type="primary", disabled=not ready) and spec:
            assert connected is not None
            st.session_state["tr_live"] = True
            _start(ds, spec, validation, *connected)
    every = job_panel.POLL_SECONDS if _monitor_running() and st.session_state.get("tr_live") else None
    st.fragment(job_panel.job_view, run_every=every)(connected)
    job_panel.past_jobs()


train_page()
