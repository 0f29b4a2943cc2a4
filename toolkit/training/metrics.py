"""A job's result file (CSV): download, parse both OpenAI and Azure headers, show as sparklines."""

from __future__ import annotations

import base64
import csv
import io
import math
from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from .console import printable
from .errors import ApiError

# provider header -> one name for the same curve
CANONICAL = {
    "step": "step",
    "train_loss": "train_loss",
    "train_accuracy": "train_accuracy",  # OpenAI
    "train_mean_token_accuracy": "train_accuracy",  # Azure
    "valid_loss": "valid_loss",
    "validation_loss": "valid_loss",
    "valid_mean_token_accuracy": "valid_accuracy",  # OpenAI
    "validation_mean_token_accuracy": "valid_accuracy",  # Azure
    "full_valid_loss": "full_valid_loss",
    "full_valid_mean_token_accuracy": "full_valid_accuracy",
}
_BARS = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class Metrics:
    """The curves of one result file: ``steps`` and, per metric, one value (or None) per step."""

    steps: tuple[int, ...]
    columns: dict[str, tuple[float | None, ...]]
    headers: tuple[str, ...]

    def names(self) -> list[str]:
        """Metrics with at least one value, in file order."""
        return [n for n, vals in self.columns.items() if any(v is not None for v in vals)]

    def series(self, name: str) -> list[tuple[int, float]]:
        """``(step, value)`` pairs of one metric, skipping empty cells."""
        return [(s, v) for s, v in zip(self.steps, self.columns.get(name, ())) if v is not None]

    def last(self, name: str) -> float | None:
        points = self.series(name)
        return points[-1][1] if points else None


def decode_content(data: bytes) -> str:
    """The CSV text of a result file, base64-decoded first when the server sent it encoded."""
    text = data.decode("utf-8-sig", errors="replace").strip()
    if not text or "," in text.splitlines()[0]:  # CSV (base64 has no commas)
        return text
    try:
        decoded = base64.b64decode("".join(text.split()), validate=True).decode("utf-8-sig")
    except (ValueError, UnicodeDecodeError):  # binascii.Error, or non-ASCII text that is no base64 either
        return text
    return decoded.strip()


def parse_results(data: bytes | str, *, name: str = "result file") -> Metrics:
    """Parse a result CSV (either header set, empty cells allowed); :class:`InputError` if it is not one."""
    text = decode_content(data.encode("utf-8") if isinstance(data, str) else data)
    reader = csv.reader(io.StringIO(text))
    headers = [h.strip() for h in next(reader, [])]
    if "step" not in headers:
        shown = printable(", ".join(headers))[:200]
        raise InputError(f"{name}: not a fine-tuning result file (no 'step' column; headers: {shown})")
    names = [CANONICAL.get(h, h) for h in headers]
    rows: list[list[float | None]] = []
    step_i = names.index("step")
    try:
        for number, row in enumerate(reader, 2):
            if not any(cell.strip() for cell in row):
                continue
            rows.append([_number(cell, name, number, h) for cell, h in zip(row, headers)]
                        + [None] * (len(headers) - len(row)))
            if not math.isfinite(rows[-1][step_i] or 0.0):
                raise InputError(f"{name}:{number}: the step is not a finite number")
    except csv.Error as exc:  # e.g. a field over the csv module's size limit
        raise InputError(f"{name}: not a CSV file the metrics can be read from ({exc})") from None
    steps = tuple(int(s) if (s := r[step_i]) is not None else i + 1 for i, r in enumerate(rows))
    columns = {n: tuple(r[i] for r in rows) for i, n in enumerate(names) if n != "step"}
    return Metrics(steps, columns, tuple(headers))


def _number(cell: str, name: str, line: int, header: str) -> float | None:
    cell = cell.strip()
    if not cell:
        return None
    try:
        value = float(cell)
    except ValueError:
        raise InputError(f"{name}:{line}: column {header!r} holds {cell[:30]!r}, not a number") from None
    return None if math.isnan(value) else value


def download_results(client: Any, job: Any) -> bytes:
    """The bytes of the job's (first) result file."""
    files = list(getattr(job, "result_files", None) or [])
    if not files:
        raise ApiError(f"job {job.id} has no result file yet (status: {job.status}); it appears when the job succeeds")
    return bytes(client.files.content(files[0]).content)


def sparkline(values: list[float], width: int = 40) -> str:
    """``values`` as block characters, resampled to at most ``width`` columns."""
    if not values:
        return ""
    if len(values) > width:
        size = len(values) / width
        values = [sum(chunk) / len(chunk) for chunk in
                  (values[int(i * size):max(int((i + 1) * size), int(i * size) + 1)] for i in range(width))]
    low, high = min(values), max(values)
    span = high - low or 1.0
    return "".join(_BARS[min(int((v - low) / span * len(_BARS)), len(_BARS) - 1)] for v in values)


def render(metrics: Metrics, *, width: int = 40) -> str:
    """A compact table: one row per metric with first, last, min, max and a sparkline."""
    names = metrics.names()
    if not names:
        return "no metrics in the result file"
    label = max(len(n) for n in names)
    lines = [f"{'metric':<{label}}  {'first':>8}  {'last':>8}  {'min':>8}  {'max':>8}  "
             f"steps {metrics.steps[0]}..{metrics.steps[-1]}"]
    for n in names:
        vals = [v for _, v in metrics.series(n)]
        lines.append(f"{n:<{label}}  {vals[0]:8.4f}  {vals[-1]:8.4f}  {min(vals):8.4f}  {max(vals):8.4f}  "
                     f"{sparkline(vals, width)}")
    return "\n".join(lines)
