"""Format a comparison as a text table, JSON or a standalone HTML page (every value escaped)."""

from __future__ import annotations

import html
import json
import textwrap
from typing import Any

from .chat import Reply
from .compare import Row, matches, summary
from .console import table as format_table

FORMATS = ("text", "json", "html")


def _prompt_text(row: Row) -> str:
    last_user = [m for m in row.prompt.messages if m.get("role") == "user"]
    content = (last_user or row.prompt.messages)[-1].get("content")
    return content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)


def _stats(reply: Reply) -> str:
    tokens = f"{reply.prompt_tokens if reply.prompt_tokens is not None else '?'}+" \
             f"{reply.completion_tokens if reply.completion_tokens is not None else '?'} tok"
    return f"{tokens}, {reply.latency:.2f} s"


def to_json(rows: list[Row]) -> str:
    """The rows and the summary as a JSON document."""
    data = {
        "summary": summary(rows),
        "rows": [{"path": r.prompt.path, "line": r.prompt.line, "prompt": r.prompt.messages,
                  "reference": r.prompt.reference, "base": r.base.as_dict(), "tuned": r.tuned.as_dict(),
                  "base_matches": matches(r.base.text, r.prompt.reference),
                  "tuned_matches": matches(r.tuned.text, r.prompt.reference)} for r in rows],
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


def _cells(texts: list[str], width: int) -> list[str]:
    wrapped = [[line for p in t.splitlines() or [""] for line in textwrap.wrap(p, width) or [""]] for t in texts]
    height = max(len(w) for w in wrapped)
    return ["  ".join(f"{(w[i] if i < len(w) else ''):<{width}}" for w in wrapped).rstrip() for i in range(height)]


def to_text(rows: list[Row], *, width: int = 110) -> str:
    """Each prompt with reference, base and tuned answers side by side, then a summary table."""
    col = max((width - 4) // 3, 16)
    s = summary(rows)
    out = []
    for i, row in enumerate(rows, 1):
        out.append(f"#{i}  {row.prompt.path}:{row.prompt.line}  " + textwrap.shorten(_prompt_text(row), width - 20))
        heads = ["reference", f"base ({_stats(row.base)})", f"tuned ({_stats(row.tuned)})"]
        out += _cells(heads, col) + _cells(["-" * col] * 3, col)
        marks = ["", " [= reference]" if matches(row.base.text, row.prompt.reference) else "",
                 " [= reference]" if matches(row.tuned.text, row.prompt.reference) else ""]
        body = [row.prompt.reference if row.prompt.reference is not None else "(none in the file)",
                row.base.text + marks[1], row.tuned.text + marks[2]]
        out += _cells(body, col) + [""]
    table = [("", "base", "tuned"), ("model", s["base"]["model"], s["tuned"]["model"])]
    table += [(label, str(s["base"][key]), str(s["tuned"][key])) for label, key in
              (("mean latency (s)", "mean_latency_s"), ("prompt tokens", "prompt_tokens"),
               ("completion tokens", "completion_tokens"))]
    table.append(("matches reference", f"{s['base']['matches_reference']}/{s['base']['with_reference']}",
                  f"{s['tuned']['matches_reference']}/{s['tuned']['with_reference']}"))
    out.append(format_table(table))
    return "\n".join(out)


_CSS = ("body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse;width:100%}"
        "td,th{border:1px solid #ccc;padding:.4em;vertical-align:top;text-align:left}"
        "td.t{white-space:pre-wrap}.ok{background:#e8f5e9}.meta{color:#666;font-size:.85em}")


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def to_html(rows: list[Row], *, title: str = "Tunesmith comparison") -> str:
    """A standalone HTML page; every piece of model or dataset text is escaped."""
    s = summary(rows)
    head = (f"<tr><th>#</th><th>prompt</th><th>reference</th><th>base: {_e(s['base']['model'])}</th>"
            f"<th>tuned: {_e(s['tuned']['model'])}</th></tr>")
    body = []
    for i, row in enumerate(rows, 1):
        cells = []
        for reply in (row.base, row.tuned):
            ok = ' class="t ok"' if matches(reply.text, row.prompt.reference) else ' class="t"'
            cells.append(f"<td{ok}>{_e(reply.text)}<div class=\"meta\">{_e(_stats(reply))}</div></td>")
        body.append(f"<tr><td>{i}<div class=\"meta\">{_e(row.prompt.path)}:{row.prompt.line}</div></td>"
                    f"<td class=\"t\">{_e(_prompt_text(row))}</td>"
                    f"<td class=\"t\">{_e(row.prompt.reference if row.prompt.reference is not None else '')}</td>"
                    + "".join(cells) + "</tr>")
    totals = "".join(
        f"<tr><th>{_e(label)}</th><td>{_e(s['base'][k])}</td><td>{_e(s['tuned'][k])}</td></tr>"
        for label, k in (("mean latency (s)", "mean_latency_s"), ("prompt tokens", "prompt_tokens"),
                         ("completion tokens", "completion_tokens"), ("matches reference", "matches_reference")))
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{_e(title)}</title>"
            f"<style>{_CSS}</style></head><body><h1>{_e(title)}</h1>"
            f"<table><tr><th></th><th>base</th><th>tuned</th></tr>{totals}</table><h2>Prompts</h2>"
            f"<table>{head}{''.join(body)}</table></body></html>\n")


def render(rows: list[Row], fmt: str, *, width: int = 110) -> str:
    """``rows`` in ``fmt`` (text, json or html)."""
    if fmt == "json":
        return to_json(rows)
    if fmt == "html":
        return to_html(rows)
    return to_text(rows, width=width)
