"""The top of a page that works on the open dataset."""

from __future__ import annotations

import streamlit as st

from toolkit.edit import Dataset
from toolkit.edit.analysis import Analysis
from toolkit.ui import main as app
from toolkit.ui import state, widgets


def open_dataset(title: str) -> Dataset | None:
    """Draw the title and any flash message; return the open dataset, or point to the Dataset page."""
    st.title(title)
    widgets.show_flash()
    ds = state.dataset()
    if ds is None:
        st.info("Open a dataset on the Dataset page first.")
        st.page_link(app.PAGES["dataset"], label="Go to the Dataset page")
    return ds


@st.fragment(run_every=1.0)
def wait_for_analysis(text: str) -> None:
    """Say that the file is still being checked (``text``); draw the page again when the worker is done."""
    if state.analysing():
        widgets.alert("info", text)
    else:
        state.rerun()


def complete_analysis(ds: Dataset, waiting: str) -> Analysis | None:
    """The open dataset's analysis once it covers every example; until then None, and the page says ``waiting``."""
    an = state.analysis()
    assert an is not None
    if an.complete(ds):
        return an
    wait_for_analysis(waiting)
    return None
