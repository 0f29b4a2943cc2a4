"""Playground: the same question to the base model and to the fine-tuned one, side by side; a held-out file too."""

from __future__ import annotations

from typing import Any

import streamlit as st

from toolkit import catalog
from toolkit.edit import ops
from toolkit.edit.records import shown, text_of
from toolkit.engine import looks_like_validation
from toolkit.errors import ToolkitError
from toolkit.training.chat import Reply, ask, conversation
from toolkit.training.compare import Row, compare, load_prompts, matches, summary
from toolkit.training.local_registry import Registry
from toolkit.ui import connect, state, textdiff, widgets

OTHER = "(another model id)"


def _tuned_models() -> list[str]:
    """Fine-tuned models this machine trained (newest first), then the checkpoints of the job on the Train page."""
    found: list[str] = []
    try:
        found = [j.fine_tuned_model for j in Registry().jobs(limit=50)
                 if j.fine_tuned_model and j.provider == state.provider()]
    except ToolkitError as exc:
        widgets.alert("warning", str(exc))
    mon = st.session_state.get("tr_monitor")
    if mon is not None:
        found += [str(c.fine_tuned_model_checkpoint) for c in mon.checkpoints]
    return list(dict.fromkeys(found))


def _trained_from(tuned: str) -> str | None:
    """The base model the registry recorded for a fine-tuned model (e.g. a local folder), if any."""
    try:
        return next((j.model for j in Registry().jobs(limit=200) if j.fine_tuned_model == tuned), None)
    except ToolkitError:
        return None


def _pick(label: str, options: list[str], key: str, default: str | None) -> str:
    options = [*options, OTHER]
    chosen = st.selectbox(label, options, index=options.index(default) if default in options else 0, key=key,
                          persist_state="session")
    if chosen == OTHER:
        return st.text_input(f"{label} id", key=f"{key}_id", persist_state="session").strip()
    return chosen


def _models() -> tuple[str, str]:
    provider = state.provider()
    tuned_options = _tuned_models()
    left, right = st.columns(2)
    with right:
        tuned = _pick("Fine-tuned model or checkpoint", tuned_options, "pg_tuned", None)
    base_default = (catalog.base_of(provider, tuned) or _trained_from(tuned)) if tuned else None
    bases = [m.name for m in catalog.models(provider)]
    with left:
        base = _pick("Base model", bases + ([base_default] if base_default and base_default not in bases else []),
                     "pg_base", base_default or state.model() or catalog.provider(provider).default_model)
    return base, tuned


def _default_system() -> str:
    ds = state.dataset()
    if ds is None:
        return ""
    shape = ops.template([v for e in ds.entries[:200] if (v := e.value) is not None])
    first = (ops.get(shape, "/messages/0") or ops.get(shape, "/input/messages/0") or {})
    return shown(first.get("content", "")) if first.get("role") == "system" else ""


def _reply(column: Any, reply: Reply) -> None:
    with column:
        st.caption(widgets.md(reply.model))
        st.code(shown(reply.text) or "(empty answer)", language=None, wrap_lines=True)
        cols = st.columns(3)
        cols[0].metric("Latency", f"{reply.latency * 1000:,.0f} ms")
        cols[1].metric("Prompt tokens", reply.prompt_tokens if reply.prompt_tokens is not None else "?")
        cols[2].metric("Answer tokens", reply.completion_tokens if reply.completion_tokens is not None else "?")


def _question(conn: Any, client: Any, base: str, tuned: str) -> None:
    st.text_area("System prompt", value=_default_system(), key="pg_system", persist_state="session")
    st.text_area("Question", key="pg_question", persist_state="session", placeholder="Tell me about beryllium.")
    question = (st.session_state.get("pg_question") or "").strip()
    if st.button("Ask both models", key="pg_ask", type="primary", disabled=not (question and base and tuned)):
        messages = conversation(question, (st.session_state.get("pg_system") or "").strip() or None)
        try:
            with st.spinner("Asking both models…"), connect.guarded(conn):
                st.session_state["pg_replies"] = [ask(client, model, messages) for model in (base, tuned)]
        except ToolkitError as exc:
            widgets.alert("error", str(exc))
    replies = st.session_state.get("pg_replies")
    if replies:
        left, right = st.columns(2)
        _reply(left, replies[0])
        _reply(right, replies[1])


