"""Results worth keeping between reruns, keyed by what they depend on (``st.cache_data``)."""

from __future__ import annotations

import hashlib

import streamlit as st

from toolkit import stats
from toolkit.edit import Dataset


def content_id(ds: Dataset) -> str:
    """The sha256 of the dataset's current content (from the fingerprint when nothing changed)."""
    if not ds.modified and ds.fingerprint is not None and ds.conflict() is None:
        return ds.fingerprint.sha256
    return hashlib.sha256(ds.content()).hexdigest()


@st.cache_data(max_entries=16, show_spinner="Counting tokens…")
def _stats(sha: str, provider: str, model: str | None, _ds: Dataset) -> stats.Stats:
    if not _ds.modified and _ds.conflict() is None:
        return stats.compute(_ds.path, provider=provider, model=model)
    return stats.compute(_ds.content(), provider=provider, model=model, name=str(_ds.path))


def dataset_stats(ds: Dataset, provider: str, model: str | None) -> stats.Stats:
    """``tunesmith stats`` of the current content (the unsaved content is counted in memory)."""
    return _stats(content_id(ds), provider, model, ds)
