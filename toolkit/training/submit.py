"""Create a fine-tuning job exactly once, even when the answer to the request is lost.

The API has no idempotency key, so a blind retry of ``POST /fine_tuning/jobs`` after a lost
answer creates (and bills) a second job. Instead, every request carries a client-generated id
in the job's metadata (``tunesmith_request``); the SDK's own retries are off for that call, and
before any retry the jobs with that id are looked up: if the first request did create the job,
that job is used and nothing is sent again. When the lookup itself is impossible, nothing is
sent again either: :class:`CreationUnknown` says which id to look for.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import retry
from .errors import ApiError

REQUEST_KEY = "tunesmith_request"
ATTEMPTS = 5
_LOOKUP_PAGES = 5


class CreationUnknown(ApiError):
    """The create request may or may not have created a job, and the server cannot be asked."""

    exit_code = 3


@dataclass(frozen=True)
class Submitted:
    """The created job; ``recovered`` when its creation was found after a lost answer.

    ``others`` are further jobs carrying the same request id (a proxy or server that retried on
    its own): jobs the user did not ask for, which are running and billed.
    """

    job: Any
    request_id: str
    attempts: int
    recovered: bool = False
    others: list[Any] = field(default_factory=list)


def new_request_id() -> str:
    return uuid.uuid4().hex


def find_jobs(client: Any, request_id: str) -> list[Any]:
    """Jobs whose metadata carries ``request_id``, newest first.

    Asks the server to filter (``metadata[tunesmith_request]=...``) and checks each job itself,
    so a server that ignores the filter is still answered right (from its newest jobs).
    """
    import openai

    try:
        page = client.fine_tuning.jobs.list(metadata={REQUEST_KEY: request_id}, limit=100)
    except (openai.BadRequestError, openai.UnprocessableEntityError):  # a server that has no metadata filter
        page = client.fine_tuning.jobs.list(limit=100)
    found: list[Any] = []
    for _ in range(_LOOKUP_PAGES):
        found += [j for j in page.data if (getattr(j, "metadata", None) or {}).get(REQUEST_KEY) == request_id]
        if not page.data or not page.has_next_page():
            break
        page = page.get_next_page()
    return found


def _lookup(client: Any, request_id: str, sleep: Callable[[float], None],
            notice: Callable[[str], object]) -> list[Any]:
    """:func:`find_jobs`, retrying its own transient failures; CreationUnknown when the server cannot say."""
    import openai

    for attempt in range(1, ATTEMPTS + 1):
        try:
            return find_jobs(client, request_id)
        except openai.OpenAIError as exc:
            if not retry.transient(exc) or attempt == ATTEMPTS:
                raise CreationUnknown(
                    f"the answer to the job creation was lost and the server could not be asked whether the "
                    f"job exists ({retry.reason(exc) if retry.transient(exc) else exc.__class__.__name__}). "
                    f"To avoid paying twice, nothing was sent again. Look for a job whose metadata has "
                    f"{REQUEST_KEY}={request_id}: tunesmith jobs list --metadata {REQUEST_KEY}={request_id}"
                ) from None
            delay = retry.wait_for(exc, attempt)
            notice(f"looking up the job failed ({retry.reason(exc)}); trying again in {delay:.0f} s")
            sleep(delay)
    raise AssertionError("unreachable")


def submit(client: Any, body: dict[str, Any], *, request_id: str | None = None, attempts: int = ATTEMPTS,
           sleep: Callable[[float], None] = time.sleep,
           notice: Callable[[str], object] = lambda message: None) -> Submitted:
    """Send the create request ``body`` (SDK keyword arguments) so that retries cannot duplicate the job.

    ``notice(message)`` hears about each retry and recovery. A non-transient error is raised as the SDK
    raised it; running out of attempts raises the last transient error.
    """
    import openai

    rid = request_id or new_request_id()
    body = {**body, "metadata": {**(body.get("metadata") or {}), REQUEST_KEY: rid}}
    api = client.with_options(max_retries=0)  # this function retries, and only after looking
    for attempt in range(1, attempts + 1):
        try:
            job = api.fine_tuning.jobs.create(**body)
        except openai.OpenAIError as exc:
            if not retry.transient(exc):
                raise
            found = _lookup(api, rid, sleep, notice)
            if found:
                notice(f"the answer to the job creation was lost ({retry.reason(exc)}), but the job exists: "
                       f"{found[-1].id}; nothing was sent again")
                return Submitted(found[-1], rid, attempt, recovered=True, others=found[:-1])
            if attempt == attempts:
                raise
            delay = retry.wait_for(exc, attempt)
            if isinstance(exc, openai.APITimeoutError):  # the request may still be on its way: look again later
                notice(f"creating the job timed out and no job exists yet; looking again in {delay:.0f} s")
                sleep(delay)
                found = _lookup(api, rid, sleep, notice)
                if found:
                    notice(f"the job creation that timed out went through: {found[-1].id}; nothing was sent again")
                    return Submitted(found[-1], rid, attempt, recovered=True, others=found[:-1])
            notice(f"creating the job failed ({retry.reason(exc)}) and no job was created; "
                   f"trying again in {delay:.0f} s")
            sleep(delay)
            continue
        others: list[Any] = []
        if attempt > 1:  # an earlier try might still have landed: say so rather than bill silently
            others = [j for j in _lookup(api, rid, sleep, notice) if j.id != job.id]
        return Submitted(job, rid, attempt, others=others)
    raise AssertionError("unreachable")
