"""Counts in user-facing text read as words ("1 example", "2 examples"), never "example(s)"."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

from toolkit.plural import plural

TOOLKIT = Path(__file__).resolve().parent.parent / "toolkit"
# Not plurals: URL schemes, a unit, and the sandbox quoting the real server's own error text.
NOT_PLURALS = re.compile(r"http\(s\)|latency \(s\)")
SERVER_TEXT = {TOOLKIT / "sandbox" / "validate.py", TOOLKIT / "rules" / "file_rules.py"}


def test_plural() -> None:
    assert (plural(0, "example"), plural(1, "example"), plural(1_139, "example")) == (
        "0 examples", "1 example", "1,139 examples")
    assert plural(2, "line is", "lines are") == "2 lines are"


def _text(path: Path) -> list[tokenize.TokenInfo]:
    """The string literals of a module (the text parts of f-strings, not their expressions), docstrings included."""
    kinds = {tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}
    return [t for t in tokenize.generate_tokens(io.StringIO(path.read_text("utf-8")).readline) if t.type in kinds]


def test_no_maybe_plurals_in_the_toolkits_text() -> None:
    """split, convert, the importer, bulk edits, fixes and the Train page said "2 example(s)", "1 change(s)"."""
    found = [f"{path.relative_to(TOOLKIT)}:{t.start[0]}: {t.string}"
             for path in sorted(TOOLKIT.rglob("*.py")) if path not in SERVER_TEXT
             for t in _text(path) if re.search(r"[a-z]\(s\)", NOT_PLURALS.sub("", t.string))]
    assert found == []
