"""Where `tunesmith lint`'s time goes: CPU time of each stage on one file, in one process.

    python benchmarks/breakdown.py FILE            # prints JSON
    python benchmarks/breakdown.py FILE --table    # prints a Markdown table

Each stage runs on its own over the same records, in this process and on one core: parse (the
reader: bytes to records, duplicate keys, line numbers), formats and copies (format detection,
byte-identical lines), schema (the plain-chat check, else the compiled validator, on every record), rules
(every record rule but the token one, record by record as the engine runs them; each rule's own time, and that of the shared
hints, from a second run that reads the clock around each call), tokens (C200: the encoding's load and the
examples long enough to need counting), near-duplicates (the collector on every record and F131 at the
end), other collectors and file rules. Then the whole lint runs single-process
(``TUNESMITH_PARALLEL=0``); what the stages do not explain is the engine's own work (turning
findings into diagnostics with line:column, bookkeeping). `tunesmith lint` itself does all of this
for a large file's second half in a second process and merges the facts, so its wall time is below
the sum.
"""

from __future__ import annotations

import argparse
import collections
import functools
import json
import os
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from toolkit import formats, schemas, tokenizer
from toolkit.config import Settings
from toolkit.engine import Linter, _gather
from toolkit.reader import FileFacts, JsonlReader, Record
from toolkit.rules import RULES, hints, load_all
from toolkit.rules.context import Context, FileSummary
from toolkit.rules.registry import COLLECTORS, Finding, Rule

TOKENS = ("C200",)  # the rule that runs the tokenizer
NEAR = "near-duplicates"
Check = Callable[[Record, Context], Iterable[Finding]]


def _cpu(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.process_time()
    out = fn()
    return time.process_time() - start, out


def _findings(check: Callable[..., Iterable[Finding]], subjects: list[Any], ctx: Context) -> list[list[Finding]]:
    """The findings of a rule's ``check`` on each of ``subjects`` (records, or a file's summary)."""
    return [list(check(subject, ctx)) for subject in subjects]


def _rule_times(if_valid: list[tuple[Rule, Check]], if_invalid: list[tuple[Rule, Check]], items: list[Record],
                valid: list[bool], ctx: Context) -> dict[str, float]:
    """CPU seconds of each record rule, run as the engine runs them: record by record, every rule in turn (the
    rules share each record's hints and messages, found by the first rule that asks). Finding the structural
    hints (:mod:`toolkit.rules.hints`) counts under ``hints``. The clock read around each call adds to each
    figure: ``total`` is the same run without it."""
    out: collections.defaultdict[str, float] = collections.defaultdict(float)

    def plain() -> None:
        for rec, ok in zip(items, valid, strict=True):
            for _, check in if_valid if ok else if_invalid:
                list(check(rec, ctx))

    out["total"], _ = _cpu(plain)
    clock = time.process_time
    for rec, ok in zip(items, valid, strict=True):
        start = clock()
        hints.of(rec)
        out["hints"] += clock() - start
        for rule, check in if_valid if ok else if_invalid:
            start = clock()
            list(check(rec, ctx))
            out[rule.code] += clock() - start
    return dict(out)


def _add_all(box: Any, items: list[Record]) -> None:
    """Feed every record to a collector."""
    for i in items:
        box.add(i)


def breakdown(path: Path) -> dict[str, Any]:
    """CPU seconds per stage of linting ``path`` (default settings), and of the whole lint in one process."""
    os.environ["TUNESMITH_PARALLEL"] = "0"  # the whole-lint figure is one process, comparable to the stages
    load_all()
    linter = Linter(Settings())
    load, _ = _cpu(lambda: tokenizer.encoding(linter.model.encoding))  # once per process: the whole lint pays it too
    parse, items = _cpu(lambda: [i for i in JsonlReader(str(path)) if isinstance(i, Record)])
    fmt = formats.decide(collections.Counter(f for i in items[:64] if (f := formats.detect(i.value)) is not None))
    ctx = linter._context(fmt, "train")  # the target the engine would lint for
    plan = linter.plan(str(path), ctx)
    summary = FileSummary(path=str(path), role="train", format=fmt, facts=FileFacts())
    facts, _ = _cpu(lambda: [_gather(i, summary) for i in items])
    schema, valid = _cpu(lambda: [schemas.is_valid(fmt, i.value) for i in items])

    per_rule = _rule_times(plan.record[fmt, True], plan.record[fmt, False], items, valid, ctx)
    counting = sum(per_rule.pop(code, 0.0) for code in TOKENS)
    rules = per_rule.pop("total") - counting  # C200's share, as measured with the clock

    collected: dict[str, float] = {}
    for kind in plan.collectors:
        box = kind.create()
        summary.collected[kind.name] = box
        collected[kind.name], _ = _cpu(functools.partial(_add_all, box, items))
    file_rules: dict[str, float] = {}
    for rule in plan.file:
        file_rules[rule.code], _ = _cpu(functools.partial(_findings, rule.checker, [summary], ctx))
    near_rules = COLLECTORS[NEAR].rules
    near = collected.pop(NEAR, 0.0) + sum(file_rules.pop(code, 0.0) for code in near_rules)
    whole, _ = _cpu(lambda: linter.lint(path))
    whole += load  # the encoding was loaded before (above), so the whole lint did not pay for it again
    stages = {
        "parse": parse,
        "formats and copies": facts,
        "schema": schema,
        "rules": max(0.0, rules),
        "tokens": load + counting,
        "near-duplicates": near,
        "other collectors and file rules": sum(collected.values()) + sum(file_rules.values()),
    }
    stages["engine (diagnostics, line:column, bookkeeping)"] = max(0.0, whole - sum(stages.values()))
    return {
        "file": str(path), "records": len(items), "mb": round(path.stat().st_size / 1e6, 1),
        "whole_cpu_s": round(whole, 3),
        "stages_cpu_s": {k: round(v, 3) for k, v in stages.items()},
        "slowest_rules_cpu_s": {f"{k} {RULES[k].name}" if k in RULES else k: round(v, 3)
                                for k, v in sorted(per_rule.items(), key=lambda kv: -kv[1])[:8]},
    }


def table(b: dict[str, Any]) -> str:
    """The breakdown as Markdown."""
    whole = b["whole_cpu_s"] or 1.0
    rows = ["| stage | CPU s | share |", "|---|---:|---:|"]
    rows += [f"| {k} | {v:.2f} | {v / whole:.0%} |" for k, v in b["stages_cpu_s"].items()]
    rows.append(f"| **whole lint, one process** | **{b['whole_cpu_s']:.2f}** | |")
    slow = ", ".join(f"{rule} {s:.2f} s" for rule, s in b["slowest_rules_cpu_s"].items())
    return "\n".join([*rows, "", f"Slowest record rules: {slow}."])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--table", action="store_true", help="print Markdown instead of JSON")
    args = parser.parse_args(argv)
    result = breakdown(args.file)
    print(table(result) if args.table else json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
