"""Legacy prompt/completion rules L010, L020, L030 through the real engine, the schema and the corpus;
odd values and the every-rule contract: tests/test_rule_contract.py."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from family_support import hits, lint, lint_path, messages, pair
from rules_support import corpus_file

from toolkit import schemas
from toolkit.rules import RULES

PAIRS = [pair(i) for i in range(10)]


@pytest.mark.parametrize(("record", "pointer", "says"), [
    ('{"prompt":"q","completion":4}', "/completion", '"completion" is a number'),  # Appendix A L-01
    ('{"prompt":null,"completion":"a"}', "/prompt", '"prompt" is null'),
    ('{"prompt":"q"}', None, 'no "completion"'),
    ('{"completion":["a"]}', None, 'no "prompt"'),
])
def test_l010_invalid_completion_record(record: str, pointer: str | None, says: str) -> None:
    result = lint([pair(0), record])
    assert (2, pointer) in hits(result, "L010")
    assert any(says in m for m in messages(result, "L010"))
    assert RULES["L010"].structural and not schemas.validator("completion").is_valid(json.loads(record))


def test_l010_passes_string_pairs_with_extra_keys() -> None:
    assert hits(lint(['{"prompt":"q","completion":" a","id":3}']), "L010") == []


def test_l020_completion_format_retired_on_both_providers() -> None:
    openai = lint(PAIRS)
    assert hits(openai, "L020") == [(None, None)]
    assert messages(openai, "L020") == [
        "prompt/completion files can no longer be trained on OpenAI (training on babbage-002 and davinci-002 "
        "ended on 2024-10-28): rewrite each pair as a chat example, {\"messages\": [{\"role\": \"user\", \"content\": "
        "PROMPT}, {\"role\": \"assistant\", \"content\": COMPLETION}]}"]  # it named `tunesmith convert`, which cannot
    assert "no Azure OpenAI / Microsoft Foundry model trains on them" in messages(lint(PAIRS, provider="azure"), "L020")[0]


def test_l020_follows_the_catalog_dates() -> None:
    before = lint(PAIRS, today=dt.date(2024, 10, 27))
    assert hits(before, "L020") == []
    assert hits(lint([json.dumps({"messages": [{"role": "user", "content": "q"}]})]), "L020") == []


def test_l020_leaves_shutdown_and_method_to_itself() -> None:
    for model in (None, "davinci-002", "gpt-4.1-mini"):
        result = lint(PAIRS, model=model)
        assert {d.rule for d in result.diagnostics} & {"M010", "M011", "M020"} == set(), model
        assert hits(result, "L020") == [(None, None)]


def test_l030_summarises_the_legacy_conventions_once() -> None:
    rows = ['{"prompt":"a","completion":"x."}', '{"prompt":"b ->","completion":" y"}']
    result = lint(rows)
    assert hits(result, "L030") == [(None, None)]
    text = messages(result, "L030")[0]
    assert "prompts share no fixed ending separator" in text
    assert "1 of 2 completions do not start with a space (first at line 1)" in text
    assert "completions share no fixed stop sequence" in text
    assert RULES["L030"].severity.value == "info"


def test_l030_quiet_when_the_conventions_are_followed() -> None:
    assert hits(lint(PAIRS), "L030") == []


def test_corpus_prompt_completion_file_gets_l020_and_l030() -> None:
    path = corpus_file("aoaisearchdemo_prompt_completion_train.jsonl")
    for provider in ("openai", "azure"):
        diags = lint_path(path, provider=provider)
        assert hits(diags, "L020") == [(None, None)]
        assert hits(diags, "L030") == [(None, None)]
        assert hits(diags, "L010") == []
        text = messages(diags, "L030")[0]
        assert "stop sequence" in text and "separator" not in text and "start with a space" not in text


