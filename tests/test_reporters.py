"""Reporters only format: exact output for a hand-built result."""

from __future__ import annotations

import io
import json

from toolkit.diagnostics import Diagnostic, Fix, Severity
from toolkit.reporters import github, json_report, sarif, text
from toolkit.results import FileResult, LintResult


def result() -> LintResult:
    diags = [
        Diagnostic("data/train.jsonl", 3, 25, "/messages/1", "S001", "schema-violation", Severity.ERROR,
                   "message 2 (assistant) has neither content nor tool_calls"),
        Diagnostic("data/train.jsonl", 7, 1, None, "F020", "blank-line", Severity.WARNING, "blank line",
                   fix=Fix("drop blank line")),
        Diagnostic("data/train.jsonl", None, None, None, "F010", "invalid-json", Severity.INFO, "whole, file: 100%"),
    ]
    return LintResult([FileResult("data/train.jsonl", "chat", 12, diags)], "openai", "gpt-4.1-mini-2025-04-14", None)


def test_text_lines_and_summary() -> None:
    out = io.StringIO()
    text.report(result(), out)
    assert out.getvalue().splitlines() == [
        "data/train.jsonl:3:25: S001 error: message 2 (assistant) has neither content nor tool_calls (at /messages/1)",
        "data/train.jsonl:7:1: F020 [*] warning: blank line",
        "data/train.jsonl: F010 info: whole, file: 100%",
        "Found 1 error, 1 warning, 1 info in 1 file (12 examples; openai gpt-4.1-mini-2025-04-14).",
        "[*] 1 fixable with `tunesmith fix --write`.",
    ]


def test_one_name_per_severity_in_text_and_json() -> None:
    """The text summary names the info severity as its findings' lines and the JSON summary's "infos" do."""
    out = io.StringIO()
    text.report(result(), out)
    assert " info: " in out.getvalue() and "note" not in out.getvalue()
    assert json_report.as_dict(result())["summary"]["infos"] == 1
    many = LintResult([FileResult("a.jsonl", "chat", 1, [result().files[0].diagnostics[2]] * 2)], "openai", "m", None)
    assert text.summary_line(many) == "All checks passed (2 infos) in 1 file (1 example; openai m)."


def test_text_colour_only_when_asked() -> None:
    plain, coloured = io.StringIO(), io.StringIO()
    text.report(result(), plain)
    text.report(result(), coloured, color=True)
    assert "\033[" not in plain.getvalue() and "\033[31m" in coloured.getvalue()


def test_json_contract() -> None:
    out = io.StringIO()
    json_report.report(result(), out)
    doc = json.loads(out.getvalue())
    f = doc["files"][0]
    assert (f["path"], f["format"], f["records"]) == ("data/train.jsonl", "chat", 12)
    assert f["diagnostics"][0] == {"line": 3, "column": 25, "pointer": "/messages/1", "rule": "S001",
                                   "name": "schema-violation", "severity": "error",
                                   "message": "message 2 (assistant) has neither content nor tool_calls"}
    assert f["diagnostics"][2]["line"] is None and f["diagnostics"][2]["column"] is None
    assert doc["summary"]["errors"] == 1 and doc["summary"]["warnings"] == 1


def test_github_annotations_escape_properties_and_data() -> None:
    out = io.StringIO()
    github.report(result(), out)
    lines = out.getvalue().splitlines()
    assert lines[0] == ("::error title=tunesmith (S001 schema-violation),file=data/train.jsonl,line=3,col=25::"
                        "data/train.jsonl:3:25: S001 message 2 (assistant) has neither content nor tool_calls "
                        "(at /messages/1)")
    assert lines[2].startswith("::notice title=tunesmith (F010 invalid-json),file=data/train.jsonl::")
    assert "100%25" in lines[2]


def test_sarif_is_2_1_0_with_rule_metadata() -> None:
    doc = sarif.as_dict(result())
    assert doc["version"] == "2.1.0"
    run = doc["runs"][0]
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    first = run["results"][0]
    assert first["ruleId"] == "S001" and ids[first["ruleIndex"]] == "S001"
    assert first["level"] == "error"
    assert first["locations"][0]["physicalLocation"]["region"] == {"startLine": 3, "startColumn": 25}
    assert first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "data/train.jsonl"
    assert run["results"][2]["level"] == "note"
    assert "region" not in run["results"][2]["locations"][0]["physicalLocation"]


def test_sarif_says_its_columns_count_characters() -> None:
    """Lint's columns count characters (code points); SARIF's default unit is UTF-16 code units, which put a column
    after an emoji one place too far left per emoji: the run says which it uses."""
    assert sarif.as_dict(result())["runs"][0]["columnKind"] == "unicodeCodePoints"


def test_sarif_uris_are_percent_encoded() -> None:
    """A space, a percent sign, a colon or a non-ASCII letter in a file name gives a valid URI reference."""
    diag = Diagnostic("my data/c:d%é.jsonl", 1, 1, None, "F020", "blank-line", Severity.WARNING, "blank line")
    files = [FileResult("my data/c:d%é.jsonl", "chat", 1, [diag])]
    doc = sarif.as_dict(LintResult(files, "openai", "gpt-4.1-mini-2025-04-14", None))
    location = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location["uri"] == "my%20data/c%3Ad%25%C3%A9.jsonl"


def test_sarif_uri_of_a_name_that_is_not_utf8_has_its_bytes() -> None:
    """A file name with a byte that is not UTF-8 (Python holds it as a lone surrogate) was an internal error."""
    name = b"bad\xffname.jsonl".decode("utf-8", "surrogateescape")
    diag = Diagnostic(name, 1, 1, None, "F020", "blank-line", Severity.WARNING, "blank line")
    doc = sarif.as_dict(LintResult([FileResult(name, "chat", 1, [diag])], "openai", "gpt-4.1-mini-2025-04-14", None))
    location = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location["uri"] == "bad%FFname.jsonl"


def test_text_escapes_control_characters_from_the_data() -> None:
    """A role or key holding ESC, CR or LF (or a file name with a newline) neither drives the terminal nor forges a line."""
    diag = Diagnostic("new\nline.jsonl", 2, 24, "/k\x1b]0;t\x07", "C030", "invalid-role", Severity.ERROR,
                      'message 1 has role "us\x1b[31mer\r\nx.jsonl:1:1: F010 error: forged\u2028"')
    out = io.StringIO()
    text.report(LintResult([FileResult("new\nline.jsonl", "chat", 1, [diag])], "openai", "gpt-4.1-mini-2025-04-14",
                           None), out)
    first = out.getvalue().splitlines()[0]
    assert first == ('new\\nline.jsonl:2:24: C030 error: message 1 has role "us\\x1b[31mer\\r\\nx.jsonl:1:1: F010 error: '
                     'forged\\u2028" (at /k\\x1b]0;t\\x07)')
    assert len(out.getvalue().splitlines()) == 2  # the finding and the summary
