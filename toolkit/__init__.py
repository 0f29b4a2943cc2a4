"""Tunesmith: author, lint and ship fine-tuning datasets.

>>> import toolkit
>>> result = toolkit.lint("train.jsonl", model="gpt-4.1-mini-2025-04-14")
>>> result.is_clean, result.errors
"""

from __future__ import annotations

__version__ = "0.1.0"
