"""Model rules M010, M011, M020, M030 through the real engine, with pinned dates."""

from __future__ import annotations

import datetime as dt

import pytest
from family_support import assert_findings_sane, chat, context, dpo, hits, lint, messages, rft, summary

from toolkit.rules import RULES

TEN = [chat(i) for i in range(10)]
BEFORE = dt.date(2026, 10, 22)
AFTER = dt.date(2026, 10, 23)


def test_m010_explicit_model_shut_down() -> None:
    result = lint(TEN, model="gpt-3.5-turbo-0125", today=AFTER)
    assert hits(result, "M010") == [(None, None)]
    assert messages(result, "M010") == [
        "gpt-3.5-turbo-0125 was shut down for fine-tuning on 2026-10-23 per the OpenAI deprecations page "
        "(https://developers.openai.com/api/docs/deprecations); new jobs on it fail: "
        "use gpt-4.1-mini-2025-04-14 instead"]
    assert hits(lint(TEN, model="gpt-3.5-turbo-0125", today=BEFORE), "M010") == []
    assert hits(lint(TEN, model="gpt-4.1-mini-2025-04-14", today=AFTER), "M010") == []


def test_m010_fine_tuned_model_and_alias() -> None:
    ft = lint(TEN, model="ft:gpt-4.1-nano-2025-04-14:acme::abc123", today=AFTER)
    assert hits(ft, "M010") == [(None, None)]
    assert "(a fine-tune of gpt-4.1-nano-2025-04-14)" in messages(ft, "M010")[0]
    assert hits(lint(TEN, model="gpt-3.5-turbo", today=AFTER), "M010") == [(None, None)]


def test_m011_default_model_shut_down() -> None:
    rows = [rft(i) for i in range(10)]
    result = lint(rows, today=AFTER)  # RFT on OpenAI: the default is o4-mini
    assert hits(result, "M011") == [(None, None)]
    assert "no --model given, and the default model o4-mini-2025-04-16" in messages(result, "M011")[0]
    assert "--model" in messages(result, "M011")[0].split(";")[-1]
    assert hits(result, "M010") == []
    assert hits(lint(rows, today=BEFORE), "M011") == []
    assert hits(lint(rows, provider="azure", today=AFTER), "M011") == []
    assert hits(lint(TEN, today=AFTER), "M011") == []
    assert RULES["M011"].severity.value == "warning"


def test_m020_method_not_supported_by_model() -> None:
    result = lint([dpo(i) for i in range(10)], model="gpt-4o-mini-2024-07-18")
    assert hits(result, "M020") == [(None, None)]
    assert messages(result, "M020") == [
        "gpt-4o-mini-2024-07-18 cannot be trained with the dpo method on OpenAI; models that can: "
        "gpt-4.1-2025-04-14, gpt-4.1-mini-2025-04-14, gpt-4.1-nano-2025-04-14, gpt-4o-2024-08-06"]
    assert hits(lint(TEN, model="o4-mini", method="supervised", today=BEFORE), "M020") == [(None, None)]
    assert hits(lint([dpo(i) for i in range(10)], model="gpt-4.1"), "M020") == []
    assert hits(lint([rft(i) for i in range(10)], provider="azure"), "M020") == []


def test_m030_unknown_model() -> None:
    result = lint(TEN, model="gpt-9-turbo")
    assert hits(result, "M030") == [(None, None)]
    assert "gpt-9-turbo is not in Tunesmith's OpenAI catalog; the limits of gpt-4.1-mini-2025-04-14 " \
           "(65,536-token context) are used" in messages(result, "M030")[0]
    assert hits(lint(TEN, model="gpt-4o"), "M030") == []
    assert hits(lint(TEN, provider="azure", model="gpt-4o-mini-2024-07-18.ft-0123abcd"), "M030") == []


@pytest.mark.parametrize("code", ["M010", "M011", "M020", "M030"])
@pytest.mark.parametrize("model", [None, "gpt-9", "o4-mini", "davinci-002", "ft:gpt-3.5-turbo-0613:a::b"])
def test_model_rules_never_raise(code: str, model: str | None) -> None:
    for fmt in ("chat", "preference", "reinforcement", "completion"):
        for provider in ("openai", "azure"):
            ctx = context(fmt, provider, model=model)
            assert_findings_sane(list(RULES[code].checker(summary(fmt), ctx)))
