"""Helpers for the file, image, preference, RFT, grader, legacy and model rule tests (real engine)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from toolkit import catalog
from toolkit.config import Settings
from toolkit.engine import Linter
from toolkit.reader import FileFacts, Record
from toolkit.results import FileResult
from toolkit.rules import RULES, load_all
from toolkit.rules.context import Context, FileSummary
from toolkit.rules.registry import Finding

TODAY = dt.date(2026, 11, 26)


def chat(i: int = 0, answer: str = "yo") -> str:
    """A clean chat record; ``i`` makes it unique (so files of many records hold no duplicates)."""
    return json.dumps({"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": f"q{i}"},
                                    {"role": "assistant", "content": answer}]})


def rft(i: int = 0) -> str:
    return json.dumps({"messages": [{"role": "developer", "content": "d"}, {"role": "user", "content": f"q{i}"}],
                       "answer": str(i)})


def dpo(i: int = 0) -> str:
    return json.dumps({"input": {"messages": [{"role": "user", "content": f"q{i}"}]},
                       "preferred_output": [{"role": "assistant", "content": "good"}],
                       "non_preferred_output": [{"role": "assistant", "content": "bad"}]})


def pair(i: int = 0) -> str:
    return json.dumps({"prompt": f"q{i} ->", "completion": " yes\n"})


def settings(provider: str = "openai", model: str | None = None, method: str | None = None) -> Settings:
    return Settings(provider=provider, model=model, method=method)


def lint(records: list[str] | bytes, *, role: str = "train", grader: dict[str, Any] | None = None,
         today: dt.date = TODAY, name: str = "<memory>", **target: Any) -> FileResult:
    """Lint lines (or raw bytes) in memory through the real engine."""
    data = records if isinstance(records, bytes) else "".join(r + "\n" for r in records).encode()
    return Linter(settings(**target), grader=grader, today=today).lint_bytes(data, name=name, role=role)


def lint_path(path: Path, *, validation: Path | None = None, grader: dict[str, Any] | None = None,
              today: dt.date = TODAY, **target: Any) -> list[Any]:
    """Diagnostics of a file on disk (with its validation file: the cross-file rules run)."""
    return Linter(settings(**target), grader=grader, today=today).lint(path, validation=validation).diagnostics


def hits(result: FileResult | list[Any], code: str) -> list[tuple[int | None, str | None]]:
    """(line, pointer) of every diagnostic of rule ``code``."""
    diags = result.diagnostics if isinstance(result, FileResult) else result
    return [(d.line, d.pointer) for d in diags if d.rule == code]


def messages(result: FileResult | list[Any], code: str) -> list[str]:
    diags = result.diagnostics if isinstance(result, FileResult) else result
    return [d.message for d in diags if d.rule == code]


def context(fmt: str = "chat", provider: str = "openai", *, grader: Any = None, role: str = "train",
            method: str | None = None, model: str | None = None) -> Context:
    methods = {"chat": "supervised", "preference": "dpo", "reinforcement": "reinforcement",
               "completion": "completion"}
    return Context(provider=catalog.provider(provider), model=catalog.resolve(provider, model),
                   method=method or methods[fmt], file_format=fmt, role=role, grader=grader, today=TODAY)


def run_record_rule(code: str, value: Any, ctx: Context) -> list[Finding]:
    """Call a record rule directly on any JSON value (the engine only passes objects, rules must not care)."""
    raw = json.dumps(value).encode()
    return list(RULES[code].checker(Record(line=1, value=value, raw=raw), ctx))


def summary(fmt: str = "chat", role: str = "train", **fields: Any) -> FileSummary:
    facts = FileFacts(**{k: fields.pop(k) for k in list(fields) if k in FileFacts.__dataclass_fields__})
    return FileSummary(path=fields.pop("path", "train.jsonl"), role=role, format=fmt, facts=facts, **fields)


def codes_of(module: str) -> list[str]:
    load_all()
    return sorted(c for c, r in RULES.items() if r.check is not None and r.check.__module__ == module)


def assert_findings_sane(findings: list[Finding]) -> None:
    for f in findings:
        assert isinstance(f, Finding) and f.message
        assert f.pointer is None or f.pointer.startswith("/")
