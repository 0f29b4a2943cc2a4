"""Convert datasets between Tunesmith's JSONL (OpenAI chat / DPO) and the formats other tools use.

>>> convert("qa.csv", "qa.jsonl", from_format="csv", mapping={"question": "user", "answer": "assistant"})
>>> convert("train.jsonl", "train_sharegpt.json", to_format="sharegpt")

``--from``: tables (csv, tsv, xlsx, parquet, through pandas) with a column mapping, and the
chat formats of other trainers (ShareGPT, Alpaca, TRL conversational and preference data).
``--to``: the same chat formats, so a dataset is never locked in. Bad input stops the
conversion with errors that name the row or line; nothing is written then.
"""

from __future__ import annotations

import functools
import json
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..atomic import atomic_writer, same_file
from ..errors import InputError, UsageError, os_problem
from ..plural import plural
from ..text_encoding import decode_text
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
    encoding: str | None = None  # what a CSV or TSV source was read as (a Python codec name)
    table: tabular.Mapped | None = None  # a table's column mapping (guessed or from --map)
    dropped: dict[str, int] = field(default_factory=dict)  # source keys (--from tables: columns) in no record: in how
    # many items (rows) each had a value


class Problems:
    """Errors collected while converting (up to ``MAX_ERRORS``), raised together as one InputError."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.messages: list[str] = []
        self.count = 0
        self.dropped: Counter[str] = Counter()  # not errors: keys (columns) of the source no record holds

    def add(self, where: str, message: str) -> None:
        self.count += 1
        if len(self.messages) < MAX_ERRORS:
            self.messages.append(f"{self.source}: {where}: {message}")

    def raise_if_any(self) -> None:
        if self.messages:
            more = f"\n(and {self.count - len(self.messages)} more)" if self.count > len(self.messages) else ""
            raise InputError("cannot convert:\n" + "\n".join(self.messages) + more + "\nnothing was written")


ARRAY_CHUNK = 1 << 16  # characters read at a time from a JSON array file


def read_items(path: str) -> Iterator[tuple[str, Any]]:
    """(where, value) for each item of a JSON array file or each line of a JSONL file.

    A JSON array is read item by item (memory holds one item, not the whole array).
    """
    with open(path, "rb") as fh:
        head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"["):
        yield from _array_items(path)
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
            except (ValueError, RecursionError) as exc:  # ValueError: bad JSON, or an integer of over 4,300 digits
                if raw.strip() == b"{":  # json.dump(..., indent=2): the object goes on below
                    raise InputError(f"{path}:{line_no}: a JSON value spread over several lines, not one item per "
                                     "line: convert reads JSONL or one JSON array of items; if the file is one "
                                     'object holding them (as "data"), write that array alone (`jq .data`)') from None
                why = exc.msg if isinstance(exc, json.JSONDecodeError) else (
                    "nested too deeply" if isinstance(exc, RecursionError) else str(exc).split(";")[0])
                raise InputError(f"{path}:{line_no}: not valid JSON ({why}); fix the line or run "
                                 "`tunesmith lint` on it") from None


def _array_items(path: str) -> Iterator[tuple[str, Any]]:
    """The items of a file holding one JSON array, decoded one at a time."""
    import codecs

    decoder = json.JSONDecoder()
    text_of = codecs.getincrementaldecoder("utf-8-sig")()
    buf, pos, n, eof = "", 0, 0, False
    with open(path, "rb") as fh:

        def more() -> bool:
            nonlocal buf, pos, eof
            if eof:
                return False
            data = fh.read(ARRAY_CHUNK)
            eof = not data
            try:
                buf = buf[pos:] + text_of.decode(data, final=eof)
            except UnicodeDecodeError:
                raise InputError(f"{path}: not UTF-8 text; save the file as UTF-8") from None
            pos = 0
            return True

        def skip(chars: str) -> str:
            """The next character that is not in ``chars`` (reading more as needed); "" at the end."""
            nonlocal pos
            while True:
                while pos < len(buf) and buf[pos] in chars:
                    pos += 1
                if pos < len(buf) or not more():
                    return buf[pos:pos + 1]

        if skip(" \t\r\n") != "[":
            raise InputError(f"{path}: not a JSON array")
        pos += 1
        if skip(" \t\r\n") == "]":
            return
        while True:
            try:
                value, end = decoder.raw_decode(buf, pos)
            except json.JSONDecodeError as exc:
                if not eof:  # maybe the item goes on: retry once the buffer has doubled (linear time)
                    want = 2 * (len(buf) - pos) + 1
                    while len(buf) - pos < want and more():
                        pass
                    continue
                raise InputError(f"{path}: item {n + 1} of the JSON array is not valid JSON ({exc.msg}); "
                                 "fix it or run `tunesmith lint` on the file") from None
            except (ValueError, RecursionError) as exc:
                why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc).split(";")[0]
                raise InputError(f"{path}: item {n + 1} of the JSON array cannot be read ({why})") from None
            if end == len(buf) and not eof:  # a number may go on in the next chunk: read on to be sure
                more()
                continue
            n += 1
            yield f"item {n}", value
            pos = end
            sep = skip(" \t\r\n")
            if sep == ",":
                pos += 1
                skip(" \t\r\n")
                continue
            if sep == "]":
                return
            raise InputError(f"{path}: after item {n} of the JSON array comes {sep!r} instead of , or ]"
                             if sep else f"{path}: the JSON array ends after item {n} without its closing ]")


def _encoded(record: Any) -> bytes | str:
    """The record as one line of strict UTF-8 JSON, or why it cannot be written."""
    try:
        return json.dumps(record, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except UnicodeEncodeError:  # (a ValueError too, so first)
        return "holds a lone UTF-16 surrogate (text cut in the middle of an emoji?); fix the text"
    except ValueError:
        return "holds NaN or Infinity, which JSON cannot hold; replace it with a number or null"
    except RecursionError:
        return "is nested too deeply"


def write_records(path: str, records: Iterable[dict[str, Any]], *, as_array: bool) -> int:
    """Write records as JSONL (or one JSON array), atomically; return how many."""
    n = 0
    with atomic_writer(path) as out:
        if as_array:
            out.write(b"[\n")
        for record in records:
            data = _encoded(record)
            if isinstance(data, str):
                raise InputError(f"{path}: record {n + 1} {data}; nothing was written")
            out.write((b",\n" if n else b"") + data if as_array else data + b"\n")
            n += 1
        if as_array:
            out.write(b"\n]\n")
    return n


def parse_mapping(items: Iterable[str]) -> dict[str, str]:
    """``["question=user", ...]`` -> ``{"question": "user"}``: table column -> record field."""
    return tabular.parse_mapping(items)


def iter_records_from(source: str | os.PathLike[str], from_format: str, problems: Problems, *,
                      mapping: Mapping[str, str] | None = None, system: str | None = None,
                      encoding: str | None = None) -> Iterator[dict[str, Any]]:
    """The records (OpenAI chat or DPO) that ``source`` in ``from_format`` converts to, one at a time.

    What cannot be converted goes to ``problems`` (the caller raises them at the end). ``encoding``:
    what a CSV or TSV file was saved in (None: UTF-8, else an error naming the line and column).
    """
    src = os.fspath(source)
    if from_format in TABLES:
        yield from tabular.records(src, from_format, mapping or {}, system, problems, encoding).records
        return
    if from_format not in trainers.READERS:
        raise UsageError(f"--from {from_format!r}: choose one of {', '.join(FROM_FORMATS)}")
    if encoding is not None:
        raise UsageError(f"--encoding goes with --from csv or tsv; {from_format} is JSON, which is UTF-8 by its "
                         "standard")
    yield from _converted(src, lambda item, say: trainers.READERS[from_format](item, system, say), problems,
                          functools.partial(trainers.unread_keys, from_format))


def records_from(source: str | os.PathLike[str], from_format: str, *, mapping: Mapping[str, str] | None = None,
                 system: str | None = None, encoding: str | None = None,
                 dropped: Counter[str] | None = None) -> list[dict[str, Any]]:
    """The records (OpenAI chat or DPO) that ``source`` in ``from_format`` converts to; the source's keys (a
    table's columns) that no record holds are counted into ``dropped`` (see :func:`dropped_text`)."""
    problems = Problems(os.fspath(source))
    records = list(iter_records_from(source, from_format, problems, mapping=mapping, system=system,
                                     encoding=encoding))
    problems.raise_if_any()
    if dropped is not None:
        dropped.update(problems.dropped)
    return records


