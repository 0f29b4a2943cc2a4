"""Show a followed job on a terminal: event lines, status lines, and a progress bar over steps."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any, TextIO

from .follow import StepMetrics, Update, step_metrics
from .progress import Progress

_LABELS = {
    "train_loss": "train loss", "train_mean_token_accuracy": "train acc",
    "valid_loss": "valid loss", "valid_mean_token_accuracy": "valid acc",
    "full_valid_loss": "full valid loss", "full_valid_mean_token_accuracy": "full valid acc",
    "train_reward_mean": "train reward", "valid_reward_mean": "valid reward",
    "full_valid_mean_reward": "full valid reward",
}


# what a server's text must not send to a terminal: escape sequences and other control characters (C0 but tab
# and newline, DEL, C1), and the bidirectional overrides that make text read other than it is
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: object, *, one_line: bool = False) -> str:
    """``text`` safe to show on a terminal: each control character written out (``\\x1b``), not obeyed.

    Tabs and newlines stay (``one_line``: a newline becomes a space), a CRLF becomes a newline.
    """
    out = str(text).replace("\r\n", "\n")
    if one_line:
        out = out.replace("\n", " ").replace("\t", " ")
    return _CONTROL.sub(lambda m: ascii(m.group())[1:-1], out)


def describe_metrics(metrics: StepMetrics) -> str:
    """``step 10/100  train loss 0.4120  train acc 0.871`` (known keys first, in a fixed order)."""
    parts = [f"step {metrics.step}/{metrics.total_steps or '?'}"]
    keys = [k for k in _LABELS if k in metrics.values]
    for key in keys:
        value = metrics.values[key]
        parts.append(f"{_LABELS[key]} {value:.3f}" if "acc" in _LABELS[key] else f"{_LABELS[key]} {value:.4f}")
    return "  ".join(parts)


def _clock(ts: Any) -> str:
    try:
        return dt.datetime.fromtimestamp(int(ts)).strftime("%H:%M:%S")
    except (TypeError, ValueError, OverflowError, OSError):
        return "--:--:--"


def _worth_a_line(metrics: StepMetrics) -> bool:
    """Without a bar, long jobs print about 20 metrics lines, plus every full-validation result."""
    total = metrics.total_steps
    if not total or total <= 40:
        return True
    return (metrics.step % (total // 20) == 0 or metrics.step == total
            or any(k.startswith("full_valid") for k in metrics.values))


class FollowConsole:
    """Render :class:`~toolkit.training.follow.Update` values to ``stream``.

    On a terminal, metrics move a progress bar in place; elsewhere metrics events become lines
    (thinned out on long jobs, see :func:`_worth_a_line`).
    """

    def __init__(self, stream: TextIO, *, bar: bool = True) -> None:
        self.stream = stream
        self.progress = Progress(stream, "training", 0, unit="steps")
        self.progress.enabled = self.progress.enabled and bar

    def show(self, update: Update) -> None:
        if update.kind == "retry":
            self.progress.line(f"  ! {printable(update.message)}")
        elif update.kind == "status":
            self.progress.line(f"status: {printable(update.job.status, one_line=True)}")
        elif update.kind == "event":
            self._event(update.event)

    def _event(self, event: Any) -> None:
        metrics = step_metrics(event) if getattr(event, "type", None) == "metrics" or \
            str(getattr(event, "message", "")).startswith("Step ") else None
        if metrics is not None and self.progress.enabled:
            total = metrics.total_steps or self.progress.total or None
            self.progress.update(metrics.step, total=total, note=describe_metrics(metrics).partition("  ")[2])
            return
        if metrics is not None and not _worth_a_line(metrics):
            return
        message = str(getattr(event, "message", "") or "")
        text = describe_metrics(metrics) if metrics is not None and (metrics.values or not message) else message
        level = getattr(event, "level", "info")
        mark = {"warn": "warning: ", "error": "error: "}.get(level, "")
        self.progress.line(f"{_clock(getattr(event, 'created_at', None))}  {mark}{printable(text)}")

    def close(self) -> None:
        self.progress.close()


def table(rows: Sequence[Sequence[str]]) -> str:
    """Rows of cells as left-aligned columns (the first row is the header)."""
    if not rows:
        return ""
    rows = [[printable(c, one_line=True) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(f"{c:<{w}}" for c, w in zip(r, widths)).rstrip() for r in rows)
