"""What a lint run found: diagnostics per file and for the run (data only; reporters read these)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from .diagnostics import Diagnostic, Severity
from .plural import plural

MAX_PER_RULE = 1000  # findings listed per rule and file; the rest are counted ("and N more"), memory stays flat


@dataclass
class FileResult:
    """The diagnostics of one file (at most ``MAX_PER_RULE`` per rule; ``hidden`` counts the others).

    ``records``: the JSON objects lint read and checked; ``examples``: those that are examples as written
    (:func:`toolkit.reader.example_of`, what `tunesmith stats` counts); the others (pretty-printed, not UTF-8)
    need a repair first. None: the same as ``records``.
    """

    path: str
    format: str | None
    records: int
    diagnostics: list[Diagnostic] = field(default_factory=list)
    role: str = "train"
    model: str | None = None  # the model whose limits applied (the method's catalog default if none was given)
    hidden: Counter[Severity] = field(default_factory=Counter)
    examples: int | None = None
    hidden_fixable: int = 0  # of the findings not listed, those a safe fix repairs

    @property
    def fixable(self) -> int:
        """The findings a safe fix repairs (``tunesmith fix`` counts the same problems), listed or not."""
        return sum(d.fix is not None and d.fix.safe for d in self.diagnostics) + self.hidden_fixable

    @property
    def example_count(self) -> int:
        return self.records if self.examples is None else self.examples

    @property
    def errors(self) -> int:
        return sum(d.severity is Severity.ERROR for d in self.diagnostics) + self.hidden[Severity.ERROR]

    @property
    def warnings(self) -> int:
        return sum(d.severity is Severity.WARNING for d in self.diagnostics) + self.hidden[Severity.WARNING]

    @property
    def infos(self) -> int:
        return sum(d.severity is Severity.INFO for d in self.diagnostics) + self.hidden[Severity.INFO]


class Findings:
    """Collects diagnostics with at most ``cap`` per rule; the others are only counted (flat memory)."""

    def __init__(self, cap: int = MAX_PER_RULE) -> None:
        self.cap = cap
        self.shown: list[Diagnostic] = []
        self.per_rule: Counter[str] = Counter()
        self.more: dict[str, tuple[Diagnostic, int, int]] = {}  # rule -> (first not listed, how many, fixable)

    def add(self, d: Diagnostic, fixable: bool | None = None) -> None:
        self.per_rule[d.rule] += 1
        if self.per_rule[d.rule] <= self.cap:
            self.shown.append(d)
        else:
            first, n, k = self.more.get(d.rule, (d, 0, 0))
            safe = d.fix is not None and d.fix.safe if fixable is None else fixable
            self.more[d.rule] = (first, n + 1, k + safe)

    def extend(self, diags: Iterable[Diagnostic]) -> None:
        for d in diags:
            self.add(d)

    def merge(self, other: Findings) -> None:
        self.extend(other.shown)
        for first, n, k in other.more.values():
            for i in range(n):  # counted one by one: each may still fit under this collection's cap
                self.add(first, fixable=i < k)

    def close(self, result: FileResult) -> None:
        """Put the collected diagnostics (sorted, plus one "and N more" per capped rule) into ``result``."""
        out = self.shown
        for rule, (first, n, k) in sorted(self.more.items()):
            out.append(Diagnostic(first.path, None, None, None, rule, first.name, first.severity,
                                  f"and {plural(n, f'more {rule} finding')} in this file, not listed (only the first "
                                  f"{self.cap:,} of each rule are)"))
            result.hidden[first.severity] += n - 1  # the line above counts for one
            result.hidden_fixable += k  # the line above repairs nothing itself
        out.sort(key=Diagnostic.sort_key)
        result.diagnostics = out


@dataclass
class LintResult:
    """Everything one lint run found, file by file."""

    files: list[FileResult]
    provider: str  # the run's provider; "azure, openai" when its files had different ones (each its own config)
    model: str
    method: str | None

    @classmethod
    def combined(cls, results: Iterable[LintResult]) -> LintResult:
        """One run's result from runs over some of its files (each file with its own ``[tool.tunesmith]``)."""
        runs = list(results)
        methods = {r.method for r in runs}
        return cls([f for r in runs for f in r.files], ", ".join(dict.fromkeys(r.provider for r in runs)),
                   ", ".join(dict.fromkeys(r.model for r in runs)), methods.pop() if len(methods) == 1 else None)

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [d for f in self.files for d in f.diagnostics]

    @property
    def errors(self) -> int:
        return sum(f.errors for f in self.files)

    @property
    def warnings(self) -> int:
        return sum(f.warnings for f in self.files)

    @property
    def infos(self) -> int:
        return sum(f.infos for f in self.files)

    @property
    def is_clean(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return self.errors == 0

    def exit_code(self, *, strict: bool = False) -> int:
        """0 when clean, 1 with errors (or warnings under ``strict``)."""
        return 1 if self.errors or (strict and self.warnings) else 0
