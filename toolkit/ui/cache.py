"""Results worth keeping between reruns, keyed by what they depend on (``st.cache_data``)."""

from __future__ import annotations

import hashlib
import os
import tempfile

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
    fd, tmp = tempfile.mkstemp(prefix="tunesmith-stats-", suffix=".jsonl")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(_ds.content())
        result = stats.compute(tmp, provider=provider, model=model)
    finally:
        os.unlink(tmp)
    result.path = str(_ds.path)
    return result


def dataset_stats(ds: Dataset, provider: str, model: str | None) -> stats.Stats:
    """``tunesmith stats`` of the current content (a private copy is counted when it is not saved)."""
    return _stats(content_id(ds), provider, model, ds)