def dropped_text(source: str, dropped: Mapping[str, int], from_format: str, *,
                 remedy: str = "--map COLUMN=FIELD adds one") -> str:
    """What of ``source`` is in no record (:attr:`ConvertResult.dropped`), in one sentence: never silent.
    ``remedy`` says how a table's column gets a field (the option, or the editor's column choice)."""
    table = from_format in TABLES
    said = ", ".join(f'"{name}" ({plural(n, "row" if table else "item")})' for name, n in dropped.items())
    kind = ("column" if table else "field") + ("s" if len(dropped) > 1 else "")
    why = f"mapped to no field ({remedy})" if table else "with no place in the OpenAI format"
    return f"{source}: not converted: the {kind} {said}, {why}"


def iter_records_to(source: str | os.PathLike[str], to_format: str, problems: Problems) -> Iterator[dict[str, Any]]:
    """The items of ``to_format`` that the Tunesmith JSONL file ``source`` converts to, one at a time."""
    src = os.fspath(source)
    if to_format not in trainers.WRITERS:
        raise UsageError(f"--to {to_format!r}: choose one of {', '.join(TO_FORMATS)}")
    yield from _converted(src, trainers.WRITERS[to_format], problems)


def _converted(src: str, convert: Callable[[Any, Callable[[str], None]], dict[str, Any] | None],
               problems: Problems, unread: Callable[[dict[str, Any]], Iterable[str]] | None = None,
               ) -> Iterator[dict[str, Any]]:
    """Each item of ``src`` through ``convert``; what it cannot convert, or what would not be valid JSON,
    goes to ``problems`` under the item's place. The keys of an item that ``unread`` names (the reader's
    :func:`~toolkit.convert.trainers.unread_keys`) are counted in ``problems.dropped``."""
    for where, item in read_items(src):
        if unread is not None and isinstance(item, dict):
            problems.dropped.update(unread(item))
        out = convert(item, functools.partial(problems.add, where))
        if out is None:
            continue
        data = _encoded(out)
        if isinstance(data, str):
            problems.add(where, data)
            continue
        yield out


