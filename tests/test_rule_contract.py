"""The contract every registered rule keeps, driven by the registry (a new rule is checked without a new test).

- its metadata: a stable code (letter + 3 digits), a unique kebab-case name, a severity, a one-line message
  and docs (shown by `tunesmith rules CODE`), formats and providers the catalog knows;
- one violating and one passing example per rule code (EXAMPLES below; registering a rule without them fails
  ``test_every_rule_has_examples``), each run through the real engine as a whole training file: the violating
  one yields that code and nothing else (bar the codes its entry names in ``also``), the passing one not that code;
- a record rule never raises and yields well-formed findings, whatever JSON types sit where it expects
  others (tests/rules_support.py's ODD_RECORDS, then hypothesis's arbitrary JSON), in every format and for
  every provider it declares; a file rule never raises on empty or odd file summaries.

The family files (tests/test_rules_*.py) keep what is specific to a rule: pointers, messages, edge cases.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from family_support import TODAY, assert_findings_sane, chat, context, dpo, pair, rft, summary
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rules_support import assert_survives_odd_values, run_rule

from toolkit import catalog
from toolkit.config import Settings
from toolkit.diagnostics import Diagnostic, Severity
from toolkit.engine import Linter
from toolkit.rules import RULES, file_rules, load_all
from toolkit.rules.registry import FORMATS, Finding

load_all()
KNOWN_PROVIDERS = set(catalog._raw()["providers"])
CLEAN = {"chat": chat, "preference": dpo, "reinforcement": rft, "completion": pair}


@dataclass(frozen=True)
class Example:
    """A training file for one rule: ``pad`` clean records of format ``fmt`` (50 in all: no F060 / F070), then
    ``lines``; or exactly ``data``. ``validation`` (lines) lints the pair from disk; ``limits`` patches
    toolkit.rules.file_rules' size limits; ``also`` names codes that necessarily come with a violation.
    Files for Azure start with a BOM (F032)."""

    lines: tuple[str, ...] = ()
    fmt: str = "chat"
    pad: int | None = None
    data: bytes | None = None
    name: str = "train.jsonl"
    role: str = "train"
    target: dict[str, Any] = field(default_factory=dict)  # Settings: provider, model, method, max_line_bytes...
    grader: Any = None
    today: dt.date = TODAY
    validation: tuple[str, ...] | None = None
    limits: dict[str, int] = field(default_factory=dict)
    also: frozenset[str] = frozenset()

    def file(self) -> bytes:
        if self.data is not None:
            return self.data
        pad = 50 - len(self.lines) if self.pad is None else self.pad
        bom = "\ufeff" if self.target.get("provider") == "azure" else ""  # Azure's upload wants one (F032)
        lines = [CLEAN[self.fmt](i) for i in range(100, 100 + pad)] + [*self.lines]
        return (bom + "".join(line + "\n" for line in lines)).encode()


def ex(*lines: str, **opts: Any) -> Example:
    return Example(lines=lines, **opts)


S, U, A = {"role": "system", "content": "s"}, {"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}


def record(*messages: dict[str, Any], system: bool = True, **keys: Any) -> str:
    """A chat record of ``messages``, after a system message unless it starts with one (or ``system=False``)."""
    if system and messages and messages[0]["role"] not in ("system", "developer"):
        messages = (S, *messages)
    return json.dumps({"messages": list(messages), **keys})


def m(role: str, content: Any = "x", **keys: Any) -> dict[str, Any]:
    return {"role": role, "content": content, **keys}


CALL: dict[str, Any] = {"role": "assistant", "tool_calls": [
    {"id": "c1", "type": "function", "function": {"name": "wx", "arguments": "{}"}}]}
RESULT = {"role": "tool", "tool_call_id": "c1", "content": "21"}
TOOLS = [{"type": "function", "function": {"name": "wx", "parameters": {"type": "object", "properties": {}}}}]
FCALL = {"role": "assistant", "function_call": {"name": "wx", "arguments": "{}"}}
IMAGE = {"type": "image_url", "image_url": {"url": "https://x/y.png"}}
VISION = {"model": "gpt-4o-2024-08-06"}
RFT = {"method": "reinforcement", "provider": "azure"}  # OpenAI's default RFT model is shut down by TODAY (M011)
NOSYS = {"system": False}
OK_VALIDATION = tuple(rft(i) for i in range(200, 203))
STRING_CHECK = {"type": "string_check", "name": "g", "input": "{{ sample.output_text }}",
                "reference": "{{ item.answer }}", "operation": "eq"}
Q = {"messages": [{"role": "user", "content": "q"}]}


def preference(preferred: Any = None, non_preferred: Any = None, **keys: Any) -> str:
    return json.dumps({"input": Q, "preferred_output": preferred or [m("assistant", "a")],
                       "non_preferred_output": non_preferred or [m("assistant", "b")], **keys})


def user_image(**opts: Any) -> str:
    return record(m("user", [{"type": "text", "text": "what?"}, {"type": "image_url", "image_url": opts}]), A)


def png() -> str:
    import base64
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)) + chunk(b"IEND", b"")
    return "data:image/png;base64," + base64.b64encode(raw).decode()


# code -> (violating, passing)
EXAMPLES: dict[str, tuple[Example, Example]] = {
    # -- chat structure and content
    "C010": (ex('{"messages":[]}'), ex(record(U, A))),
    "C020": (ex(record(U, A, metadata={"id": 7})), ex(record(U, A))),
    "C030": (ex(record(m("human", "hi"), m("gpt", "hello"))), ex(record(S, U, A))),  # no C131/C110 beside it
    "C031": (ex(record(m("developer", "d"), U, A), also=frozenset({"C130"})), ex(record(S, U, A))),
    "C040": (ex(record(m("user", "hi", timestamp=1), A)), ex(record(m("user", "hi", name="ann"), A))),
    "C041": (ex(record({"role": "user"}, A)),
             ex(record(U, CALL, RESULT, A))),
    "C050": (ex(record(U, {"role": "assistant"})), ex(record(U, A))),
    "C060": (ex(record(m("user", {"text": "hi"}), A)), ex(record(m("user", [{"type": "text", "text": "hi"}]), A))),
    "C070": (ex(record(m("user", ""), A)), ex(record(U, A))),
    "C080": (ex(record(U, CALL, {**RESULT, "content": [{"type": "text", "text": "21"}]}, A), also=frozenset()),
             ex(record(U, CALL, RESULT, A))),
    "C090": (ex(record(U, FCALL, {"role": "function", "content": "21"}, A), also=frozenset({"C180"})),
             ex(record(U, FCALL, {"role": "function", "name": "wx", "content": "21"}, A), also=frozenset({"C180"}))),
    "C100": (ex(record(m("user", "hi", weight=0), A)), ex(record(U, m("assistant", "yo", weight=0), U, A))),
    "C101": (ex(record(U, m("assistant", "yo", weight=0.5))), ex(record(U, m("assistant", "yo", weight=1)))),
    "C110": (ex(record(S, U)), ex(record(S, U, A))),
    "C111": (ex(record(U, m("assistant", "yo", weight=0))), ex(record(U, m("assistant", "yo", weight=1)))),
    "C120": (ex(record(U, A, m("user", "thanks"))), ex(record(U, A))),
    "C130": (ex(record(U, A, system=False)), ex(record(S, U, A))),
    "C131": (ex(record(S, A)), ex(record(S, U, A))),
    "C190": (ex(record(U, m("assistant", "yo", audio={"id": "a1"}))), ex(record(U, A))),
    # -- tool calls and definitions
    "C140": (ex(record(U, {**CALL, "tool_calls": "wx()"})), ex(record(U, CALL, RESULT, A, tools=TOOLS))),
    "C141": (ex(record(U, {**CALL, "tool_calls": [{**CALL["tool_calls"][0], "function": {
        "name": "wx", "arguments": "city=SF"}}]}, RESULT, A, tools=TOOLS)), ex(record(U, CALL, RESULT, A, tools=TOOLS))),
    "C150": (ex(record(U, CALL, {**RESULT, "tool_call_id": "c9"}, A, tools=TOOLS), also=frozenset({"C151"})),
             ex(record(U, CALL, RESULT, A, tools=TOOLS))),
    "C151": (ex(record(U, CALL, m("user", "and?"), A, tools=TOOLS)), ex(record(U, CALL, RESULT, A, tools=TOOLS))),
    "C152": (ex(record(U, {**CALL, "tool_calls": CALL["tool_calls"] * 2}, RESULT, RESULT, A, tools=TOOLS)),
             ex(record(U, CALL, RESULT, A, tools=TOOLS))),
    "C153": (ex(record(U, CALL, A, tools=TOOLS), target={"provider": "azure"}, also=frozenset({"C151"})),
             ex(record(U, CALL, RESULT, A, tools=TOOLS), target={"provider": "azure"})),
    "C160": (ex(record(U, A, tools=[{"type": "retrieval"}])), ex(record(U, A, tools=TOOLS))),
    "C161": (ex(record(U, A, tools=[{"type": "function", "function": {"name": "get weather!"}}])),
             ex(record(U, A, tools=[{"type": "function", "function": {"name": "get_weather"}}]))),
    "C162": (ex(record(U, A, tools=[{"type": "function", "function": {"name": "wx", "parameters": {"type": "array"}}}])),
             ex(record(U, A, tools=TOOLS))),
    "C163": (ex(record(U, {**CALL, "tool_calls": [{**CALL["tool_calls"][0], "function": {
        "name": "other", "arguments": "{}"}}]}, RESULT, A, tools=TOOLS)), ex(record(U, CALL, RESULT, A, tools=TOOLS))),
    "C164": (ex(record(U, A, tools=[{"type": "function", "function": {"name": "wx", "parameters": {
        "type": "object", "properties": {"city": {"title": "City", "type": "string"}}}}}]), target={"provider": "azure"}),
             ex(record(U, A, tools=TOOLS), target={"provider": "azure"})),
    "C165": (ex(record(U, A, tools=[])), ex(record(U, A, tools=TOOLS))),
    "C170": (ex(record(U, A, parallel_tool_calls="no")), ex(record(U, A, parallel_tool_calls=False))),
    "C171": (ex(record(U, {**CALL, "tool_calls": [CALL["tool_calls"][0], {**CALL["tool_calls"][0], "id": "c2"}]},
                       RESULT, {**RESULT, "tool_call_id": "c2"}, A, tools=TOOLS, parallel_tool_calls=False)),
             ex(record(U, CALL, RESULT, A, tools=TOOLS, parallel_tool_calls=False))),
    "C180": (ex(record(U, FCALL, functions=[{"name": "wx"}])), ex(record(U, CALL, RESULT, A, tools=TOOLS))),
    "C181": (ex(record(U, FCALL, functions=[{"name": "wx"}], tools=TOOLS), also=frozenset({"C180"})),
             ex(record(U, FCALL, functions=[{"name": "wx"}]), also=frozenset({"C180"}))),
    "C182": (ex(record(U, FCALL, {"role": "function", "name": "wx", "content": "21"}, A, functions=[{"name": "wx"}]),
                target={"provider": "azure"}, also=frozenset({"C180"})),
             ex(record(U, CALL, RESULT, A, tools=TOOLS), target={"provider": "azure"})),
    # -- tokens, images, sensitive data
    "C200": (ex(record(U, m("assistant", "word " * 5_000)), target={"model": "gpt-3.5-turbo-0613"}, today=dt.date(2024, 1, 1)),
             ex(record(U, m("assistant", "word " * 500)), target={"model": "gpt-3.5-turbo-0613"}, today=dt.date(2024, 1, 1))),
    "C210": (ex(record(U, m("assistant", [IMAGE])), target=VISION), ex(record(m("user", [IMAGE]), A), target=VISION)),
    "C211": (ex(user_image(url="ftp://x/y.png"), target=VISION), ex(user_image(url="https://x/y.png"), target=VISION)),
    "C212": (ex(user_image(url="https://x/y.png", detail="medium"), target=VISION),
             ex(user_image(url="https://x/y.png", detail="low"), target=VISION)),
    "C213": (ex(record(m("user", [{**IMAGE, "image_url": {"url": f"https://x/{i}.png"}} for i in range(11)]), A),
                target=VISION),
             ex(record(m("user", [{**IMAGE, "image_url": {"url": f"https://x/{i}.png"}} for i in range(10)]), A),
                target=VISION)),
    "C214": (ex(user_image(url="data:image/gif;base64,R0lGODlhAQABAAAAACw="), target=VISION),
             ex(user_image(url=png()), target=VISION)),
    "C215": (ex(record(m("user", [IMAGE]), A)), ex(record(m("user", [IMAGE]), A), target=VISION)),
    "D010": (ex(record(U, m("assistant", "export AWS_ACCESS_KEY_ID=AKIAZ3MHLK2QXJ7RTY4P"))),
             ex(record(U, m("assistant", "export AWS_ACCESS_KEY_ID=<your key id>")))),
    "D020": (ex(record(m("user", "write to jane.doe@gmail.com"), A)), ex(record(m("user", "write to Ann"), A))),
    "D030": (ex(record(U, m("assistant", "call +1 415 555 0132"))), ex(record(U, m("assistant", "call reception")))),
    # -- the reader: bytes that are not one JSON object per line
    "F010": (ex('{"messages": [', pad=50), ex(record(U, A))),
    "F011": (ex('[{"messages":[{"role":"user","content":"hi"}]}]', pad=50), ex(record(U, A))),
    "F012": (ex('{\n "messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "hi"},\n'
                ' {"role": "assistant", "content": "yo"}]\n}'),
             ex(record(U, A))),
    "F013": (ex('"just a string"', pad=50), ex(record(U, A))),
    "F014": (ex('{"messages":[{"role":"user","content":"q"}],"answer":NaN}', fmt="reinforcement", target=RFT,
                validation=OK_VALIDATION, pad=50),
             ex('{"messages":[{"role":"user","content":"q"}],"answer":4}', fmt="reinforcement", target=RFT,
                validation=OK_VALIDATION)),
    "F015": (ex('{"messages":[{"role":"system","content":"s"},{"role":"user","content":"\\ud800"},'
                '{"role":"assistant","content":"yo"}]}'),
             ex('{"messages":[{"role":"system","content":"s"},{"role":"user","content":"\\ud83d\\ude00"},'
                '{"role":"assistant","content":"yo"}]}')),
    "F016": (ex('{"messages":[{"role":"system","content":"s"},{"role":"user","content":"hi","content":"ho"},'
                '{"role":"assistant","content":"yo"}]}'),
             ex(record(U, A))),
    "F017": (ex("[" * 100_000, pad=50), ex(record(U, A))),
    "F018": (ex(record(U, m("assistant", "y" * 5000)), target={"max_line_bytes": 4096}, pad=50),
             ex(record(U, m("assistant", "y" * 3000)), target={"max_line_bytes": 4096})),
    "F020": (Example(data=b"".join(chat(i).encode() + b"\n" for i in range(25)) + b"\n"
                     + b"".join(chat(i).encode() + b"\n" for i in range(25, 50))), ex(record(U, A))),
    "F030": (Example(data=b"".join(chat(i).encode() + b"\n" for i in range(49))
                     + '{"messages":[{"role":"system","content":"s"},{"role":"user","content":"caf\u00e9"},'
                       '{"role":"assistant","content":"yo"}]}\n'
                     .encode("latin-1")), ex(record(m("user", "caf\u00e9"), A))),
    "F090": (ex(dpo(1), dpo(2)), ex(chat(1), chat(2))),
    "S001": (ex(record(S, m("user", "q", name=7), A)), ex(record(S, m("user", "q", name="ann"), A))),
    # -- whole files
    "F031": (Example(data=b"\xef\xbb\xbf" + ex().file()), Example(data=ex().file(), target={"provider": "openai"})),
    "F032": (Example(data=ex().file(), target={"provider": "azure"}), ex(target={"provider": "azure"})),
    "F033": (Example(data=ex().file().replace(b"\n", b"\r\n")), ex()),
    "F040": (ex(name="train.json"), ex(name="train.jsonl")),
    "F050": (ex(limits={"FILES_API_MAX": 1000, "UPLOADS_API_MAX": 2000}), ex(limits={"UPLOADS_API_MAX": 10**6})),
    "F051": (ex(limits={"FILES_API_MAX": 1000}), ex()),
    "F060": (ex(pad=7), ex(pad=7, role="validation")),
    "F070": (ex(pad=20), ex(pad=50)),
    "F080": (ex(fmt="reinforcement", pad=1001, role="validation", target={"method": "reinforcement", "model": "o4-mini",
                                                                             "provider": "openai"},
                today=dt.date(2026, 1, 1)),
             ex(fmt="reinforcement", pad=1000, role="validation", target={"method": "reinforcement", "model": "o4-mini",
                                                                             "provider": "openai"},
                today=dt.date(2026, 1, 1))),
    "F091": (ex(fmt="chat", target={"method": "dpo"}), ex(fmt="preference", target={"method": "dpo"})),
    "F092": (ex(*[json.dumps({"instruction": f"i{i}", "input": "", "output": "o"}) for i in range(50)], pad=0),
             ex()),
    "F100": (ex(record(U, m("assistant", "yo <|endoftext|>"))), ex(record(U, m("assistant", "yo <endoftext>")))),
    "F130": (ex(chat(100), pad=49), ex()),
    "F131": (ex(record(m("user", "how are the tides made by the moon and the sun"),
                       m("assistant", "the moon pulls the sea toward it as the earth turns")),
                record(m("user", "how are the tides made by the moon and the sun ?"),
                       m("assistant", "the moon pulls the sea toward it as the earth turns !"))), ex()),
    # -- cross-file: a training file and its validation file
    "F110": (ex(validation=tuple(dpo(i) for i in range(3))), ex(validation=tuple(chat(i) for i in range(200, 203)))),
    "F111": (ex(fmt="reinforcement", target=RFT, grader=STRING_CHECK),
             ex(fmt="reinforcement", target=RFT, grader=STRING_CHECK, validation=OK_VALIDATION)),
    "F112": (ex(validation=(chat(200), chat(120))), ex(validation=(chat(200), chat(201)))),
    "F113": (ex(record(m("user", "how are the tides made by the moon and the sun"),
                       m("assistant", "the moon pulls the sea toward it as the earth turns")),
                validation=(record(m("user", "how are the tides made by the moon and the sun ?"),
                                   m("assistant", "the moon pulls the sea toward it as the earth turns !")),)),
             ex(validation=(chat(200),))),
    # -- legacy prompt/completion, models
    "L010": (ex('{"prompt":"q","completion":4}', fmt="completion", also=frozenset({"L020"})),
             ex(fmt="completion", also=frozenset({"L020"}))),
    "L020": (ex(fmt="completion"), ex(fmt="completion", today=dt.date(2024, 10, 1))),
    "L030": (ex('{"prompt":"a","completion":"x."}', fmt="completion", today=dt.date(2024, 10, 1)),
             ex(fmt="completion", today=dt.date(2024, 10, 1))),
    "M010": (ex(target={"model": "gpt-3.5-turbo-0125"}), ex(target={"model": "gpt-4.1-mini-2025-04-14"})),
    "M011": (ex(fmt="reinforcement", validation=OK_VALIDATION, target={"method": "reinforcement"}),
             ex(fmt="reinforcement", validation=OK_VALIDATION, target=RFT)),
    "M020": (ex(fmt="preference", target={"model": "gpt-4o-mini-2024-07-18"}),
             ex(fmt="preference", target={"model": "gpt-4.1-mini-2025-04-14"})),
    "M030": (ex(target={"model": "gpt-9-turbo"}), ex(target={"model": "gpt-4o"})),
    # -- preference (DPO)
    "P010": (ex('{"prompt":"q","chosen":"a","rejected":"b"}', fmt="preference"), ex(fmt="preference")),
    "P020": (ex(preference(preferred=[m("user", "a")]), fmt="preference"), ex(fmt="preference")),
    "P021": (ex(preference(preferred=[m("assistant", "a"), m("assistant", "c")]), fmt="preference"),
             ex(preference(preferred=[m("assistant", "a")]), fmt="preference")),
    "P030": (ex(json.dumps({"input": {"messages": [m("user", "q"), m("assistant", "a0")]},
                            "preferred_output": [m("assistant", "a")], "non_preferred_output": [m("assistant", "b")]}),
                fmt="preference"), ex(fmt="preference")),
    "P040": (ex(preference(preferred=[m("assistant", "same")], non_preferred=[m("assistant", "same")]),
                fmt="preference"), ex(fmt="preference")),
    "P050": (ex(json.dumps({"input": {"messages": [m("user", [IMAGE])]}, "preferred_output": [m("assistant", "a")],
                            "non_preferred_output": [m("assistant", "b")]}), fmt="preference"), ex(fmt="preference")),
    "P060": (ex(preference(preferred=[m("assistant", "a", weight=1)]), fmt="preference"), ex(fmt="preference")),
    # -- reinforcement (RFT) and its grader
    "R010": (ex('{"question":"2+2?","answer":"4"}', fmt="reinforcement", target=RFT, validation=OK_VALIDATION),
             ex(fmt="reinforcement", target=RFT, validation=OK_VALIDATION)),
    "R020": (ex(record(m("system", "rules"), m("user", "q"), answer="4", system=False), fmt="reinforcement", target=RFT,
                validation=OK_VALIDATION), ex(fmt="reinforcement", target=RFT, validation=OK_VALIDATION)),
    "R040": (ex(record(m("user", "2+2?"), m("assistant", "4"), answer="4", system=False), fmt="reinforcement", target=RFT,
                validation=OK_VALIDATION), ex(fmt="reinforcement", target=RFT, validation=OK_VALIDATION)),
    "R050": (ex(record(m("user", "q"), label="4", system=False), fmt="reinforcement", target=RFT, grader=STRING_CHECK,
                validation=OK_VALIDATION),
             ex(fmt="reinforcement", target=RFT, grader=STRING_CHECK, validation=OK_VALIDATION)),
    "R051": (ex(fmt="reinforcement", target=RFT, validation=OK_VALIDATION,
                grader={**STRING_CHECK, "input": "{{ sample.output_json.answer }}"}),
             ex(fmt="reinforcement", target=RFT, validation=OK_VALIDATION, grader=STRING_CHECK)),
    "R080": (ex(fmt="reinforcement", target=RFT, validation=OK_VALIDATION, grader={**STRING_CHECK, "operation": "equals"}),
             ex(fmt="reinforcement", target=RFT, validation=OK_VALIDATION, grader=STRING_CHECK)),
    "R081": (ex(fmt="reinforcement", target=RFT, validation=OK_VALIDATION, grader={
        "type": "score_model", "name": "s", "model": "gpt-9-grader", "input": [m("user", "{{item.answer}}")]}),
             ex(fmt="reinforcement", target=RFT, validation=OK_VALIDATION, grader={
        "type": "score_model", "name": "s", "model": "o3-mini", "input": [m("user", "{{item.answer}}")]})),
}


def diagnostics(example: Example, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Diagnostic]:
    """Lint the example as a training file (from disk, with its validation file, when it has one)."""
    for name, value in example.limits.items():
        monkeypatch.setattr(file_rules, name, value)
    linter = Linter(Settings(**example.target), grader=example.grader, today=example.today)
    if example.validation is None:
        return linter.lint_bytes(example.file(), name=example.name, role=example.role).diagnostics
    train, validation = tmp_path / example.name, tmp_path / "validation.jsonl"
    train.write_bytes(example.file())
    bom = "\ufeff" if example.target.get("provider") == "azure" else ""
    validation.write_text(bom + "".join(line + "\n" for line in example.validation), "utf-8")
    return linter.lint(train, validation=validation).diagnostics


def test_the_registry_is_populated() -> None:
    assert len(RULES) >= 90
    assert {r.kind for r in RULES.values()} == {"record", "file", "cross", "reader"}


def test_every_rule_has_examples() -> None:
    """A rule registered without a violating and a passing example here fails: add them to EXAMPLES."""
    assert sorted(set(RULES) - set(EXAMPLES)) == []
    assert sorted(set(EXAMPLES) - set(RULES)) == []  # and no example outlives its rule


@pytest.mark.parametrize("code", sorted(EXAMPLES))
def test_violating_example_yields_exactly_its_code(code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    violating, _ = EXAMPLES[code]
    found = {d.rule for d in diagnostics(violating, tmp_path, monkeypatch)}
    assert found == {code} | (violating.also & found) and code in found, sorted(found)


@pytest.mark.parametrize("code", sorted(EXAMPLES))
def test_passing_example_does_not_yield_its_code(code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, passing = EXAMPLES[code]
    found = {d.rule for d in diagnostics(passing, tmp_path, monkeypatch)}
    assert code not in found, sorted(found)
    assert found <= passing.also, f"the passing example of {code} should be clean: {sorted(found)}"


@pytest.mark.parametrize("code", sorted(RULES))
def test_metadata(code: str) -> None:
    rule = RULES[code]
    assert re.fullmatch(r"[A-Z]\d{3}", code) and rule.code == code
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name), rule.name
    assert isinstance(rule.severity, Severity)
    assert rule.message and "\n" not in rule.message and not rule.message.endswith(".")
    assert len(rule.docs) >= 40, "explain the rule in its docstring: what, why, what to do"
    assert rule.formats and set(rule.formats) <= set(FORMATS)
    assert set(rule.providers) <= KNOWN_PROVIDERS  # empty: every provider, those added as data included
    assert (rule.check is None) == (rule.kind == "reader")
    if rule.kind == "reader":  # the reader finds its problems: asking for its check is a bug, said as such
        with pytest.raises(TypeError, match="reader rule"):
            rule.checker  # noqa: B018


def _rule_text(code: str) -> str:
    """What `tunesmith rules CODE` and a finding show: the docs, the summary and the finding messages' source."""
    import inspect

    rule = RULES[code]
    return " ".join((rule.docs, rule.message, inspect.getsource(rule.check) if rule.check else ""))


