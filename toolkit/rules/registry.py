"""The rule registry: every rule's code, name, severity, message and docs in one place.

A rule is a small pure function registered with :func:`record_rule`,
:func:`file_rule` or :func:`reader_rule`. Record rules get one parsed record and
yield :class:`Finding`; file rules get the facts gathered over a whole file.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..catalog import Provider
from ..diagnostics import Fix, Severity
from ..repairs import FIXABLE, PARTLY_FIXABLE
from .evidence import Evidence
from .evidence import of as evidence_of

FORMATS = ("chat", "preference", "reinforcement", "completion")


@dataclass(frozen=True)
class Finding:
    """What a rule found: where inside the record, and (optionally) a specific message."""

    pointer: str | None = None
    message: str | None = None
    line: int | None = None
    fix: Fix | None = None


@dataclass(frozen=True)
class Rule:
    """A registered rule. ``kind`` is ``record``, ``file``, ``cross`` or ``reader``."""

    code: str
    name: str
    severity: Severity
    message: str
    docs: str
    kind: str
    source: str = ""
    formats: tuple[str, ...] = FORMATS
    structural: bool = False
    providers: tuple[str, ...] = ()  # () = every provider; else the validators (catalog ``validator``) it is for
    check: Callable[..., Iterable[Finding]] | None = field(default=None, compare=False)
    evidence: str = ""  # documented, observed or inferred, when it differs from the topic's (see .evidence)
    links: tuple[str, ...] = ()  # public sources of this rule besides the topic's

    @property
    def fixable(self) -> bool:
        """Whether `tunesmith fix` repairs the rule's findings (:data:`toolkit.repairs.FIXABLE`)."""
        return self.code in FIXABLE

    @property
    def partly_fixable(self) -> bool:
        """Whether `tunesmith fix` repairs only some of the rule's findings (:data:`toolkit.repairs.PARTLY_FIXABLE`):
        those lint marks ``[*]``."""
        return self.code in PARTLY_FIXABLE

    @property
    def summary(self) -> str:
        return self.message

    @property
    def grounds(self) -> Evidence:
        """How sure the rule is, and the public pages it stands on."""
        return evidence_of(self.source, self.evidence, self.links)

    @property
    def checker(self) -> Callable[..., Iterable[Finding]]:
        """The rule's check: ``checker(record, ctx)``, ``checker(summary, ctx)`` or ``checker(train, validation,
        ctx)`` by its kind. A reader rule has none: the reader finds its problems."""
        if self.check is None:
            raise TypeError(f"{self.code} is a reader rule: the reader finds its problems, it has no check")
        return self.check

    def applies_to(self, provider: Provider) -> bool:
        """Whether the rule runs for ``provider``: rules apply to every provider unless they name validators."""
        return not self.providers or provider.validator in self.providers


RULES: dict[str, Rule] = {}


def _register(rule: Rule) -> None:
    if rule.code in RULES:
        raise ValueError(f"rule code {rule.code} registered twice")
    if any(r.name == rule.name for r in RULES.values()):
        raise ValueError(f"rule name {rule.name} registered twice")
    RULES[rule.code] = rule


def _decorator(kind: str, code: str, name: str, severity: Severity, message: str, **opts: Any) -> Callable[[Any], Any]:
    def wrap(fn: Callable[..., Iterable[Finding]]) -> Callable[..., Iterable[Finding]]:
        _register(Rule(code=code, name=name, severity=severity, message=message,
                       docs=inspect.cleandoc(fn.__doc__ or ""), kind=kind, check=fn, **opts))
        return fn
    return wrap


def record_rule(code: str, name: str, severity: Severity, message: str, **opts: Any) -> Callable[[Any], Any]:
    """Register ``fn(value: dict, ctx: Context) -> Iterator[Finding]`` run on every record."""
    return _decorator("record", code, name, severity, message, **opts)


def file_rule(code: str, name: str, severity: Severity, message: str, **opts: Any) -> Callable[[Any], Any]:
    """Register ``fn(facts: FileSummary, ctx: Context) -> Iterator[Finding]`` run once per file."""
    return _decorator("file", code, name, severity, message, **opts)


def cross_rule(code: str, name: str, severity: Severity, message: str, **opts: Any) -> Callable[[Any], Any]:
    """Register ``fn(train: FileSummary, validation: FileSummary | None, ctx) -> Iterator[Finding]``."""
    return _decorator("cross", code, name, severity, message, **opts)


def reader_rule(code: str, name: str, severity: Severity, message: str, docs: str, **opts: Any) -> None:
    """Register a rule whose check lives in the reader (parse problems)."""
    _register(Rule(code=code, name=name, severity=severity, message=message,
                   docs=inspect.cleandoc(docs), kind="reader", **opts))


@dataclass(frozen=True)
class Collector:
    """Gathers facts from every record while the engine streams a file.

    ``create()`` returns an object with ``add(record)``; the engine makes one per file (kept in
    ``FileSummary.collected[name]``), only when one of ``rules`` is enabled. With ``skip_copies``
    it never sees a byte-identical copy of an earlier record (F130 reports those; near-duplicate
    sketches of copies would only cost memory).

    A large file is read in parts by two processes (:mod:`toolkit.tail_worker`), each with its own
    collector: ``merge(later, copies)`` adds the collector of the next part as if this one had seen its
    records too (``copies``: the later part's lines that copy a line of this part byte for byte, which a
    ``skip_copies`` collector must leave out; empty otherwise). A collector whose later parts need a
    fact the file's beginning decides also has ``handoff()`` (that fact once known, else None) and
    ``receive(get)`` (on a later part's collector: ``get()`` returns it, waiting if need be). A collector with
    ``prepare()`` loads there what both parts will need, once, before the second process is forked.
    """

    name: str
    rules: tuple[str, ...]
    create: Callable[[], Any]
    skip_copies: bool = False


COLLECTORS: dict[str, Collector] = {}


def collector(name: str, *, rules: tuple[str, ...], skip_copies: bool = False
              ) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    """Register a factory of per-file collectors that the rules ``rules`` read."""
    def wrap(factory: Callable[[], Any]) -> Callable[[], Any]:
        COLLECTORS[name] = Collector(name, rules, factory, skip_copies)
        return factory
    return wrap


def iter_rules(kind: str | None = None) -> Iterator[Rule]:
    """All rules (of one kind), sorted by code."""
    for code in sorted(RULES):
        if kind is None or RULES[code].kind == kind:
            yield RULES[code]
