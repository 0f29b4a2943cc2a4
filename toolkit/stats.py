"""Dataset statistics: tokens per example, billed vs trained tokens, examples over the limit, cost.

>>> s = compute("train.jsonl", model="gpt-4.1-mini-2025-04-14")
>>> s.examples, s.tokens.median, s.billed_tokens, s.cost.usd
>>> compute(data, name="train.jsonl")   # bytes (or a binary stream) in memory

Token counts follow the Cookbook (3 tokens per message, 1 per ``name``, 3 to prime the
reply) and add what it leaves out: tool calls, tool definitions, legacy functions, images (the
vision guide's formula, :mod:`toolkit.imagedata`) and the rejected answer of a preference pair
(billed: the cost is over the tokens of the training file; not trained on).
*Billed* tokens are every token of every example, counted up to the model's context
(longer examples are truncated), per epoch. *Trained* tokens are the ones the model learns
from: assistant turns without ``weight: 0``, counted after that cut (it takes them first: the
answer is at the end; :func:`toolkit.file_tokens.trained_within`). The file is streamed: worker processes parse
and tokenize it chunk by chunk (:mod:`toolkit.file_tokens`), so memory stays flat and the time
stays close to tiktoken's own on all cores.
"""

from __future__ import annotations

import io
import itertools
import os
import statistics
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO

from . import catalog, cost, file_tokens, formats
from .errors import InputError
from .file_tokens import ExampleStats
from .plural import plural
from .reader import BOM, MAX_LINE_BYTES, check_input, example_of
from .rules.model import about_model

if TYPE_CHECKING:
    import pandas as pd

    from .config import Settings

SHOWN_LINES = 10  # line numbers kept for over-limit examples
UNKNOWN = "unknown"  # Stats.formats' name for examples in no fine-tuning format (lint says what each one lacks)


def number(x: float) -> str:
    """A statistic as ``tunesmith stats`` and the editor show it: ``1,234``, or ``90.5`` when it is not whole."""
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"


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
    images_assumed: int = 0  # images behind URLs (size unknown offline), counted as imagedata.ASSUMED_SIZE
    model_known: bool = True  # False: not in the catalog, counted with the provider default's limits (lint's M030)
    # what lint's model rules (M010 shut down, M011, M020, M030) say about the model: {"rule", "severity", "message"}
    model_findings: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


Source = str | os.PathLike[str] | bytes | BinaryIO  # a file, or its bytes (or a binary stream) in memory


class _Input:
    """A file, or data in memory, read once: its name, its first records (which decide the format), its bytes.

    A stream is read in pieces; the pieces read to find the first records are kept until the
    count reads them, so a pipe is read once and memory stays flat.
    """

    def __init__(self, source: Source, name: str | None, max_line_bytes: int = MAX_LINE_BYTES) -> None:
        self.max_line_bytes = max_line_bytes
        self.path: str | None = None
        self.size: int | None = None
        self._read: list[bytes] = []
        self._head: list[dict[str, Any]] | None = None
        if isinstance(source, (str, os.PathLike)):
            self.path = os.fspath(source)
            check_input(self.path, twice="stats")
            self.name = name or self.path
            self._rest: Iterator[bytes] = iter(())
            return
        if isinstance(source, bytes):
            self.size = len(source)
            source = io.BytesIO(source)
        self.name = name or str(getattr(source, "name", "<memory>"))
        self._rest = file_tokens.pieces(source)

    def head(self) -> list[dict[str, Any]]:
        """The first ``formats.LOOKAHEAD`` records."""
        if self._head is None:
            self._head = []
            for raw in self._lines():
                value = example_of(raw.removeprefix(BOM).removesuffix(b"\n"), self.max_line_bytes)
                if value is not None:
                    self._head.append(value)
                    if len(self._head) == formats.LOOKAHEAD:
                        break
        return self._head

    def _lines(self) -> Iterator[bytes]:
        if self.path is not None:
            with open(self.path, "rb") as fh:
                yield from fh
            return
        yield from (line for piece in self._read for line in piece.split(b"\n"))
        for piece in self._rest:
            self._read.append(piece)
            yield from piece.split(b"\n")

    def data(self) -> str | Iterator[bytes]:
        """What :func:`toolkit.file_tokens.packed` reads: the path, or every piece of the data once."""
        if self.path is not None:
            return self.path
        kept, self._read = self._read, []
        return itertools.chain(kept, self._rest)


def _target(data: _Input, provider: str, model: str | None) -> tuple[str, catalog.Model]:
    """The file's format and the model to count for: ``model``, else the provider default that trains it."""
    return target_of(data.head(), provider, model)


def target_of(head: list[dict[str, Any]], provider: str, model: str | None) -> tuple[str, catalog.Model]:
    """The format of a file whose first records are ``head``, and the model to count for."""
    counts: Counter[str] = Counter(f for v in head if (f := formats.detect(v)) is not None)
    file_format = formats.decide(counts)
    return file_format, catalog.for_method(provider, model, formats.FORMAT_METHOD[file_format])


