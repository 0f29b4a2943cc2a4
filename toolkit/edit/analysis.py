"""Tokens and lint findings for every entry of a :class:`Dataset`, kept by entry until it changes.

The first run (:meth:`Analysis.run_full`) lints and counts the whole file once, as
``tunesmith lint`` and ``tunesmith stats`` do; after an edit, :meth:`Analysis.update`
looks only at the entries that are new, together with the file's first records so that the
format is decided as for the whole file. File-level findings (too few examples,
duplicates) come from the last full run; :attr:`Analysis.stale` says when edits came after it.
"""

from __future__ import annotations

import bisect
import os
import tempfile
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import stats
from ..config import Settings
from ..counting import ExampleStats
from ..diagnostics import Diagnostic
from ..lint import Linter, looks_like_validation
from ..rules import RULES
from .dataset import Dataset
from .entries import Entry

LOOKAHEAD = 64  # records that decide a file's format (as in the linter)
_RECORD_KINDS = ("record", "reader")


@dataclass(frozen=True)
class Facts:
    """What is known about one entry: token counts (None when it is not a record) and its findings.

    The findings' ``line`` and ``end_line`` count from the entry's first line (1).
    """

    tokens: int | None = None
    trained: int | None = None
    over: int = 0
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def errors(self) -> int:
        return sum(d.severity.value == "error" for d in self.diagnostics)

    @property
    def warnings(self) -> int:
        return sum(d.severity.value == "warning" for d in self.diagnostics)


@dataclass
class Result:
    """The outcome of analysing some entries: facts by uid, findings not tied to a line, the file's format."""

    facts: dict[int, Facts]
    file_diagnostics: list[Diagnostic] = field(default_factory=list)
    format: str | None = None


class Analysis:
    """Facts for the entries of one dataset under one target (provider, model and lint settings)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.facts: dict[int, Facts] = {}
        self.file_diagnostics: list[Diagnostic] = []
        self.format: str | None = None
        self.full_key: tuple[bool, bytes, list[int]] | None = None  # the content the last full run saw
        self._lock = threading.Lock()

    @property
    def ready(self) -> bool:
        """Whether a full run has finished (until then only the file's first run is missing)."""
        return self.full_key is not None

    def stale(self, dataset: Dataset) -> bool:
        """Whether the file-level findings predate the current content."""
        return self.full_key != dataset.state_key()

    def pending(self, dataset: Dataset) -> list[int]:
        """Indices of entries with no facts yet."""
        return [i for i, e in enumerate(dataset.entries) if e.uid not in self.facts]

    def get(self, entry: Entry) -> Facts | None:
        return self.facts.get(entry.uid)

    def run_full(self, dataset: Dataset, *, entries: list[Entry] | None = None) -> None:
        """Lint and count every entry (``entries``: a snapshot of them taken earlier, for a worker thread)."""
        chosen = list(dataset.entries) if entries is None else entries
        key = (dataset.bom, dataset.eol, [e.uid for e in chosen])
        data = dataset.content(chosen)
        disk = dataset.path if entries is None and not dataset.modified and dataset.conflict() is None else None
        result = analyse(data, chosen, name=str(dataset.path), settings=self.settings, path=disk)
        with self._lock:
            self.facts.update(result.facts)
            self.file_diagnostics = result.file_diagnostics
            self.format = result.format
            self.full_key = key

    def update(self, dataset: Dataset) -> int:
        """Analyse the entries that have no facts yet (edited or added); return how many."""
        todo = [dataset.entries[i] for i in self.pending(dataset)]
        if not todo:
            return 0
        wanted = {e.uid for e in todo}
        head = {e.uid for e in [e for e in dataset.entries if e.is_record][:LOOKAHEAD]}
        chosen = [e for e in dataset.entries if e.uid in wanted or e.uid in head]
        result = analyse(dataset.content(chosen), chosen, name=str(dataset.path), settings=self.settings,
                         record_only=True)
        with self._lock:
            self.facts.update({uid: f for uid, f in result.facts.items() if uid in wanted})
        return len(todo)


def analyse(data: bytes, entries: list[Entry], *, name: str, settings: Settings, path: Path | None = None,
            record_only: bool = False) -> Result:
    """Lint ``data`` (the bytes of ``entries``) and count its tokens; findings go to the entry they point into.

    ``path`` is a file holding exactly ``data`` (else a temporary copy is made for the token
    counts); ``record_only`` keeps only the findings about single records.
    """
    role = "validation" if looks_like_validation(name) else "train"
    linted = Linter(settings).lint_bytes(data, name=name, role=role)
    starts, uids = [], []
    line = 1
    for e in entries:
        starts.append(line)
        uids.append(e.uid)
        line += e.lines
    per: dict[int, list[Diagnostic]] = {uid: [] for uid in uids}
    file_diags: list[Diagnostic] = []
    for d in linted.diagnostics:
        if record_only and RULES[d.rule].kind not in _RECORD_KINDS:
            continue
        if d.line is None or not uids:
            file_diags.append(d)
        else:
            k = max(0, bisect.bisect_right(starts, d.line) - 1)
            per[uids[k]].append(_relative(d, starts[k]))
    row: ExampleStats | None
    counts = {}
    for row in _examples(data, path, settings):
        counts[uids[max(0, bisect.bisect_right(starts, row.line) - 1)]] = row
    facts = {}
    for uid in uids:
        row = counts.get(uid)
        facts[uid] = Facts(row.tokens if row else None, row.trained_tokens if row else None, row.over if row else 0,
                           tuple(per[uid]))
    return Result(facts, file_diags, linted.format)


def _relative(d: Diagnostic, start: int) -> Diagnostic:
    """``d`` with its lines counted from the entry's first line (1), which moves as entries are added."""
    assert d.line is not None
    return replace(d, line=d.line - start + 1, end_line=d.end_line - start + 1 if d.end_line else None)


def _examples(data: bytes, path: Path | None, settings: Settings) -> list[ExampleStats]:
    """Per-example token counts from :mod:`toolkit.stats`, which reads a file (a private copy for unsaved data)."""
    if path is not None:
        return list(stats.examples(path, provider=settings.provider, model=settings.model))
    return _count_copy(data, settings)


def _count_copy(data: bytes, settings: Settings) -> list[ExampleStats]:
    fd, tmp = tempfile.mkstemp(prefix="tunesmith-edit-", suffix=".jsonl")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        return list(stats.examples(tmp, provider=settings.provider, model=settings.model))
    finally:
        os.unlink(tmp)
