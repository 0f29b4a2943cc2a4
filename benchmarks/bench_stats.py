"""Benchmark ``tunesmith stats`` against tiktoken alone, and near-duplicate detection against lint.

    python benchmarks/bench_stats.py            # the 100,000-example file (generated once), 3 runs each
    python benchmarks/bench_stats.py --quick    # 10,000 examples

Targets (issue 5): ``tunesmith stats`` takes at most 1.3x the time tiktoken needs to encode
the same strings on both cores; near-duplicate detection takes at most 2x the lint time.

Every figure comes from its own process, measured in the same run on the same file:

- *tiktoken alone*: a process extracts the strings ``stats`` counts (``tokens.example_parts``
  on every record, not timed) and then times only the encoding, three ways: one thread,
  two threads that each take whole chunks of 2,000 strings (``encode_ordinary``), and two
  worker processes (started and warmed before the clock starts). The fastest of the
  two-core ways is the floor.
- *stats*: ``tunesmith stats FILE --format json``, the whole command (start-up, reading,
  parsing, loading the tokenizer, counting).
- *near-duplicates*: ``tunesmith lint FILE`` with every rule, and with F131/F113 ignored (the
  difference is what near-duplicate detection adds to lint); plus a process that only reads
  the file and runs :class:`toolkit.dedup.NearDuplicates` over it.

Wall time from the clock, CPU time and peak RSS from ``os.wait4`` (see ``run.py``). The
best of ``--repeat`` interleaved runs counts (medians are reported too). Report:
``results/stats.{md,json}`` (``stats-quick.*`` with --quick).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
import run  # noqa: E402

TARGET_STATS = 1.3
TARGET_NEAR = 2.0
CHUNK = 2000


# -- child processes -----------------------------------------------------------------------


def _strings(path: str) -> tuple[list[str], str]:
    """The strings ``stats`` tokenizes (the benchmark file is a chat file: the default model's encoding)."""
    from toolkit import catalog, tokenizer

    out: list[str] = []
    with open(path, "rb") as fh:
        for raw in fh:
            try:
                value = json.loads(raw)
            except ValueError:
                continue
            if isinstance(value, dict):
                out.extend(tokenizer.example_parts(value)[0])
    return out, catalog.resolve("openai").encoding


def _encode_chunk(chunk: list[str]) -> int:
    enc = _WORKER_ENC
    return sum(len(enc.encode_ordinary(s)) for s in chunk)


_WORKER_ENC: Any = None


def _worker_init(name: str) -> None:
    global _WORKER_ENC
    from toolkit import tokenizer

    _WORKER_ENC = tokenizer.encoding(name)


def tokenize_only(path: str) -> dict[str, Any]:
    """Time tiktoken alone on the strings ``stats`` counts (printed as JSON by the child)."""
    from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

    from toolkit import tokenizer

    strings, name = _strings(path)
    enc = tokenizer.encoding(name)
    chunks = [strings[i:i + CHUNK] for i in range(0, len(strings), CHUNK)]
    out: dict[str, Any] = {"strings": len(strings), "characters": sum(map(len, strings)), "encoding": name}

    start = time.perf_counter()
    total = sum(len(enc.encode_ordinary(s)) for s in strings)
    out["one_thread_s"] = time.perf_counter() - start

    def work(chunk: list[str]) -> int:
        return sum(len(enc.encode_ordinary(s)) for s in chunk)

    start = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        assert sum(pool.map(work, chunks)) == total
    out["two_threads_s"] = time.perf_counter() - start

    with ProcessPoolExecutor(2, initializer=_worker_init, initargs=(name,)) as processes:
        list(processes.map(_encode_chunk, [["warm up"], ["warm up"]]))
        start = time.perf_counter()
        assert sum(processes.map(_encode_chunk, chunks, chunksize=4)) == total
        out["two_processes_s"] = time.perf_counter() - start
    out["tokens"] = total
    return out


def neardup_only(path: str) -> dict[str, Any]:
    """Read the file and find near-duplicate pairs, nothing else (printed as JSON by the child)."""
    from toolkit.dedup import NearDuplicates

    start = time.perf_counter()
    near = NearDuplicates()
    with open(path, "rb") as fh:
        for line, raw in enumerate(fh, 1):
            try:
                near.add(line, json.loads(raw))
            except ValueError:
                continue
    pairs = near.pairs()
    return {"seconds": time.perf_counter() - start, "pairs": len(pairs), "examples": len(near)}


# -- the benchmark -------------------------------------------------------------------------


def _child(mode: str, path: Path, out: Path) -> tuple[run.Run, dict[str, Any]]:
    measured = run.measure([sys.executable, str(Path(__file__).resolve()), f"--{mode}", str(path)], out)
    return measured, json.loads(out.read_text("utf-8"))


def _median(values: list[float]) -> float:
    return statistics.median(values)


def benchmark(examples: int, seed: int, repeat: int) -> dict[str, Any]:
    path = run.dataset(examples, seed)
    run.warm(path)
    tool = run.lint_command(path)[:-4]  # the tunesmith command, without "lint FILE --format json"
    tmp = Path(tempfile.mkdtemp(prefix="bench-stats-"))
    base: list[dict[str, Any]] = []
    stats_runs: list[run.Run] = []
    lint_all: list[run.Run] = []
    lint_without: list[run.Run] = []
    near: list[tuple[run.Run, dict[str, Any]]] = []
    for _ in range(repeat):  # interleaved, so a busy spell on the shared machine hits every tool alike
        base.append(_child("tokenize-only", path, tmp / "tok.json")[1])
        stats_runs.append(run.measure([*tool, "stats", str(path), "--format", "json"], tmp / "stats.json"))
        lint_all.append(run.measure([*tool, "lint", str(path), "--format", "json"], tmp / "lint.json"))
        lint_without.append(run.measure([*tool, "lint", str(path), "--format", "json", "--ignore", "F131,F113"],
                                        tmp / "lint2.json"))
        near.append(_child("neardup-only", path, tmp / "near.json"))
    # The machine is shared: a busy spell slows whatever runs during it. Each figure is the best
    # of its runs (what the tool needs when it gets the cores); medians are reported too.
    floor = {k: min(b[k] for b in base) for k in ("one_thread_s", "two_threads_s", "two_processes_s")}
    best_two_cores = min(floor["two_threads_s"], floor["two_processes_s"])
    stats_wall = min(r.wall_s for r in stats_runs)
    stats_doc = json.loads((tmp / "stats.json").read_text("utf-8"))
    lint_wall = min(r.wall_s for r in lint_all)
    lint_without_wall = min(r.wall_s for r in lint_without)
    near_alone = min(n[1]["seconds"] for n in near)
    medians = {"stats_s": _median([r.wall_s for r in stats_runs]),
               **{k: _median([b[k] for b in base]) for k in floor},
               "lint_s": _median([r.wall_s for r in lint_all]),
               "lint_without_s": _median([r.wall_s for r in lint_without]),
               "near_alone_s": _median([n[1]["seconds"] for n in near])}
    findings = run.lint_findings(tmp / "lint.json")["by_rule"]
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": run.machine(),
        "file": {"path": os.path.relpath(path, run.ROOT), "examples": examples, "seed": seed,
                 "bytes": path.stat().st_size, "lines": run.count_lines(path)},
        "repeat": repeat,
        "tiktoken": {**base[-1], **{k: round(v, 3) for k, v in floor.items()},
                     "runs": {k: [round(b[k], 3) for b in base] for k in floor}},
        "stats": {"wall_s": round(stats_wall, 3), "runs": [round(r.wall_s, 3) for r in stats_runs],
                  "cpu_s": round(_median([r.cpu_s for r in stats_runs]), 3),
                  "peak_rss_mb": round(max(r.peak_rss_mb for r in stats_runs), 1),
                  "examples": stats_doc["examples"], "total_tokens": stats_doc["total_tokens"],
                  "ratio_to_best_two_cores": round(stats_wall / best_two_cores, 2),
                  "ratio_to_two_threads": round(stats_wall / floor["two_threads_s"], 2),
                  "ratio_to_one_thread": round(stats_wall / floor["one_thread_s"], 2)},
        "near": {"lint_wall_s": round(lint_wall, 3), "lint_runs": [round(r.wall_s, 3) for r in lint_all],
                 "lint_without_wall_s": round(lint_without_wall, 3),
                 "lint_without_runs": [round(r.wall_s, 3) for r in lint_without],
                 "lint_peak_rss_mb": round(max(r.peak_rss_mb for r in lint_all), 1),
                 "lint_without_peak_rss_mb": round(max(r.peak_rss_mb for r in lint_without), 1),
                 "added_to_lint_s": round(lint_wall - lint_without_wall, 3),
                 "alone_s": round(near_alone, 3), "alone_runs": [round(n[1]["seconds"], 3) for n in near],
                 "alone_peak_rss_mb": round(max(n[0].peak_rss_mb for n in near), 1),
                 "pairs": near[-1][1]["pairs"],
                 "ratio_alone_to_lint": round(near_alone / lint_without_wall, 2),
                 "ratio_lint_with_to_without": round(lint_wall / lint_without_wall, 2),
                 "findings": {k: v for k, v in findings.items() if k.startswith(("F130", "F131"))}},
        "medians": {k: round(v, 3) for k, v in medians.items()},
        "load": [round(r.load_before, 2) for r in stats_runs + lint_all],
    }