def records_to(source: str | os.PathLike[str], to_format: str) -> list[dict[str, Any]]:
    """The items of ``to_format`` that the Tunesmith JSONL file ``source`` converts to."""
    problems = Problems(os.fspath(source))
    out = list(iter_records_to(source, to_format, problems))
    problems.raise_if_any()
    return out


def _checked(items: Iterator[dict[str, Any]], problems: Problems) -> Iterator[dict[str, Any]]:
    """``items``, then the collected problems raised (inside the writer, so nothing is written)."""
    yield from items
    problems.raise_if_any()


def convert(source: str | os.PathLike[str], output: str | os.PathLike[str], *, from_format: str | None = None,
            to_format: str | None = None, mapping: Mapping[str, str] | None = None, system: str | None = None,
            encoding: str | None = None, overwrite: bool = False) -> ConvertResult:
    """Convert ``source`` into ``output``: exactly one of ``from_format`` (into Tunesmith JSONL) or ``to_format``.

    ``encoding``: what a CSV or TSV source was saved in (None: UTF-8, or UTF-16 with its byte-order
    mark; any other bytes stop with :class:`~toolkit.text_encoding.NotUtf8`). ``ConvertResult.encoding``
    says what the source was read as.
    """
    src, dst = os.fspath(source), os.fspath(output)
    if (from_format is None) == (to_format is None):
        raise UsageError("give exactly one of --from (into Tunesmith JSONL) or --to (out of it)")
    if not Path(src).is_file():
        raise InputError(f"{src}: no such file")
    if Path(dst).exists() and same_file(dst, src):  # a symlink or a hard link to the input too
        raise UsageError(f"{dst} is the input file; write the result to another file")
    if Path(dst).is_file() and not overwrite:  # a device or a pipe (/dev/stdout, >(cmd)) holds nothing to lose
        raise UsageError(f"{dst} exists; remove it or pass --force to overwrite it")
    if not Path(dst).resolve().parent.is_dir():
        raise InputError(f"{Path(dst).parent}: no such folder")
    if to_format is not None and (mapping or system or encoding):
        raise UsageError("--map, --system and --encoding go with --from")
    problems = Problems(src)
    if from_format in tabular.TEXT_FORMATS:  # the encoding, found (or checked) before anything is written
        try:
            data = Path(src).read_bytes()
        except OSError as exc:
            raise os_problem(src, exc, "cannot read") from None
        encoding = decode_text(data, src, encoding).encoding
        del data
    table = None
    if from_format in TABLES:  # read whole by pandas: the mapping used is known before anything is written
        table = tabular.records(src, from_format, mapping or {}, system, problems, encoding)
        n = write_records(dst, _checked(iter(table.records), problems), as_array=False)
    elif from_format is not None:
        records = iter_records_from(src, from_format, problems, mapping=mapping, system=system, encoding=encoding)
        n = write_records(dst, _checked(records, problems), as_array=False)
    else:
        assert to_format is not None  # exactly one of the two formats was given (checked above)
        items = iter_records_to(src, to_format, problems)
        n = write_records(dst, _checked(items, problems), as_array=dst.lower().endswith(".json"))
    return ConvertResult(src, dst, n, from_format, to_format, encoding, table, dict(problems.dropped))
