"""Golden outputs: `--format json` of every sample stays exactly the same while the engine changes.

The engine is refactored and optimized for speed; its findings must not move. Each sample's JSON
report (date pinned) is compared with tests/golden/<name>.json. After an intended change of
findings, rewrite them with ``TUNESMITH_UPDATE_GOLDEN=1 pytest tests/test_golden.py`` and review the diff.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pytest

from toolkit.config import Settings
from toolkit.engine import Linter
from toolkit.reporters.json_report import as_dict
from toolkit.results import LintResult

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
GOLDEN = Path(__file__).resolve().parent / "golden"
TODAY = dt.date(2026, 6, 1)  # pinned: the default model's shutdown date must not change these results
CASES = {**{p.stem: (p.name, None) for p in sorted(SAMPLES.glob("*.jsonl"))},
         "elle_single_turn+validation": ("elle_single_turn.jsonl", "elle_validation.jsonl")}


def _report(result: LintResult) -> dict[str, Any]:
    doc = as_dict(result)
    for f in doc["files"]:
        f["path"] = Path(f["path"]).name  # the same wherever the repository is
    return doc


@pytest.mark.parametrize("case", sorted(CASES))
def test_sample_report_matches_its_golden_file(case: str) -> None:
    train, validation = CASES[case]
    linter = Linter(Settings(), today=TODAY)
    result = linter.lint(SAMPLES / train, validation=None if validation is None else SAMPLES / validation)
    got = _report(result)
    golden = GOLDEN / f"{case}.json"
    if os.environ.get("TUNESMITH_UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(json.dumps(got, ensure_ascii=False, indent=2) + "\n", "utf-8")
    assert got == json.loads(golden.read_text("utf-8"))


def test_the_broken_sample_golden_file_is_not_empty() -> None:
    """A golden file written from a broken engine would pass forever: the broken sample must have findings."""
    doc = json.loads((GOLDEN / "elle_broken.json").read_text("utf-8"))
    assert doc["summary"]["errors"] > 20 and len(doc["files"][0]["diagnostics"]) > 40
