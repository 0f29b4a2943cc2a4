"""Dataset statistics: tokens per example, billed vs trained tokens, examples over the limit, cost.

>>> s = compute("train.jsonl", model="gpt-4.1-mini-2025-04-14")
>>> s.examples, s.tokens.median, s.billed_tokens, s.cost.usd

Token counts follow the Cookbook (3 tokens per message, 1 per ``name``, 3 to prime the
reply) and add what it leaves out: tool calls, tool definitions and legacy functions.
*Billed* tokens are every token of every example, counted up to the model's context
(longer examples are truncated), per epoch. *Trained* tokens are the ones the model learns
from: assistant turns without ``weight: 0``. The file is streamed: lines are parsed while two
threads tokenize the previous batch, so memory stays flat and the time stays close to
tiktoken's own.
"""

from __future__ import annotations

import json
import os
import statistics
from array import array
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import catalog, cost, formats, tokens
from .errors import InputError

if TYPE_CHECKING:
    import pandas as pd

LOOKAHEAD = 64  # records read to decide the file's format (and so the default model)
SHOWN_LINES = 10  # line numbers kept for unreadable and over-limit examples


@dataclass(frozen=True)
class ExampleStats:
    """One example: where it is, its format and size. ``over`` is tokens beyond the context (0 if it fits)."""

    line: int
    format: str | None
    messages: int
    tokens: int
    trained_tokens: int
    over: int


@dataclass(frozen=True)
class Distribution:
    """min, mean, median, 10th and 90th percentile (numpy's linear interpolation) and max."""

    min: float
    mean: float
    median: float
    p10: float
    p90: float
    max: float

    @classmethod
    def of(cls, values: array[int]) -> Distribution:
        if not values:
            return cls(0, 0, 0, 0, 0, 0)
        data = sorted(values)
        if len(data) == 1:
            p10 = p90 = float(data[0])
        else:
            cuts = statistics.quantiles(data, n=10, method="inclusive")
            p10, p90 = cuts[0], cuts[-1]
        return cls(data[0], statistics.fmean(data), statistics.median(data), p10, p90, data[-1])


@dataclass
class Stats:
    """Everything ``tunesmith stats`` reports about one file."""

    path: str
    format: str
    provider: str
    model: str
    encoding: str
    context: int
    examples: int
    formats: dict[str, int]
    messages: Distribution
    tokens: Distribution
    trained: Distribution
    total_tokens: int
    billed_tokens: int
    trained_tokens: int
    over_limit: int
    over_by_max: int
    over_lines: list[tuple[int, int]]
    epochs: int
    epochs_auto: bool
    cost: cost.Estimate
    unreadable: int = 0
    unreadable_lines: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Unreadable:
    """Lines that are not one JSON object each (count + the first few line numbers)."""

    def __init__(self) -> None:
        self.count = 0
        self.lines: list[int] = []

    def add(self, line: int) -> None:
        self.count += 1
        if len(self.lines) < SHOWN_LINES:
            self.lines.append(line)


def _records(path: str, bad: _Unreadable) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line, record) for every line that is one JSON object; other non-blank lines go to ``bad``."""
    loads = json.loads
    with open(path, "rb") as fh:
        for line, raw in enumerate(fh, 1):
            if line == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                value = loads(raw)
            except ValueError:
                if raw.strip():
                    bad.add(line)
                continue
            except RecursionError:
                bad.add(line)
                continue
            if isinstance(value, dict):
                yield line, value
            else:
                bad.add(line)


def _messages(value: dict[str, Any]) -> int:
    if isinstance(value.get("messages"), list):
        return len(value["messages"])
    inp = value.get("input")
    n = len(inp["messages"]) if isinstance(inp, dict) and isinstance(inp.get("messages"), list) else 0
    for side in ("preferred_output", "non_preferred_output"):
        if isinstance(value.get(side), list):
            n += len(value[side])
    return n


def _target(provider: str, model: str | None, head: list[tuple[int, dict[str, Any]]]) -> tuple[str, catalog.Model]:
    """The file's format and the model to count for: ``model``, else the provider default that trains it."""
    counts: Counter[str] = Counter(f for _, v in head if (f := formats.detect(v)) is not None)
    file_format = formats.decide(counts)
    resolved = catalog.resolve(provider, model)
    method = formats.FORMAT_METHOD[file_format]
    if model is None and method not in resolved.methods:
        resolved = next((m for m in catalog.models(provider) if method in m.methods), resolved)
    return file_format, resolved


def _check_path(path: str) -> None:
    p = Path(path)
    if not p.exists():
        raise InputError(f"{path}: no such file")
    if p.is_dir():
        raise InputError(f"{path}: is a folder; pass a .jsonl file")


def examples(path: str | os.PathLike[str], *, provider: str = "openai", model: str | None = None,
             encoding: str | None = None, threads: int | None = None) -> Iterator[ExampleStats]:
    """Stream one :class:`ExampleStats` per readable record (see :func:`compute` for the arguments)."""
    yield from _scan(os.fspath(path), provider, model, encoding, threads, _Unreadable())[2]


