"""Edits of many examples at once (the filtered set of the editor), each one change that one undo takes back.

>>> changed = set_weights(ds, [0, 4, 7], "last")   # only the last assistant turn of each trained
>>> for old, new in changed: notes.carry(old, new)  # review notes follow the examples

Entries an edit does not change keep their exact bytes; lines that are not records, other formats
(preference pairs have no weights) and lines that are not valid UTF-8 are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable

from .. import formats
from ..plural import plural
from ..records import same_json
from .dataset import Dataset
from .entries import Entry, edited
from .ops import WEIGHT_MODES
from .ops import set_weights as weights_edit

__all__ = ["WEIGHT_MODES", "set_weights"]


def set_weights(ds: Dataset, indices: Iterable[int], mode: str) -> list[tuple[Entry, Entry]]:
    """Set the assistant weights of the chat examples at ``indices`` (see :func:`ops.set_weights`).

    One change in ``ds``'s undo list; returns each changed entry with its new version (empty: nothing done).
    """
    edit = weights_edit(mode)
    changes: dict[int, list[Entry]] = {}
    olds: list[Entry] = []
    for i in sorted(set(indices)):
        old = ds.entries[i]
        if not old.is_record or old.undecodable:
            continue
        value = old.value
        if not isinstance(value, dict) or formats.detect(value) != formats.CHAT:
            continue
        edit(value)
        if not same_json(value, old.value):  # 1.0 == 1 == True in Python, not in JSON
            changes[i] = [edited(old, value)]
            olds.append(old)
    if changes:
        ds.replace_many(changes, f"set weights ({WEIGHT_MODES[mode]}) on {plural(len(changes), 'example')}")
    return [(ds_old, new[0]) for ds_old, new in zip(olds, changes.values(), strict=True)]
