"""When to try a request again, and how long to wait first.

One place for the rules the training commands share: a lost connection, a timeout, 408, 409,
429 and 5xx are worth another try, except a 429 whose code is ``insufficient_quota`` (the
account has no credit: retrying only delays the bad news). The server's ``Retry-After``
(``retry-after-ms`` first) wins over our own backoff.
"""

from __future__ import annotations

import email.utils
import json
import time
from functools import lru_cache
from typing import Any

NO_RETRY_CODES = ("insufficient_quota",)
MAX_WAIT = 300.0  # a Retry-After above this is capped (and said so by the caller's message)


def error_code(exc: BaseException) -> str | None:
    """The API's error ``code`` of an SDK exception (``insufficient_quota``, ...), if any."""
    code = getattr(exc, "code", None)
    if code:
        return str(code)
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error") if isinstance(body.get("error"), dict) else body
        if isinstance(inner, dict) and inner.get("code"):
            return str(inner["code"])
    return None


def transient(exc: BaseException) -> bool:
    """Whether the same request may succeed later (and so is worth retrying)."""
    import openai

    if isinstance(exc, openai.APIConnectionError):  # includes timeouts
        return True
    if not isinstance(exc, openai.APIStatusError):
        return False
    status = exc.status_code
    if status == 429:
        return error_code(exc) not in NO_RETRY_CODES
    return status in (408, 409) or status >= 500


def retry_after(exc: BaseException) -> float | None:
    """Seconds the server asked us to wait (``retry-after-ms``, ``retry-after`` in seconds or as a date)."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    return parse_retry_after(headers)


def parse_retry_after(headers: Any) -> float | None:
    """``retry-after-ms`` / ``retry-after`` from a header mapping, in seconds (None when absent or unreadable)."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def wait_for(exc: BaseException, attempt: int, *, backoff_max: float = 30.0) -> float:
    """How long to wait before try number ``attempt + 1``: the server's Retry-After, else 1, 2, 4 ... s."""
    asked = retry_after(exc)
    if asked is not None:
        return min(asked, MAX_WAIT)
    return min(backoff_max, 2.0 ** max(0, attempt - 1))


def reason(exc: BaseException) -> str:
    """A few words on why a request failed, for a retry notice."""
    status = getattr(exc, "status_code", None)
    if status == 429:
        return "rate limited (429)"
    if status is not None:
        return f"server error ({status})"
    return "request timed out" if "timed out" in str(exc).lower() else "connection lost"


def _quota_exhausted(response: Any) -> bool:
    if getattr(response, "status_code", None) != 429:
        return False
    try:
        body = json.loads(response.read() or b"{}")
    except (ValueError, OSError):
        return False
    error = body.get("error") if isinstance(body, dict) else None
    return isinstance(error, dict) and error.get("code") in NO_RETRY_CODES


@lru_cache(maxsize=1)
def client_classes() -> tuple[type, type]:
    """``(OpenAI, AzureOpenAI)`` subclasses whose built-in retries skip an ``insufficient_quota`` 429."""
    import openai

    class Client(openai.OpenAI):
        def _should_retry(self, response: Any) -> bool:
            return not _quota_exhausted(response) and super()._should_retry(response)

    class AzureClient(openai.AzureOpenAI):
        def _should_retry(self, response: Any) -> bool:
            return not _quota_exhausted(response) and super()._should_retry(response)

    return Client, AzureClient
