"""The README's rule table is generated from the registry and must stay current."""

from __future__ import annotations

from pathlib import Path

from toolkit.rules.readme import render

README = Path(__file__).resolve().parents[1] / "README.md"


def test_rule_table_is_current() -> None:
    text = README.read_text("utf-8")
    assert render(text) == text, "README rule table is stale: run scripts/update-readme-rules"


def test_readme_names_both_setup_commands() -> None:
    text = README.read_text("utf-8")
    assert "scripts/test" in text and 'pip install ".[app]"' in text
