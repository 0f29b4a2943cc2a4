"""A provider added only as data (a table in catalog.toml) keeps every rule (issue 12)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from toolkit import catalog
from toolkit.config import Settings
from toolkit.engine import Linter
from toolkit.rules import RULES, load_all

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "elle_broken.jsonl"


@pytest.fixture
def with_copies(monkeypatch):
    """The catalog plus "contoso" (a copy of azure's table) and "bare" (openai's, without a validator)."""
    raw = copy.deepcopy(catalog._raw())
    raw["providers"]["contoso"] = copy.deepcopy(raw["providers"]["azure"])
    bare = copy.deepcopy(raw["providers"]["openai"])
    del bare["validator"]
    raw["providers"]["bare"] = bare
    monkeypatch.setattr(catalog, "_raw", lambda: raw)
    catalog.provider.cache_clear()
    yield
    catalog.provider.cache_clear()


def _lint(provider: str) -> list[tuple[object, ...]]:
    result = Linter(Settings(provider=provider)).lint(SAMPLE)
    return [(d.line, d.pointer, d.rule, d.severity, d.message) for d in result.diagnostics]


def test_a_provider_copied_as_data_lints_exactly_like_its_original(with_copies):
    azure = _lint("azure")
    assert len(azure) > 40 and "F010" in {rule for _, _, rule, _, _ in azure}
    assert _lint("contoso") == azure


def test_a_provider_without_a_validator_gets_every_rule_but_the_provider_specific_ones(with_copies):
    load_all()
    specific = {code for code, rule in RULES.items() if rule.providers}
    openai = [d for d in _lint("openai") if d[2] not in specific]
    assert _lint("bare") == openai


def test_the_cli_offers_every_provider_of_the_catalog():
    assert catalog.PROVIDERS == catalog.provider_names()
    assert {"openai", "azure"} <= set(catalog.PROVIDERS)
