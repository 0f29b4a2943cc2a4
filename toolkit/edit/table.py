"""The dataset table: one row per entry, then search, filter, sort and paging on it (pandas).

Build the frame once per dataset version (:func:`frame`), then narrow it with :func:`view`
and show one :func:`page` at a time; 100k rows stay responsive because only a page is drawn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .analysis import Analysis
from .dataset import Dataset

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = ("#", "line", "first user message", "turns", "tokens", "trained", "errors", "warnings", "rules", "status")
STATUSES = ("all", "errors", "warnings", "clean", "not a record")
SORTS = {"file order": "#", "tokens": "tokens", "trained tokens": "trained", "turns": "turns", "errors": "errors",
         "warnings": "warnings"}


def frame(dataset: Dataset, analysis: Analysis) -> pd.DataFrame:
    """One row per entry of the current content (see :data:`COLUMNS`)."""
    import pandas as pd

    rows = []
    for index, (entry, line) in enumerate(zip(dataset.entries, dataset.start_lines(), strict=True)):
        facts = analysis.get(entry)
        first, turns = entry.head
        rules = ",".join(sorted({d.rule for d in facts.diagnostics})) if facts else ""
        if facts is None:
            status = "…"
        elif not entry.is_record:
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


NUMBERS = ("tokens", "trained", "errors", "warnings")


def display(df: pd.DataFrame) -> pd.DataFrame:
    """Rows as shown: numbers with thousands separators; no bare "None" that could pass for a clean result.

    A line that is not a record has "—" (its status says "not a record"); an entry still being checked
    shows "checking…".
    """
    import pandas as pd

    out = df.copy()
    for col in NUMBERS:
        out[col] = [f"{v:,}" if not pd.isna(v) else
                    ("checking…" if status == "…" else "—")
                    for v, status in zip(df[col].astype(object), df["status"], strict=True)]
    out["line"] = [f"{v:,}" for v in df["line"]]
    out["turns"] = [f"{v:,}" if status != "not a record" else "—" for v, status in zip(df["turns"], df["status"],
                                                                                        strict=True)]
    out["status"] = ["checking…" if s == "…" else s for s in df["status"]]
    return out


WIDTHS = {"#": 40, "line": 52, "first user message": 230, "turns": 48, "tokens": 62, "trained": 62, "errors": 50,
          "warnings": 66, "rules": 78, "status": 92}  # pixels: with the row picker, 780 fit the 820 of a 1280 screen
REVIEW_WIDTH = 80  # the review column, when shown, takes its width from the first user message


def widths(columns: list[str]) -> dict[str, int]:
    """Pixel widths of the shown columns, so that all of them fit a 1280-pixel-wide window (no sideways scroll)."""
    out = {c: WIDTHS[c] for c in columns if c in WIDTHS}
    extra = [c for c in columns if c not in WIDTHS]
    for c in extra:
        out[c] = REVIEW_WIDTH
    out["first user message"] = WIDTHS["first user message"] - REVIEW_WIDTH * len(extra)
    return out


def pages(rows: int, size: int) -> int:
    return max(1, -(-rows // size))
