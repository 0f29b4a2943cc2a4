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
class FileSummary:
    """Facts gathered while streaming one file, for the file-level and cross-file rules."""

    path: str
    role: str
    format: str
    facts: FileFacts
    records: int = 0  # the JSON objects read (each checked by the record rules)
    examples: int = 0  # the records that are examples as written (reader.example_of): what the provider counts
    arrays: int = 0  # JSON arrays where records were expected, reported (F011 or F092: not turned off)
    formats: Counter[str] = field(default_factory=Counter)
    first_line: dict[str, int] = field(default_factory=dict)
    digests: dict[bytes, int] = field(default_factory=dict)
    duplicates: list[tuple[int, int]] = field(default_factory=list)
    collected: dict[str, Any] = field(default_factory=dict)  # registry.COLLECTORS' objects, by name
    named: bool = True  # False for data without a file name of its own (a pipe, /dev/stdin): reader.has_file_name
