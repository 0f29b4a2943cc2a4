"""Image rules C210-C215 through the real engine and against the schemas (odd values: test_rule_contract.py)."""

from __future__ import annotations

import base64
import json
import struct

import pytest
from family_support import chat, context, hits, lint, messages, run_record_rule
from rules_support import corpus_records

from toolkit import schemas
from toolkit.rules import RULES
from toolkit.rules.images import data_url_problem

VISION = "gpt-4o-2024-08-06"


def image(url: str = "https://x/y.png", **extra: object) -> dict:
    return {"type": "image_url", "image_url": {"url": url, **extra}}


def user_with(*parts: dict) -> str:
    return json.dumps({"messages": [{"role": "user", "content": [{"type": "text", "text": "look"}, *parts]},
                                    {"role": "assistant", "content": "a cat"}]})


PNG_END = struct.pack(">I", 0) + b"IEND\xaeB`\x82"


def png(color_type: int = 2) -> str:
    head = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">IIBBBBB", 4, 4, 8, color_type, 0, 0, 0)
    return "data:image/png;base64," + base64.b64encode(head + b"\x00" * 40 + PNG_END).decode()


def data_url(kind: str, payload: bytes) -> str:
    return f"data:image/{kind};base64," + base64.b64encode(payload).decode()


# (code, record, pointer of the expected finding, provider, words the message must contain)
VIOLATIONS = [
    ("C210", '{"messages":[{"role":"user","content":"describe"},{"role":"assistant","content":[{"type":"image_url",'
             '"image_url":{"url":"https://x/y.png"}}]}]}', "/messages/1/content/0", "openai", "only in user messages"),
    ("C210", json.dumps({"messages": [{"role": "system", "content": [image()]}, {"role": "user", "content": "q"},
                                      {"role": "assistant", "content": "a"}]}), "/messages/0/content/0", "openai",
     "message 1 (system)"),
    ("C211", user_with(image("ftp://x/y.png")), "/messages/0/content/1/image_url/url", "openai", "ftp://x/y.png"),
    ("C211", user_with(image("images/cat.png")), "/messages/0/content/1/image_url/url", "openai", "https"),
    ("C211", user_with(image("HTTPS://X/Y.PNG")), "/messages/0/content/1/image_url/url", "openai", "neither"),
    ("C211", user_with({"type": "image_url", "image_url": "https://x/y.png"}), "/messages/0/content/1/image_url",
     "openai", "is a string"),
    ("C211", user_with({"type": "image_url", "value": "data/1.jpg"}), "/messages/0/content/1", "openai",
     'move "value" into it'),
    ("C211", user_with({"type": "image_url", "image_url": {"detail": "low"}}), "/messages/0/content/1/image_url",
     "openai", '"url" string'),
    ("C212", user_with(image(detail="medium")), "/messages/0/content/1/image_url/detail", "openai", "'medium'"),
    ("C212", user_with(image(detail=None)), "/messages/0/content/1/image_url/detail", "openai", "null"),
    ("C213", user_with(*[image(f"https://x/{i}.png") for i in range(11)]), "/messages/0/content/11", "openai",
     "11 images; OpenAI allows at most 10"),
    ("C213", user_with(*[image(f"https://x/{i}.png") for i in range(65)]), "/messages/0/content/65", "azure",
     "at most 64"),
    ("C214", user_with(image(data_url("gif", b"GIF89a" + b"\x00" * 30))), "/messages/0/content/1/image_url/url",
     "openai", "image/gif is not supported"),
    ("C214", user_with(image(data_url("png", b"GIF89a" + b"\x00" * 30))), "/messages/0/content/1/image_url/url",
     "openai", "the data is a GIF image"),
    ("C214", user_with(image(png(color_type=0))), "/messages/0/content/1/image_url/url", "openai", "grayscale"),
    ("C214", user_with(image("data:image/png," + "A" * 40)), "/messages/0/content/1/image_url/url", "openai",
     "not base64"),
    ("C214", user_with(image("data:image/jpeg;base64," + "/9j/" + "A" * 14_000_000)),
     "/messages/0/content/1/image_url/url", "openai", "over the 10 MB limit"),
]
PASSING = [
    ("C210", user_with(image()), ("openai", "azure")),
    ("C211", user_with(image("http://x/y.jpg"), image(png())), ("openai", "azure")),
    ("C212", user_with(image(detail="low"), image(detail="high"), image(detail="auto")), ("openai", "azure")),
    ("C213", user_with(*[image(f"https://x/{i}.png") for i in range(10)]), ("openai", "azure")),
    ("C213", user_with(*[image(f"https://x/{i}.png") for i in range(64)]), ("azure",)),
    ("C214", user_with(image(png()), image(png(color_type=6)),
                       image(data_url("jpeg", b"\xff\xd8\xff\xe0" + b"0" * 20 + b"\xff\xd9")),
                       image(data_url("webp", b"RIFF\x14\x00\x00\x00WEBPVP8 " + b"0" * 12)), image()),
     ("openai", "azure")),
]