def _scan(path: str, provider: str, model: str | None, encoding: str | None, threads: int | None,
          bad: _Unreadable) -> tuple[str, catalog.Model, Iterator[ExampleStats]]:
    _check_path(path)
    records = _records(path, bad)
    head = list(islice(records, LOOKAHEAD))
    file_format, target = _target(provider, model, head)
    enc = tokens.encoding(encoding or target.encoding)
    context = target.context
    n_threads = threads if threads is not None else min(4, os.cpu_count() or 1)

    def batches() -> Iterator[tuple[list[tuple[int, str | None, int, int, int, int]], list[str]]]:
        per: list[tuple[int, str | None, int, int, int, int]] = []
        flat: list[str] = []
        for line, value in chain(head, records):
            fmt = formats.detect(value)
            strings, overhead, n_trained = tokens.example_parts(value)
            if fmt == formats.REINFORCEMENT:
                n_trained = 0  # the model writes its own answers in RFT
            per.append((line, fmt, _messages(value), len(strings), n_trained, overhead))
            flat.extend(strings)
            if len(flat) >= tokens.CHUNK_STRINGS:
                yield per, flat
                per, flat = [], []
        if per:
            yield per, flat

    def rows() -> Iterator[ExampleStats]:
        for per, counts in tokens.count_batches(batches(), enc, threads=n_threads):
            i = 0
            for line, fmt, n_messages, n_strings, n_trained, overhead in per:
                trained = sum(counts[i:i + n_trained])
                total = overhead + trained + sum(counts[i + n_trained:i + n_strings])
                i += n_strings
                yield ExampleStats(line, fmt, n_messages, total, trained, max(0, total - context))

    return file_format, target, rows()


def compute(path: str | os.PathLike[str], *, provider: str = "openai", model: str | None = None,
            epochs: int | None = None, encoding: str | None = None, threads: int | None = None) -> Stats:
    """Statistics, epochs and estimated cost of training on one JSONL file.

    ``model`` defaults to the provider's default model (one that trains the file's format);
    ``encoding`` overrides the model's tokenizer (e.g. ``cl100k_base`` to compare with the
    Cookbook); ``epochs`` defaults to what ``n_epochs: "auto"`` would choose.
    """
    spath = os.fspath(path)
    bad = _Unreadable()
    file_format, target, rows = _scan(spath, provider, model, encoding, threads, bad)
    messages, toks, trained = array("q"), array("q"), array("q")
    fmts: Counter[str] = Counter()
    billed = over_limit = over_by_max = 0
    over_lines: list[tuple[int, int]] = []
    for row in rows:
        messages.append(row.messages)
        toks.append(row.tokens)
        trained.append(row.trained_tokens)
        fmts[row.format or "unknown"] += 1
        billed += row.tokens - row.over
        if row.over:
            over_limit += 1
            over_by_max = max(over_by_max, row.over)
            if len(over_lines) < SHOWN_LINES:
                over_lines.append((row.line, row.over))
    n = len(toks)
    n_epochs = epochs if epochs is not None else cost.auto_epochs(n)
    return Stats(
        path=spath, format=file_format, provider=provider, model=target.name,
        encoding=encoding or target.encoding, context=target.context, examples=n, formats=dict(fmts),
        messages=Distribution.of(messages), tokens=Distribution.of(toks), trained=Distribution.of(trained),
        total_tokens=sum(toks), billed_tokens=billed, trained_tokens=sum(trained), over_limit=over_limit,
        over_by_max=over_by_max, over_lines=over_lines, epochs=n_epochs, epochs_auto=epochs is None,
        cost=cost.estimate(target, billed, n_epochs), unreadable=bad.count, unreadable_lines=bad.lines)


def frame(path: str | os.PathLike[str], *, provider: str = "openai", model: str | None = None,
          encoding: str | None = None, lint: bool = True) -> pd.DataFrame:
    """The per-example table as a pandas DataFrame, one row per readable example.

    Columns: line, format, messages, tokens, trained_tokens, over_limit (tokens beyond the
    context, 0 if it fits) and, with ``lint``, lint (worst severity on the example's lines:
    error, warning, info or ok) and rules (the rule codes found there).
    """
    import pandas as pd

    rows = [asdict(r) for r in examples(path, provider=provider, model=model, encoding=encoding)]
    df = pd.DataFrame(rows, columns=["line", "format", "messages", "tokens", "trained_tokens", "over"])
    df = df.rename(columns={"over": "over_limit"})
    if lint:
        status, codes = _lint_status(os.fspath(path), provider, model)
        df["lint"] = [status.get(line, "ok") for line in df["line"]]
        df["rules"] = [",".join(sorted(codes.get(line, ()))) for line in df["line"]]
    return df


def _lint_status(path: str, provider: str, model: str | None) -> tuple[dict[int, str], dict[int, set[str]]]:
    from .diagnostics import Severity
    from .lint import lint

    worst: dict[int, Severity] = {}
    codes: dict[int, set[str]] = {}
    for d in lint(path, provider=provider, model=model).diagnostics:
        if d.line is None:
            continue
        if d.line not in worst or d.severity.rank > worst[d.line].rank:
            worst[d.line] = d.severity
        codes.setdefault(d.line, set()).add(d.rule)
    return {line: sev.value for line, sev in worst.items()}, codes
