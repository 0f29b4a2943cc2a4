"""Draw a result file's curves as a PNG line chart (one panel for losses, one for accuracies).

Pillow draws it: it needs no GUI backend and no browser, and is one wheel.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from ..atomic import write_atomic
from ..errors import InputError
from .metrics import Metrics

WIDTH, PANEL_HEIGHT = 960, 320
_MARGIN = {"left": 70, "right": 20, "top": 34, "bottom": 40}
_COLORS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75)]
_GRID, _AXIS, _TEXT = (225, 225, 225), (90, 90, 90), (30, 30, 30)


def panels(metrics: Metrics) -> list[tuple[str, list[str]]]:
    """Group metrics into titled panels: losses, accuracies, then anything else (e.g. RFT rewards)."""
    names = metrics.names()
    groups = [("loss", [n for n in names if "loss" in n]),
              ("token accuracy", [n for n in names if "accuracy" in n])]
    rest = [n for n in names if "loss" not in n and "accuracy" not in n]
    return [(title, group) for title, group in groups + [("other metrics", rest)] if group]


def render_png(metrics: Metrics, *, title: str = "") -> bytes:
    """The chart as PNG bytes."""
    from PIL import Image, ImageDraw, ImageFont

    groups = panels(metrics)
    if not groups:
        raise InputError("the result file has no metric values to plot")
    image = Image.new("RGB", (WIDTH, PANEL_HEIGHT * len(groups) + 30), "white")
    draw = ImageDraw.Draw(image)
    font: Any = ImageFont.load_default(size=13)
    draw.text((_MARGIN["left"], 8), title, fill=_TEXT, font=font)
    for i, (name, group) in enumerate(groups):
        _panel(draw, font, metrics, name, group, top=30 + i * PANEL_HEIGHT)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _panel(draw: Any, font: Any, metrics: Metrics, title: str, names: list[str], *, top: int) -> None:
    x0, x1 = _MARGIN["left"], WIDTH - _MARGIN["right"]
    y0, y1 = top + _MARGIN["top"], top + PANEL_HEIGHT - _MARGIN["bottom"]
    points = [p for n in names for p in metrics.series(n)]
    sx0, sx1 = min(s for s, _ in points), max(s for s, _ in points)
    vy0, vy1 = min(v for _, v in points), max(v for _, v in points)
    if vy0 == vy1:
        vy0, vy1 = vy0 - 0.5, vy1 + 0.5
    sx1 = sx1 if sx1 > sx0 else sx0 + 1

    def xy(step: float, value: float) -> tuple[float, float]:
        return x0 + (step - sx0) / (sx1 - sx0) * (x1 - x0), y1 - (value - vy0) / (vy1 - vy0) * (y1 - y0)

    for k in range(5):  # horizontal grid and y labels
        value = vy0 + (vy1 - vy0) * k / 4
        y = xy(sx0, value)[1]
        draw.line([(x0, y), (x1, y)], fill=_GRID)
        draw.text((x0 - 8, y), f"{value:.3g}", fill=_TEXT, font=font, anchor="rm")
    for k in range(6):  # x labels
        step = sx0 + (sx1 - sx0) * k / 5
        draw.text((xy(step, vy0)[0], y1 + 6), f"{step:.0f}", fill=_TEXT, font=font, anchor="mt")
    draw.rectangle([x0, y0, x1, y1], outline=_AXIS)
    draw.text((x0, y0 - 20), f"{title} by step", fill=_TEXT, font=font)
    for j, name in enumerate(names):
        color = _COLORS[j % len(_COLORS)]
        series = [xy(s, v) for s, v in metrics.series(name)]
        if len(series) > 1:
            draw.line(series, fill=color, width=2, joint="curve")
        for x, y in series if len(series) <= 60 else []:
            draw.ellipse([x - 2, y - 2, x + 2, y + 2], fill=color)
    legend_x = x1
    for j, name in reversed(list(enumerate(names))):  # right-aligned, read left to right in file order
        color = _COLORS[j % len(_COLORS)]
        legend_x -= draw.textlength(name, font=font) + 30
        draw.line([(legend_x, y0 - 13), (legend_x + 16, y0 - 13)], fill=color, width=3)
        draw.text((legend_x + 20, y0 - 20), name, fill=_TEXT, font=font)


def write_png(metrics: Metrics, path: str | os.PathLike[str], *, title: str = "") -> Path:
    """Write the chart to ``path`` atomically; return the path."""
    return write_atomic(path, render_png(metrics, title=title))
