"""Tables (csv, tsv, xlsx, parquet) to chat or DPO records, one row each, through pandas.

Columns map to record fields: ``system``, ``user``, ``assistant`` for chat examples, or
``system``, ``user``, ``preferred``, ``non_preferred`` for preference (DPO) examples. Several
columns mapped to one field are joined with a blank line, in the order given. Without a
mapping, columns named like a field (or ``prompt``/``question``/``instruction`` -> user,
``response``/``answer``/``completion``/``output`` -> assistant, ``chosen``/``rejected``) are
used. Cells are read as text exactly as written (``NA`` stays ``NA``); an XLSX cell as the sheet shows it
(a date ``2024-03-01``, a boolean ``TRUE``: :func:`_as_in_sheet`). Rows are numbered as a
spreadsheet shows them: the header is row 1. CSV and TSV files are read as UTF-8 unless an encoding
is given (:mod:`toolkit.text_encoding`: a file that is not UTF-8 stops with its line and column).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import InputError, UsageError, os_problem
from ..text_encoding import decode_text

if TYPE_CHECKING:
    import pandas as pd

FORMATS = ("csv", "tsv", "xlsx", "parquet")
TEXT_FORMATS = ("csv", "tsv")  # the others carry their own encoding
FIELDS = ("system", "user", "assistant", "preferred", "non_preferred")
ALIASES = {
    "system": "system", "system_prompt": "system",
    "user": "user", "prompt": "user", "question": "user", "instruction": "user", "query": "user",
    "assistant": "assistant", "response": "assistant", "answer": "assistant", "completion": "assistant",
    "output": "assistant",
    "preferred": "preferred", "chosen": "preferred", "non_preferred": "non_preferred", "rejected": "non_preferred",
}
JOIN = "\n\n"


class Report(Protocol):
    dropped: Counter[str]  # columns no record holds: in how many rows each has a value

    def add(self, where: str, message: str) -> None: ...


@dataclass(frozen=True)
class Mapped:
    """A table's records and the column mapping that made them: ``guessed`` when it came from the column names
    (no ``--map``), so the caller says which it used; ``unused``: the columns that went into no field."""

    records: list[dict[str, Any]]
    mapping: dict[str, str]
    guessed: bool
    unused: tuple[str, ...]

    def describe(self, path: str) -> str:
        """The mapping in words, with how to override it: ``'question' -> user, 'answer' -> assistant...``."""
        pairs = ", ".join(f"{column!r} -> {field}" for column, field in self.mapping.items())
        how = "guessed from the column names" if self.guessed else "from --map"
        unused = f"; not used: {', '.join(map(repr, self.unused))}" if self.unused else ""
        override = (f"; if that is wrong, map the columns to use with --map COLUMN=FIELD, one per column (fields: "
                    f"{', '.join(FIELDS)})" if self.guessed else "")
        return f"columns of {path} ({how}): {pairs}{unused}{override}"


def parse_mapping(items: Iterable[str]) -> dict[str, str]:
    """``["question=user", ...]`` -> ``{"question": "user"}`` (column -> field), checked."""
    out: dict[str, str] = {}
    for item in items:
        column, sep, target = item.rpartition("=")
        target = target.strip().lower().replace("-", "_")
        if not sep or not column.strip():
            raise UsageError(f"--map {item!r}: write COLUMN=FIELD, e.g. --map question=user")
        if target not in FIELDS:
            raise UsageError(f"--map {item!r}: {target!r} is not a field; map columns to {', '.join(FIELDS)}")
        out[column.strip()] = target
    return out


def read_table(path: str, fmt: str, encoding: str | None = None) -> pd.DataFrame:
    """The table as text cells (parquet keeps its types; they are turned into text per cell).

    ``encoding``: what a CSV or TSV file was saved in (None: UTF-8 or UTF-16 with its byte-order mark,
    else :class:`~toolkit.text_encoding.NotUtf8`).
    """
    import io

    import pandas as pd

    if fmt in TEXT_FORMATS:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise os_problem(path, exc, "cannot read") from None
        text = decode_text(data, path, encoding).text
    elif encoding is not None:
        raise UsageError(f"--encoding goes with --from csv or tsv; {fmt} files carry their own encoding")
    try:
        if fmt in TEXT_FORMATS:
            return pd.read_csv(io.StringIO(text), sep="\t" if fmt == "tsv" else ",", dtype=str, keep_default_na=False)
        if fmt == "xlsx":  # typed cells, each written as the sheet shows it (dtype=str writes 2024-03-01 00:00:00)
            return pd.read_excel(path, dtype=object, keep_default_na=False).map(_as_in_sheet)
        return pd.read_parquet(path)
    except pd.errors.ParserError as exc:  # a ValueError: first
        said = str(exc).strip()
        counts = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", said)
        if counts:  # pandas' own words name its C parser
            expected, line, saw = counts.groups()
            jsonl = text.lstrip()[:1] in ("{", "[")
            said = (f"line {line} has {saw} fields where the header has {expected}: quote cells that hold the "
                    "separator" + (", or is it JSONL? (`tunesmith lint` reads it as is)" if jsonl else ""))
        raise InputError(f"{path}: cannot read it as {fmt}: {said}") from None
    except (ValueError, OSError, ImportError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read it as {fmt} ({exc})") from None


def _auto_mapping(columns: list[str], path: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for column in columns:
        target = ALIASES.get(column.strip().lower())
        if target is None:
            continue
        twin = next((c for c, t in found.items() if t == target), None)
        if twin is not None:
            raise UsageError(f"{path}: columns {twin!r} and {column!r} could both be the {target} text; "
                             f"say which with --map, e.g. --map {column}={target}")
        found[column] = target
    return found


def _check_mapping(mapping: Mapping[str, str], columns: list[str], path: str) -> None:
    missing = [c for c in mapping if c not in columns]
    if missing:
        raise InputError(f"{path}: no column {missing[0]!r}; the columns are: {', '.join(map(repr, columns))}"
                         f"{_separator_hint(columns)}")
    fields = set(mapping.values())
    preference = {"preferred", "non_preferred"} & fields
    if preference and preference != {"preferred", "non_preferred"}:
        raise UsageError("a preference table needs both a preferred and a non_preferred column")
    if preference and "assistant" in fields:
        raise UsageError("map columns either to assistant (chat) or to preferred/non_preferred (DPO), not both")
    needed = ["user", *(["preferred", "non_preferred"] if preference else ["assistant"])]
    for name in needed:
        if name not in fields:
            raise UsageError(f"{path}: no column for the {name} text; map one with --map COLUMN={name} "
                             f"(columns: {', '.join(map(repr, columns))}){_separator_hint(columns)}")


def _separator_hint(columns: list[str]) -> str:
    """A table read as one column whose name holds another separator was saved with it (Excel writes ';' in many
    locales)."""
    if len(columns) != 1:
        return ""
    other = next((sep for sep in (";", "\t", "|") if sep in columns[0]), None)
    return "" if other is None else (f"; the header holds {other!r}: the file looks separated by {other!r}, not by "
                                     "commas: save it as CSV with commas (or as TSV with tabs and use --from tsv)")


def _as_in_sheet(value: Any) -> str:
    """An XLSX cell's value as the sheet shows it: a date without a time as ``2024-03-01`` (with one,
    ``2024-03-01 14:30``, seconds only when there are some), a time as ``09:05``, a boolean as ``TRUE`` /
    ``FALSE`` (Excel's words), a whole number without ``.0``; text as written."""
    import datetime as dt

    if isinstance(value, bool) or type(value).__name__ == "bool_":  # numpy's bool too
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes" if not value.second and not value.microsecond else "auto")
    if isinstance(value, dt.time):
        return value.isoformat(timespec="minutes" if not value.second and not value.microsecond else "auto")
    if isinstance(value, dt.date):
        return value.isoformat()
    return _cell(value)


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else str(value)


def records(path: str, fmt: str, mapping: Mapping[str, str], system: str | None,
            problems: Report, encoding: str | None = None) -> Mapped:
    """One record per row, and the mapping used (``mapping``, else guessed from the column names); empty
    required cells are reported (naming the row and column)."""
    table = read_table(path, fmt, encoding)
    columns = [str(c) for c in table.columns]
    guessed = not mapping
    mapping = dict(mapping) or _auto_mapping(columns, path)
    _check_mapping(mapping, columns, path)
    by_field: dict[str, list[str]] = {}
    for column, target in mapping.items():
        by_field.setdefault(target, []).append(column)
    unused = [c for c in columns if c not in mapping]
    first_row = 1 if fmt == "parquet" else 2
    out = []
    for i, row in enumerate(table.itertuples(index=False, name=None)):
        cells = dict(zip(columns, row))
        problems.dropped.update(c for c in unused if _cell(cells[c]).strip())
        text = {f: JOIN.join(t for c in cols if (t := _cell(cells[c]))) for f, cols in by_field.items()}
        where = f"row {i + first_row}"
        empty = [f for f, t in text.items() if f != "system" and not t.strip()]
        for f in empty:
            problems.add(where, f"the {' / '.join(map(repr, by_field[f]))} cell ({f}) is empty; fill it or remove "
                         "the row")
        if empty:
            continue
        sys_text = text.get("system") or system
        head = [{"role": "system", "content": sys_text}] if sys_text else []
        user = {"role": "user", "content": text["user"]}
        if "preferred" in text:
            out.append({"input": {"messages": [*head, user]},
                        "preferred_output": [{"role": "assistant", "content": text["preferred"]}],
                        "non_preferred_output": [{"role": "assistant", "content": text["non_preferred"]}]})
        else:
            out.append({"messages": [*head, user, {"role": "assistant", "content": text["assistant"]}]})
    if not len(table):
        problems.add("row 2", "the table has no rows")
    return Mapped(out, mapping, guessed, tuple(c for c in columns if c not in mapping))
