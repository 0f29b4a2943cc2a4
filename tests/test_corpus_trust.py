"""The public corpus linted as its authors meant it: no false errors, and the right advice (issue 10)."""

from __future__ import annotations

from typing import Any

import pytest
from rules_support import corpus_file

from toolkit.config import Settings
from toolkit.engine import Linter

COUNTDOWN_GRADER = {"type": "score_model", "name": "countdown", "model": "o3-mini", "range": [0, 1],
                    "input": [{"role": "user", "content": "Target {{item.target}} from {{item.nums}}: "
                                                          "{{sample.output_text}}. Score 0 to 1."}]}
# (file, settings, grader, the only errors allowed)
CASES: list[tuple[str, dict[str, Any], Any, set[str]]] = [
    ("foundry_rft_countdown_train_25.jsonl", {"provider": "azure", "model": "o4-mini", "method": "reinforcement"},
     COUNTDOWN_GRADER, {"F111"}),  # F111: RFT needs a validation file too (true)
    ("foundry_agentic_rft_train_tool.jsonl", {"provider": "azure", "model": "o4-mini", "method": "reinforcement"},
     None, {"F111"}),
    ("foundry_chartqa_vision_validation.jsonl", {"provider": "azure", "model": "gpt-4o-2024-08-06"}, None, set()),
    ("foundry_orca_dpo_validation.jsonl", {"provider": "azure", "model": "gpt-4.1-2025-04-14"}, None, set()),
    ("foundry_stock_toolcall_validation.jsonl", {"provider": "azure"}, None, set()),
    ("foundry_gsm8k_chat_validation.jsonl", {"provider": "azure"}, None, set()),
    ("azureai_stock_train_hallucination_functions.jsonl", {"provider": "azure"}, None, set()),
    ("cookbook_drone_training.jsonl", {"model": "gpt-4o-mini-2024-07-18"}, None, set()),
    ("aoaisearchdemo_prompt_completion_train.jsonl", {}, None, {"L020"}),  # retired format (true)
]


@pytest.mark.parametrize(("name", "settings", "grader", "allowed"), CASES, ids=[c[0] for c in CASES])
def test_public_files_get_no_false_errors(name, settings, grader, allowed):
    result = Linter(Settings(**settings), grader=grader).lint_file(corpus_file(name))[0]
    errors = {d.rule for d in result.diagnostics if d.severity.value == "error"}
    assert errors <= allowed, [(d.rule, d.line, d.message) for d in result.diagnostics if d.rule in errors - allowed]
    assert "F100" not in {d.rule for d in result.diagnostics}


def test_the_llamafactory_file_gets_one_format_finding_not_per_line_advice():
    result = Linter(Settings()).lint_file(corpus_file("llamafactory_v1_multimodal_demo.jsonl"))[0]
    rules = [d.rule for d in result.diagnostics if d.severity.value == "error"]
    assert rules == ["F092"]
    assert "tunesmith convert --from trl-messages" in next(d.message for d in result.diagnostics if d.rule == "F092")