@pytest.mark.parametrize("code", sorted(RULES))
def test_docs_name_only_commands_and_flags_that_exist(code: str) -> None:
    """C080, C101 and C140 said `tunesmith fix` "does it" (it shows the plan; --write does it); F131 read "Byte-
    identical" (a hyphen cut at the end of a docstring line)."""
    from toolkit.cli.main import build_parser

    commands = {name: sub for action in build_parser()._subparsers._group_actions  # type: ignore[union-attr]
                for name, sub in getattr(action, "choices", {}).items()}
    text = _rule_text(code)
    for command, rest in re.findall(r"tunesmith ([a-z-]+)([^`\"]*)", text):
        if command in commands:  # else an English word after the name ("Tunesmith checks")
            options = commands[command]._option_string_actions
            assert all(flag in options for flag in re.findall(r"--[a-z-]+", rest)), (command, rest)
            assert command != "fix" or "--write" in rest or "--diff" in rest, "`tunesmith fix` alone changes nothing"
    flags = {flag for sub in commands.values() for flag in sub._option_string_actions}
    assert set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", text)) <= flags
    assert not re.search(r"[a-z]- [a-z]", " ".join(RULES[code].docs.split())), "a word cut at a line break"


# -- odd values ------------------------------------------------------------------------------------

RECORD_RULES = sorted(c for c, r in RULES.items() if r.kind == "record")
FILE_RULES = sorted(c for c, r in RULES.items() if r.kind == "file")
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6)
KEYS = st.sampled_from(["messages", "role", "content", "tool_calls", "function", "name", "arguments", "tools", "weight",
                        "type", "image_url", "url", "input", "preferred_output", "prompt", "completion", "id"])
