"""SARIF 2.1.0 for code scanning, with every rule's metadata in ``tool.driver.rules``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

from .. import __version__
from ..diagnostics import Severity
from ..results import LintResult
from ..rules import RULES, load_all
from ..rules.docs import help_text

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
RULES_URL = "https://github.com/tunesmith/tunesmith/blob/main/README.md"


def _uri(path: str) -> str:
    """The file as a URI reference (RFC 3986): relative to the current folder when it is inside it, percent-encoded
    (a space, ``%``, ``:`` or a non-ASCII letter in a name would make an invalid URI that code scanning rejects)."""
    p = Path(path)
    if p.is_absolute():
        try:
            p = p.relative_to(Path.cwd())
        except ValueError:
            return p.as_uri()
    return quote(os.fsencode(p.as_posix()), safe="/")  # the name's bytes: one that is not UTF-8 too


def as_dict(result: LintResult) -> dict[str, Any]:
    load_all()
    codes = sorted(RULES)
    index = {c: i for i, c in enumerate(codes)}
    rules = [{
        "id": c,
        "name": RULES[c].name,
        "shortDescription": {"text": RULES[c].message},
        "fullDescription": {"text": RULES[c].docs or RULES[c].message},
        "help": {"text": help_text(RULES[c])},
        "helpUri": f"{RULES_URL}#{c.lower()}",
        "defaultConfiguration": {"level": _LEVEL[RULES[c].severity]},
        "properties": {"name": RULES[c].name, "source": RULES[c].source},
    } for c in codes]
    results = []
    for d in result.diagnostics:
        region: dict[str, Any] = {}
        if d.line is not None:
            region["startLine"] = d.line
            if d.column is not None:
                region["startColumn"] = d.column
            if d.end_line is not None and d.end_line != d.line:
                region["endLine"] = d.end_line
        location: dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": _uri(d.path)}}}
        if region:
            location["physicalLocation"]["region"] = region
        if d.pointer:
            location["logicalLocations"] = [{"fullyQualifiedName": d.pointer, "kind": "member"}]
        results.append({
            "ruleId": d.rule,
            "ruleIndex": index[d.rule],
            "level": _LEVEL[d.severity],
            "message": {"text": d.message + (f" (at {d.pointer})" if d.pointer else "")},
            "locations": [location],
        })
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "tunesmith", "version": __version__,
                                "informationUri": "https://github.com/tunesmith/tunesmith", "rules": rules}},
            "columnKind": "unicodeCodePoints",  # lint's columns count characters, not SARIF's default UTF-16 units
            "results": results,
        }],
    }


def report(result: LintResult, stream: TextIO) -> None:
    json.dump(as_dict(result), stream, ensure_ascii=False, indent=2)
    stream.write("\n")
