"""The reader turns every malformed input into a ParseProblem and never crashes."""

from __future__ import annotations

import io
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.reader import _LONE_SURROGATE_ESCAPE, JsonlReader, ParseProblem, Record, _lone_surrogate_escape


def read(data: bytes) -> tuple[list[Record], list[ParseProblem], JsonlReader]:
    reader = JsonlReader(io.BytesIO(data), name="t.jsonl")
    items = list(reader)
    return ([i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, ParseProblem)], reader)


def codes(problems: list[ParseProblem]) -> list[tuple[str, int]]:
    return [(p.code, p.line) for p in problems]


def test_plain_lines_have_one_based_numbers() -> None:
    records, problems, _ = read(b'{"a":1}\n{"b":2}\n')
    assert [(r.line, r.value) for r in records] == [(1, {"a": 1}), (2, {"b": 2})]
    assert problems == []


def test_bom_crlf_and_missing_final_newline() -> None:
    records, problems, reader = read(b'\xef\xbb\xbf{"a":1}\r\n{"b":2}')
    assert [r.value for r in records] == [{"a": 1}, {"b": 2}]
    assert problems == []
    assert reader.facts.bom and reader.facts.crlf_lines == 1 and not reader.facts.final_newline


def test_blank_line_is_a_warning_and_reading_goes_on() -> None:
    records, problems, reader = read(b'{"a":1}\n   \n{"b":2}\n')
    assert codes(problems) == [("F020", 2)]
    assert [r.line for r in records] == [1, 3]
    assert reader.facts.blank_lines == [2]


def test_invalid_utf8_is_reported_on_its_line_only() -> None:
    records, problems, _ = read(b'{"a":"caf\xe9"}\n{"b":2}\n')
    assert ("F030", 1) in codes(problems)
    assert problems[0].column == 10
    assert [r.line for r in records] == [1, 2]  # the record is still checked, with U+FFFD


def test_broken_json_names_the_column() -> None:
    _, problems, _ = read(b'{"messages": [}\n')
    assert codes(problems) == [("F010", 1)]
    assert problems[0].column == 15


def test_top_level_array_on_one_line() -> None:
    _, problems, _ = read(b'[{"messages":[{"role":"user","content":"hi"}]}]\n')
    assert codes(problems) == [("F011", 1)]


def test_pretty_printed_array_is_one_problem() -> None:
    data = b'[\n  {"a": 1},\n  {"b": 2}\n]\n'
    records, problems, _ = read(data)
    assert codes(problems) == [("F011", 1)]
    assert problems[0].end_line == 4
    assert records == []


def test_pretty_printed_record_is_one_problem_naming_the_span() -> None:
    data = b'{"a":1}\n{\n  "messages": [\n    {"role": "user", "content": "hi"}\n  ]\n}\n{"b":2}\n'
    records, problems, _ = read(data)
    assert codes(problems) == [("F012", 2)]
    assert problems[0].end_line == 6
    assert [(r.line, r.end_line) for r in records] == [(1, None), (2, 6), (7, None)]


def test_pretty_printed_record_with_raw_newline_in_string() -> None:
    data = b'{\n  "content": "two\nlines"\n}\n'
    records, problems, _ = read(data)
    assert codes(problems) == [("F012", 1)]
    assert records[0].value == {"content": "two\nlines"}


def test_unfinished_span_falls_back_to_line_by_line() -> None:
    data = b'{\n"a": 1,\n{"b":2}\n'
    records, problems, _ = read(data)
    assert ("F010", 1) in codes(problems)
    assert any(r.value == {"b": 2} for r in records)


@pytest.mark.parametrize(("line", "code"), [
    (b'{"a": NaN}', "F014"),
    (b'{"a": -Infinity}', "F014"),
    (b'{"a": 1, "a": 2}', "F016"),
    (b'{"s": "\\ud800"}', "F015"),
    (b'{"s": "\\udc00 low alone"}', "F015"),
    (b'{"s": "\\ud83d\\ude00 then \\ud83d alone"}', "F015"),
    (b'"just a string"', "F013"),
    (b"42", "F013"),
    (b"[" * 100_000, "F017"),
])
def test_odd_json_becomes_a_problem(line: bytes, code: str) -> None:
    _, problems, _ = read(line + b"\n")
    assert code in [p.code for p in problems]


def test_surrogate_pair_is_fine() -> None:
    records, problems, _ = read(b'{"s": "\\ud83d\\ude00"}\n')
    assert problems == [] and records[0].value == {"s": "\U0001F600"}


def test_non_finite_pointer() -> None:
    _, problems, _ = read(b'{"m": [1, NaN]}\n')
    assert [(p.code, p.pointer, p.column) for p in problems] == [("F014", "/m/1", 11)]


def test_huge_line() -> None:
    big = b'{"a": "' + b"x" * 5_000_000 + b'"}\n'
    records, problems, _ = read(big)
    assert problems == [] and len(records[0].value["a"]) == 5_000_000


