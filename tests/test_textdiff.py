"""Highlighted differences (toolkit.ui.textdiff): word and fix-preview diffs, always HTML-escaped."""

from __future__ import annotations

import html
import re

from hypothesis import given
from hypothesis import strategies as st

from toolkit.ui import textdiff


def test_words_are_compared_as_words() -> None:
    assert textdiff.segments("The cat sat.", "The dog sat!") == [
        ("equal", "The "), ("delete", "cat"), ("insert", "dog"), ("equal", " sat"), ("delete", "."), ("insert", "!")]
    assert textdiff.segments("same", "same") == [("equal", "same")]
    assert textdiff.segments("", "") == []


def test_user_text_is_never_html() -> None:
    out = textdiff.to_html(textdiff.segments("<b>bold</b> & co", "<script>alert(1)</script> & co"))
    assert "<script" not in out and "<b>" not in out and "</b>" not in out
    assert "&lt;" in out and "&amp; co" in out
    assert visible(out) == "".join(t for _, t in textdiff.segments("<b>bold</b> & co", "<script>alert(1)</script> & co"))
    assert '<del style="' in out and '<ins style="' in out
    quoted = textdiff.text_html('" onmouseover="x')
    assert 'onmouseover="x' not in quoted and "&quot; onmouseover=&quot;x" in quoted


def test_a_fix_preview_is_the_change_with_a_little_context() -> None:
    line = '{"messages": [{"role": "developer", "content": "' + "Be brief. " * 50 + '"}, {"weight": 1.0}]}'
    places, total = textdiff.spans(line, line.replace("1.0", "1"))
    assert total == 1 and [op for op, _ in places[0] if op != "equal"] == ["delete"]
    assert dict((op, t) for op, t in places[0] if op != "equal") == {"delete": ".0"}
    assert sum(len(t) for _, t in places[0]) < 60  # not the whole line
    places, _ = textdiff.spans(line, line.replace("developer", "system"))
    assert [(op, t) for op, t in places[0] if op != "equal"] == [("delete", "developer"), ("insert", "system")]


def test_many_changes_are_counted_and_cut() -> None:
    before = " ".join(f"w{i}" for i in range(400))
    after = " ".join(f"w{i}" if i % 40 else f"x{i}" for i in range(400))
    places, total = textdiff.spans(before, after, limit=3)
    assert total == 10 and len(places) == 3


def test_huge_texts_are_not_compared() -> None:
    big = "a" * (textdiff.MAX_COMPARED + 1)
    assert textdiff.segments(big, "b") == [("delete", big), ("insert", "b")]
    places, total = textdiff.spans(big, "b")
    assert total == 1 and len(places[0][0][1]) <= 201


@given(st.text(max_size=80), st.text(max_size=80))
def test_the_segments_rebuild_both_texts(before: str, after: str) -> None:
    parts = textdiff.segments(before, after)
    assert "".join(t for op, t in parts if op != "insert") == before
    assert "".join(t for op, t in parts if op != "delete") == after
    if parts:
        assert visible(textdiff.to_html(parts)) == "".join(t for _, t in parts)


def visible(body: str) -> str:
    """The text a browser shows for ``body`` (tags dropped, entities read)."""
    return html.unescape(re.sub(r"<[^>]+>", "", body))
