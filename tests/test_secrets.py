"""D010 secret-in-text, D020 email-address, D030 phone-number: found with pointers, quiet on the corpus."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rules_support import corpus_file, corpus_names, data_file, sample_and_corpus_names

from toolkit import lint, sensitive
from toolkit.config import Settings
from toolkit.engine import Linter
from toolkit.reader import Record

CORPUS = corpus_names()
PRETTY = "cookbook_01_testing_example_prettyprinted.jsonl"
JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ."
       "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")


def lint_one(record: dict[str, Any], *codes: str) -> list[tuple[int | None, str | None, str, str]]:
    data = b'{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo"}]}\n'
    data += json.dumps(record, ensure_ascii=False).encode() + b"\n"
    result = Linter(Settings(select=codes or ("D",))).lint_bytes(data)
    return [(d.line, d.pointer, d.rule, d.message) for d in result.diagnostics]


def chat(text: str, role: str = "assistant") -> dict:
    other = "user" if role == "assistant" else "assistant"
    return {"messages": [{"role": other, "content": "Question?"}, {"role": role, "content": text}]}


SECRETS = [
    ("Use sk-proj-AbC123dEf456GhI789jKl012MnO345pQr to call the API", "an OpenAI-style API key"),
    ("key: sk-0123456789abcdefghijABCDEFGHIJ0123456789abcdef", "an OpenAI-style API key"),
    ("export AWS_ACCESS_KEY_ID=AKIAZ3MHLK2QXJ7RTY4P", "an AWS access key id"),
    ("token ghp_1234567890abcdefghijABCDEFGHIJ123456 works", "a GitHub token"),
    ("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "a GitHub token"),
    ("xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp", "a Slack token"),
    ("AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q", "a Google API key"),
    (f"session={JWT}", "a JSON Web Token"),
    (f"Authorization: Bearer {JWT}", "a bearer token"),  # one finding, not one per pattern
    ("Authorization: Bearer 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b", "a bearer token"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----",
     "a private key"),
]


@pytest.mark.parametrize(("text", "label"), SECRETS)
def test_secrets_are_found_with_a_pointer(text, label):
    [(line, pointer, rule, message)] = lint_one(chat(text))
    assert (line, pointer, rule) == (2, "/messages/1/content", "D010")
    assert message.startswith(f"{label} (") and "training data can come back" in message


@pytest.mark.parametrize("text", [
    "Set OPENAI_API_KEY=sk-... in your shell", "sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxx", "Bearer YOUR_TOKEN_GOES_HERE_OK",
    "AKIAIOSFODNN7EXAMPLE (the AWS docs' example key)", "a task-list-item-1234567890abcdefghij",
    "Bearer tokens are sent in the Authorization header", "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "BEGIN PRIVATE KEY without dashes",
])
def test_placeholders_and_prose_are_not_secrets(text):
    assert lint_one(chat(text)) == []


def test_the_secret_is_masked_in_the_message():
    key = "sk-proj-AbC123dEf456GhI789jKl012MnO345pQr"
    [(_, _, _, message)] = lint_one(chat(f"key {key}"))
    assert key not in message and "sk-proj-…Qr" in message and "at character 5 of this string" in message


@pytest.mark.parametrize(("text", "hit"), [
    ("Write to jane.doe@gmail.com for a refund", True), ("support+orders@shop.co.uk", True),
    ("name@example.com", False), ("user@mail.example.org", False), ("bob@host.test", False),
    ("logo@2x.png", False), ("git@github.com:org/repo.git", False), ("@handle on social", False),
    ("a@b", False),
])
def test_email_addresses(text, hit):
    found = lint_one(chat(text, role="user"), "D020")
    assert [(p, r) for _, p, r, _ in found] == ([("/messages/1/content", "D020")] if hit else [])


@pytest.mark.parametrize(("text", "hit"), [
    ("Call +1 415 555 2671 today", True), ("(415) 555-2671", True), ("415-555-2671", True),
    ("+44 20 7946 0958", True), ("+33 1 23 45 67 89", True),
    ("order 12345678901", False), ("2024-01-15", False), ("ISBN 978-3-16-148410-0", False),
    ("version 1.2.3.4", False), ("+5 points", False), ("x = 415-555", False), ("id-415-555-2671-b", False),
])
def test_phone_numbers(text, hit):
    found = lint_one(chat(text), "D030")
    assert [r for _, _, r, _ in found] == (["D030"] if hit else [])


def test_findings_point_inside_nested_values():
    record = {"messages": [{"role": "user", "content": [{"type": "text", "text": "mail a.b@corp.io"}]},
                           {"role": "assistant", "tool_calls": [{"id": "c", "type": "function", "function": {
                               "name": "send", "arguments": '{"to": "+1 (415) 555-2671"}'}}]}]}
    found = {(p, r) for _, p, r, _ in lint_one(record)}
    assert found == {("/messages/0/content/0/text", "D020"), ("/messages/1/tool_calls/0/function/arguments", "D030")}


def test_records_without_a_hint_are_not_walked(monkeypatch):
    calls = []
    monkeypatch.setattr(sensitive, "strings", lambda value: calls.append(value) or iter(()))
    lint_one(chat("nothing to see here, just words and 42"))
    assert calls == []


def test_scan_never_raises_on_odd_values():
    for value in (None, 5, "x", [], {}, {"a": [None, 1.5, True, {"b": "jane@gmail.com"}]}, {"~/": "sk-x"}):
        for kind in sensitive.FINDERS:
            list(sensitive.scan(value, kind))
    rec = Record(1, {"a": {"b~c/d": "mail jane@gmail.com"}}, b'{"a": {"b~c/d": "mail jane@gmail.com"}}')
    assert [p for p, _ in sensitive.scan(rec.value, sensitive.EMAIL)] == ["/a/b~0c~1d"]


# -- the corpus ----------------------------------------------------------------------------


def test_the_corpus_addresses_are_found_where_they_are():
    """The pretty-printed Cookbook file quotes three university addresses in one assistant answer."""
    result = lint(corpus_file(PRETTY))
    found = [(d.line, d.pointer, d.rule) for d in result.diagnostics if d.rule.startswith("D")]
    assert found == [(163, "/messages/2/content", "D020")] * 3
    assert [m.text for m in sensitive.emails(corpus_file(PRETTY).read_text("utf-8"))] == [
        "designandcoomputationarts@concordia.ca", "upd.dart@concordia.ca", "upd.cart@concordia.ca"]


@pytest.mark.parametrize("key", [k for k in sample_and_corpus_names() if k != f"corpus/{PRETTY}"])  # PRETTY: above
def test_no_false_positives_on_real_files(key):
    assert [(d.line, d.rule) for d in lint(data_file(key)).diagnostics if d.rule.startswith("D")] == []


class _NoScan:
    """A compiled pattern that may be tried where a match can start, never scanned along a whole string."""

    def __init__(self, pattern: Any) -> None:
        self.pattern = pattern

    def match(self, text: str, pos: int = 0) -> Any:
        return self.pattern.match(text, pos)

    def finditer(self, text: str) -> Any:
        assert len(text) < sensitive.ANCHORED_FROM, "a long string was scanned character by character"
        return self.pattern.finditer(text)


def _long_text() -> str:
    """Prose, base64-looking runs and every kind of secret and phone number, over ANCHORED_FROM characters."""
    import base64
    import random

    noise = base64.b64encode(random.Random(7).randbytes(3000)).decode()
    kinds = [text for text, _ in SECRETS] + ["Call +1 415 555 2671 today", "(415) 555-2671", "x 415-555-2671,",
                                            "+44 20 7946 0958", "2024-01-15", "v 1.2.3.4", "id-415-555-2671-b",
                                            "415.555.2671", "(+1) 415-555-1234-555-6789", "+0 12 34 56 78"]
    return f" {noise} ".join(["start", *kinds, "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q" + noise, "end"])


def test_long_strings_are_searched_only_at_anchors_with_the_same_matches(monkeypatch):
    text = _long_text()
    assert len(text) >= sensitive.ANCHORED_FROM
    want = {kind: [(m.start, m.end, m.label) for m in find(text)] for kind, find in sensitive.FINDERS.items()}
    monkeypatch.setattr(sensitive, "ANCHORED_FROM", 10 ** 12)  # every string scanned whole: the reference
    assert want == {kind: [(m.start, m.end, m.label) for m in find(text)] for kind, find in sensitive.FINDERS.items()}
    assert len(want[sensitive.SECRET]) == len(SECRETS) + 1 and len(want[sensitive.PHONE]) >= 5
    monkeypatch.undo()
    monkeypatch.setattr(sensitive, "_SECRETS", [(lb, _NoScan(p), b, a) for lb, p, b, a in sensitive._SECRETS])
    monkeypatch.setattr(sensitive, "_PHONE", _NoScan(sensitive._PHONE))
    assert [(m.start, m.end) for m in sensitive.secrets(text)] == [(s, e) for s, e, _ in want[sensitive.SECRET]]
    assert [(m.start, m.end) for m in sensitive.phones(text)] == [(s, e) for s, e, _ in want[sensitive.PHONE]]


def test_emails_skip_strings_without_an_at_sign(monkeypatch):
    class Never:
        def finditer(self, text: str) -> Any:
            raise AssertionError("scanned a string without @")

    monkeypatch.setattr(sensitive, "_EMAIL", Never())
    assert list(sensitive.emails("no address here " * 1000)) == []
