"""Faults the sandbox can inject: error statuses, slow answers and dropped connections."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

from .state import ApiError


@dataclass
class Fault:
    """What to do to the next ``times`` requests whose path matches ``pattern`` (``times=None``: all).

    ``delay`` seconds pass first; then the connection is dropped (``drop``), or the
    request gets ``status`` (429, 500, ...) with an OpenAI error body, or, when
    neither is set, it is served normally (a slow answer).
    """

    pattern: re.Pattern[str]
    method: str | None = None
    status: int | None = None
    times: int | None = 1
    delay: float = 0.0
    drop: bool = False
    retry_after: float | None = None
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


def error_for(status: int, retry_after: float | None = None) -> ApiError:
    """The error an injected ``status`` answers with (OpenAI's wording for 429/500/502/503)."""
    message, kind, code = _STATUS_ERRORS.get(status, (f"Injected error {status}.", "server_error", None))
    headers = {}
    if retry_after is not None:
        headers = {"retry-after-ms": str(round(retry_after * 1000)), "retry-after": str(max(1, round(retry_after)))}
    return ApiError(status, message, type=kind, code=code, headers=headers)
