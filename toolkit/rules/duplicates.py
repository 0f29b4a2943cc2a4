"""Near-duplicate examples in one file, and validation examples that leak from the training file (F-11, F-13)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .. import formats
from ..dedup import NearDuplicates, Pair
from ..diagnostics import Severity
from ..reader import Record
from .context import Context, FileSummary
from .registry import Finding, collector, cross_rule, file_rule

if TYPE_CHECKING:
    import numpy as np

W = Severity.WARNING
NEAR = "near-duplicates"


class _NearCollector:
    """The engine's per-record hook: every record's user and assistant text, keyed by line."""

    def __init__(self) -> None:
        self.near = NearDuplicates()

    def add(self, rec: Record) -> None:
        self.near.add(rec.line, rec.value)

    def merge(self, later: _NearCollector, copies: set[int]) -> None:
        self.near.merge(later.near, copies)

    def handoff(self) -> np.ndarray | None:
        return self.near.handoff()

    def receive(self, state: Callable[[], np.ndarray]) -> None:
        self.near.receive(state)

    def prepare(self) -> None:
        self.near.prepare()


collector(NEAR, rules=("F131", "F113"), skip_copies=True)(_NearCollector)


def _near(summary: FileSummary) -> NearDuplicates | None:
    found = summary.collected.get(NEAR)
    return found.near if isinstance(found, _NearCollector) else None


def _first_match(pairs: Iterable[Pair], skip: set[int]) -> Iterator[Pair]:
    """For each second example, its most similar first one (the earliest on ties), in line order."""
    best: dict[int, Pair] = {}
    for p in pairs:
        if p.second in skip:
            continue
        old = best.get(p.second)
        if old is None or (p.similarity, -p.first) > (old.similarity, -old.first):
            best[p.second] = p
    for second in sorted(best):
        yield best[second]


def _how(p: Pair, ctx: Context) -> str:
    """How line ``p.second`` compares with ``p.first``, naming the text compared: an RFT row has no assistant turn."""
    text = "user text" if ctx.file_format == formats.REINFORCEMENT else "user and assistant text"
    if p.similarity >= 1.0:
        return f"has the same words in its {text} as"
    return f"is {p.similarity:.0%} similar (word 3-grams of the {text}) to"


@file_rule("F131", "near-duplicate-example", W, "example is nearly the same as an earlier one", source="F-13")
def near_duplicate_example(summary: FileSummary, ctx: Context) -> Iterator[Finding]:
    """Two examples whose user and assistant text is almost the same (Jaccard similarity of word
    3-grams of at least 80 %: a reworded question, extra spaces, the same dialogue under another
    system prompt) train the model on one example twice and make it repeat that phrasing.
    Byte-identical lines are F130's. Remove one, or make them differ where it matters. Text that at
    least half of the first 256 examples share (a task template in every prompt) is left out of
    the comparison, so examples that differ only in their data are not flagged. Files of up to
    256 examples are compared pair by pair; larger files with MinHash sketches (datasketch's
    permutations, 64 of them) and LSH, which finds most pairs above 80 % and estimates their
    similarity."""
    near = _near(summary)
    if near is None:
        return
    exact = {line for line, _ in summary.duplicates}
    for p in _first_match(near.pairs(), exact):
        yield Finding(None, f"line {p.second} {_how(p, ctx)} line {p.first}; near-duplicates weigh one example twice: "
                      "remove one or make them differ", line=p.second)


def _exact_in_train(train: FileSummary, validation: FileSummary) -> set[int]:
    """Validation lines that are byte-identical to a training line (F112 reports those)."""
    firsts = {line for digest, line in validation.digests.items() if digest in train.digests}
    return firsts | {line for line, first in validation.duplicates if first in firsts}


@cross_rule("F113", "validation-leakage", W, "a validation example is nearly the same as a training example",
            source="F-11")
def validation_leakage(train: FileSummary, validation: FileSummary | None, ctx: Context) -> Iterator[Finding]:
    """A validation example that is a near-copy of a training example (the same question reworded,
    the same dialogue with another system prompt) measures memory, not generalisation: the
    validation loss looks better than the model is. Byte-identical copies are F112's. Move or
    rewrite the example; `tunesmith split` makes a split where near-duplicates stay on one side.
    Same similarity as F131 (word 3-grams, at least 80 %)."""
    if validation is None:
        return
    mine, theirs = _near(train), _near(validation)
    if mine is None or theirs is None:
        return
    name = Path(validation.path).name
    for p in _first_match(mine.pairs_with(theirs), _exact_in_train(train, validation)):
        yield Finding(None, f"line {p.first} {_how(p, ctx)} line {p.second} of the validation file {name}; keep "
                      "near-copies out of the validation file", line=p.first)
