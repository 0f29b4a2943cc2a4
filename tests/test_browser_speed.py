# ruff: noqa: F811  (pytest fixtures imported from test_browser.py are parameters of the same name)
"""A generated 2,000-example file in a real browser: while it is being checked the page says so (never a
clean-looking 0), then the table, the metrics and the Statistics page agree with `tunesmith lint` and
`tunesmith stats`, and every column of the table fits a 1280-pixel window.

The harness (Chromium, `tunesmith app` on 127.0.0.1, the page fixture) is the one of test_browser.py.
Timings are not asserted here: they are benchmarks/bench_editor.py's job.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from test_browser import (  # noqa: F401  (fixtures used by name)
    ROOT,
    SCREENSHOTS,
    WAIT_MS,
    browser,
    go_to,
    idle,
    load,
    open_sample,
    page,
    screenshot,
    serve,
    workspace,
)

pytestmark = pytest.mark.browser

NAME = "speed_2k.jsonl"
CHECK_MS = 180_000  # the whole file's lint and token count, on a busy 2-core machine
SYSTEM = "Elle is a factual chatbot that answers questions about elements in the periodic table with a limerick."
BROKEN = {500: '{"messages": [{"role": "user", "content": "cut off', 1000: "", 1500: '"just a string"'}


def _generate(path: Path, n: int = 2000) -> None:
    """``n`` distinct chat records, one per line, with a cut-off line, a blank line and a string among them."""
    lines = []
    for i in range(n):
        answer = f"Element {i} sits in the table,\nIts story is long and able; " + "it glows. " * (i % 7)
        messages: list[dict[str, Any]] = [{"role": "system", "content": SYSTEM},
                                          {"role": "user", "content": f"Tell me about element {i}."},
                                          {"role": "assistant", "content": answer}]
        if i % 10 == 3:
            messages[2]["weight"] = 0  # context only: fewer trained tokens
        lines.append(json.dumps({"messages": messages}))
        if i in BROKEN:
            lines.append(BROKEN[i])
    path.write_text("\n".join(lines) + "\n", "utf-8")


def _cli(*args: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "toolkit", *args, "--format", "json"], cwd=ROOT, capture_output=True,
                         timeout=300, check=False)
    assert out.returncode in (0, 1), out.stderr.decode(errors="replace")
    return json.loads(out.stdout)


def _metric(page: Page, label: str, *, redrawing: bool = False) -> str:
    """The value of the metric ``label``; ``redrawing``: the page may be between two runs, when Streamlit briefly
    shows both copies of an element (the first is read)."""
    box = page.get_by_test_id("stMetric").filter(has=page.get_by_test_id("stMetricLabel").get_by_text(label,
                                                                                                       exact=True))
    value = box.get_by_test_id("stMetricValue")
    if redrawing:
        return value.first.inner_text(timeout=WAIT_MS).strip()
    expect(value).to_have_count(1)  # a run replacing "checking…" by the count briefly shows both
    return value.inner_text(timeout=WAIT_MS).strip()


def _fits(page: Page) -> tuple[int, int]:
    """The table's scrollable width and visible width (equal when no column is cut off)."""
    dims = page.evaluate("() => { const s = document.querySelector('[data-testid=stDataFrame] .dvn-scroller');"
                         " return s ? [s.scrollWidth, s.clientWidth] : [0, 0]; }")
    return int(dims[0]), int(dims[1])


def _shot(page: Page, name: str) -> None:
    """A screenshot at the current window width (test_browser's screenshot() sets its own)."""
    idle(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.mouse.move(5, 5)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def test_a_2k_file_agrees_with_lint_and_stats(serve: Callable[..., str], page: Page, workspace: Path) -> None:
    path = workspace / NAME
    _generate(path)
    linted = _cli("lint", str(path))["summary"]
    counted = _cli("stats", str(path))
    records, errors, warnings = linted["records"], linted["errors"], linted["warnings"]
    assert records == counted["examples"] == 2000 and warnings >= 1  # the blank line at least
    entries = records + len(BROKEN)

    load(page, serve())
    page.set_viewport_size({"width": 1280, "height": 1600})
    open_sample(page, NAME, f"{records:,} records in {entries:,} entries")  # formatted as the metrics are
    assert _metric(page, "Examples") == f"{records:,}"
    seen = set()
    deadline = time.monotonic() + CHECK_MS / 1000
    final = (f"{errors:,}", f"{warnings:,}")
    while True:  # until the worker is done the counts say "checking…", never a clean-looking 0
        # read one after the other while the check's fragment redraws the page: may straddle the end
        value = _metric(page, "Errors", redrawing=True), _metric(page, "Warnings", redrawing=True)
        seen.add(value)
        if value == final:
            break
        assert all(v in ("checking…", f) for v, f in zip(value, final, strict=True)), value
        assert time.monotonic() < deadline, f"the checks did not finish: {seen}"
        page.wait_for_timeout(500)
    idle(page)
    expect(page.get_by_text(f"{entries:,} of {entries:,} entries")).to_be_visible()
    grid = page.get_by_test_id("stDataFrame")
    expect(grid.get_by_test_id("glide-cell-1-0")).to_have_text("1")
    expect(grid.get_by_test_id("glide-cell-10-0")).to_have_text("ok")  # the last column, status, is shown
    scroll, visible = _fits(page)
    assert 0 < scroll <= visible, f"the table scrolls sideways at 1280 px: {scroll} > {visible}"
    _shot(page, "dataset-2k-1280")
    page.set_viewport_size({"width": 1400, "height": 1600})
    idle(page)
    scroll, visible = _fits(page)
    assert 0 < scroll <= visible
    _shot(page, "dataset-2k-1400")

    go_to(page, "Statistics")
    expect(page.get_by_test_id("stMetricLabel").get_by_text("Billed tokens per epoch")).to_be_visible()
    assert _metric(page, "Examples") == f"{records:,}"
    assert _metric(page, "Billed tokens per epoch") == f"{counted['billed_tokens']:,}"
    assert _metric(page, "Trained tokens per epoch") == f"{counted['trained_tokens']:,}"
    assert _metric(page, f"Over the {counted['context']:,}-token limit") == f"{counted['over_limit']:,}"
    expect(page.get_by_text("2 lines are not examples", exact=False)).to_be_visible()  # blank lines do not count
    expect(page.get_by_text(f"lines {BROKEN_LINES[0]:,}, {BROKEN_LINES[2]:,}", exact=False)).to_be_visible()
    screenshot(page, "statistics-2k", height=1600)


# the broken lines' line numbers: each follows record i (line i + 1) and the broken lines before it
BROKEN_LINES = [i + 2 + k for k, i in enumerate(sorted(BROKEN))]
