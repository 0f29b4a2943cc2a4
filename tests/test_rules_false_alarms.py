"""Patterns seen in public files that were flagged wrongly (issue 10): each with a built example."""

from __future__ import annotations

import json
from typing import Any

from toolkit.config import Settings
from toolkit.engine import Linter


def lint(records: list[Any], **settings: Any) -> list[Any]:
    data = "".join(json.dumps(r) + "\n" for r in records).encode()
    return Linter(Settings(**settings)).lint_bytes(data, name="data.jsonl").diagnostics


def test_endoftext_as_the_legacy_completion_terminator_is_not_flagged():
    rows = [{"prompt": f"Classify {i} ->", "completion": f" {i % 4}<|endoftext|>"} for i in range(12)]
    assert "F100" not in {d.rule for d in lint(rows)}


def test_special_tokens_in_chat_files_are_still_flagged():
    row = {"messages": [{"role": "user", "content": "fill <|fim_suffix|>"}, {"role": "assistant", "content": "ok"}]}
    assert [d.line for d in lint([row]) if d.rule == "F100"] == [1]


def test_every_rule_states_its_evidence_and_cites_only_public_sources():
    from pathlib import Path

    from toolkit.rules import RULES, load_all
    from toolkit.rules.docs import explain
    from toolkit.rules.evidence import MEANING

    load_all()
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
    for code, rule in RULES.items():
        text = explain(rule)
        assert rule.grounds.kind in MEANING, code
        assert "Evidence: " + rule.grounds.kind in text, code
        for private in ("FORMAT_RULES", "shared/", "real_error_messages", "(observed E-", "DOC-", "AZ-REST"):
            assert private not in text, (code, private)
        assert all(url.startswith("https://") for url in rule.grounds.sources), code
        if rule.grounds.kind != "inferred":
            assert rule.grounds.sources, f"{code} is {rule.grounds.kind} but cites nothing"
        assert f'<a id="{code.lower()}"></a>{code}' in readme, f"SARIF helpUri #{code.lower()} has no README anchor"


def test_a_dpo_pair_whose_answers_each_fit_is_not_too_long():
    long = "word " * 40000  # about 40k tokens per answer: each side fits 65,536, both together do not
    row = {"input": {"messages": [{"role": "user", "content": "q"}]},
           "preferred_output": [{"role": "assistant", "content": long}],
           "non_preferred_output": [{"role": "assistant", "content": long + "worse"}]}
    assert "C200" not in {d.rule for d in lint([row])}
