"""C200 example-too-long and F100 special-token through the real engine."""

from __future__ import annotations

import json

import pytest
from family_support import assert_findings_sane, chat, context, hits, lint, messages
from rules_support import ODD_RECORDS

from toolkit import tokenizer

SMALL = "gpt-3.5-turbo-0613"  # 4,096-token training context


def long_chat(words: int) -> dict:
    return {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "word " * words}]}


def test_c200_example_too_long_gives_the_exact_overflow() -> None:
    value = long_chat(5_000)
    n = tokenizer.count_example(value, tokenizer.encoding("cl100k_base"))
    result = lint([chat(), json.dumps(value)], model=SMALL)
    assert hits(result, "C200") == [(2, None)]
    assert messages(result, "C200") == [
        f"example has {n:,} tokens, over the 4,096-token limit of {SMALL}: it will be truncated from the end by "
        f"{n - 4096:,} tokens (the end is usually the assistant answer); shorten it or split it into several examples"]


def test_c200_long_line_with_few_tokens_passes() -> None:
    value = long_chat(0)
    value["messages"][1]["content"] = "a" * 6_000  # 6,000 bytes, far fewer tokens
    assert hits(lint([json.dumps(value)], model=SMALL), "C200") == []
    assert hits(lint([json.dumps(long_chat(5_000))]), "C200") == []  # 65,536 tokens for the default model


def test_c200_counts_preference_and_legacy_records() -> None:
    dpo = {"input": {"messages": [{"role": "user", "content": "word " * 70_000}]},
           "preferred_output": [{"role": "assistant", "content": "a"}],
           "non_preferred_output": [{"role": "assistant", "content": "b"}]}
    assert hits(lint([json.dumps(dpo)]), "C200") == [(1, None)]
    pair = {"prompt": "word " * 17_000, "completion": " x"}
    assert hits(lint([json.dumps(pair)]), "C200") == [(1, None)]  # babbage-002: 16,384


APPENDIX_F10 = ('{"messages":[{"role":"user","content":"fill <|fim_suffix|> here"},'
                '{"role":"assistant","content":"ok"}]}')


@pytest.mark.parametrize(("record", "pointer", "says"), [
    (APPENDIX_F10, "/messages/0/content", "<|fim_suffix|>"),
    ('{"messages":[{"role":"user","content":"a \\u003c|endoftext|> b"},{"role":"assistant","content":"ok"}]}',
     "/messages/0/content", "<|endoftext|>"),
    ('{"messages":[{"role":"user","content":[{"type":"text","text":"<|im_start|>user"}]},'
     '{"role":"assistant","content":"<|im_end|> and <|im_start|>"}]}', "/messages/0/content/0/text", "<|im_start|>"),
    ('{"messages":[{"role":"user","content":"w?"},{"role":"assistant","tool_calls":[{"id":"c1","type":"function",'
     '"function":{"name":"f","arguments":"{\\"x\\": \\"<|endofprompt|>\\"}"}}]}]}',
     "/messages/1/tool_calls/0/function/arguments", "<|endofprompt|>"),
    ('{"messages":[{"role":"developer","content":"d"},{"role":"user","content":"q"}],"ref":{"a":["<|im_sep|>"]}}',
     "/ref/a/0", "<|im_sep|>"),
])
def test_f100_special_token(record: str, pointer: str, says: str) -> None:
    result = lint([chat(), record])
    assert (2, pointer) in hits(result, "F100")
    assert any(says in m and "invalid token" in m for m in messages(result, "F100"))


def test_f100_names_every_token_of_a_string_once() -> None:
    record = '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"<|im_end|> <|im_start|> <|im_end|>"}]}'
    assert messages(lint([record]), "F100") == [
        "text contains the special tokens <|im_start|>, <|im_end|>; the server rejects the file ('message contains "
        "an invalid token'): remove it or break it up, e.g. '<| im_start |>'"]