def _refuse_foreign(data: _Input) -> None:
    """A file in another trainer's format has no billed tokens to count: say so, with the convert command."""
    refuse_foreign(data.head(), data.name)


def refuse_foreign(head: list[dict[str, Any]], path: str) -> None:
    """Raise :class:`InputError` when the first records ``head`` of ``path`` are in another trainer's format."""
    foreign = formats.decide_foreign(head)
    if foreign is not None:
        fmt = formats.FOREIGN[foreign]
        how = (f"convert it first: {formats.convert_command(fmt, path)}" if fmt.convert_from
               else "rewrite it as chat messages first")
        raise InputError(f"{path}: is in the {fmt.title} format ({fmt.shape}), not an OpenAI fine-tuning format, "
                         f"so its tokens cannot be counted as the provider bills them; {how}")


def examples(source: Source, *, provider: str = catalog.DEFAULT_PROVIDER, model: str | None = None,
             encoding: str | None = None, workers: int | None = None,
             max_line_bytes: int = MAX_LINE_BYTES) -> Iterator[ExampleStats]:
    """Stream one :class:`ExampleStats` per example (see :func:`compute` for the arguments)."""
    data = _Input(source, None, max_line_bytes)
    _, target = _target(data, provider, model)
    yield from file_tokens.count_file(data.data(), encoding=encoding or target.encoding, context=target.context,
                                      unreadable=file_tokens.Unreadable(), workers=workers, size=data.size,
                                      max_line_bytes=max_line_bytes)


def compute(source: Source, *, provider: str = catalog.DEFAULT_PROVIDER, model: str | None = None,
            epochs: int | None = None, encoding: str | None = None, workers: int | None = None,
            name: str | None = None, max_line_bytes: int = MAX_LINE_BYTES, settings: Settings | None = None) -> Stats:
    """Statistics, epochs and estimated cost of training on one JSONL file (a path), or on its bytes or a
    binary stream (``name``: what to call it; default: the path, or the stream's name).

    ``model`` defaults to the provider's default model (one that trains the file's format);
    ``encoding`` overrides the model's tokenizer (e.g. ``cl100k_base`` to compare with the
    Cookbook); ``epochs`` defaults to what ``n_epochs: "auto"`` would choose; ``workers``
    processes count big files (default: the cores, up to 4). The examples are the lines
    :func:`toolkit.reader.example_of` accepts (``max_line_bytes``: `max-line-mb`), as lint counts them; every
    other line that is not blank is counted in ``unreadable``; ``settings``: the lint settings its model findings
    honour (:func:`model_findings`).
    """
    data = _Input(source, name, max_line_bytes)
    _refuse_foreign(data)
    file_format, target = _target(data, provider, model)
    bad = file_tokens.Unreadable()
    encoding = encoding or target.encoding
    rows = file_tokens.packed(data.data(), encoding=encoding, unreadable=bad, workers=workers, size=data.size,
                              max_line_bytes=max_line_bytes)
    result = summarise(rows, path=data.name, file_format=file_format, provider=provider, target=target,
                       encoding=encoding, epochs=epochs, unreadable=bad)
    if not result.examples:
        raise no_examples(data.name, bad.count)
    if result.formats.get(UNKNOWN) == result.examples:
        raise no_format(data.name, result.examples)
    result.model_findings = model_findings(provider, model, file_format, settings, data.path)
    return result


def model_findings(provider: str, model: str | None, file_format: str, settings: Settings | None = None,
                   path: str | None = None) -> list[dict[str, str]]:
    """What lint's model rules say about training ``file_format`` on ``model`` (None: the provider's default), as
    lint reports them under ``settings`` for ``path`` (a rule ``[tool.tunesmith]`` turns off is left out, a
    severity it sets is used)."""
    from .rules import RULES

    found = []
    for code, severity, message in about_model(provider, model, file_format):
        if settings is not None:
            if not settings.enabled(RULES[code], path):
                continue
            severity = settings.severity_of(RULES[code])
        found.append({"rule": code, "severity": severity.value, "message": message})
    return found


class NoExamples(InputError):
    """A file without one example: there is nothing to count or to train on (lint's F060 error, so exit 1 as lint)."""

    exit_code = 1


def no_examples(name: str, unreadable: int | None = None) -> NoExamples:
    """The error for a file without one example (``unreadable``: how many non-blank lines are not JSON records;
    None: not counted)."""
    why = ("no line of it is a JSON record" if unreadable is None
           else f"none of its {plural(unreadable, 'non-blank line')} is a JSON record: `tunesmith lint` says why" if unreadable
           else "it is empty or has only blank lines")
    return NoExamples(f"{name}: no examples to count ({why}), so there is no training estimate: add examples, one "
                      "JSON object per line (lint reports this as F060)")


