"""Count the tokens of every example of a JSONL file (or of bytes in memory) on all cores, streaming, in order.

The file is cut into chunks of about ``CHUNK_BYTES`` at line ends (data in memory or a stream
is read in pieces of that size that end at line ends). Worker processes each
read, parse and tokenize whole chunks (tiktoken, parsing and the per-string Python work all
scale with the cores, which threads sharing one interpreter do not) and send back five
integers per example. Files under ``PARALLEL_BYTES`` are counted in this process. Memory
stays flat: a worker holds one chunk at a time.

Workers are forked from a process that runs no other thread (they inherit the loaded
tokenizer); from a multi-threaded process, such as a web app, they are spawned instead.
"""

from __future__ import annotations

import os
import sys
import threading
from array import array
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any, BinaryIO

from . import formats, records, tokenizer
from .reader import MAX_LINE_BYTES, example_of

ROW = 6  # int64 per example: line, format code, messages, tokens, trained tokens, images of assumed size
CHUNK_BYTES = 2 << 20
PARALLEL_BYTES = 8 << 20
SHOWN_LINES = 10  # line numbers kept for lines that are not records
FORMAT_CODES: tuple[str | None, ...] = (None, formats.CHAT, formats.PREFERENCE, formats.REINFORCEMENT,
                                        formats.COMPLETION)
_CODE = {f: i for i, f in enumerate(FORMAT_CODES)}
_BOM = b"\xef\xbb\xbf"


def trained_within(tokens: int, trained: int, context: int) -> int:
    """The trained tokens of an example of ``tokens`` tokens (``trained`` of them trained) that the model learns
    from with a context of ``context`` tokens: one that is longer is cut from the end, where its assistant answer
    is, so the cut is taken from its trained tokens first (never more trained tokens than billed ones)."""
    return max(0, trained - max(0, tokens - context))


@dataclass(frozen=True)
class ExampleStats:
    """One example: where it is, its format and size. ``over`` is tokens beyond the context (0 if it fits);
    ``trained_tokens`` are counted after that cut (:func:`trained_within`)."""

    line: int
    format: str | None
    messages: int
    tokens: int
    trained_tokens: int
    over: int


@dataclass
class Unreadable:
    """Lines that are not one JSON object each: how many, and the first few line numbers."""

    count: int = 0
    lines: list[int] = field(default_factory=list)

    def add(self, line: int) -> None:
        self.count += 1
        if len(self.lines) < SHOWN_LINES:
            self.lines.append(line)


@dataclass(frozen=True)
class Chunk:
    """Bytes ``start``..``end`` of the file (``end`` at a line end, or the end of the file)."""

    start: int
    end: int


def chunks(path: str, size: int | None = None) -> Iterator[Chunk]:
    """Cut the file into chunks of about ``size`` bytes that end at a line end (without reading it all)."""
    size = size or CHUNK_BYTES
    with open(path, "rb") as fh:
        start = 0
        while True:
            fh.seek(start + size)
            if not fh.read(1):
                end = fh.seek(0, os.SEEK_END)
                if end > start:
                    yield Chunk(start, end)
                return
            fh.readline()
            end = fh.tell()
            yield Chunk(start, end)
            start = end


def pieces(stream: BinaryIO, size: int | None = None) -> Iterator[bytes]:
    """The stream's bytes in pieces of about ``size`` that end at a line end (or the end of the data)."""
    size = size or CHUNK_BYTES
    while data := stream.read(size):
        if not data.endswith(b"\n"):
            data += stream.readline()
        yield data


def messages_in(value: dict[str, Any]) -> int:
    """How many messages an example holds (input and both outputs for preference records)."""
    if isinstance(value.get("messages"), list):
        return len(value["messages"])
    return sum(len(msgs) for _, msgs in records.message_arrays(value))


def count_chunk(path: str, chunk: Chunk, encoding: str,
                max_line_bytes: int = MAX_LINE_BYTES) -> tuple[bytes, int, int, list[int]]:
    """Per example (:func:`toolkit.reader.example_of`) of the chunk: line (counted from the chunk's first line,
    0-based), format code, messages, tokens, trained tokens (packed int64); then the chunk's line count, and the
    count and (relative) line numbers of the first lines that are not examples."""
    with open(path, "rb") as fh:
        fh.seek(chunk.start)
        data = fh.read(chunk.end - chunk.start)
    return count_data(data, encoding, first=chunk.start == 0, max_line_bytes=max_line_bytes)


def count_data(data: bytes, encoding: str, *, first: bool,
               max_line_bytes: int = MAX_LINE_BYTES) -> tuple[bytes, int, int, list[int]]:
    """:func:`count_chunk` of bytes that end at a line end (``first``: they begin the file, maybe with a BOM)."""
    if first and data.startswith(_BOM):
        data = data[len(_BOM):]
    bad = Unreadable()
    values: list[tuple[int, dict[str, Any]]] = []
    for i, raw in enumerate(data.split(b"\n")):
        if not raw.strip():
            continue
        value = example_of(raw, max_line_bytes)
        if value is None:
            bad.add(i)
            continue
        values.append((i, value))
    return measure(values, encoding).tobytes(), data.count(b"\n"), bad.count, bad.lines


