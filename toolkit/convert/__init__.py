"""Convert datasets between Tunesmith's JSONL (OpenAI chat / DPO) and the formats other tools use.

>>> convert("qa.csv", "qa.jsonl", from_format="csv", mapping={"question": "user", "answer": "assistant"})
>>> convert("train.jsonl", "train_sharegpt.json", to_format="sharegpt")

``--from``: tables (csv, tsv, xlsx, parquet, through pandas) with a column mapping, and the
chat formats of other trainers (ShareGPT, Alpaca, TRL conversational and preference data).
``--to``: the same chat formats, so a dataset is never locked in. Bad input stops the
conversion with errors that name the row or line; nothing is written then.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..atomic import atomic_writer
from ..errors import InputError, UsageError
from . import tabular, trainers

TABLES = tabular.FORMATS
FROM_FORMATS = (*TABLES, *trainers.READERS)
TO_FORMATS = tuple(trainers.WRITERS)
MAX_ERRORS = 10


@dataclass
class ConvertResult:
    """What was converted: ``records`` written to ``output``."""

    source: str
    output: str
    records: int
    from_format: str | None
    to_format: str | None


class Problems:
    """Errors collected while converting (up to ``MAX_ERRORS``), raised together as one InputError."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.messages: list[str] = []
        self.count = 0

    def add(self, where: str, message: str) -> None:
        self.count += 1
        if len(self.messages) < MAX_ERRORS:
            self.messages.append(f"{self.source}: {where}: {message}")

    def raise_if_any(self) -> None:
        if self.messages:
            more = f"\n(and {self.count - len(self.messages)} more)" if self.count > len(self.messages) else ""
            raise InputError("cannot convert:\n" + "\n".join(self.messages) + more + "\nnothing was written")


def read_items(path: str) -> Iterator[tuple[str, Any]]:
    """(where, value) for each item of a JSON array file or each line of a JSONL file."""
    with open(path, "rb") as fh:
        head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"["):
        try:
            items = json.loads(Path(path).read_text("utf-8-sig"))
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
            raise InputError(f"{path}: not valid JSON ({exc})") from None
        for i, item in enumerate(items, 1):
            yield f"item {i}", item
        return
    with open(path, "rb") as fh:
        for line_no, raw in enumerate(fh, 1):
            if line_no == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            if not raw.strip():
                continue
            try:
                yield f"line {line_no}", json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                raise InputError(f"{path}:{line_no}: not UTF-8 text; save the file as UTF-8 (or run "
                                 "`tunesmith lint` on it to find every such line)") from None
            except (json.JSONDecodeError, RecursionError) as exc:
                why = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
                raise InputError(f"{path}:{line_no}: not valid JSON ({why}); fix the line or run "
                                 "`tunesmith lint` on it") from None


def write_records(path: str, records: Iterable[dict[str, Any]], *, as_array: bool) -> int:
    """Write records as JSONL (or one JSON array), atomically; return how many."""
    n = 0
    with atomic_writer(path) as out:
        if as_array:
            out.write(b"[\n")
        for record in records:
            text = json.dumps(record, ensure_ascii=False)
            out.write(((",\n" if n else "") + text if as_array else text + "\n").encode("utf-8"))
            n += 1
        if as_array:
            out.write(b"\n]\n")
    return n


def parse_mapping(items: Iterable[str]) -> dict[str, str]:
    """``["question=user", ...]`` -> ``{"question": "user"}``: table column -> record field."""
    return tabular.parse_mapping(items)


def records_from(source: str | os.PathLike[str], from_format: str, *, mapping: Mapping[str, str] | None = None,
                 system: str | None = None) -> list[dict[str, Any]]:
    """The records (OpenAI chat or DPO) that ``source`` in ``from_format`` converts to."""
    src = os.fspath(source)
    problems = Problems(src)
    if from_format in TABLES:
        records = tabular.records(src, from_format, mapping or {}, system, problems)
    elif from_format in trainers.READERS:
        records = []
        for where, item in read_items(src):
            record = trainers.READERS[from_format](item, system, lambda msg, w=where: problems.add(w, msg))
            if record is not None:
                records.append(record)
    else:
        raise UsageError(f"--from {from_format!r}: choose one of {', '.join(FROM_FORMATS)}")
    problems.raise_if_any()
    return records


def records_to(source: str | os.PathLike[str], to_format: str) -> list[dict[str, Any]]:
    """The items of ``to_format`` that the Tunesmith JSONL file ``source`` converts to."""
    src = os.fspath(source)
    if to_format not in trainers.WRITERS:
        raise UsageError(f"--to {to_format!r}: choose one of {', '.join(TO_FORMATS)}")
    problems = Problems(src)
    out = []
    for where, value in read_items(src):
        item = trainers.WRITERS[to_format](value, lambda msg, w=where: problems.add(w, msg))
        if item is not None:
            out.append(item)
    problems.raise_if_any()
    return out


def convert(source: str | os.PathLike[str], output: str | os.PathLike[str], *, from_format: str | None = None,
            to_format: str | None = None, mapping: Mapping[str, str] | None = None, system: str | None = None,
            overwrite: bool = False) -> ConvertResult:
    """Convert ``source`` into ``output``: exactly one of ``from_format`` (into Tunesmith JSONL) or ``to_format``."""
    src, dst = os.fspath(source), os.fspath(output)
    if (from_format is None) == (to_format is None):
        raise UsageError("give exactly one of --from (into Tunesmith JSONL) or --to (out of it)")
    if not Path(src).is_file():
        raise InputError(f"{src}: no such file")
    if Path(dst).exists() and Path(dst).resolve() == Path(src).resolve():
        raise UsageError(f"{dst} is the input file; write the result to another file")
    if Path(dst).exists() and not overwrite:
        raise UsageError(f"{dst} exists; remove it or pass --force to overwrite it")
    if not Path(dst).resolve().parent.is_dir():
        raise InputError(f"{Path(dst).parent}: no such folder")
    if to_format is not None and (mapping or system):
        raise UsageError("--map and --system go with --from")
    if from_format is not None:
        records = records_from(src, from_format, mapping=mapping, system=system)
        n = write_records(dst, records, as_array=False)
    else:
        items = records_to(src, to_format)  # type: ignore[arg-type]
        n = write_records(dst, items, as_array=dst.lower().endswith(".json"))
    return ConvertResult(src, dst, n, from_format, to_format)