def _held_out(conn: Any, client: Any, base: str, tuned: str) -> None:
    st.subheader("A held-out file through both models")
    ws = state.workspace()
    files = ws.files()
    if not files:
        st.info("No .jsonl file in the workspace.")
        return
    default = next((f for f in files if looks_like_validation(f)), files[0])
    left, right = st.columns([3, 1])
    name = left.selectbox("Held-out file", files, index=files.index(default), key="pg_heldout", persist_state="session")
    limit = right.number_input("Examples to run", min_value=1, max_value=500, value=5, step=1, key="pg_limit",
                               persist_state="session")
    rows: list[Row] | None
    if st.button("Run the file through both", key="pg_run_file", disabled=not (base and tuned)):
        try:
            prompts = load_prompts(ws.resolve(name), limit=int(limit))
            bar = st.progress(0.0, text="Asking…")
            with connect.guarded(conn):
                rows = compare(client, base, tuned, prompts,
                               on_row=lambda i, _: bar.progress((i + 1) / len(prompts),
                                                                text=f"{i + 1} of {len(prompts)} examples"))
            st.session_state["pg_rows"] = rows
        except ToolkitError as exc:
            widgets.alert("error", str(exc))
    rows = st.session_state.get("pg_rows")
    if rows:
        _results(rows)


def _results(rows: list[Row]) -> None:
    """Totals, then each example: its question, the reference and both answers side by side (wrapped, whole),
    and the tuned answer's difference from the reference (from the base answer when there is none)."""
    totals = summary(rows)
    cols = st.columns(2)
    for col, side in zip(cols, ("base", "tuned"), strict=True):
        t = totals[side]
        col.metric(f"{side}: same as the reference", f"{t['matches_reference']} of {t['with_reference']}")
        col.caption(widgets.md(f"{t['model']}: mean latency {t['mean_latency_s'] * 1000:,.0f} ms, "
                               f"{t['prompt_tokens']:,} prompt and {t['completion_tokens']:,} answer tokens"))
    for n, r in enumerate(rows):
        with st.container(border=True, key=f"pg_row_{n}"):
            _result(r)


def _result(r: Row) -> None:
    question = shown(text_of(next((m.get("content") for m in reversed(r.prompt.messages)
                                   if m.get("role") == "user"), "")))
    reference = shown(r.prompt.reference) if r.prompt.reference is not None else None
    same = matches(r.tuned.text, r.prompt.reference)
    verdict = "" if reference is None else " · tuned answer matches the reference" if same else \
        " · tuned answer differs from the reference"
    st.caption(widgets.md(f"line {r.prompt.line:,}{verdict}"))
    st.html(textdiff.text_html(question))
    answers = [("Reference", reference, None), ("Base answer", shown(r.base.text), r.base.latency),
               ("Tuned answer", shown(r.tuned.text), r.tuned.latency)]
    for col, (title, text, latency) in zip(st.columns(3), answers, strict=True):
        with col:
            st.markdown(f"**{title}**" + (f" · {latency * 1000:,.0f} ms" if latency is not None else ""))
            st.html(textdiff.text_html(text or "", empty="(no reference in the file)" if text is None else "(empty)"))
    against, label = (reference, "the reference") if reference is not None else (shown(r.base.text), "the base answer")
    st.markdown(f"**Tuned answer against {label}** (removed: struck through, added: green)")
    st.html(textdiff.to_html(textdiff.segments(against, shown(r.tuned.text))))


def playground_page() -> None:
    st.title("Playground")
    widgets.show_flash()
    connected = connect.panel()
    base, tuned = _models()
    if connected is None:
        st.info("Connect (above) to ask the models.")
        return
    _question(*connected, base, tuned)
    st.divider()
    _held_out(*connected, base, tuned)


playground_page()
