"""Follow a fine-tuning job one poll at a time, for a page that redraws every few seconds.

Each :meth:`JobMonitor.poll` takes one pass of :func:`toolkit.training.follow.follow` (new
events, then the job's status, recorded in the registry) and stops before it would sleep; the
events seen are kept, so the next poll only fetches newer ones. No streamlit here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from toolkit.training.follow import STOP, follow, step_metrics
from toolkit.training.metrics import CANONICAL

if TYPE_CHECKING:
    from toolkit.training.local_registry import Registry
    from toolkit.training.providers import Connection

ACCURACY = "accuracy"


@dataclass
class JobMonitor:
    """What is known so far about one job: status, events (oldest first), metric points, checkpoints."""

    job_id: str
    job: Any = None
    events: list[tuple[int, str, str]] = field(default_factory=list)  # (created_at, level, message)
    points: list[tuple[int, str, float]] = field(default_factory=list)  # (step, metric, value)
    total_steps: int | None = None
    checkpoints: list[Any] = field(default_factory=list)
    notice: str = ""
    seen: set[str] = field(default_factory=set)

    @property
    def status(self) -> str | None:
        return getattr(self.job, "status", None)

    @property
    def done(self) -> bool:
        """Succeeded, failed, cancelled or paused: nothing moves until someone acts."""
        return self.status in STOP

    @property
    def step(self) -> int:
        return max((p[0] for p in self.points), default=0)

    def poll(self, client: Any, conn: Connection, registry: Registry) -> bool:
        """Fetch what happened since the last poll (and the checkpoints if anything did), recording a new status in
        ``registry``; True if the status changed."""
        before, events = self.status, len(self.events)
        self.notice = ""
        for update in follow(client, conn, registry, self.job_id, recorded=before, poll=0, seen=self.seen,
                             max_failures=1):
            if update.kind == "event":
                self._event(update.event)
            elif update.kind == "retry":
                self.notice = update.message
                break
            else:
                self.job = update.job
                break
        if self.status != before or len(self.events) != events:
            self.checkpoints = list(client.fine_tuning.jobs.checkpoints.list(self.job_id).data)
        return self.status != before

    def _event(self, event: Any) -> None:
        message = str(getattr(event, "message", "") or "")
        self.events.append((int(getattr(event, "created_at", 0) or 0), str(getattr(event, "level", "info")), message))
        metrics = step_metrics(event) if getattr(event, "type", None) == "metrics" or message.startswith("Step ") \
            else None
        if metrics is None:
            return
        self.total_steps = metrics.total_steps or self.total_steps
        for name, value in metrics.values.items():
            self.points.append((metrics.step, CANONICAL.get(name, name), value))

    def curves(self, kind: str) -> list[tuple[int, str, float]]:
        """Points of the loss curves (``kind="loss"``) or the accuracy curves (``"accuracy"``)."""
        return [p for p in self.points if (ACCURACY in p[1]) == (kind == ACCURACY)]
