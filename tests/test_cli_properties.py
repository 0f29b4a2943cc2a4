"""Property tests over the command line: generated malformed files never cause an internal error or a hang,
inputs stay unchanged unless asked, and written files are complete or absent."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit.cli.main import main

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
TIME_LIMIT = 60  # seconds per generated case: far more than any small file needs, far less than a hang

RECORD = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}
FRAGMENTS = [
    json.dumps(RECORD), json.dumps(RECORD, indent=2), json.dumps([RECORD, RECORD], indent=2), json.dumps([RECORD]),
    "{", "[", "}", "]", "},", '{"messages": [{"role": "user", "content": "cut', "", "   ", "NaN", "[NaN]",
    '{"a": ' + "[" * 600 + "Infinity" + "]" * 600 + "}", '{"n": ' + "7" * 4400 + "}", '{"\\udc00": 1}',
    '{"messages": [{"role": "human", "content": "x"}, {"role": "gpt", "content": "y"}]}', '"just a string"',
    '{"prompt": "a", "completion": "b"}', '{"a": 1, "a": 2}', "\ufeff{}", "\x00\x00", "\t{\t}\t",
]
LINE = st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=40),
                 st.binary(max_size=40).map(lambda b: b.decode("latin-1")))


@st.composite
def files(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(LINE, max_size=25))
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    data = ending.join(lines).encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        data += draw(st.binary(max_size=20))
    return data


def run(argv: list[str], capfd: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    start = time.monotonic()
    code = main(argv)
    assert time.monotonic() - start < TIME_LIMIT, f"{argv} took too long"
    out, err = capfd.readouterr()
    assert "internal error" not in err and "Traceback" not in err, err
    assert code in (0, 1, 2)
    return code, out, err


@SETTINGS
@given(data=files(), fmt=st.sampled_from(["text", "json", "github", "sarif"]),
       method=st.sampled_from([None, "supervised", "dpo", "reinforcement"]))
def test_lint_never_fails_and_never_changes_its_input(data: bytes, fmt: str, method: str | None, capfd) -> None:
    with TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.jsonl"
        path.write_bytes(data)
        report = Path(tmp) / "report.out"
        argv = ["lint", str(path), "--format", fmt, "-o", str(report)] + (["--method", method] if method else [])
        code, _, _ = run(argv, capfd)
        assert path.read_bytes() == data
        if code != 2:
            text = report.read_text("utf-8")
            if fmt in ("json", "sarif"):
                json.loads(text)  # complete
            elif fmt == "text":
                assert "in 1 file" in text
        else:
            assert not report.exists()


@SETTINGS
@given(data=files())
def test_stats_never_fails_and_never_changes_its_input(data: bytes, capfd) -> None:
    with TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.jsonl"
        path.write_bytes(data)
        run(["stats", str(path), "--format", "json"], capfd)
        assert path.read_bytes() == data


@SETTINGS
@given(data=files())
def test_fix_diff_changes_nothing_and_fix_write_keeps_a_whole_backup(data: bytes, capfd) -> None:
    with TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.jsonl"
        path.write_bytes(data)
        run(["fix", "--diff", str(path)], capfd)
        assert path.read_bytes() == data
        code, out, _ = run(["fix", "--write", str(path)], capfd)
        backup = Path(tmp) / "data.jsonl.bak"
        if backup.exists():
            assert backup.read_bytes() == data and "fixed" in out
        else:
            assert path.read_bytes() == data
        # one run reaches the fixed point (a fix that uncovers another, such as a "[" line left before
        # records once a blank line goes, is done in the same run)
        if code == 0:
            assert run(["fix", str(path)], capfd)[0] == 0


@SETTINGS
@given(data=files())
def test_fix_write_fixes_as_many_problems_as_lint_marks_fixable(data: bytes, capfd) -> None:
    """Lint's "[*] N fixable" (the findings it marks [*]) is the "fixed N problem(s)" of `fix --write`. Found
    by this property: a record with two role aliases is one edit but two findings."""
    with TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.jsonl"
        path.write_bytes(data)
        _, out, _ = run(["lint", str(path)], capfd)
        marked = sum(" [*] " in row for row in out.splitlines())
        _, out, _ = run(["fix", "--write", str(path)], capfd)
        fixed = re.search(r"fixed (\d+) problems?\b", out)
        assert (int(fixed.group(1)) if fixed else 0) == marked, out