def markdown(r: dict[str, Any]) -> str:
    t, s, n, f, m = r["tiktoken"], r["stats"], r["near"], r["file"], r["machine"]
    best = min(t["two_threads_s"], t["two_processes_s"])
    ok = lambda met: "yes" if met else "**no**"  # noqa: E731
    return "\n".join([
        "# Benchmark: `tunesmith stats` vs tiktoken alone; near-duplicates vs lint", "",
        f"{r['date']} · commit `{m['commit']}` · {m['cpus']} CPUs ({m['cpu']}) · Python {m['python']} · "
        f"tiktoken {m['packages']['tiktoken']}", "",
        f"File: `{f['path']}`: {f['lines']:,} lines, {f['bytes'] / 1e6:.1f} MB (seed {f['seed']}). "
        f"Best of {r['repeat']} interleaved run(s) per figure (the machine is shared; medians below); "
        f"1-minute load average at the starts: {r['load']}.", "",
        "## Targets", "",
        "| target | measured | met |", "|---|---:|:---:|",
        f"| `stats` <= {TARGET_STATS}x tiktoken alone on both cores | {s['ratio_to_best_two_cores']}x "
        f"({s['wall_s']} s vs {best} s) | {ok(s['ratio_to_best_two_cores'] <= TARGET_STATS)} |",
        f"| near-duplicate detection <= {TARGET_NEAR}x the lint time | alone {n['ratio_alone_to_lint']}x "
        f"({n['alone_s']} s vs {n['lint_without_wall_s']} s); inside lint +{n['added_to_lint_s']} s "
        f"({n['ratio_lint_with_to_without']}x) | {ok(n['ratio_alone_to_lint'] <= TARGET_NEAR)} |", "",
        "## tiktoken alone (same strings, encoding only)", "",
        f"{t['strings']:,} strings, {t['characters']:,} characters, {t['tokens']:,} tokens ({t['encoding']}).", "",
        "| how | best (s) | runs |", "|---|---:|---|",
        f"| 1 thread, `encode_ordinary` | {t['one_thread_s']} | {t['runs']['one_thread_s']} |",
        f"| 2 threads, own chunks of {CHUNK:,} strings | {t['two_threads_s']} | {t['runs']['two_threads_s']} |",
        f"| 2 processes, chunks of {CHUNK:,} strings | {t['two_processes_s']} | {t['runs']['two_processes_s']} |", "",
        "## `tunesmith stats FILE --format json` (whole command)", "",
        f"Best wall {s['wall_s']} s (runs {s['runs']}), CPU {s['cpu_s']} s, peak RSS {s['peak_rss_mb']} MB; "
        f"{s['examples']:,} examples, {s['total_tokens']:,} tokens. Ratio to tiktoken alone: "
        f"{s['ratio_to_best_two_cores']}x the best on 2 cores, {s['ratio_to_two_threads']}x 2 threads, "
        f"{s['ratio_to_one_thread']}x 1 thread.", "",
        "## Near-duplicates (F131 / F113)", "",
        "| | best wall | runs | peak RSS |", "|---|---:|---|---:|",
        f"| `tunesmith lint` (all rules) | {n['lint_wall_s']} s | {n['lint_runs']} | {n['lint_peak_rss_mb']} MB |",
        f"| `tunesmith lint --ignore F131,F113` | {n['lint_without_wall_s']} s | {n['lint_without_runs']} | "
        f"{n['lint_without_peak_rss_mb']} MB |",
        f"| near-duplicates alone (read, parse, sketch, pairs) | {n['alone_s']} s | {n['alone_runs']} | "
        f"{n['alone_peak_rss_mb']} MB |", "",
        f"Pairs found: {n['pairs']:,}. Findings in lint: {n['findings'] or 'none'}.", "",
        "## Medians", "",
        " · ".join(f"{k} {v}" for k, v in r["medians"].items()), "",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=100_000, help="examples in the file (default 100000)")
    parser.add_argument("--quick", action="store_true", help="10,000 examples; report to results/stats-quick.*")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement; the median counts")
    parser.add_argument("--tokenize-only", metavar="FILE", help=argparse.SUPPRESS)
    parser.add_argument("--neardup-only", metavar="FILE", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.tokenize_only:
        print(json.dumps(tokenize_only(args.tokenize_only)))
        return 0
    if args.neardup_only:
        print(json.dumps(neardup_only(args.neardup_only)))
        return 0
    report = benchmark(10_000 if args.quick else args.examples, args.seed, max(1, args.repeat))
    name = "stats-quick" if args.quick else "stats"
    run.RESULTS.mkdir(exist_ok=True)
    text = markdown(report)
    for suffix, body in ((".md", text), (".json", json.dumps(report, indent=2) + "\n")):
        target = run.RESULTS / f"{name}{suffix}"
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(body, "utf-8")
        os.replace(tmp, target)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