@pytest.mark.parametrize(("code", "record", "pointer", "provider", "says"), VIOLATIONS)
def test_violation_is_flagged_at_the_pointer(code: str, record: str, pointer: str, provider: str, says: str) -> None:
    result = lint([chat(), record], provider=provider, model=VISION)
    assert (2, pointer) in hits(result, code), [(d.rule, d.line, d.pointer) for d in result.diagnostics]
    assert not [h for h in hits(result, code) if h[0] == 1]
    assert any(says in m for m in messages(result, code)), messages(result, code)


@pytest.mark.parametrize(("code", "record", "providers"), PASSING)
def test_clean_images_pass(code: str, record: str, providers: tuple[str, ...]) -> None:
    for provider in providers:
        result = lint([record], provider=provider, model=VISION)
        assert hits(result, code) == []
        assert hits(result, "S001") == []


def test_images_in_rft_records_follow_the_same_rules() -> None:
    record = json.dumps({"messages": [{"role": "developer", "content": [image()]},
                                      {"role": "user", "content": [image("file:///c.png")]}], "answer": "4"})
    result = lint([record], method="reinforcement")
    assert hits(result, "C210") == [(1, "/messages/0/content/0")]
    assert hits(result, "C211") == [(1, "/messages/1/content/0/image_url/url")]


@pytest.mark.parametrize(("code", "record", "pointer", "provider", "says"),
                         [v for v in VIOLATIONS if v[0] in ("C210", "C211", "C212")])
def test_structural_violations_fail_the_schema(code: str, record: str, pointer: str, provider: str, says: str) -> None:
    assert RULES[code].structural
    assert not schemas.validator("chat").is_valid(json.loads(record))


def test_structural_rules_stay_quiet_on_schema_valid_corpus_records() -> None:
    records = corpus_records("foundry_chartqa_vision_validation.jsonl")
    assert records and all(schemas.validator("chat").is_valid(r) for r in records)
    for code in ("C210", "C211", "C212", "C213", "C214"):
        assert not [f for r in records for f in run_record_rule(code, r, context(model=VISION))], code


def test_c215_images_with_a_model_that_takes_none() -> None:
    rows = [chat(1), user_with(image()), user_with(image("https://x/2.png"))]
    result = lint(rows)
    assert hits(result, "C215") == [(2, None)]
    assert messages(result, "C215") == [
        "2 examples with images (first at line 2), but the default model gpt-4.1-mini-2025-04-14 cannot be "
        "fine-tuned on images: pass --model gpt-4o-2024-08-06"]
    azure = messages(lint(rows, provider="azure", model="gpt-4o-mini"), "C215")
    assert azure and "gpt-4o-mini" in azure[0] and "--model gpt-4.1-2025-04-14 (or gpt-4o-2024-08-06)" in azure[0]
    assert hits(lint(rows, model=VISION), "C215") == []
    assert hits(lint([chat(i) for i in range(3)]), "C215") == []


def test_c215_ignores_text_that_merely_mentions_image_url() -> None:
    record = json.dumps({"messages": [{"role": "user", "content": 'what is "image_url"?'},
                                      {"role": "assistant", "content": "a key"}]})
    assert hits(lint([record]), "C215") == []


@pytest.mark.parametrize(("url", "problem"), [
    ("data:image/png;base64,!!!!", "not valid base64"),
    ("data:image/svg+xml;base64,PHN2Zz4=", "image/svg+xml is not supported"),
    ("data:image/png;base64," + base64.b64encode(b"BM" + b"\x00" * 30).decode(), "a BMP image"),
    ("data:image/;base64,", "is not supported"),
    ("data:image/png;base64,", "holds no data"),
    (png()[:-8], "cut short"),
    ("data:image/png;base64," + base64.b64encode(base64.b64decode(png()[22:])[:-6]).decode(),
     "the PNG data is cut short"),
    (data_url("jpeg", b"\xff\xd8\xff\xe0" + b"0" * 200), "the JPEG data is cut short"),
    (data_url("webp", b"RIFF\xff\x00\x00\x00WEBPVP8 " + b"0" * 12), "the WEBP data is cut short"),
    (png()[:80] + "!?" + png()[82:], "the character '!'"),
    ("data:image/png;base64,iVBO", None),
])
def test_data_url_problem_edge_cases(url: str, problem: str | None) -> None:
    found = data_url_problem(url)
    assert (found is None) if problem is None else (problem in (found or "")), found


