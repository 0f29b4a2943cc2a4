"""Shared pytest set-up: fixture plugins, and one summary line per reason why tests were skipped.

Tests skip only for what a checkout may lack (never under CI=true, where they fail instead):
``../shared`` (the public corpus and the OpenAI spec), Prism (npm), Chromium (apt) and the pre-commit hook's
wheelhouse (pip, for the offline hook install). The summary
says how many tests each one cost and how to get it, so a green run never hides what it left out.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile

import pytest
from hypothesis import settings

pytest_plugins = ["fixtures_openai"]
RUN_TMP = "TUNESMITH_TEST_TMP"
OWN_RUN_TMP = pytest.StashKey[str]()
EXIT_STATUS = pytest.StashKey[int]()

# Hypothesis examples per property, one number for every run (scripts/test, CI, a plain pytest): a test states
# max_examples only when it needs fewer (each example starts processes or draws slowly). `pytest
# --hypothesis-profile=deep` draws ten times more, to hunt for rare inputs before a release.
settings.register_profile("ci", max_examples=50)
settings.register_profile("deep", max_examples=500)
settings.load_profile("ci")

# (pattern in the skip reason, what is missing, how to get it)
NEEDS = [
    (re.compile(r"shared"), "../shared (the public corpus and the OpenAI spec)",
     "put a copy of the shared/ reference folder beside the repository"),
    (re.compile(r"\bPrism\b"), "Prism (Node 20 + npm)", "install Node.js 20 and npm, then run scripts/install-prism"),
    (re.compile(r"\bChromium\b"), "Chromium", "run scripts/install-browser as root (apt-get install chromium)"),
    (re.compile(r"\bwheelhouse\b"), "the pre-commit hook's wheelhouse (.tools/hook-wheels)",
     "run scripts/install-hook-wheels (downloads the hook's requirements with pip)"),
]


def pytest_configure(config: pytest.Config) -> None:
    """Everything the run and the programs it starts write outside the repository goes into one folder of this
    run, removed at its end: the temporary folder (pytest's tmp_path, Chromium's profiles, pre-commit's and
    Streamlit's files), and the per-user folders (~/.config: Chromium's crash reports; ~/.cache: dconf,
    Hugging Face) instead of the developer's $HOME. pip keeps its own cache (PIP_CACHE_DIR: installs stay warm).
    xdist's workers inherit the folder from the run that made it; that run removes it (kept when tests failed)."""
    run = os.environ.get(RUN_TMP)
    if run is None:
        original_cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        os.environ.setdefault("PIP_CACHE_DIR", os.path.join(original_cache, "pip"))
        run = tempfile.mkdtemp(prefix="tunesmith-tests-")
        os.environ[RUN_TMP] = run
        config.stash[OWN_RUN_TMP] = run
    for name, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_CACHE_HOME", "cache"), ("HF_HOME", "huggingface"),
                      ("TMPDIR", "tmp")):
        os.environ[name] = os.path.join(run, sub)
        os.makedirs(os.environ[name], exist_ok=True)
    tempfile.tempdir = os.environ["TMPDIR"]  # this process too (gettempdir() caches its first answer)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config.stash[EXIT_STATUS] = int(exitstatus)


def pytest_unconfigure(config: pytest.Config) -> None:
    run = config.stash.get(OWN_RUN_TMP, None)
    if run is None:
        return
    if config.stash.get(EXIT_STATUS, 0) in (0, 5):  # passed (or nothing collected): nothing left behind
        shutil.rmtree(run, ignore_errors=True)
    else:
        print(f"tests failed: their temporary files are kept in {run} (remove it when done)", file=sys.stderr)


def skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    counts: dict[str, int] = {}
    other = 0
    for report in terminalreporter.stats.get("skipped", []):
        reason = skip_reason(report)
        for pattern, what, _ in NEEDS:
            if pattern.search(reason):
                counts[what] = counts.get(what, 0) + 1
                break
        else:
            other += 1
    if not counts:
        return
    terminalreporter.section("what was skipped")
    for _, what, how in NEEDS:
        if what in counts:
            n = counts[what]
            terminalreporter.write_line(f"{n} test{'s' if n != 1 else ''} need{'s' if n == 1 else ''} {what}: {how}")
    if other:
        terminalreporter.write_line(f"{other} other skipped test{'s' if other != 1 else ''} (see the short summary)")
