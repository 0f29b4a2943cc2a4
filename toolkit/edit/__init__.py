"""Editing datasets: open a JSONL file inside a workspace, change records, save without losing a byte.

>>> from toolkit.edit import Workspace, Dataset, ops
>>> ws = Workspace("samples")
>>> ds = Dataset.open(ws.dataset("elle_multi_turn.jsonl"))
>>> ds.change(0, ops.set_weight("/messages/2", trained=False), "weight 0 on message 3")
>>> ds.save()

No module here imports streamlit; pandas is imported only by :mod:`toolkit.edit.table` functions.
"""

from __future__ import annotations

from ..atomic import write_atomic
from . import bulk, ops, review
from .analysis import Analysis, Facts
from .dataset import Dataset, Fingerprint
from .entries import Entry, encode
from .errors import ConflictError, EditError
from .workspace import Workspace, WorkspaceError

__all__ = [
    "Analysis", "ConflictError", "Dataset", "EditError", "Entry", "Facts", "Fingerprint", "Workspace",
    "WorkspaceError", "bulk", "encode", "ops", "review", "write_atomic",
]
