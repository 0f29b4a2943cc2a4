"""Shared pytest set-up: fixture plugins, and one summary line per reason why tests were skipped.

Tests skip only for what a checkout may lack (never under CI=true, where they fail instead):
``../shared`` (the public corpus and the OpenAI spec), Prism (npm) and Chromium (apt). The summary
says how many tests each one cost and how to get it, so a green run never hides what it left out.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile

import pytest

pytest_plugins = ["fixtures_openai"]
CONFIG_HOME = pytest.StashKey[str]()

# (pattern in the skip reason, what is missing, how to get it)
NEEDS = [
    (re.compile(r"shared"), "../shared (the public corpus and the OpenAI spec)",
     "put a copy of the shared/ reference folder beside the repository"),
    (re.compile(r"\bPrism\b"), "Prism (Node 20 + npm)", "install Node.js 20 and npm, then run scripts/install-prism"),
    (re.compile(r"\bChromium\b"), "Chromium", "run scripts/install-browser as root (apt-get install chromium)"),
]


def pytest_configure(config: pytest.Config) -> None:
    """Programs the tests start write their per-user files (Chromium's crash reports, ~/.config/...) into a
    folder of this run, removed at its end, rather than into the developer's $HOME."""
    config_home = tempfile.mkdtemp(prefix="tunesmith-tests-config-")
    config.stash[CONFIG_HOME] = config_home
    os.environ["XDG_CONFIG_HOME"] = config_home


def pytest_unconfigure(config: pytest.Config) -> None:
    if CONFIG_HOME in config.stash:
        shutil.rmtree(config.stash[CONFIG_HOME], ignore_errors=True)


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
