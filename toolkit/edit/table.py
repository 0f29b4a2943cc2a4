"""The dataset table: one row per entry, then search, filter, sort and paging on it (pandas).

Build the frame once per dataset version (:func:`frame`), then narrow it with :func:`view`
and show one :func:`page` at a time; 100k rows stay responsive because only a page is drawn.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .analysis import Analysis
from .dataset import Dataset
from .ops import get, message_lists

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = ("#", "line", "first user message", "turns", "tokens", "trained", "errors", "warnings", "rules", "status")
STATUSES = ("all", "errors", "warnings", "clean", "not a record")
SORTS = {"file order": "#", "tokens": "tokens", "trained tokens": "trained", "turns": "turns", "errors": "errors",
         "warnings": "warnings"}
PREVIEW = 120
_SURROGATE = re.compile("[\ud800-\udfff]")


def shown(text: str) -> str:
    """``text`` safe to display: lone surrogates (not valid Unicode) become U+FFFD."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text


def text_of(content: Any) -> str:
    """Message content as plain text (text parts joined; other parts named)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", f"[{p.get('type', 'part')}]") if isinstance(p, dict) else str(p)
                        for p in content)
    return "" if content is None else str(content)


def summary(value: dict[str, Any] | None) -> tuple[str, int]:
    """The first user message (shortened, on one line) and the number of messages of a record."""
    if value is None:
        return "", 0
    first, turns = "", 0
    for pointer in message_lists(value):
        msgs = get(value, pointer, [])
        turns += len(msgs)
        if not first:
            first = next((text_of(m.get("content")) for m in msgs if isinstance(m, dict) and m.get("role") == "user"),
                         "")
    first = " ".join(shown(first).split())
    return (first[:PREVIEW - 1] + "…" if len(first) > PREVIEW else first), turns


def frame(dataset: Dataset, analysis: Analysis) -> pd.DataFrame:
    """One row per entry of the current content (see :data:`COLUMNS`)."""
    import pandas as pd

    rows = []
    for index, (entry, line) in enumerate(zip(dataset.entries, dataset.start_lines(), strict=True)):
        facts = analysis.get(entry)
        first, turns = summary(entry.value)
        if entry.value is None:
            first = entry.text[:PREVIEW]
        rules = ",".join(sorted({d.rule for d in facts.diagnostics})) if facts else ""
        if facts is None:
            status = "…"
        elif entry.value is None:
            status = "not a record"
        else:
            status = "error" if facts.errors else "warning" if facts.warnings else "ok"
        rows.append((index + 1, line, first, turns, facts.tokens if facts else None,
                     facts.trained if facts else None, facts.errors if facts else None,
                     facts.warnings if facts else None, rules, status))
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    for col in ("tokens", "trained", "errors", "warnings"):
        df[col] = df[col].astype("Int64")
    return df


def matches(dataset: Dataset, text: str) -> list[bool]:
    """Which entries contain ``text`` (case-insensitive for ASCII letters), searched in their raw bytes."""
    needle = text.strip().lower().encode("utf-8")
    return [needle in e.raw.lower() for e in dataset.entries]


def view(df: pd.DataFrame, *, hits: list[bool] | None = None, status: str = "all", rule: str | None = None,
         sort: str = "file order", descending: bool = False) -> pd.DataFrame:
    """The rows that match the search hits, status and rule, sorted."""
    out = df
    if hits is not None:
        out = out[hits]
    if status == "errors":
        out = out[out["errors"].fillna(0) > 0]
    elif status == "warnings":
        out = out[out["warnings"].fillna(0) > 0]
    elif status == "clean":
        out = out[out["status"] == "ok"]
    elif status == "not a record":
        out = out[out["status"] == "not a record"]
    if rule:
        out = out[out["rules"].str.split(",").apply(lambda codes: rule in codes)]
    column = SORTS.get(sort, "#")
    return out.sort_values(column, ascending=not descending, kind="stable", na_position="last")


def page(df: pd.DataFrame, number: int, size: int) -> pd.DataFrame:
    """Rows of page ``number`` (1-based) of ``size`` rows."""
    start = max(0, (number - 1) * size)
    return df.iloc[start:start + size]


def pages(rows: int, size: int) -> int:
    return max(1, -(-rows // size))
