"""The contract every registered rule keeps, driven by the registry (a new rule is checked without a new test).

- its metadata: a stable code (letter + 3 digits), a unique kebab-case name, a severity, a one-line message
  and docs (shown by `tunesmith rules CODE`), formats and providers the catalog knows;
- a record rule never raises and yields well-formed findings, whatever JSON types sit where it expects
  others, in every format and for every provider it declares (tests/rules_support.py's ODD_RECORDS).
"""

from __future__ import annotations

import re

import pytest
from rules_support import assert_survives_odd_values

from toolkit import catalog
from toolkit.diagnostics import Severity
from toolkit.rules import RULES, load_all
from toolkit.rules.registry import FORMATS

load_all()
KNOWN_PROVIDERS = set(catalog._raw()["providers"])


def test_the_registry_is_populated() -> None:
    assert len(RULES) >= 90
    assert {r.kind for r in RULES.values()} == {"record", "file", "cross", "reader"}


@pytest.mark.parametrize("code", sorted(RULES))
def test_metadata(code: str) -> None:
    rule = RULES[code]
    assert re.fullmatch(r"[A-Z]\d{3}", code) and rule.code == code
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name), rule.name
    assert isinstance(rule.severity, Severity)
    assert rule.message and "\n" not in rule.message and not rule.message.endswith(".")
    assert len(rule.docs) >= 40, "explain the rule in its docstring: what, why, what to do"
    assert rule.formats and set(rule.formats) <= set(FORMATS)
    assert set(rule.providers) <= KNOWN_PROVIDERS  # empty: every provider, those added as data included
    assert (rule.check is None) == (rule.kind == "reader")


@pytest.mark.parametrize("code", sorted(c for c, r in RULES.items() if r.kind == "record"))
def test_record_rule_survives_odd_values(code: str) -> None:
    assert_survives_odd_values(code)
