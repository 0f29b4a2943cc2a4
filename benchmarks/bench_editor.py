"""How fast the editor is on a 10k-example (~17 MB) file: open, table, statistics, select, edit, save.

    python benchmarks/bench_editor.py                 # 10,000 examples (seed 1), 3 repeats
    python benchmarks/bench_editor.py --examples 20000 --repeat 1

Targets (issue 8, "Speed"): open to a usable table <= 2 s; Statistics <= 2 s (from the counts the
editor keeps per example once its analysis is done); edit + save <= 1 s; a 5 MB single-line
record: record view <= 2 s, save <= 2 s. Each step runs in one warm process, as in a running
editor (libraries and the tokenizer already loaded; the caches by content hash emptied before
each round, so every "open" parses and analyses anew); the median of the repeats is reported.
The page itself is timed too, through Streamlit's AppTest in a process that has drawn a small
file first (imports done): from the click on Open to the table drawn, until the background
lint and token count has filled it in, the Statistics page, and the 5 MB record's page.
Results go to ``results/editor.{md,json}`` (``editor_N.*`` for other sizes).
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
from toolkit.edit import Analysis, Dataset, Workspace, analysis, findings, ops, table  # noqa: E402
from toolkit.edit import dataset as dataset_module  # noqa: E402
from toolkit.edit.journal import Journal  # noqa: E402


def forget() -> None:
    """Empty the caches by content hash, so that the next open parses and analyses anew."""
    dataset_module._PARSED.clear()
    analysis._KEPT.clear()


def write_big(path: Path, mb: float = 5.0) -> None:
    """One record of ``mb`` megabytes on one line (the assistant's answer)."""
    text = ("Hydrogen is the lightest element. " * int(mb * 1e6 / 34))[: int(mb * 1e6)]
    path.write_text(json.dumps({"messages": [{"role": "user", "content": "Tell me everything."},
                                             {"role": "assistant", "content": text}]}) + "\n", "utf-8")


def big_record(folder: Path) -> dict[str, float]:
    """The 5 MB record: open it and prepare the record view (its findings come from the worker), edit and save."""
    path = folder / "big.jsonl"
    write_big(path)
    forget()
    out: dict[str, float] = {}

    def view() -> Any:
        ds = Dataset.open(path)
        entry = ds.entries[0]
        value = entry.value
        assert value is not None
        return ds, findings.place([], findings.anchors(value)), ops.message_lists(value)
    out["5 MB record: open + record view"], (ds, _, _) = timed(view)
    an = Analysis(Settings())
    out["5 MB record: lint + tokens (worker thread)"], _ = timed(lambda: an.run_full(ds))

    def edit_save() -> None:
        ds.change(0, ops.set_value("/messages/0/content", "Tell me more."), "bench edit")
        ds.save()
    out["5 MB record: edit + save"], _ = timed(edit_save)
    out["5 MB record: lint + count the edited record (worker thread)"], _ = timed(lambda: an.update(ds))
    return out

TARGETS = {"open + table": 2.0, "statistics from the editor's analysis": 2.0, "edit + save": 1.0,
           "edit + journal + save": 1.0, "5 MB record: open + record view": 2.0, "5 MB record: edit + save": 2.0,
           "page: Open clicked -> table drawn": 2.0, "page: Statistics drawn": 2.0,
           "page: 5 MB record's page drawn": 2.0}


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def one_round(path: Path, index: int) -> dict[str, float]:
    """Every step once, on a fresh copy of the file."""
    forget()
    out: dict[str, float] = {}
    out["open"], ds = timed(lambda: Dataset.open(path))
    an = Analysis(Settings())
    out["table rows (first draw)"], first = timed(lambda: table.display(table.page(table.frame(ds, an), 1, 50)))
    out["open + table"] = out["open"] + out["table rows (first draw)"]
    out["lint + tokens, whole file (worker thread)"], _ = timed(lambda: an.run_full(ds))
    out["table with findings and tokens"], df = timed(lambda: table.frame(ds, an))
    assert len(df) == len(ds) and len(first) == 50
    out["statistics from the editor's analysis"], summary = timed(lambda: an.statistics(ds))
    out["statistics, CLI (stats.compute counts the file)"], counted = timed(lambda: stats.compute(path))
    assert (summary.examples, summary.billed_tokens) == (counted.examples, counted.billed_tokens)

    def reopen() -> Dataset:
        again = Dataset.open(path)
        assert Analysis(Settings()).recall(again)
        return again
    out["reopen the same content (parsed and analysed before)"], _ = timed(reopen)

    def select() -> Any:
        entry = ds.entries[index]
        facts, value = an.get(entry), entry.value
        assert facts is not None and value is not None
        return findings.place(facts.diagnostics, findings.anchors(value)), value
    out["select a record"], _ = timed(select)
    out["edit a message"], _ = timed(lambda: ds.change(index, ops.set_value("/messages/1/content", "edited"),
                                                        "bench edit"))
    out["lint + count the edited record"], _ = timed(lambda: an.update(ds))
    out["journal (unsaved changes kept)"], _ = timed(lambda: Journal(Workspace(path.parent)).write(ds))
    before = path.read_bytes().split(b"\n")
    out["save one edit"], _ = timed(ds.save)
    out["edit + save"] = out["edit a message"] + out["lint + count the edited record"] + out["save one edit"]
    out["edit + journal + save"] = out["edit + save"] + out["journal (unsaved changes kept)"]
    after = path.read_bytes().split(b"\n")
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert changed == [ds.start_lines()[index] - 1], changed  # one line rewritten, every other byte kept
    return out


def in_page(workspace: Path, name: str, timeout: float) -> dict[str, float]:
    """The editor itself (AppTest), warmed up on a small file: Open clicked -> table drawn; then until the
    worker's results are in; the Statistics page; the 5 MB record's page."""
    from streamlit.testing.v1 import AppTest

    os.environ["TUNESMITH_WORKSPACE"] = str(workspace)
    forget()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout).run()

    def click_open(file: str) -> float:
        at.selectbox(key="ds_file").set_value(file)
        at.button(key="ds_open").click()
        return timed(at.run)[0]

    def settle() -> None:
        while at.session_state["analysis_job"] is not None:
            time.sleep(0.2)
            at.run()
        assert not at.exception, [e.value for e in at.exception]

    click_open("small.jsonl")  # imports (pandas, altair...) and first draws: once per server process
    settle()
    at.switch_page("toolkit/ui/app_pages/statistics.py").run()
    at.switch_page("toolkit/ui/app_pages/dataset.py").run()
    drawn = click_open(name)
    start = time.perf_counter() - drawn
    assert not at.exception and at.dataframe, [e.value for e in at.exception]
    settle()
    filled = time.perf_counter() - start
    at.switch_page("toolkit/ui/app_pages/statistics.py")
    statistics, _ = timed(at.run)
    numbers = {m.label: m.value for m in at.metric}
    assert "Billed tokens per epoch" in numbers, [e.value for e in at.exception]
    at.switch_page("toolkit/ui/app_pages/dataset.py").run()
    click_open("big.jsonl")
    settle()
    at.number_input(key="ds_goto").set_value(1)
    at.button(key="ds_goto_edit").click()
    record, _ = timed(at.run)
    assert at.title[0].value == "Record editor" and not at.exception
    return {"page: Open clicked -> table drawn": drawn,
            "page: Open clicked -> findings and tokens in the table": filled,
            "page: Statistics drawn": statistics,
            "page: 5 MB record's page drawn": record}


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
              "count run in a worker thread, started once the table is drawn, and fill in the table's tokens, "
              "errors and warnings when done (the page says it is checking; the counts say \"checking…\"). "
              "Statistics are summed from the counts the analysis keeps per example (the CLI's stats.compute, "
              "which counts the file again, is timed for comparison; both give the same numbers, checked). "
              "The analysis and the parsed entries are kept by content hash: reopening the same content "
              "parses and analyses nothing. \"edit + save\" is the edit, the re-check of the edited record and "
              "the save; the journal (unsaved changes kept in the workspace) is timed on its own. Saving checks "
              "the file on disk for changes (size, mtime, sha256), writes a temporary file in the same folder, "
              "fsyncs and renames it; only the edited line differs afterwards (checked). The 5 MB record's "
              "view shows the text's start and draws the whole text on demand.", ""]
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
    import pandas  # noqa: F401  (likewise: imported by the first table drawn)
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
            shutil.copyfile(ROOT / "samples" / "elle_multi_turn.jsonl", Path(tmp) / "small.jsonl")
            write_big(Path(tmp) / "big.jsonl")
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
