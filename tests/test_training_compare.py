"""Held-out prompts and the comparison report: reference answers, text table, JSON, and escaped HTML."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toolkit.errors import InputError
from toolkit.training.chat import Reply, clean_messages, conversation
from toolkit.training.compare import Prompt, Row, load_prompts, matches, prompt_from_record, summary
from toolkit.training.compare_report import render, to_html, to_text

EVIL = '<script>alert("x")</script> & <b>'


def test_chat_record_splits_at_the_last_assistant_message() -> None:
    record = {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "q1"},
                           {"role": "assistant", "content": "a1", "weight": 0}, {"role": "user", "content": "q2"},
                           {"role": "assistant",
                            "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "2"}]}],
              "tools": [{"type": "function", "function": {"name": "f"}}]}
    p = prompt_from_record(record, "f.jsonl", 3)
    assert [m["content"] for m in p.messages] == ["s", "q1", "a1", "q2"] and p.reference == "a2"
    assert p.tools == record["tools"] and (p.path, p.line) == ("f.jsonl", 3)
    assert clean_messages(p.messages)[2] == {"role": "assistant", "content": "a1"}  # weight is training-only


def test_preference_and_rft_records() -> None:
    dpo = prompt_from_record({"input": {"messages": [{"role": "user", "content": "q"}]},
                              "preferred_output": [{"role": "assistant", "content": "good"}],
                              "non_preferred_output": [{"role": "assistant", "content": "bad"}]}, "d.jsonl", 1)
    assert dpo.messages == [{"role": "user", "content": "q"}] and dpo.reference == "good"
    rft = prompt_from_record({"messages": [{"role": "developer", "content": "d"}, {"role": "user", "content": "q"}],
                              "reference_answer": "42"}, "r.jsonl", 1)
    assert len(rft.messages) == 2 and rft.reference == "42"
    bare = prompt_from_record({"messages": [{"role": "user", "content": "q"}]}, "b.jsonl", 1)
    assert bare.reference is None


@pytest.mark.parametrize(("record", "message"), [
    ({"prompt": "q", "completion": "a"}, "f.jsonl:4: not a chat, preference or RFT record"),
    ({"messages": [{"role": "assistant", "content": "a"}]}, "f.jsonl:4: no prompt messages before the answer"),
])
def test_records_that_cannot_be_compared(record: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        prompt_from_record(record, "f.jsonl", 4)


def test_load_prompts_limits_and_reports_bad_lines(tmp_path: Path) -> None:
    good = {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}
    data = tmp_path / "held.jsonl"
    data.write_text("\n".join(json.dumps(good) for _ in range(5)) + "\n")
    assert [p.line for p in load_prompts(data, limit=2)] == [1, 2]
    data.write_text(json.dumps(good) + "\n{not json\n")
    with pytest.raises(InputError, match=r"held.jsonl:2: .*\(run `tunesmith lint"):
        load_prompts(data)
    (tmp_path / "empty.jsonl").write_text("")
    with pytest.raises(InputError, match="no examples to compare"):
        load_prompts(tmp_path / "empty.jsonl")
    with pytest.raises(InputError, match="no such file"):
        load_prompts(tmp_path / "missing.jsonl")
    with pytest.raises(InputError, match=r"is a folder; pass a \.jsonl file"):  # it said "no such file"
        load_prompts(tmp_path)


def rows() -> list[Row]:
    p1 = Prompt("held.jsonl", 1, conversation(EVIL, "system"), reference="Paris.")
    p2 = Prompt("held.jsonl", 2, conversation("2+2?"), reference=None)
    return [Row(p1, Reply("base", f"It is {EVIL}", 10, 20, 0.5), Reply("tuned", " paris. ", 10, 2, 0.25)),
            Row(p2, Reply("base", "4", 5, 1, 0.1), Reply("tuned", "four", 5, None, 0.15))]


def test_matches_ignore_case_and_spacing() -> None:
    assert matches(" paris. ", "Paris.") and not matches("Paris", "Paris.") and not matches("x", None)


def test_summary_totals() -> None:
    s = summary(rows())
    assert s["base"] == {"model": "base", "mean_latency_s": 0.3, "prompt_tokens": 15, "completion_tokens": 21,
                         "matches_reference": 0, "with_reference": 1}
    assert s["tuned"]["matches_reference"] == 1 and s["tuned"]["completion_tokens"] == 2


def test_text_report_side_by_side() -> None:
    text = to_text(rows(), width=90)
    lines = text.splitlines()
    assert lines[0].startswith("#1  held.jsonl:1  <script>")
    assert lines[1].split()[:3] == ["reference", "base", "(10+20"] and "tuned (10+2 tok, 0.25 s)" in lines[1]
    assert "paris.  [= reference]" in text and "(none in the file)" in text and "5+? tok" in text
    assert lines[-1].split() == ["matches", "reference", "0/1", "1/1"]
    assert max(len(line) for line in lines[:-6]) <= 90


def test_html_report_escapes_everything() -> None:
    page = to_html(rows())
    assert "<script>" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;" in page
    assert page.count("<tr><td>") == 2 and 'class="t ok"' in page  # the tuned answer matching the reference


def test_json_report() -> None:
    data = json.loads(render(rows(), "json"))
    assert data["rows"][0]["tuned_matches"] is True and data["rows"][0]["base"]["latency_s"] == 0.5
    assert data["rows"][1]["reference"] is None and data["summary"]["tuned"]["model"] == "tuned"
