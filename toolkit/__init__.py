"""Tunesmith: author, lint and ship fine-tuning datasets.

>>> import toolkit
>>> result = toolkit.lint("train.jsonl", model="gpt-4.1-mini-2025-04-14")
>>> result.is_clean, result.errors
"""

from __future__ import annotations

__version__ = "0.1.0"

from .config import Settings, load_settings
from .diagnostics import Diagnostic, Fix, Severity
from .engine import Linter, lint
from .errors import InputError, ToolkitError, UsageError
from .results import FileResult, LintResult

__all__ = [
    "Diagnostic",
    "FileResult",
    "Fix",
    "InputError",
    "LintResult",
    "Linter",
    "Settings",
    "Severity",
    "ToolkitError",
    "UsageError",
    "__version__",
    "lint",
    "load_settings",
]
