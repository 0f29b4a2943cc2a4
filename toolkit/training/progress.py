"""A dependency-free one-line progress bar for a terminal (silent when output is not a terminal)."""

from __future__ import annotations

import shutil
from typing import TextIO


def human_bytes(n: float) -> str:
    """``1536`` -> ``1.5 KB`` (powers of 1024, like the API's 512 MB limit)."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


class Progress:
    """``label [#####-----]  50% detail``, redrawn in place on a TTY.

    Lines written with :meth:`line` appear above the bar, so a log and a bar can share a terminal.
    """

    def __init__(self, stream: TextIO, label: str, total: int, *, unit: str = "") -> None:
        self.stream, self.label, self.total, self.unit = stream, label, max(total, 0), unit
        self.done, self.note = 0, ""
        self.enabled = bool(getattr(stream, "isatty", lambda: False)())
        self._drawn = False

    def update(self, done: int, *, total: int | None = None, note: str = "") -> None:
        """Move the bar to ``done`` (of ``total``, if it changed) with an optional note."""
        self.done, self.note = done, note or self.note
        if total is not None:
            self.total = total
        self._draw()

    def line(self, text: str) -> None:
        """Print ``text`` on its own line, keeping the bar below it."""
        self._clear()
        self.stream.write(text + "\n")
        if self._drawn or self.done:
            self._draw()
        self.stream.flush()

    def close(self) -> None:
        """Leave the finished bar on screen and move to the next line."""
        if self.enabled and self._drawn:
            self.stream.write("\n")
            self.stream.flush()
        self._drawn = False

    def render(self, width: int = 80) -> str:
        """The bar as text, fitted to ``width`` columns."""
        frac = min(self.done / self.total, 1.0) if self.total else 0.0
        count = (f"{human_bytes(self.done)}/{human_bytes(self.total)}" if self.unit == "bytes"
                 else f"{self.done}/{self.total or '?'}{' ' + self.unit if self.unit else ''}")
        tail = f" {frac:4.0%} {count}" + (f"  {self.note}" if self.note else "")
        room = max(width - len(self.label) - len(tail) - 4, 10)
        filled = int(room * frac)
        return f"{self.label} [{'#' * filled}{'-' * (room - filled)}]{tail}"[:width]

    def _draw(self) -> None:
        if not self.enabled:
            return
        width = shutil.get_terminal_size((80, 24)).columns - 1
        self.stream.write("\r\033[K" + self.render(width))
        self.stream.flush()
        self._drawn = True

    def _clear(self) -> None:
        if self.enabled and self._drawn:
            self.stream.write("\r\033[K")
