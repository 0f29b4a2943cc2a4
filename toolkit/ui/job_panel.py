"""A fine-tuning job on the Train page: live status, curves, checkpoints and events; the jobs of this machine."""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from toolkit import catalog
from toolkit.errors import ToolkitError
from toolkit.training.deploy import instructions
from toolkit.training.errors import job_failure
from toolkit.training.local_registry import Registry
from toolkit.ui import charts, connect, live, state, widgets
from toolkit.ui import main as app

POLL_SECONDS = 2.0


def job_view(connected: tuple[Any, Any] | None) -> None:
    mon: live.JobMonitor | None = st.session_state.get("tr_monitor")
    if mon is None:
        return
    st.subheader(f"Job {mon.job_id}")
    if connected is None:
        st.info("Connect (above) to follow this job.")
        return
    conn, client = connected
    try:
        with connect.guarded(conn):
            mon.poll(client, conn, Registry())  # records the status (and a failure's error) in the registry
    except ToolkitError as exc:
        widgets.alert("error", str(exc))
        return
    _status(mon, conn.provider)
    _curves(mon)
    _checkpoints(mon)
    _events(mon)
    if mon.done and st.session_state.get("tr_live"):
        st.session_state["tr_live"] = False
        state.rerun()  # stop polling


def _status(mon: live.JobMonitor, provider: str) -> None:
    job = mon.job
    cols = st.columns(3)
    cols[0].metric("Status", mon.status or "…")
    cols[1].metric("Step", f"{mon.step} / {mon.total_steps or '?'}")
    local = catalog.provider(provider).api.local
    cols[2].metric("Tokens trained" if local else "Billed tokens", f"{getattr(job, 'trained_tokens', None) or 0:,}",
                   help="all epochs, as the job reports them (its trained_tokens)")
    if mon.total_steps:
        st.progress(min(1.0, mon.step / mon.total_steps))
    if mon.notice:
        widgets.alert("warning", mon.notice)
    if mon.status == "succeeded":
        st.success("Fine-tuned model ready:")
        st.code(str(job.fine_tuned_model), language=None)
        steps = instructions(provider, str(job.fine_tuned_model), mon.job_id)  # "" without a deploy step
        if steps:
            st.code(steps, language=None, wrap_lines=True)
        st.page_link(app.PAGES["playground"], label="Try it in the Playground")
    elif mon.status in ("failed", "cancelled"):
        widgets.alert("error", str(job_failure(job)))
    elif not mon.done:
        st.button("Cancel job", key="tr_cancel", on_click=_cancel, args=(mon.job_id,))


def _cancel(job_id: str) -> None:
    cached = st.session_state.get("conn_client")
    if not cached:
        return
    conn, client = cached
    try:
        with connect.guarded(conn):
            client.fine_tuning.jobs.cancel(job_id)
    except ToolkitError as exc:
        state.flash("error", str(exc))
        return
    state.flash("info", f"asked to cancel {job_id}")


def _curves(mon: live.JobMonitor) -> None:
    loss, accuracy = mon.curves("loss"), mon.curves(live.ACCURACY)
    if not loss and not accuracy:
        return
    left, right = st.columns(2)
    if loss:
        left.altair_chart(charts.training_curves(loss, "loss"), width="stretch")
    if accuracy:
        right.altair_chart(charts.training_curves(accuracy, "accuracy"), width="stretch")


def _checkpoints(mon: live.JobMonitor) -> None:
    if not mon.checkpoints:
        return
    st.caption("Checkpoints")
    with st.container(key="tr_checkpoints"):  # one line each, wrapped: a wide table would cut the model ids off
        for c in mon.checkpoints:
            numbers = ", ".join(f"{k.replace('_', ' ')} {v:,.4g}" for k, v in
                                _numbers(getattr(c, "metrics", None)).items() if k != "step")
            st.caption(widgets.md(f"step {c.step_number:,}" + (f": {numbers}" if numbers else "")))
            st.code(str(c.fine_tuned_model_checkpoint), language=None, wrap_lines=True)


def _numbers(metrics: Any) -> dict[str, float]:
    values = metrics.model_dump() if hasattr(metrics, "model_dump") else {}
    return {k: v for k, v in values.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def _events(mon: live.JobMonitor) -> None:
    rows = [{"time": dt.datetime.fromtimestamp(t).strftime("%H:%M:%S") if t else "", "level": level,
             "message": message} for t, level, message in reversed(mon.events)]
    with st.expander(f"Events ({len(rows)})", expanded=not mon.done):
        st.dataframe(rows, hide_index=True, key="tr_events")


def past_jobs() -> None:
    try:
        jobs = Registry().jobs(limit=50)
    except ToolkitError as exc:
        widgets.alert("warning", str(exc))
        return
    if not jobs:
        return
    st.subheader("Past jobs on this machine")
    # the status is in the caption, not the label: a keyed select keeps showing its first labels
    labels = {j.job_id: f"{j.job_id} · {j.model} · {j.host} · {dt.datetime.fromtimestamp(j.created_at):%Y-%m-%d %H:%M}"
              for j in jobs}
    pick = st.selectbox("Past jobs", list(labels), format_func=lambda job_id: labels[job_id], key="tr_past")
    row = next(j for j in jobs if j.job_id == pick)
    st.caption(widgets.md(f"{row.status or 'status unknown'}; trained on {row.training_path or row.training_file} (sha256 "
                          f"{(row.training_sha256 or '')[:12]}), {row.method}, hyperparameters "
                          f"{row.hyperparameters or 'auto'}" + (f"; model {row.fine_tuned_model}"
                                                                 if row.fine_tuned_model else "")
                          + (f"; {row.error}" if row.error else "")))
    st.button("Open this job", key="tr_past_open", on_click=_reopen, args=(pick,))


def _reopen(job_id: str) -> None:
    st.session_state.update(tr_monitor=live.JobMonitor(job_id), tr_live=True)
