"""Patterns seen in public files that were flagged wrongly (issue 10): each with a built example."""

from __future__ import annotations

import json
from typing import Any

from toolkit.config import Settings
from toolkit.lint import Linter


def lint(records: list[Any], **settings: Any) -> list[Any]:
    data = "".join(json.dumps(r) + "\n" for r in records).encode()
    return Linter(Settings(**settings)).lint_bytes(data, name="data.jsonl").diagnostics


def test_endoftext_as_the_legacy_completion_terminator_is_not_flagged():
    rows = [{"prompt": f"Classify {i} ->", "completion": f" {i % 4}<|endoftext|>"} for i in range(12)]
    assert "F100" not in {d.rule for d in lint(rows)}


def test_special_tokens_in_chat_files_are_still_flagged():
    row = {"messages": [{"role": "user", "content": "fill <|fim_suffix|>"}, {"role": "assistant", "content": "ok"}]}
    assert [d.line for d in lint([row]) if d.rule == "F100"] == [1]
