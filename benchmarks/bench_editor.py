"""How fast the editor is on a 10k-example (~17 MB) file: open, table, select, edit, save.

    python benchmarks/bench_editor.py                 # 10,000 examples (seed 1), 3 repeats
    python benchmarks/bench_editor.py --examples 100000 --repeat 1

Targets (issue 4, "Speed"): opening the file and showing the table <= 3 s; saving one edited
record <= 1 s. Each step runs in one warm process, as in a running editor (libraries and the
tokenizer already loaded); the median of the repeats is reported. The page itself is timed
too, through Streamlit's AppTest: from the click on Open to the table drawn, and until the
background lint and token count has filled it in. Results go to ``results/editor.{md,json}``
(``editor_N.*`` for other sizes).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))
import generate  # noqa: E402  (benchmarks/ is not a package)

from toolkit import stats, tokenizer  # noqa: E402
from toolkit.config import Settings  # noqa: E402
from toolkit.edit import Analysis, Dataset, Workspace, findings, ops, table  # noqa: E402
from toolkit.edit.journal import Journal  # noqa: E402


def big_record(folder: Path, mb: float = 5.0) -> dict[str, float]:
    """One record of ``mb`` megabytes on one line: open it, prepare the record view, edit and save."""
    path = folder / "big.jsonl"
    text = ("Hydrogen is the lightest element. " * int(mb * 1e6 / 34))[: int(mb * 1e6)]
    path.write_text(json.dumps({"messages": [{"role": "user", "content": "Tell me everything."},
                                             {"role": "assistant", "content": text}]}) + "\n", "utf-8")
    out: dict[str, float] = {}

    def view() -> Any:
        ds = Dataset.open(path)
        an = Analysis(Settings())
        an.run_full(ds)
        entry = ds.entries[0]
        return ds, findings.place(an.get(entry).diagnostics, findings.anchors(entry.value))
    out["5 MB record: open + record view"], (ds, _) = timed(view)

    def edit_save() -> None:
        ds.change(0, ops.set_value("/messages/0/content", "Tell me more."), "bench edit")
        ds.save()
    out["5 MB record: edit + save"], _ = timed(edit_save)
    return out

TARGETS = {"open + table": 2.0, "save one edit": 1.0, "edit + journal + save": 1.0, "statistics (stats.compute)": 2.0,
           "5 MB record: open + record view": 2.0, "5 MB record: edit + save": 2.0}


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def one_round(path: Path, index: int) -> dict[str, float]:
    """Every step once, on a fresh copy of the file."""
    out: dict[str, float] = {}
    out["open"], ds = timed(lambda: Dataset.open(path))
    an = Analysis(Settings())
    out["table rows (first draw)"], first = timed(lambda: table.page(table.frame(ds, an), 1, 50))
    out["open + table"] = out["open"] + out["table rows (first draw)"]
    out["lint + tokens, whole file (worker thread)"], _ = timed(lambda: an.run_full(ds))
    out["table with findings and tokens"], df = timed(lambda: table.frame(ds, an))
    assert len(df) == len(ds) and len(first) == 50

    def select() -> Any:
        entry = ds.entries[index]
        return findings.place(an.get(entry).diagnostics, findings.anchors(entry.value)), entry.value
    out["select a record"], _ = timed(select)
    out["edit a message"], _ = timed(lambda: ds.change(index, ops.set_value("/messages/1/content", "edited"),
                                                        "bench edit"))
    out["lint + count the edited record"], _ = timed(lambda: an.update(ds))
    out["journal (unsaved changes kept)"], _ = timed(lambda: Journal(Workspace(path.parent)).write(ds))
    before = path.read_bytes().split(b"\n")
    out["save one edit"], _ = timed(ds.save)
    out["edit + journal + save"] = out["edit a message"] + out["journal (unsaved changes kept)"] + out["save one edit"]
    out["statistics (stats.compute)"], _ = timed(lambda: stats.compute(path))
    after = path.read_bytes().split(b"\n")
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert changed == [ds.start_lines()[index] - 1], changed  # one line rewritten, every other byte kept
    return out


def in_page(workspace: Path, name: str, timeout: float) -> dict[str, float]:
    """The editor itself (AppTest): Open clicked -> table drawn; then until the worker's results are in."""
    from streamlit.testing.v1 import AppTest

    os.environ["TUNESMITH_WORKSPACE"] = str(workspace)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout).run()
    at.selectbox(key="ds_file").set_value(name)
    at.button(key="ds_open").click()
    start = time.perf_counter()
    at.run()
    drawn = time.perf_counter() - start
    assert not at.exception and at.dataframe, [e.value for e in at.exception]
    while at.session_state["analysis_job"] is not None:
        time.sleep(0.2)
        at.run()
    return {"page: Open clicked -> table drawn": drawn,
            "page: Open clicked -> findings and tokens in the table": time.perf_counter() - start}


