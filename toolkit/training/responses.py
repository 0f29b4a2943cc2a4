"""Check that an API answer has the shape the commands read, before the SDK hands it over.

The SDK passes on whatever a server answers: an HTML page (a proxy, a captive portal, a wrong
base URL) becomes a ``str``, a ``{}`` a job whose id is ``None``. :func:`check_response` runs on
every successful answer and raises the SDK's own ``APIResponseValidationError``, which
:func:`toolkit.training.errors.explain` turns into a clear message.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], str | None]  # what is wrong with a value, or None


def _is(value: Any) -> str:
    return "missing" if value is None else f"a {type(value).__name__} ({json.dumps(value)[:40]})"


def _kind(*types: type, optional: bool = True) -> Check:
    def check(value: Any) -> str | None:
        if value is None and optional:
            return None
        if isinstance(value, float) and not math.isfinite(value):
            return " is not a finite number"
        if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
            return f" is {_is(value)}"
        return None
    return check


def _object(fields: dict[str, Check], *, optional: bool = False) -> Check:
    def check(value: Any) -> str | None:
        if value is None and optional:
            return None
        if not isinstance(value, dict):
            return f" is {_is(value)}, not an object"
        return next((f".{name}{p}" for name, field_check in fields.items() if (p := field_check(value.get(name)))),
                    None)
    return check


def _list_of(item: Check, *, optional: bool = True) -> Check:
    def check(value: Any) -> str | None:
        if value is None and optional:
            return None
        if not isinstance(value, list):
            return f" is {_is(value)}, not a list"
        return next((f"[{i}]{p}" for i, element in enumerate(value) if (p := item(element))), None)
    return check


def _values(item: Check) -> Check:
    def check(value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            return f" is {_is(value)}, not an object"
        return next((f".{k}{p}" for k, v in value.items() if (p := item(v))), None)
    return check


TEXT, NUMBER, INT = _kind(str), _kind(int, float), _kind(int)
ID = _kind(str, optional=False)
JOB = _object({"id": ID, "status": ID, "model": TEXT, "fine_tuned_model": TEXT, "created_at": NUMBER,
               "finished_at": NUMBER, "trained_tokens": INT, "result_files": _list_of(ID),
               "training_file": TEXT, "validation_file": TEXT,
               "error": _object({"code": TEXT, "message": TEXT, "param": TEXT}, optional=True)})
EVENT = _object({"id": ID, "message": TEXT, "level": TEXT, "type": TEXT, "created_at": NUMBER,
                 "data": _object({}, optional=True)})
CHECKPOINT = _object({"id": ID, "step_number": _kind(int, optional=False), "fine_tuned_model_checkpoint": TEXT,
                      "metrics": _values(NUMBER)})
FILE = _object({"id": ID, "bytes": INT, "status": TEXT, "filename": TEXT, "purpose": TEXT})
UPLOAD = _object({"id": ID, "status": TEXT, "file": _object({"id": ID}, optional=True)})
CALL = _object({"function": _object({"name": TEXT, "arguments": TEXT}, optional=True)})
COMPLETION = _object({"choices": _list_of(_object({"message": _object({"content": TEXT, "refusal": TEXT,
                                                                       "tool_calls": _list_of(CALL)})}),
                                          optional=False),
                      "usage": _object({"prompt_tokens": INT, "completion_tokens": INT}, optional=True)})


def _page(item: Check) -> Check:
    return _object({"data": _list_of(item, optional=False), "has_more": _kind(bool)})


# (method, path ending, shape); the first match wins; paths without a match (file content) are not checked
SHAPES: tuple[tuple[str, re.Pattern[str], Check], ...] = tuple(
    (method, re.compile(pattern + "$"), shape) for method, pattern, shape in (
        ("GET", "/fine_tuning/jobs", _page(JOB)),
        ("POST", "/fine_tuning/jobs", JOB),
        ("GET", "/fine_tuning/jobs/[^/]+/events", _page(EVENT)),
        ("GET", "/fine_tuning/jobs/[^/]+/checkpoints", _page(CHECKPOINT)),
        ("GET", "/fine_tuning/jobs/[^/]+", JOB),
        ("POST", "/fine_tuning/jobs/[^/]+/(?:cancel|pause|resume)", JOB),
        ("GET", "/files", _page(FILE)),
        ("POST", "/files", FILE),
        ("GET", "/files/[^/]+", FILE),
        ("POST", "/uploads/[^/]+/parts", _object({"id": ID})),
        ("POST", "/uploads(?:/[^/]+/(?:complete|cancel))?", UPLOAD),
        ("POST", "/chat/completions", COMPLETION),
    ))


def problem(method: str, path: str, content_type: str, body: bytes) -> str | None:
    """What is wrong with a successful answer to ``method path``, or None when it has the shape expected."""
    shape = next((s for m, p, s in SHAPES if m == method and p.search(path)), None)
    if shape is None or "event-stream" in content_type:
        return None
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        kind = content_type.split(";")[0].strip() or "no content type"
        return f"not JSON ({kind}, {len(body)} bytes, starting {body[:60]!r})"
    found = shape(value)
    if found is None:
        return None
    return "an unexpected object: " + ("the answer" + found if found.startswith(" ") else found.lstrip("."))


def check_response(response: Any) -> None:
    """An HTTP response hook: raise ``openai.APIResponseValidationError`` for a 2xx answer of the wrong shape."""
    if not 200 <= response.status_code < 300:
        return
    request = response.request
    if not any(m == request.method and p.search(request.url.path) for m, p, _ in SHAPES):
        return
    response.read()
    found = problem(request.method, request.url.path, response.headers.get("content-type", ""), response.content)
    if found:
        import openai

        raise openai.APIResponseValidationError(response, None, message=f"{request.method} {request.url.path} "
                                                f"answered {response.status_code} with {found}")
