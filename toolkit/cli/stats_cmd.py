"""``tunesmith stats FILE``: tokens per example, billed vs trained tokens, epochs and estimated cost."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ..errors import UsageError
from ..plural import plural
from . import inputs
from .output import check_output, output_stream
from .target_args import add_target_args, config_of, settings

if TYPE_CHECKING:
    from ..stats import Distribution, Stats

FORMATS = ("text", "json", "csv")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("stats", help="count tokens, billed vs trained tokens, epochs and the training cost",
                       description="Statistics of a fine-tuning JSONL file: examples, messages and tokens per "
                                   "example, billed and trained tokens, examples over the model's context, the "
                                   "epochs n_epochs=auto would choose and the estimated training cost.")
    p.add_argument("path", metavar="FILE", help="JSONL file (- reads standard input; a named pipe is read as it comes)")
    add_target_args(p, method=False)
    p.add_argument("--epochs", type=int, help="epochs to train (default: what n_epochs=auto chooses)")
    p.add_argument("--encoding", choices=("o200k_base", "cl100k_base"),
                   help="count with this tokenizer instead of the model's (e.g. cl100k_base as the Cookbook)")
    p.add_argument("--format", dest="output_format", choices=FORMATS, default="text",
                   help="text (default), json (the summary) or csv (one row per example, with its lint status)")
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from .. import stats

    if args.epochs is not None and not 1 <= args.epochs <= 50:
        raise UsageError(f"--epochs {args.epochs}: the API accepts 1 to 50 epochs")
    config_file = config_of(args, args.path)
    check_output(args.output, [args.path], [("the configuration", str(config_file) if config_file else None)])
    config = settings(args, args.path)
    target, max_line = config.target, config.max_line_bytes  # max-line-mb: a longer line is no example, as in lint
    if args.output_format == "csv":  # the counts, then lint: the input is read twice
        with inputs.regular_file(args.path) as path:
            table = stats.frame(path, provider=target.provider, model=target.model, encoding=args.encoding,
                                max_line_bytes=max_line)
        if table.empty:
            raise stats.no_examples(inputs.shown(args.path))
        if table["format"].isna().all():
            raise stats.no_format(inputs.shown(args.path), len(table))
        with output_stream(args.output, newline="") as stream:
            table.to_csv(stream, index=False)
        return 0
    if inputs.is_stream(args.path):  # read once, as it comes
        with inputs.stream(args.path) as source:
            result = stats.compute(source, provider=target.provider, model=target.model, epochs=args.epochs,
                                   encoding=args.encoding, name=inputs.shown(args.path), max_line_bytes=max_line,
                                   settings=config)
    else:
        result = stats.compute(args.path, provider=target.provider, model=target.model, epochs=args.epochs,
                               encoding=args.encoding, max_line_bytes=max_line, settings=config)
    with output_stream(args.output, newline="") as stream:
        if args.output_format == "json":
            json.dump(result.to_dict(), stream, indent=2)
            stream.write("\n")
        else:
            write_text(result, stream)
    return 0


def _row(label: str, d: Distribution) -> str:
    cells = (d.min, d.mean, d.median, d.p10, d.p90, d.max)
    from ..stats import number

    return f"  {label:<24}" + "".join(f"{number(c):>10}" for c in cells)


def write_text(s: Stats, out: TextIO) -> None:
    """The human report of ``tunesmith stats``."""
    from ..reader import has_file_name
    from ..reporters.text import visible  # a file name's control characters written out, as lint writes them

    name = Path(s.path).name if has_file_name(s.path) else s.path  # a pipe's "63" says nothing: /dev/fd/63
    kinds = ", ".join(f"{n:,} {f}" for f, n in sorted(s.formats.items(), key=lambda kv: -kv[1]))
    out.write(f"{visible(name)}: {plural(s.examples, 'example')} ({kinds or s.format})\n")
    if s.unreadable:
        shown = ", ".join(map(str, s.unreadable_lines)) + (", ..." if s.unreadable > len(s.unreadable_lines) else "")
        out.write(f"  {plural(s.unreadable, 'line is not an example', 'lines are not examples')} (one JSON object in "
                  f"UTF-8 per line) and not counted (line {shown}): `tunesmith lint` says why; `tunesmith fix --write` joins "
                  "pretty-printed records\n")
    from ..stats import UNKNOWN

    formatless = s.formats.get(UNKNOWN, 0)
    if formatless:
        out.write(f"  in no fine-tuning format (no tokens counted): {plural(formatless, 'example')}; `tunesmith lint` "
                  "says what each one lacks\n")
    out.write(f"model: {s.model} ({s.provider}; tokenizer {s.encoding}; context {s.context:,} tokens)\n")
    for found in s.model_findings:  # what lint's model rules say (shut down, method, unknown model), in its words
        out.write(f"  {found['rule']} {found['severity']}: {found['message']}\n")
    out.write("\n")
    out.write(f"  {'':<24}" + "".join(f"{h:>10}" for h in ("min", "mean", "median", "p10", "p90", "max")) + "\n")
    out.write(_row("messages per example", s.messages) + "\n")
    out.write(_row("tokens per example", s.tokens) + "\n")
    out.write(_row("trained tokens", s.trained) + "\n\n")
    if s.format == "reinforcement":
        out.write(f"tokens: {s.total_tokens:,} (prompts; in RFT the model is trained on its own sampled answers)\n")
    else:
        share = f" ({s.trained_tokens / s.total_tokens:.0%} of all tokens)" if s.total_tokens else ""
        cut = ", after the cut of examples over the context" if s.over_limit else "; every token is billed"
        out.write(f"tokens: {s.total_tokens:,}; trained on: {s.trained_tokens:,}{share} "
                  f"(assistant turns with weight 1{cut})\n")
    if s.over_limit:
        where = ", ".join(f"line {line} by {over:,}" for line, over in s.over_lines)
        exceed = plural(s.over_limit, "example exceeds", "examples exceed")
        out.write(f"over the context: {exceed} {s.context:,} tokens and will be truncated "
                  f"from the end (by up to {s.over_by_max:,} tokens: {where})\n")
    else:
        out.write(f"over the context: none (every example fits in {s.context:,} tokens)\n")
    out.write(f"billed per epoch: {s.billed_tokens:,} tokens (examples counted up to the context)\n")
    if s.format == "preference":
        out.write("  preference pairs: both answers are counted (the cost is over every token of the file); only the "
                  "preferred one is trained on\n")
    if s.images_assumed:
        from ..imagedata import ASSUMED_SIZE, tokens

        w, h = ASSUMED_SIZE
        unknown = plural(s.images_assumed, "image") + (" behind URLs has" if s.images_assumed == 1 else " behind URLs have")
        out.write(f"  images: {unknown} an unknown size; each was counted as "
                  f"{w}x{h} ({tokens('high', ASSUMED_SIZE)} tokens at high or auto detail)\n")
    how = f"what n_epochs=auto chooses for {plural(s.examples, 'example')}" if s.epochs_auto else "--epochs"
    out.write(f"epochs: {s.epochs} ({how})\n")
    c = s.cost
    out.write(f"billed in all: {c.billed(s.epochs_auto)}\n")
    if c.usd is not None:
        out.write(f"estimated cost: ${c.usd:,.2f} at {c.note} (price as of {c.price_date}; source: {c.price_source})\n")
    else:
        when = f" (price as of {c.price_date}; source: {c.price_source})" if c.price_date else ""
        out.write(f"estimated cost: unknown: {c.note}{when}\n")