def no_format(name: str, examples: int) -> NoExamples:
    """The error for a file whose examples are all in no fine-tuning format (``{"foo": 1}``): nothing to count."""
    return NoExamples(f"{name}: none of its {plural(examples, 'example')} is in a fine-tuning format (chat "
                      '"messages", DPO "input" with "preferred_output" and "non_preferred_output", RFT "messages" '
                      'with grader keys, legacy "prompt"/"completion"), so there are no tokens to count and no '
                      "training estimate: `tunesmith lint` says what each one lacks")


def summarise(packed: Iterable[array[int]], *, path: str, file_format: str, provider: str, target: catalog.Model,
              encoding: str, epochs: int | None, unreadable: file_tokens.Unreadable) -> Stats:
    """The :class:`Stats` of per-example rows (:data:`file_tokens.ROW` int64 each, in file order).

    ``tunesmith stats`` sums rows counted from the file; the editor sums the rows it keeps per
    example, so both report the same numbers for the same records. ``unreadable`` is read
    after the rows are consumed (the file's counters fill it as they go).
    """
    context = target.context
    kinds, messages, toks, trained = array("q"), array("q"), array("q"), array("q")
    codes: Counter[int] = Counter()
    over_limit = over_by_max = over_total = 0
    over_lines: list[tuple[int, int]] = []
    assumed_images = 0
    for rows in packed:
        kinds.extend(rows[1::file_tokens.ROW])
        messages.extend(rows[2::file_tokens.ROW])
        toks.extend(rows[3::file_tokens.ROW])
        trained.extend(file_tokens.trained_within(rows[k + 3], rows[k + 4], context)
                       for k in range(0, len(rows), file_tokens.ROW))
        assumed_images += sum(rows[5::file_tokens.ROW])
        for k in range(3, len(rows), file_tokens.ROW):
            if rows[k] > context:
                over = rows[k] - context
                over_limit += 1
                over_total += over
                over_by_max = max(over_by_max, over)
                if len(over_lines) < SHOWN_LINES:
                    over_lines.append((rows[k - 3], over))
    codes.update(kinds)
    fmts = {file_tokens.FORMAT_CODES[c] or UNKNOWN: n for c, n in codes.items()}
    billed = sum(toks) - over_total
    n = len(toks)
    n_epochs = epochs if epochs is not None else cost.auto_epochs(n)
    if codes[0]:  # examples in no format (code 0) have no tokens counted: their zeros stay out of the distributions
        known = [i for i, code in enumerate(kinds) if file_tokens.FORMAT_CODES[code]]
        shown = [array("q", (values[i] for i in known)) for values in (messages, toks, trained)]
    else:
        shown = [messages, toks, trained]
    return Stats(
        path=path, format=file_format, provider=provider, model=target.full_name,
        encoding=encoding, context=context, examples=n, formats=fmts,
        messages=Distribution.of(shown[0]), tokens=Distribution.of(shown[1]), trained=Distribution.of(shown[2]),
        total_tokens=sum(toks), billed_tokens=billed, trained_tokens=sum(trained), over_limit=over_limit,
        over_by_max=over_by_max, over_lines=over_lines, epochs=n_epochs, epochs_auto=epochs is None,
        cost=cost.estimate(target, billed, n_epochs), unreadable=unreadable.count,
        unreadable_lines=unreadable.lines, images_assumed=assumed_images, model_known=target.known)


def frame(path: str | os.PathLike[str], *, provider: str = catalog.DEFAULT_PROVIDER, model: str | None = None,
          encoding: str | None = None, lint: bool = True, max_line_bytes: int = MAX_LINE_BYTES) -> pd.DataFrame:
    """The per-example table as a pandas DataFrame, one row per readable example.

    Columns: line, format, messages, tokens, trained_tokens, over_limit (tokens beyond the
    context, 0 if it fits) and, with ``lint``, lint (worst severity on the example's lines:
    error, warning, info or ok) and rules (the rule codes found there).
    """
    import pandas as pd

    rows = [asdict(r) for r in examples(path, provider=provider, model=model, encoding=encoding,
                                        max_line_bytes=max_line_bytes)]
    df = pd.DataFrame(rows, columns=["line", "format", "messages", "tokens", "trained_tokens", "over"])
    df = df.rename(columns={"over": "over_limit"})
    if lint:
        status, codes = _lint_status(os.fspath(path), provider, model)
        df["lint"] = [status.get(line, "ok") for line in df["line"]]
        df["rules"] = [",".join(sorted(codes.get(line, ()))) for line in df["line"]]
    return df


def _lint_status(path: str, provider: str, model: str | None) -> tuple[dict[int, str], dict[int, set[str]]]:
    from .diagnostics import Severity
    from .engine import lint

    worst: dict[int, Severity] = {}
    codes: dict[int, set[str]] = {}
    for d in lint(path, provider=provider, model=model).diagnostics:
        if d.line is None:
            continue
        if d.line not in worst or d.severity.rank > worst[d.line].rank:
            worst[d.line] = d.severity
        codes.setdefault(d.line, set()).add(d.rule)
    return {line: sev.value for line, sev in worst.items()}, codes
