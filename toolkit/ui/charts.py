"""Altair charts for the Statistics and Train pages (numbers only: no user text goes into a chart)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import altair as alt
import pandas as pd

from toolkit.plural import plural

BINS = 30
LIMIT_COLOR = "#d62728"


def token_histogram(tokens: Sequence[int], limit: int) -> alt.LayerChart | alt.FacetChart:
    """Examples per token count on a log scale, with the model's context limit as a red rule."""
    values = [t for t in tokens if t > 0]
    top = max([*values, limit]) * 1.05
    low = max(1.0, min(values, default=1) / 1.2)
    ratio = (top / low) ** (1 / BINS) if top > low else 2.0
    edges = [low * ratio ** k for k in range(BINS + 1)]
    counts = Counter(min(BINS - 1, int(math.log(v / low, ratio))) if v > low else 0 for v in values)
    bars = pd.DataFrame([{"from": edges[k], "to": edges[k + 1], "examples": n} for k, n in sorted(counts.items())],
                        columns=["from", "to", "examples"])
    x = alt.X("from:Q", scale=alt.Scale(type="log", domain=[low, top]), title="tokens per example (log scale)")
    hist = alt.Chart(bars).mark_rect().encode(
        x=x, x2="to:Q", y=alt.Y("examples:Q", title="examples"), y2=alt.datum(0),
        tooltip=[alt.Tooltip("from:Q", format=",.0f"), alt.Tooltip("to:Q", format=",.0f"), "examples:Q"])
    rule_data = pd.DataFrame({"from": [limit], "label": [f"model limit {limit:,}"]})
    rule = alt.Chart(rule_data).mark_rule(color=LIMIT_COLOR, strokeWidth=2).encode(x="from:Q")
    text = alt.Chart(rule_data).mark_text(color=LIMIT_COLOR, align="right", dx=-4, dy=8, baseline="top").encode(
        x="from:Q", y=alt.value(0), text="label:N")
    return alt.layer(hist, rule, text)


def messages_chart(turns: Sequence[int]) -> alt.Chart:
    """How many examples have 1, 2, 3... messages."""
    counts = Counter(turns)
    data = pd.DataFrame({"messages": sorted(counts), "examples": [counts[k] for k in sorted(counts)]})
    chart: alt.Chart = alt.Chart(data).mark_bar().encode(
        x=alt.X("messages:O", title="messages per example", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("examples:Q", title="examples"),
        tooltip=["messages:O", "examples:Q"])
    return chart


def billed_vs_trained(billed: int, trained: int, epochs: int) -> alt.Chart:
    """Tokens billed and trained per epoch, and billed over all epochs."""
    data = pd.DataFrame({
        "what": ["billed per epoch", "trained per epoch", f"billed x {plural(epochs, 'epoch')}"],
        "tokens": [billed, trained, billed * epochs],
    })
    chart: alt.Chart = alt.Chart(data).mark_bar().encode(
        y=alt.Y("what:N", sort=None, title=None), x=alt.X("tokens:Q", title="tokens"),
        color=alt.Color("what:N", legend=None), tooltip=["what:N", alt.Tooltip("tokens:Q", format=",")])
    return chart


def training_curves(points: Sequence[tuple[int, str, float]], title: str) -> alt.Chart:
    """Lines of ``(step, metric, value)`` points, one colour per metric."""
    data = pd.DataFrame(points, columns=["step", "metric", "value"])
    chart: alt.Chart = alt.Chart(data, title=title).mark_line(point=len(data) < 60).encode(
        x=alt.X("step:Q", title="step"), y=alt.Y("value:Q", title=None), color=alt.Color("metric:N", title=None),
        tooltip=["step:Q", "metric:N", alt.Tooltip("value:Q", format=".4f")])
    return chart
