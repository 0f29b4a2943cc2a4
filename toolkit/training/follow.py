"""Follow a job: yield each new event once (oldest first), status changes, and retry notices.

The events API returns the newest events first; :func:`watch` pages back until it
reaches an event it has already yielded, so a dropped connection, a 429 or a 5xx only
delays the stream: it resumes from the last event seen. :func:`follow` is :func:`watch`
that records each status in the registry as it comes (a failure's error too): the CLI
and the Train page follow jobs with it and only render what it yields.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import retry
from .job_request import TERMINAL

if TYPE_CHECKING:
    from .local_registry import Registry
    from .providers import Connection

STOP = (*TERMINAL, "paused")  # a paused job does not move until someone resumes it
_EVENT_PAGES = 100
_STEP = re.compile(r"Step (\d+)(?:/(\d+))?")
_MESSAGE_METRICS = {
    "train_loss": re.compile(r"(?<!full )(?<!validation )training loss=([-\d.eE]+)"),
    "valid_loss": re.compile(r"(?<!full )validation loss=([-\d.eE]+)"),
    "full_valid_loss": re.compile(r"full validation loss=([-\d.eE]+)"),
}


@dataclass(frozen=True)
class Update:
    """One thing that happened: ``status`` (job changed state), ``event`` (a new job event) or ``retry``."""

    kind: str
    job: Any = None
    event: Any = None
    message: str = ""
    delay: float = 0.0


@dataclass(frozen=True)
class StepMetrics:
    """The numbers of one metrics event."""

    step: int
    total_steps: int | None
    values: dict[str, float] = field(default_factory=dict)


def step_metrics(event: Any) -> StepMetrics | None:
    """Metrics from an event's ``data`` (OpenAI and Azure keys), else parsed from its message."""
    data = getattr(event, "data", None)
    if isinstance(data, dict) and isinstance(data.get("step"), (int, float)):
        values = {k: float(v) for k, v in data.items()
                  if k not in ("step", "total_steps") and isinstance(v, (int, float)) and not isinstance(v, bool)}
        total = data.get("total_steps")
        return StepMetrics(int(data["step"]), int(total) if isinstance(total, (int, float)) else None, values)
    message = str(getattr(event, "message", "") or "")
    m = _STEP.match(message)
    if not m:
        return None
    values = {key: float(found.group(1)) for key, rx in _MESSAGE_METRICS.items() if (found := rx.search(message))}
    return StepMetrics(int(m.group(1)), int(m.group(2)) if m.group(2) else None, values)


def new_events(client: Any, job_id: str, seen: set[str]) -> list[Any]:
    """Events not in ``seen``, oldest first (``seen`` is not modified)."""
    fresh: list[Any] = []
    ids: set[str] = set()
    page = client.fine_tuning.jobs.list_events(job_id, limit=100)
    for _ in range(_EVENT_PAGES):
        for event in page.data:
            if event.id in seen or event.id in ids:
                return fresh[::-1]
            fresh.append(event)
            ids.add(event.id)
        if not page.data or not page.has_next_page():
            break
        page = page.get_next_page()
    return fresh[::-1]


def watch(client: Any, job_id: str, *, poll: float = 5.0, sleep: Callable[[float], None] = time.sleep,
          max_failures: int = 20, backoff_max: float = 30.0, seen: set[str] | None = None) -> Iterator[Update]:
    """Yield :class:`Update` values until the job succeeds, fails, is cancelled or paused.

    Transient errors (lost connection, timeout, 429, 5xx) wait what the server's ``Retry-After``
    asks, else back off exponentially up to ``backoff_max`` seconds; after ``max_failures`` in a
    row the last one is raised. A 429 ``insufficient_quota`` is raised at once.
    Pass ``seen`` (event ids) to skip events already shown.
    """
    api = client.with_options(max_retries=0)  # this loop retries, visibly
    seen = set() if seen is None else seen
    status: str | None = None
    failures = 0
    while True:
        try:
            events = new_events(api, job_id, seen)
            job = api.fine_tuning.jobs.retrieve(job_id)
            if job.status in STOP:  # the last events may have landed after the first look
                events += new_events(api, job_id, seen | {e.id for e in events})
        except Exception as exc:
            if not retry.transient(exc) or failures >= max_failures:
                raise
            failures += 1
            delay = retry.wait_for(exc, failures, backoff_max=backoff_max)
            asked = " (as the server asked)" if retry.retry_after(exc) is not None else ""
            yield Update("retry", message=f"{retry.reason(exc)}; retrying in {delay:.0f} s{asked}", delay=delay)
            sleep(delay)
            continue
        if failures:
            yield Update("retry", job, message="reconnected; resuming from the last event seen")
            failures = 0
        for event in events:
            seen.add(event.id)
            yield Update("event", job, event)
        if job.status != status:
            status = job.status
            yield Update("status", job)
        if status in STOP:
            return
        sleep(poll)


def record(registry: Registry, conn: Connection, job: Any) -> None:
    """Write ``job``'s status in the registry: its fine-tuned model, or a failed or cancelled job's error."""
    from .errors import job_failure  # errors -> console -> this module

    error = str(job_failure(job)) if job.status in ("failed", "cancelled") else None
    registry.update_job(str(job.id), status=job.status, fine_tuned_model=getattr(job, "fine_tuned_model", None),
                        error=error, account=conn.account)


def follow(client: Any, conn: Connection, registry: Registry, job_id: str, *, recorded: str | None = None,
           **options: Any) -> Iterator[Update]:
    """:func:`watch` ``job_id`` (``options`` go to it), recording each new status in ``registry`` before it is yielded.

    ``recorded``: the status already in the registry (not written again).
    """
    for update in watch(client, job_id, **options):
        if update.kind == "status" and update.job.status != recorded:
            record(registry, conn, update.job)
            recorded = update.job.status
        yield update
