"""Lint rules, one small function each, registered by code (see :mod:`.registry`)."""

from __future__ import annotations

import importlib

from .registry import RULES, Finding, Rule, iter_rules

__all__ = ["RULES", "Finding", "Rule", "iter_rules", "load_all"]

# Modules that register rules when imported; each holds one family of rules.
RULE_MODULES = (
    "toolkit.rules.parsing",
    "toolkit.rules.chat_structure",
    "toolkit.rules.chat_content",
    "toolkit.rules.tool_calls",
    "toolkit.rules.tool_definitions",
    "toolkit.rules.file_rules",
    "toolkit.rules.cross_file",
    "toolkit.rules.tokens_rule",
    "toolkit.rules.images",
    "toolkit.rules.preference",
    "toolkit.rules.reinforcement",
    "toolkit.rules.grader",
    "toolkit.rules.completion",
    "toolkit.rules.model",
    "toolkit.rules.duplicates",
    "toolkit.rules.sensitive_data",
)
_loaded = False


def load_all() -> dict[str, Rule]:
    """Import every rule module once and return the registry."""
    global _loaded
    if not _loaded:
        for name in RULE_MODULES:
            importlib.import_module(name)
        _loaded = True
    return RULES