def measure(values: Iterable[tuple[int, dict[str, Any]]], encoding: str) -> array[int]:
    """:data:`ROW` int64 per ``(line, record)``: line, format code, messages, tokens, trained tokens, images
    of assumed size (the strings of all the records are tokenized in one batch)."""
    encode = tokenizer.counter(tokenizer.encoding(encoding))
    rows = array("q")
    per: list[tuple[int, int, int, int, int, int, int]] = []
    flat: list[str] = []
    for i, value in values:
        fmt = formats.detect(value)
        strings, overhead, n_trained, assumed = tokenizer.example_parts(value)
        if fmt == formats.REINFORCEMENT:
            n_trained = 0  # in RFT the model writes its own answers
        per.append((i, _CODE[fmt], messages_in(value), len(strings), n_trained, overhead, assumed))
        flat.extend(strings)
    counts = encode(flat)
    at = 0
    for line, code, n_messages, n_strings, n_trained, overhead, assumed in per:
        trained = sum(counts[at:at + n_trained])
        total = overhead + trained + sum(counts[at + n_trained:at + n_strings])
        at += n_strings
        rows.extend((line, code, n_messages, total, trained, assumed))
    return rows


def _pool(workers: int) -> ProcessPoolExecutor:
    import multiprocessing

    method = "fork" if sys.platform.startswith("linux") and threading.active_count() == 1 else "spawn"
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method))


def _submitted(pool: ProcessPoolExecutor, data: Iterable[bytes], encoding: str, window: int,
               max_line_bytes: int) -> Iterator[tuple[bytes, int, int, list[int]]]:
    """:func:`count_data` of each piece on ``pool``, in order, with at most ``window`` pieces in flight."""
    pending: list[Any] = []
    for k, piece in enumerate(data):
        pending.append(pool.submit(count_data, piece, encoding, first=k == 0, max_line_bytes=max_line_bytes))
        if len(pending) >= window:
            yield pending.pop(0).result()
    for fut in pending:
        yield fut.result()


def packed(source: str | Iterable[bytes], *, encoding: str, unreadable: Unreadable, workers: int | None = None,
           size: int | None = None, max_line_bytes: int = MAX_LINE_BYTES) -> Iterator[array[int]]:
    """Per chunk, in order: ROW int64 per example (line, format code, messages, tokens, trained tokens, images).

    ``source`` is a file's path, or the data's pieces in order, each ending at a line end
    (:func:`pieces`; ``size``: their total, when known, decides whether workers are worth it).
    A line longer than ``max_line_bytes`` is no example (lint's F018), as other lines that are not one.
    """
    n_workers = workers if workers is not None else min(4, os.cpu_count() or 1)
    tokenizer.encoding(encoding)  # load (and check) it here first: forked workers inherit it
    pool = None
    total = os.path.getsize(source) if isinstance(source, str) else size or 0
    parallel = n_workers > 1 and total >= PARALLEL_BYTES
    results: Iterable[tuple[bytes, int, int, list[int]]]
    if isinstance(source, str):
        if parallel:
            pool = _pool(n_workers)
            results = pool.map(count_chunk, repeat(source), chunks(source), repeat(encoding), repeat(max_line_bytes))
        else:
            results = (count_chunk(source, c, encoding, max_line_bytes) for c in chunks(source))
    elif parallel:
        pool = _pool(n_workers)
        results = _submitted(pool, source, encoding, 2 * n_workers, max_line_bytes)
    else:
        results = (count_data(piece, encoding, first=k == 0, max_line_bytes=max_line_bytes)
                   for k, piece in enumerate(source))
    base = 1  # the line number of the chunk's first line
    try:
        for rows_bytes, n_lines, bad_count, bad_lines in results:
            for line in bad_lines:
                unreadable.add(base + line)
            unreadable.count += bad_count - len(bad_lines)
            rows = array("q")
            rows.frombytes(rows_bytes)
            rows[0::ROW] = array("q", (base + line for line in rows[0::ROW]))
            yield rows
            base += n_lines
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def count_file(source: str | Iterable[bytes], *, encoding: str, context: int, unreadable: Unreadable,
               workers: int | None = None, size: int | None = None,
               max_line_bytes: int = MAX_LINE_BYTES) -> Iterator[ExampleStats]:
    """One :class:`ExampleStats` per example of the file (or pieces, see :func:`packed`), in order; other lines
    are added to ``unreadable``."""
    for rows in packed(source, encoding=encoding, unreadable=unreadable, workers=workers, size=size,
                       max_line_bytes=max_line_bytes):
        for k in range(0, len(rows), ROW):
            line, code, n_messages, total, trained, _ = rows[k:k + ROW]
            yield ExampleStats(line, FORMAT_CODES[code], n_messages, total, trained_within(total, trained, context),
                               max(0, total - context))
