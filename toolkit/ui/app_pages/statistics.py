"""Statistics: token counts against the model's limit, messages per example, billed vs trained tokens, cost.

The numbers are summed from the counts the editor keeps per example (:meth:`Analysis.statistics`,
the same summary as ``tunesmith stats``), so this page never counts the file again.
"""

from __future__ import annotations

import streamlit as st

from toolkit import catalog, cost, stats
from toolkit.edit import Analysis, Dataset
from toolkit.errors import ToolkitError
from toolkit.plural import plural
from toolkit.ui import charts, page, state, widgets


def _numbers(s: stats.Stats, records: int, estimate: cost.Estimate, epochs: int, auto: bool) -> None:
    row = st.columns(4)
    repair = records - s.examples
    row[0].metric("Examples", f"{s.examples:,}", help="lines that are one JSON object each, as `tunesmith stats` and "
                  "lint count them" + (f"; {plural(repair, 'more record')} (pretty-printed or not UTF-8) to repair "
                                       "first in the Record editor" if repair else ""))
    row[1].metric("Median tokens per example", stats.number(s.tokens.median))
    row[2].metric("Longest example", f"{stats.number(s.tokens.max)} tokens")
    row[3].metric(f"Over the {s.context:,}-token limit", f"{s.over_limit:,}")
    row = st.columns(4)
    row[0].metric("Billed tokens per epoch", f"{s.billed_tokens:,}")
    row[1].metric("Trained tokens per epoch", f"{s.trained_tokens:,}")
    row[2].metric("Epochs", f"{epochs}" + (" (auto)" if auto else ""))
    row[3].metric("Estimated cost", f"${estimate.usd:,.2f}" if estimate.usd is not None else "not known")
    st.caption(widgets.md(f"{s.model} ({s.provider}, {s.encoding}): {estimate.billed(auto)}; "
                          f"{estimate.note}" + (f" (prices of {estimate.price_date})" if estimate.price_date else "")))
    if s.unreadable:
        more = " …" if s.unreadable > len(s.unreadable_lines) else ""
        lines = plural(s.unreadable, "line is not an example", "lines are not examples")
        widgets.alert("warning", f"{lines} (one JSON object in UTF-8 per line) and left out of the tokens and "
                                 f"cost (lines {', '.join(f'{n:,}' for n in s.unreadable_lines)}{more}); fix them in "
                                 "the Record editor")


def _stats(ds: Dataset, an: Analysis) -> stats.Stats:
    """The statistics of the current content, summed once per version of it (cheap, but charts rerun often)."""
    key = (id(ds), ds.version, id(an), an.full_key is not None, len(an.facts))
    kept = st.session_state.get("st_stats")
    if kept is None or kept[0] != key:
        kept = (key, an.statistics(ds))
        st.session_state["st_stats"] = kept
    return kept[1]


def statistics_page() -> None:
    ds = page.open_dataset("Statistics")
    if ds is None:
        return
    st.caption(widgets.md(state.workspace().relative(ds.path) + (" (with unsaved changes)" if ds.modified else "")))
    if ds.records == 0:  # zeros and empty charts would look like a clean, empty result
        other = len(ds)
        st.info("This file has no examples yet: add one in the Record editor." if not other else
                f"This file has no examples: none of its {plural(other, 'line')} is a JSON record (blank lines or broken "
                "JSON). Fix or delete them in the Record editor; the statistics appear once it has records.")
        return
    an = page.complete_analysis(ds, "Counting the tokens of every example and checking the file… the statistics "
                                    "appear when it is done (the Dataset page shows the table meanwhile).")
    if an is None:
        return
    try:
        s = _stats(ds, an)
    except ToolkitError as exc:
        widgets.alert("error", str(exc))
        return
    for found in s.model_findings:  # what lint's model rules say (shut down, method, unknown model), as stats says it
        widgets.alert("error" if found["severity"] == "error" else "warning", f"{found['rule']}: {found['message']}")
    chosen = st.number_input("Epochs (0 = auto, as the provider would choose)", min_value=0, max_value=50, step=1,
                             key="st_epochs", persist_state="session")
    epochs = int(chosen) or s.epochs
    estimate = s.cost if not chosen else cost.estimate(catalog.resolve(s.provider, s.model), s.billed_tokens, epochs)
    _numbers(s, ds.records, estimate, epochs, not chosen)
    facts = [an.get(e) for e in ds.entries if e.is_record]
    tokens = [f.tokens for f in facts if f is not None and f.tokens is not None]
    turns = [e.head[1] for e in ds.entries if e.is_record]
    left, right = st.columns(2)
    with left:
        st.subheader("Tokens per example")
        st.altair_chart(charts.token_histogram(tokens, s.context), width="stretch")
    with right:
        st.subheader("Messages per example")
        st.altair_chart(charts.messages_chart(turns), width="stretch")
    st.subheader("Billed vs trained tokens")
    st.altair_chart(charts.billed_vs_trained(s.billed_tokens, s.trained_tokens, epochs), width="stretch")


statistics_page()
