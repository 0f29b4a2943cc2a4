"""Faults the sandbox can inject: error statuses, slow answers, dropped connections and lost answers.

From Python: ``Sandbox.inject(...)``. From the command line: ``tunesmith sandbox --fault SPEC``,
where SPEC is comma-separated ``key=value`` items (see :func:`parse`)::

    --fault 'path=^/fine_tuning/jobs$,method=POST,lose'      # the job is created, the answer is lost
    --fault 'path=/events$,status=429,retry_after=10,times=3'
    --fault 'path=/parts$,status=500,times=always'           # every part fails until the sandbox restarts
    --fault 'path=/parts$,delay=2,times=always'               # slow parts
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

from .state import ApiError


@dataclass
class Fault:
    """What to do to the next ``times`` requests whose path matches ``pattern`` (``times=None``: all).

    ``delay`` seconds pass first; then the connection is dropped before the request is handled
    (``drop``), or the request is handled and its answer lost (``lose``: the job is created, the
    client never hears of it), or the request gets ``status`` (429, 500, ...) with an OpenAI error
    body, or, when none is set, it is served normally (a slow answer).
    """

    pattern: re.Pattern[str]
    method: str | None = None
    status: int | None = None
    times: int | None = 1
    delay: float = 0.0
    drop: bool = False
    retry_after: float | None = None
    lose: bool = False
    code: str | None = None
    hits: int = field(default=0, init=False)

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and bool(self.pattern.search(path))


class Faults:
    """A thread-safe list of armed faults; the first match wins and is used up."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._armed.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """The fault for this request, if any (counting the hit)."""
        with self._lock:
            for fault in self._armed:
                if fault.matches(method, path):
                    fault.hits += 1
                    if fault.times is not None and fault.hits >= fault.times:
                        self._armed.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()


_STATUS_ERRORS = {
    429: ("Rate limit reached for requests. Please try again in a moment.", "requests", "rate_limit_exceeded"),
    500: ("The server had an error while processing your request. Sorry about that!", "server_error", None),
    502: ("Bad gateway.", "server_error", None),
    503: ("The engine is currently overloaded, please try again later.", "server_error", None),
}


_CODE_ERRORS = {
    "insufficient_quota": ("You exceeded your current quota, please check your plan and billing details.",
                           "insufficient_quota"),
}


def error_for(status: int, retry_after: float | None = None, code: str | None = None) -> ApiError:
    """The error an injected ``status`` answers with (OpenAI's wording for 429/500/502/503).

    ``code`` overrides the error code (``insufficient_quota`` with OpenAI's wording).
    """
    message, kind, default_code = _STATUS_ERRORS.get(status, (f"Injected error {status}.", "server_error", None))
    if code is not None:
        message, kind = _CODE_ERRORS.get(code, (f"Injected error {status} {code}.", kind))
    else:
        code = default_code
    headers = {}
    if retry_after is not None:
        headers = {"retry-after-ms": str(round(retry_after * 1000)), "retry-after": str(max(1, round(retry_after)))}
    return ApiError(status, message, type=kind, code=code, headers=headers)


_FLAGS = ("drop", "lose")
_KEYS = ("path", "method", "status", "times", "delay", "retry_after", "code")


def parse(spec: str) -> Fault:
    """A :class:`Fault` from ``path=REGEX,method=POST,status=429,retry_after=10,times=3|always,delay=S,code=C``
    plus the bare flags ``drop`` or ``lose``; raise ``ValueError`` naming what is wrong."""
    values: dict[str, str] = {}
    flags: set[str] = set()
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        key, sep, value = item.partition("=")
        key = key.strip().lower().replace("-", "_")
        if not sep:
            if key not in _FLAGS:
                raise ValueError(f"unknown flag {item!r} (flags: {', '.join(_FLAGS)})")
            flags.add(key)
        elif key not in _KEYS:
            raise ValueError(f"unknown key {key!r} (keys: {', '.join(_KEYS)})")
        else:
            values[key] = value.strip()
    if "path" not in values:
        raise ValueError("missing path=REGEX (matched against the path without /v1, e.g. path=^/fine_tuning/jobs$)")
    try:
        pattern = re.compile(values["path"])
    except re.error as exc:
        raise ValueError(f"path {values['path']!r} is not a regular expression: {exc}") from None
    try:
        status = int(values["status"]) if "status" in values else None
        times_text = values.get("times", "1")
        times = None if times_text == "always" else int(times_text)
        delay = float(values.get("delay", 0))
        retry_after = float(values["retry_after"]) if "retry_after" in values else None
    except ValueError:
        raise ValueError("status and times take whole numbers (times=always for no end), "
                         "delay and retry_after seconds") from None
    if status is not None and not 400 <= status <= 599:
        raise ValueError(f"status {status}: inject an error status (400-599)")
    if times is not None and times < 1:
        raise ValueError("times must be at least 1 (or always)")
    if len(flags) + (status is not None) > 1:
        raise ValueError("choose one of drop, lose and status=N")
    if status is None and not flags and delay <= 0:
        raise ValueError("a fault needs status=N, drop, lose or delay=SECONDS")
    method = values.get("method")
    return Fault(pattern, method.upper() if method else None, status, times, delay, "drop" in flags,
                 retry_after, "lose" in flags, values.get("code"))
