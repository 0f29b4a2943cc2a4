"""Tokens and lint findings for every entry of a :class:`Dataset`, kept by entry until it changes.

The first run (:meth:`Analysis.run_full`) lints and counts the whole file once, as
``tunesmith lint`` and ``tunesmith stats`` do; after an edit, :meth:`Analysis.update`
looks only at the entries that are new, together with the file's first records so that the
format is decided as for the whole file. File-level findings (too few examples,
duplicates) come from the last full run; :attr:`Analysis.stale` says when edits came after it.
A full run's result is kept by the sha256 of the content (and the settings), so opening the
same content again (a reload, another session, switching back to a file) does not redo it.
:meth:`Analysis.statistics` sums the kept per-entry counts into ``tunesmith stats``'s report
(:func:`toolkit.stats.summarise`), and :meth:`Analysis.totals` gives the counts ``tunesmith
lint`` reports (file-level findings included).
"""

from __future__ import annotations

import bisect
import sys
import threading
from array import array
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from .. import catalog, file_tokens, formats, stats
from ..config import Settings
from ..diagnostics import Diagnostic, Severity
from ..engine import Linter, looks_like_validation
from ..errors import UsageError
from ..rules import RULES
from .dataset import Dataset
from .entries import Entry

KEPT_RESULTS = 8  # full runs kept by content hash (per process)
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
    format: str | None = None  # the record's own format (file_tokens.FORMAT_CODES)
    messages: int = 0
    images: int = 0  # images behind URLs, counted at an assumed size

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


@dataclass(frozen=True)
class Totals:
    """What ``tunesmith lint`` reports for the content: records, errors and warnings (file-level findings too)."""

    records: int
    errors: int
    warnings: int


class Analysis:
    """Facts for the entries of one dataset under one target (provider, model and lint settings)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.facts: dict[int, Facts] = {}
        self.file_diagnostics: list[Diagnostic] = []
        self.format: str | None = None
        self.full_key: tuple[bool, bytes, list[int]] | None = None  # the content the last full run saw
        self._missed: tuple[bool, bytes, list[int]] | None = None  # the content recall() found nothing for
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
        """Lint and count every entry (``entries``: a snapshot of them taken earlier, for a worker thread).

        The result of an earlier full run on the same content and settings is reused.
        """
        chosen = list(dataset.entries) if entries is None else entries
        key = (dataset.bom, dataset.eol, [e.uid for e in chosen])
        kept = (dataset.sha256(chosen), repr(self.settings))
        result = _recall(kept, chosen)
        if result is None:
            result = analyse(dataset.content(chosen), chosen, name=str(dataset.path), settings=self.settings)
            _remember(kept, chosen, result)
        with self._lock:
            self.facts.update(result.facts)
            self.file_diagnostics = result.file_diagnostics
            self.format = result.format
            self.full_key = key

    def recall(self, dataset: Dataset) -> bool:
        """Take the kept result of a full run on this very content, if there is one (no analysis runs)."""
        chosen = list(dataset.entries)
        state = dataset.state_key()
        if state == self._missed:
            return False  # asked already: hashing megabytes again finds nothing new
        result = _recall((dataset.sha256(chosen), repr(self.settings)), chosen)
        if result is None:
            self._missed = state
            return False
        with self._lock:
            self.facts.update(result.facts)
            self.file_diagnostics = result.file_diagnostics
            self.format = result.format
            self.full_key = (dataset.bom, dataset.eol, [e.uid for e in chosen])
        return True

    def update(self, dataset: Dataset, *, entries: list[Entry] | None = None) -> int:
        """Analyse the entries that have no facts yet (edited or added); return how many.

        ``entries``: a snapshot of the dataset's entries taken earlier, for a worker thread.
        """
        current = list(dataset.entries) if entries is None else entries
        todo = [e for e in current if e.uid not in self.facts]
        if not todo:
            return 0
        wanted = {e.uid for e in todo}
        head = {e.uid for e in [e for e in current if e.is_record][:formats.LOOKAHEAD]}
        chosen = [e for e in current if e.uid in wanted or e.uid in head]
        result = analyse(dataset.content(chosen), chosen, name=str(dataset.path), settings=self.settings,
                         record_only=True)
        with self._lock:
            self.facts.update({uid: f for uid, f in result.facts.items() if uid in wanted})
        return len(todo)

    def complete(self, dataset: Dataset) -> bool:
        """Whether every entry of the current content has its facts (counts and findings are final)."""
        return self.ready and not self.pending(dataset)

    def totals(self, dataset: Dataset) -> Totals:
        """Records, errors and warnings as ``tunesmith lint`` counts them: per entry plus the file-level ones.

        Call it when :meth:`complete` (entries not analysed yet count for nothing).
        """
        errors = warnings = 0
        for e in dataset.entries:
            f = self.facts.get(e.uid)
            if f is not None:
                errors += f.errors
                warnings += f.warnings
        errors += sum(d.severity is Severity.ERROR for d in self.file_diagnostics)
        warnings += sum(d.severity is Severity.WARNING for d in self.file_diagnostics)
        return Totals(dataset.records, errors, warnings)

    def statistics(self, dataset: Dataset, *, epochs: int | None = None, model: str | None = None) -> stats.Stats:
        """``tunesmith stats`` for the current content, summed from the counts kept per entry (no recount).

        Every example counts (:attr:`Entry.is_example`, as ``tunesmith stats`` counts them); other lines
        that are not blank (records to repair first among them) are reported as unreadable.
        ``model``: report for that model (``tunesmith stats --model``)
        instead of the one the analysis counted for; it must use the same tokenizer (else
        :class:`UsageError`: the kept counts are not its counts). Call it when :meth:`complete`.
        """
        rows: array[int] = array("q")
        bad = file_tokens.Unreadable()
        for entry, line in zip(dataset.entries, dataset.start_lines(), strict=True):
            f = self.facts[entry.uid]
            if entry.is_example and f.tokens is not None:
                rows.extend((line, file_tokens.FORMAT_CODES.index(f.format), f.messages, f.tokens, f.trained or 0,
                             f.images))
            else:  # each of its lines that is not blank, as `tunesmith stats` reads them
                for k, physical in enumerate(entry.raw.split(b"\n")[:entry.lines]):
                    if physical.strip():
                        bad.add(line + k)
        name = str(dataset.path)
        head = _head(dataset.entries)
        stats.refuse_foreign(head, name)
        file_format, target = stats.target_of(head, self.settings.provider, self.settings.model)
        if model is not None and model != target.name:
            counted = target
            target = stats.target_of(head, self.settings.provider, model)[1]
            if target.encoding != counted.encoding:
                raise UsageError(f"{target.name} counts tokens with {target.encoding}, the editor counted this file "
                                 f"with {counted.encoding} (for {counted.name}): choose {target.name} as the model "
                                 "in the sidebar to see its token counts and cost")
        result = stats.summarise([rows], path=name, file_format=file_format, provider=self.settings.provider,
                                 target=target, encoding=target.encoding, epochs=epochs, unreadable=bad)
        result.model_findings = stats.model_findings(self.settings.provider, model or self.settings.model, file_format,
                                                     self.settings, name)
        return result


def analyse(data: bytes, entries: list[Entry], *, name: str, settings: Settings,
            record_only: bool = False) -> Result:
    """Lint ``data`` (the bytes of ``entries``) and count its tokens; findings go to the entry they point into.

    Every finding is kept (lint lists only the first ones of each rule and counts the others);
    ``record_only`` keeps only the findings about single records.
    """
    role = "validation" if looks_like_validation(name) else "train"
    linter = Linter(settings)
    linter.cap = sys.maxsize
    with ThreadPoolExecutor(1, thread_name_prefix="tunesmith-count") as pool:  # tiktoken runs while lint does
        counted = pool.submit(_count, entries, settings)
        linted = linter.lint_bytes(data, name=name, role=role)
        counts = counted.result()
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
    facts = {}
    for k, uid in enumerate(uids):
        row = counts.get(k)
        if row is None:
            facts[uid] = Facts(diagnostics=tuple(per[uid]))
        else:
            code, messages, tokens, trained, images, context = row
            facts[uid] = Facts(tokens, trained, max(0, tokens - context), tuple(per[uid]),
                               file_tokens.FORMAT_CODES[code], messages, images)
    return Result(facts, file_diags, linted.format)


def _head(entries: list[Entry]) -> list[dict[str, Any]]:
    """The first records, which decide the file's format (as ``tunesmith stats`` reads them)."""
    out = []
    for e in entries:
        if e.is_record:
            value = e.value
            if isinstance(value, dict):
                out.append(value)
                if len(out) == formats.LOOKAHEAD:
                    break
    return out