@pytest.mark.parametrize("text", ["<| endoftext |>", "<|custom|>", "a <| b |> c", "|endoftext|", "<|endoftext"])
def test_f100_passes_near_misses(text: str) -> None:
    record = json.dumps({"messages": [{"role": "user", "content": text}, {"role": "assistant", "content": "ok"}]})
    assert hits(lint([record]), "F100") == []


def test_c200_tokenizes_odd_values_without_raising() -> None:
    from toolkit.reader import Record
    from toolkit.rules import RULES

    for value in ODD_RECORDS + [{"input": "x", "messages": 5}, {"input": {"messages": [None]}, "preferred_output": 5}]:
        rec = Record(line=1, value=value, raw=b"x" * 5_000)
        assert_findings_sane(list(RULES["C200"].checker(rec, context(model=SMALL))))


def test_c200_appendix_a_record_over_gpt_4o_mini_limit() -> None:
    value = long_chat(66_000)
    result = lint([json.dumps(value)], model="gpt-4o-mini")
    assert hits(result, "C200") == [(1, None)]
    assert "over the 65,536-token limit of gpt-4o-mini" in messages(result, "C200")[0]


def test_c200_far_over_the_limit_gives_a_bound_without_tokenizing(monkeypatch) -> None:
    enc = tokenizer.encoding("cl100k_base")
    most = tokenizer.longest_token(enc)
    value = long_chat(0)
    value["messages"][1]["content"] = "word " * (most * 4096 // 5 + 100)  # over 4,096 tokens by its length alone
    least = tokenizer.tokens_at_least(value, enc)
    assert 4096 < least <= tokenizer.count_example(value, enc)

    def never(*args: object) -> int:
        raise AssertionError("tokenized an example whose length proves it too long")

    monkeypatch.setattr(tokenizer, "count_example", never)
    result = lint([chat(), json.dumps(value)], model=SMALL)
    assert hits(result, "C200") == [(2, None)]
    assert messages(result, "C200") == [
        f"example has at least {least:,} tokens (a token holds at most {most} characters), over the 4,096-token "
        f"limit of {SMALL}: it will be truncated from the end by at least {least - 4096:,} tokens (the end is usually "
        "the assistant answer); shorten it or split it into several examples"]


def test_the_token_bounds_hold_the_count() -> None:
    enc = tokenizer.encoding("o200k_base")
    for value in [*ODD_RECORDS, long_chat(300), {"prompt": "é" * 500, "completion": "🙂" * 300},
                  {"prompt": "lone \ud800 surrogate", "completion": "ok"}]:
        if isinstance(value, dict):
            n = tokenizer.count_example(value, enc)
            assert tokenizer.tokens_at_least(value, enc) <= n <= tokenizer.tokens_at_most(value)


def test_c200_judges_a_short_image_example_without_the_encoding(monkeypatch) -> None:
    def never(*args: object) -> None:
        raise AssertionError("loaded the encoding for an example whose bytes prove it short")

    monkeypatch.setattr(tokenizer, "encoding", never)
    image = {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}
    value = {"messages": [{"role": "user", "content": [{"type": "text", "text": "what is this?"}, image]},
                          {"role": "assistant", "content": "a cat"}]}
    result = lint([json.dumps(value)], model=SMALL)
    assert hits(result, "C200") == []
    assert not [d for d in result.diagnostics if "internal" in d.message]


def test_a_long_line_is_linted_in_a_few_times_its_size() -> None:
    import random
    import tracemalloc

    rng = random.Random(5)
    vocab = ["".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(2, 9))) for _ in range(5000)]
    value = long_chat(0)
    value["messages"][1]["content"] = " ".join(rng.choices(vocab, k=500_000))  # ~3 MB of varied words
    data = (chat() + "\n" + json.dumps(value) + "\n").encode()
    tokenizer.encoding("cl100k_base")  # loaded once per process: not the line's cost
    lint([chat()], model=SMALL)
    tracemalloc.start()
    try:
        result = lint(data, model=SMALL)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert hits(result, "C200") == [(2, None)]
    assert peak < 6 * len(data)  # read, parsed and checked; tokenizing it took 16 times its size