JSON = st.recursive(SCALARS, lambda kids: st.lists(kids, max_size=3)
                    | st.dictionaries(KEYS | st.text(max_size=4), kids, max_size=4), max_leaves=12)


@pytest.mark.parametrize("code", RECORD_RULES)
def test_record_rule_survives_odd_values(code: str) -> None:
    assert_survives_odd_values(code)


@settings(deadline=None, suppress_health_check=list(HealthCheck))
@given(value=JSON, fmt=st.sampled_from(FORMATS), provider=st.sampled_from(["openai", "azure"]))
def test_record_rules_survive_any_json(value: Any, fmt: str, provider: str) -> None:
    for code in RECORD_RULES:
        if fmt in RULES[code].formats:
            for f in run_rule(code, value, fmt, provider):
                assert isinstance(f, Finding) and f.message
                assert f.pointer is None or f.pointer.startswith("/")


@pytest.mark.parametrize("code", FILE_RULES)
def test_file_rule_survives_empty_and_odd_summaries(code: str) -> None:
    check = RULES[code].checker
    for fmt in FORMATS:
        for provider in ("openai", "azure"):
            for s in (summary(fmt), summary(fmt, path=""), summary(fmt, "validation", path="<stdin>"),
                      summary(fmt, formats={"unknown": 3}, records=3)):
                assert_findings_sane(list(check(s, context(fmt, provider))))