def report(results: dict[str, list[float]], meta: dict[str, Any]) -> str:
    lines = ["# Benchmark: the editor on a large file", "",
             f"{meta['when']} · {meta['cpus']} CPUs · Python {meta['python']} · load average {meta['load_before']} "
             f"before, {meta['load_after']} after", "",
             f"File: `{meta['file']}`: {meta['examples']:,} lines, {meta['mb']:.1f} MB (generate.py, seed "
             f"{meta['seed']}); record edited: example {meta['index'] + 1}. Median of {meta['repeat']} run(s).", "",
             "| step | seconds | target |", "|---|---:|---:|"]
    for step, values in results.items():
        target = TARGETS.get(step)
        mark = "" if target is None else f"≤ {target:g} s {'met' if statistics.median(values) <= target else 'NOT met'}"
        lines.append(f"| {step} | {statistics.median(values):.4f} | {mark} |")
    lines += ["", "The table is drawn as soon as the file is open; for files over 2 MB the lint and token "
              "count run in a worker thread and fill in the table's tokens, errors and warnings when done "
              "(the page shows that it is working). Saving checks the file on disk for changes "
              "(size, mtime, sha256), writes a temporary file in the same folder, fsyncs and renames it; only "
              "the edited line differs afterwards (checked).", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=10_000, help="lines in the file (default 10000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the file (default 1)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of every step; the median counts (default 3)")
    parser.add_argument("--no-page", action="store_true", help="skip the in-page (AppTest) timing")
    args = parser.parse_args(argv)
    source = HERE / "data" / f"editor_{args.examples}_{args.seed}.jsonl"
    if not source.exists():
        generate.generate(args.examples, args.seed, source)
    tokenizer.encoding("o200k_base")  # loaded once per editor process, not per file
    load_before = os.getloadavg()[0]
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "bench.jsonl"
        index = args.examples // 2
        while not Dataset.open(source).entries[index].is_record:
            index += 1
        for _ in range(args.repeat):
            shutil.copyfile(source, work)
            for step, seconds in one_round(work, index).items():
                results.setdefault(step, []).append(seconds)
        for _ in range(args.repeat):
            for step, seconds in big_record(Path(tmp)).items():
                results.setdefault(step, []).append(seconds)
        if not args.no_page:
            shutil.copyfile(source, work)
            for step, seconds in in_page(Path(tmp), work.name, timeout=600).items():
                results.setdefault(step, []).append(seconds)
    meta = {"when": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"), "cpus": os.cpu_count(),
            "python": platform.python_version(), "load_before": round(load_before, 2),
            "load_after": round(os.getloadavg()[0], 2), "file": str(source.relative_to(ROOT)),
            "examples": args.examples, "mb": source.stat().st_size / 1e6, "seed": args.seed, "index": index,
            "repeat": args.repeat}
    text = report(results, meta)
    print(text)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    name = "editor" if args.examples == 10_000 else f"editor_{args.examples}"
    (out / f"{name}.md").write_text(text, "utf-8")
    (out / f"{name}.json").write_text(json.dumps({"meta": meta, "seconds": results}, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
