"""The single shape every finding takes, from the reader to every reporter."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Severity(str, enum.Enum):
    """How bad a finding is. ``error`` means the provider rejects the file or job."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.ERROR: 2, Severity.WARNING: 1, Severity.INFO: 0}


@dataclass(frozen=True)
class Fix:
    """A mechanical repair for a finding; ``safe`` fixes never change content text."""

    description: str
    safe: bool = True


@dataclass(frozen=True)
class Diagnostic:
    """One finding at ``path:line:column``, inside the record at JSON ``pointer``.

    ``line`` is None for findings about the whole file; ``pointer`` is None when the
    finding is not about one value inside a record.
    """

    path: str
    line: int | None
    column: int | None
    pointer: str | None
    rule: str
    name: str
    severity: Severity
    message: str
    end_line: int | None = None
    fix: Fix | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the public contract (``--format json``)."""
        out: dict[str, Any] = {
            "line": self.line,
            "column": self.column,
            "pointer": self.pointer,
            "rule": self.rule,
            "name": self.name,
            "severity": self.severity.value,
            "message": self.message,
        }
        if self.end_line is not None and self.end_line != self.line:
            out["end_line"] = self.end_line
        if self.fix is not None:
            out["fix"] = {"description": self.fix.description, "applicability": "safe" if self.fix.safe else "unsafe"}
        return out

    def sort_key(self) -> tuple[int, int, str, str]:
        return (self.line or 0, self.column or 0, self.rule, self.pointer or "")