@settings(deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_never_crash(data: bytes) -> None:
    items = list(JsonlReader(io.BytesIO(data)))
    for item in items:
        assert isinstance(item, (Record, ParseProblem))


@settings(deadline=None)
@given(st.lists(st.sampled_from([b"{", b"}", b"[", b"]", b'"', b"\n", b",", b":", b"1", b"\\", b" ", b"\r", b"\xff",
                                 b'{"a":', b"NaN", b"\xef\xbb\xbf"]), max_size=80))
def test_json_like_noise_never_crashes(parts: list[bytes]) -> None:
    list(JsonlReader(io.BytesIO(b"".join(parts))))


def test_truncated_line_before_normal_records_stops_at_the_next_record() -> None:
    data = b'{"messages": [{"role": "user", "content": "cut here\n' + b'{"a": 1}\n' * 3
    records, problems, _ = read(data)
    assert codes(problems) == [("F010", 1)]
    assert [r.line for r in records] == [2, 3, 4]


@given(st.lists(st.sampled_from([b"\\ud83d", b"\\uDE00", b"\\udc00", b"\\uD800", b"\\\\", b"\\u0041", b"a", b'"', b"\\"]),
                max_size=12))
def test_lone_surrogate_scan_agrees_with_the_full_pattern(parts: list[bytes]) -> None:
    """The fast scan (tried only where a surrogate escape starts) finds exactly what a full search finds."""
    raw = b"".join(parts)
    assert _lone_surrogate_escape(raw) == bool(_LONE_SURROGATE_ESCAPE.search(raw))
def test_a_stream_named_by_a_file_descriptor_gets_a_text_name(tmp_path) -> None:
    """A file opened from a descriptor has an int ``name``; the reader's name (used in every message) is text."""
    path = tmp_path / "d.jsonl"
    path.write_bytes(b'{"messages": []}\n')
    with open(os.open(path, os.O_RDONLY), "rb") as fh:
        reader = JsonlReader(fh)
        assert isinstance(reader.name, str) and reader.name == str(fh.name)
        assert [type(item) for item in reader] == [Record]


def test_every_problem_inside_a_line_has_a_column_like_ruff() -> None:
    """F016 points at the repeated key (each of them, at any depth), F020 at the blank line's column 1."""
    data = (b'{"messages": [{"role": "user", "role": "user", "content": "x"}], "messages": []}\n'
            b"\n"
            b'{"a": {"b": 1, "c": "\\"b\\": 2", "b": 3}}\n')
    problems = [i for i in JsonlReader(io.BytesIO(data)) if isinstance(i, ParseProblem)]
    assert [(p.code, p.line, p.column) for p in problems] == [
        ("F016", 1, 32), ("F016", 1, 66), ("F020", 2, 1), ("F016", 3, 33)]
    first, _, third = data.split(b"\n")[:3]
    assert first[31:37] == b'"role"' and first[65:75] == b'"messages"' and third[32:35] == b'"b"'
    assert "'role'" in problems[0].message and "'messages'" in problems[1].message


@pytest.mark.parametrize(("char", "escape"), [(b"\t", '"\\t"'), (b"\x00", '"\\u0000"')])
def test_a_raw_control_character_is_named_with_its_escape(char: bytes, escape: str) -> None:
    """json says only "Invalid control character at", with no character and no way out."""
    _, problems, _ = read(b'{"messages": [{"role": "user", "content": "a' + char + b'b"}]}\n')
    assert [(p.code, p.column) for p in problems] == [("F010", 45)]
    assert f"a raw control character {char.decode()!r} inside a string; write it as an escape ({escape})" \
        in problems[0].message


@pytest.mark.parametrize(("data", "kind"), [
    (__import__("gzip").compress(b'{"messages": []}\n' * 50, mtime=0), "gzip-compressed"),
    (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\n\xff\xfe\n", "a zip archive or an Excel workbook"),
    (b"PAR1\x15\x04\n\x15\x80\n", "a Parquet table"),
])
def test_a_packed_file_is_one_finding_that_says_what_it_is(data: bytes, kind: str) -> None:
    """A gzip file named .jsonl gave an F030 per "line", each advising to save it from Windows-1252."""
    records, problems, _ = read(data)
    assert records == [] and [(p.code, p.line) for p in problems] == [("F030", 1)]
    assert problems[0].message.startswith(f"the file is {kind}, not JSONL text: ")


def test_a_line_over_the_users_own_limit_does_not_blame_the_providers() -> None:
    line = b'{"messages": [{"role": "user", "content": "' + b"x" * 100 + b'"}]}\n'
    problems = [i for i in JsonlReader(io.BytesIO(line), max_line_bytes=50) if isinstance(i, ParseProblem)]
    assert [p.code for p in problems] == ["F018"] and "(the max-line-mb setting)" in problems[0].message


def test_records_separated_by_cr_alone_are_said_to_use_classic_mac_line_endings() -> None:
    """A file with CR line endings is one line to a JSONL reader: "Extra data" alone did not say why."""
    rec = b'{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}'
    [problem] = list(JsonlReader(io.BytesIO(rec + b"\r" + rec + b"\r")))
    assert isinstance(problem, ParseProblem) and problem.code == "F010"
    assert "Extra data" in problem.message and "separated by CR alone" in problem.message
    [other] = list(JsonlReader(io.BytesIO(rec + b" " + rec + b"\n")))  # two records on one line: no such hint
    assert isinstance(other, ParseProblem) and "CR alone" not in other.message
    assert all(isinstance(i, Record) for i in JsonlReader(io.BytesIO(rec + b"\r\n" + rec + b"\r\n")))  # CRLF is fine


def test_a_line_of_nul_bytes_is_said_to_be_one_not_utf16() -> None:
    """A line of NUL bytes (a file padded when a writer crashed) was taken for UTF-16 text."""
    from toolkit.reader import wide_encoding

    rec = b'{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}\n'
    for nuls in (b"\x00\x00", b"\x00" * 64):
        [_, problem] = list(JsonlReader(io.BytesIO(rec + nuls + b"\n")))
        assert isinstance(problem, ParseProblem) and problem.code == "F010"
        assert "only NUL bytes" in problem.message and "UTF-16" not in problem.message and "UTF-32" not in problem.message
        assert wide_encoding(nuls) is None
    assert wide_encoding("{}".encode("utf-16-le")) == "UTF-16"  # text with NULs between its characters still is