def _count(entries: list[Entry], settings: Settings) -> dict[int, tuple[int, int, int, int, int, int]]:
    """Per record (by position in ``entries``): format code, messages, tokens, trained tokens, images of
    assumed size, and the context of the model counted for (as ``tunesmith stats`` counts them)."""
    values = [(k, e.value) for k, e in enumerate(entries) if e.is_record]
    head = [v for _, v in values[:formats.LOOKAHEAD] if isinstance(v, dict)]
    target: catalog.Model = stats.target_of(head, settings.provider, settings.model)[1]
    rows = file_tokens.measure(((k, v) for k, v in values if isinstance(v, dict)), target.encoding)
    return {rows[i]: (rows[i + 1], rows[i + 2], rows[i + 3], rows[i + 4], rows[i + 5], target.context)
            for i in range(0, len(rows), file_tokens.ROW)}


def _relative(d: Diagnostic, start: int) -> Diagnostic:
    """``d`` with its lines counted from the entry's first line (1), which moves as entries are added."""
    assert d.line is not None
    return replace(d, line=d.line - start + 1, end_line=d.end_line - start + 1 if d.end_line else None)


_KEPT: OrderedDict[tuple[str, str], tuple[list[int], list[Facts], Result]] = OrderedDict()
_KEPT_LOCK = threading.Lock()


def _recall(key: tuple[str, str], entries: list[Entry]) -> Result | None:
    """The kept result for ``key``, its facts given to ``entries`` (None when none is kept, or the
    content was cut into other entries)."""
    with _KEPT_LOCK:
        kept = _KEPT.get(key)
        if kept is not None:
            _KEPT.move_to_end(key)
    if kept is None or kept[0] != [e.lines for e in entries]:
        return None
    _, facts, result = kept
    return Result({e.uid: f for e, f in zip(entries, facts, strict=True)}, list(result.file_diagnostics),
                  result.format)


def _remember(key: tuple[str, str], entries: list[Entry], result: Result) -> None:
    with _KEPT_LOCK:
        _KEPT[key] = ([e.lines for e in entries], [result.facts[e.uid] for e in entries],
                      Result({}, result.file_diagnostics, result.format))
        _KEPT.move_to_end(key)
        while len(_KEPT) > KEPT_RESULTS:
            _KEPT.popitem(last=False)
