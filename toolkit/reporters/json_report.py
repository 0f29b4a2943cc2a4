"""One JSON document: ``{"files": [...], "summary": {...}}`` (the public contract).

``records``: the JSON objects lint read and checked; ``examples``: those that are examples as written (what
`tunesmith stats` counts); the difference needs a repair first (F012 pretty-printed, F030 not UTF-8).
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from ..results import LintResult


def as_dict(result: LintResult) -> dict[str, Any]:
    files = [{
        "path": f.path,
        "format": f.format,
        "role": f.role,
        "model": f.model,
        "records": f.records,
        "examples": f.example_count,
        "diagnostics": [d.to_dict() for d in f.diagnostics],
    } for f in result.files]
    return {
        "files": files,
        "summary": {
            "files": len(result.files),
            "records": sum(f.records for f in result.files),
            "examples": sum(f.example_count for f in result.files),
            "errors": result.errors,
            "warnings": result.warnings,
            "infos": result.infos,
            "provider": result.provider,
            "model": result.model,
            "method": result.method,
        },
    }


def report(result: LintResult, stream: TextIO) -> None:
    json.dump(as_dict(result), stream, ensure_ascii=False, indent=2)
    stream.write("\n")
