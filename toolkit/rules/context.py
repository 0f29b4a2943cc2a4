"""What rules see besides the record: the target (provider, model, method) and file facts."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..catalog import Model, Provider
from ..reader import FileFacts


@dataclass
class Context:
    """The target a file is linted for. ``model_explicit`` is False when the catalog default was used."""

    provider: Provider
    model: Model
    method: str
    file_format: str
    role: str = "train"
    model_explicit: bool = False
    method_explicit: bool = False
    grader: dict[str, Any] | None = None
    detected_format: str | None = None
    foreign: str | None = None  # the other trainer's format most records are in (formats.FOREIGN), if any
    today: dt.date = field(default_factory=dt.date.today)


@dataclass
class CompletionStyle:
    """The legacy prompt/completion conventions of a file (FORMAT_RULES L-03), gathered for L030."""

    records: int = 0
    prompt_suffix: str | None = None  # the longest ending (up to 32 characters) every prompt shares
    completion_suffix: str | None = None
    no_leading_space: int = 0  # completions that do not start with whitespace
    first_no_leading_space: int | None = None

    def add(self, value: dict[str, Any], line: int) -> None:
        """Take one record into account (records without string prompt and completion are skipped)."""
        prompt, completion = value.get("prompt"), value.get("completion")
        if not isinstance(prompt, str) or not isinstance(completion, str):
            return
        self.records += 1
        self.prompt_suffix = _shared_suffix(self.prompt_suffix, prompt)
        self.completion_suffix = _shared_suffix(self.completion_suffix, completion)
        if not completion[:1].isspace():
            self.no_leading_space += 1
            self.first_no_leading_space = self.first_no_leading_space or line


def _shared_suffix(suffix: str | None, text: str) -> str:
    if suffix is None:
        return text[-32:]
    while suffix and not text.endswith(suffix):
        suffix = suffix[1:]
    return suffix


@dataclass
class FileSummary:
    """Facts gathered while streaming one file, for the file-level and cross-file rules."""

    path: str
    role: str
    format: str
    facts: FileFacts
    records: int = 0
    formats: Counter[str] = field(default_factory=Counter)
    first_line: dict[str, int] = field(default_factory=dict)
    image_examples: int = 0
    first_image_line: int | None = None
    completion: CompletionStyle = field(default_factory=CompletionStyle)
    digests: dict[bytes, int] = field(default_factory=dict)
    duplicates: list[tuple[int, int]] = field(default_factory=list)
    item_keys_missing: dict[str, list[int]] = field(default_factory=dict)
    collected: dict[str, Any] = field(default_factory=dict)  # registry.COLLECTORS' objects, by name
