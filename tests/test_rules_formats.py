"""Which format a file is in: OpenAI's four, or another trainer's (F092 says so once, with the convert command)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from toolkit import formats
from toolkit.cli.main import main
from toolkit.config import Settings
from toolkit.engine import Linter


def lint(records: list[Any], name: str = "data.jsonl", **settings: Any) -> list[Any]:
    data = "".join(json.dumps(r) + "\n" for r in records).encode()
    return Linter(Settings(**settings)).lint_bytes(data, name=name).diagnostics


CHAT = {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "q"},
                     {"role": "assistant", "content": "a"}]}
FOREIGN = {
    "sharegpt": {"conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}]},
    "conversations": {"conversations": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]},
    "sharegpt-preference": {"conversations": [{"from": "human", "value": "q"}], "chosen": {"from": "gpt", "value": "a"},
                            "rejected": {"from": "gpt", "value": "b"}},
    "alpaca": {"instruction": "Translate", "input": "chat", "output": "cat"},
    "alpaca-preference": {"instruction": "q", "input": "", "chosen": "a", "rejected": "b"},
    "ms-swift": {"query": "q", "response": "a", "history": []},
    "trl-preference": {"prompt": "q", "chosen": "a", "rejected": "b"},
    "trl-messages": {"prompt": [{"role": "user", "content": "q"}], "completion": [{"role": "assistant", "content": "a"}]},
    "llamafactory": {"messages": [{"role": "user", "content": [{"type": "image_url", "value": "data/1.jpg"},
                                                               {"type": "text", "value": "What is it?"}]},
                                  {"role": "assistant", "content": [{"type": "text", "value": "A cat."}]}]},
}


@pytest.mark.parametrize("name", sorted(FOREIGN))
def test_a_file_in_another_trainers_format_gets_one_finding_with_the_convert_command(name):
    records = [{**FOREIGN[name], "n": i} if name != "sharegpt" else FOREIGN[name] for i in range(12)]
    diags = lint(records, name="mine.jsonl")
    [found] = [d for d in diags if d.rule == "F092"]
    fmt = formats.FOREIGN[name]
    assert f"the {fmt.title} format" in found.message and "12 of 12 records" in found.message
    assert "C215" not in {d.rule for d in diags}
    assert f"`tunesmith convert --from {fmt.convert_from} mine.jsonl mine.openai.jsonl`" in found.message
    per_line = [d for d in diags if d.line is not None and d.rule not in ("F092", "F130", "F131")]
    assert per_line == [], [(d.rule, d.message) for d in per_line]
    assert not [d for d in diags if "rename" in d.message or "preferred_output" in d.message]


def test_role_content_conversations_are_not_called_sharegpt(tmp_path):
    """A Hugging Face style file ("conversations" of role/content messages) is named for what it has, with the
    convert command that reads it."""
    [found] = [d for d in lint([FOREIGN["conversations"]] * 12, name="hf.jsonl") if d.rule == "F092"]
    assert '"role"/"content"' in found.message and '"from"/"value"' not in found.message
    assert "ShareGPT format" not in found.message and "--from sharegpt" in found.message
    src, out = tmp_path / "hf.jsonl", tmp_path / "hf.openai.jsonl"
    src.write_text((json.dumps(FOREIGN["conversations"]) + "\n") * 12, encoding="utf-8")
    assert main(["convert", "--from", "sharegpt", str(src), str(out)]) == 0
    assert json.loads(out.read_text("utf-8").splitlines()[0]) == {"messages": FOREIGN["conversations"]["conversations"]}


def test_alpaca_input_key_is_not_taken_for_a_preference_record():
    assert formats.detect(FOREIGN["alpaca"]) is None
    assert formats.foreign(FOREIGN["alpaca"]) == "alpaca"
    assert formats.detect({"input": {"messages": []}, "preferred_output": []}) == formats.PREFERENCE
    assert formats.detect({"prompt": "p", "completion": "c"}) == formats.COMPLETION


def test_a_mostly_openai_file_keeps_per_line_findings_for_its_foreign_records():
    diags = lint([CHAT] * 11 + [FOREIGN["sharegpt"]])
    assert "F092" not in {d.rule for d in diags}
    [found] = [d for d in diags if d.rule == "C010"]
    assert found.line == 12 and "ShareGPT format" in found.message and "--from sharegpt" in found.message
    assert "rename" not in found.message


def test_a_developer_message_before_a_final_assistant_reply_is_supervised():
    record = {"messages": [{"role": "developer", "content": "d"}, {"role": "user", "content": "q"},
                           {"role": "assistant", "content": "a"}]}
    assert formats.detect(record) == formats.CHAT
    codes = {d.rule for d in lint([record] * 12)}
    assert not codes & {"M020", "R040", "R020"}, codes
    rft = {"messages": record["messages"][:2], "answer": "4"}
    assert formats.detect(rft) == formats.REINFORCEMENT


def test_multimodal_files_with_image_paths_are_reported_once_without_a_convert_command():
    record = {"messages": [{"role": "user", "content": "<image>What is it?"}, {"role": "assistant", "content": "A cat."}],
              "images": ["data/1.jpg"]}
    diags = lint([record] * 12)
    [found] = [d for d in diags if d.rule == "F092"]
    assert "cannot read it yet" in found.message and "image_url part" in found.message
    assert "C020" not in {d.rule for d in diags}


def test_an_alpaca_record_in_a_dpo_file_is_named_as_alpaca():
    dpo = {"input": {"messages": [{"role": "user", "content": "q"}]},
           "preferred_output": [{"role": "assistant", "content": "a"}],
           "non_preferred_output": [{"role": "assistant", "content": "b"}]}
    diags = lint([dpo] * 11 + [FOREIGN["alpaca"]])
    [found] = [d for d in diags if d.line == 12 and d.severity.value == "error"]
    assert "Alpaca format" in found.message and "preferred_output" not in found.message


def _foreign_messages_reference(value: dict[str, Any]) -> str | None:
    """What formats.foreign says of a record with a "messages" list, written as the plain definition."""
    if any(isinstance(value.get(k), list) and value[k] for k in ("images", "videos", "audios")):
        return "media-paths"
    turns = [m for m in value["messages"] if isinstance(m, dict)]
    if turns and all("role" not in m and "from" in m for m in turns):
        return "sharegpt"
    if any(isinstance(p, dict) and "value" in p and "text" not in p and "image_url" not in p
           for m in turns if isinstance(m.get("content"), list) for p in m["content"]):
        return "llamafactory"
    return None


_PART = st.one_of(st.just("x"), st.fixed_dictionaries({}, optional={k: st.just("v") for k in ("value", "text",
                                                                                             "image_url", "type")}))
_TURN = st.one_of(st.just(1), st.fixed_dictionaries({}, optional={
    "role": st.just("user"), "from": st.just("human"), "value": st.just("hi"),
    "content": st.one_of(st.just("text"), st.lists(_PART, max_size=3))}))


@given(st.lists(_TURN, max_size=4), st.fixed_dictionaries({}, optional={
    k: st.one_of(st.just([]), st.just(["a.png"]), st.just("a.png")) for k in ("images", "videos", "audios")}))
def test_foreign_of_a_messages_record_is_its_plain_definition(messages: list[Any], media: dict[str, Any]) -> None:
    """The one-pass reading of the messages says what the plain definition says (sharegpt before llamafactory)."""
    value = {"messages": messages, **media}
    assert formats.foreign(value) == _foreign_messages_reference(value)
