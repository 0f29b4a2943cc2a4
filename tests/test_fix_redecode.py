"""The unsafe F030 repair: lines that are not UTF-8 re-read as cp1252 or Latin-1, only behind --redecode."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit import repairs
from toolkit.cli.main import main

BAD = 'Caf\u00e9 na'.encode() + b"\xefve \x93q\x94"
LINE = b'{"messages": [{"role": "user", "content": "' + BAD + b'"}, {"role": "assistant", "content": "ok"}]}\n'
GOOD = b'{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "ok"}]}\n'


def test_redecode_keeps_valid_utf8_and_reads_the_rest() -> None:
    assert repairs.redecode(BAD, "cp1252").decode() == "Café naïve “q”"
    assert repairs.redecode(b"x\x81", "latin-1") == b"x\xc2\x81"
    with pytest.raises(ValueError, match="0x81 is not a character in cp1252"):
        repairs.redecode(b"x\x81", "cp1252")
    data, changed = repairs.redecode_lines(GOOD + LINE + GOOD, "cp1252")
    assert changed == [2] and data.split(b"\n")[0] == GOOD[:-1] and "naïve" in data.decode()


def test_fix_never_redecodes_without_the_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(GOOD + LINE)
    assert main(["fix", "--write", str(path)]) == 0
    assert path.read_bytes() == GOOD + LINE
    assert "--redecode cp1252" in capsys.readouterr().err


def test_fix_redecode_lists_diffs_and_writes_with_a_backup(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(GOOD + LINE)
    assert main(["fix", "--redecode", "cp1252", str(path)]) == 1
    assert f"{path}:2: F030" in capsys.readouterr().out
    assert main(["fix", "--redecode", "cp1252", "--diff", str(path)]) == 1
    assert "+{\"messages\": [{\"role\": \"user\", \"content\": \"Café naïve “q”\"}" in capsys.readouterr().out
    assert path.read_bytes() == GOOD + LINE
    capsys.readouterr()
    assert main(["fix", "--redecode", "cp1252", "--write", str(path)]) == 0
    assert path.read_bytes() == GOOD + LINE.replace(BAD, "Café naïve “q”".encode())
    said = capsys.readouterr().out  # it said "re-read 1 line" and then "nothing to fix"
    assert "F030 re-read 1 line as cp1252 (unsafe fix)" in said and said.endswith(f"{path}: no other fix needed\n")
    assert (tmp_path / "a.jsonl.bak").read_bytes() == GOOD + LINE


def test_a_byte_cp1252_lacks_is_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(GOOD + b'{"x": "\x81"}\n')
    assert main(["fix", "--redecode", "cp1252", str(path)]) == 2
    assert "line 2: byte 0x81 is not a character in cp1252; try latin-1" in capsys.readouterr().err


@pytest.mark.parametrize(("encoding", "named"), [("utf-16-le", "UTF-16"), ("utf-32-be", "UTF-32")])
def test_a_utf16_or_utf32_file_without_its_mark_is_to_be_saved_as_utf8_in_fix_as_in_lint(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], encoding: str, named: str) -> None:
    """--redecode cp1252 would turn every character of such a file into two, and without a byte-order mark its byte
    order is a guess: fix gives lint's advice instead."""
    path = tmp_path / "wide.jsonl"
    path.write_bytes((GOOD + GOOD).decode().encode(encoding))
    advice = f"the file looks like {named} (NUL bytes between the characters): save it as UTF-8"
    assert main(["fix", str(path)]) == 0
    err = capsys.readouterr().err
    assert advice in err and "--redecode" not in err
    assert main(["lint", str(path)]) == 1
    out = capsys.readouterr().out
    assert out.count("F030") == 1 and advice in out and "F010" not in out and "F060" not in out  # once, not per line
    assert main(["fix", "--redecode", "cp1252", "--write", str(path)]) == 2
    assert advice in capsys.readouterr().err
    assert path.read_bytes() == (GOOD + GOOD).decode().encode(encoding)


@pytest.mark.parametrize(("encoding", "named"), [("utf-16", "UTF-16"), ("utf-32", "UTF-32")])
def test_a_utf16_or_utf32_file_with_its_mark_is_reported_once_and_saved_as_utf8(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], encoding: str, named: str) -> None:
    """Notepad's "Unicode" and Windows PowerShell 5's `>` write UTF-16 with a byte-order mark: lint reported every
    line (F010, a "NUL bytes" F010, and F060 "0 examples"), and fix could not convert it. The mark names the
    encoding, so fix saves it as UTF-8 without a guess, keeping the original; then lint reads the records."""
    path = tmp_path / "wide.jsonl"
    record = '{"messages": [{"role": "user", "content": "Ça va ? 你好 🙂"}, {"role": "assistant", "content": "ok"}]}'
    text = (record + "\r\n") * 2
    original = text.encode(encoding)
    path.write_bytes(original)
    assert main(["lint", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"wide.jsonl:1:1: F030 error: no line of the file can be read as UTF-8: the file is {named} (it starts with " \
           "that encoding's byte-order mark): `tunesmith fix --write FILE` saves it as UTF-8" in out
    assert out.count(" error: ") == 1  # not one per line, and no F060 "0 examples"
    assert main(["fix", str(path)]) == 1
    assert f"wide.jsonl:1: F030 the file is {named}" in capsys.readouterr().out
    assert path.read_bytes() == original
    assert main(["fix", str(path), "--write"]) == 0
    out = capsys.readouterr().out
    assert f"F030 saved as UTF-8 (it was {named})" in out and "fixed 1 problem (F033)" in out
    assert path.read_bytes() == text.replace("\r\n", "\n").encode("utf-8")  # every character kept
    assert (tmp_path / "wide.jsonl.bak").read_bytes() == original  # the original, not an intermediate state
    main(["lint", str(path), "--select", "F0"])
    assert "F030" not in capsys.readouterr().out


def test_each_file_of_one_run_keeps_its_own_backup(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The first file's re-read turned the backups off for the files after it: their originals were lost."""
    paths = [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    for path in paths:
        path.write_bytes(GOOD + LINE)
    assert main(["fix", "--redecode", "cp1252", "--write", *map(str, paths)]) == 0
    for path in paths:
        assert (tmp_path / f"{path.name}.bak").read_bytes() == GOOD + LINE
        assert "naïve" in path.read_text("utf-8")


def test_a_file_with_a_utf16_mark_that_is_not_utf16_throughout_is_not_converted(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Converting it would be a guess: the file stays as it is, and the advice is fix's (convert's said --encoding)."""
    path = tmp_path / "odd.jsonl"
    original = b"\xff\xfe" + '{"a": 1}\n'.encode("utf-16-le") + b"\x00\xd8"  # a lone high surrogate at the end
    path.write_bytes(original)
    assert main(["fix", "--write", str(path)]) == 2
    err = capsys.readouterr().err
    assert "odd.jsonl: line 2, column 1" in err and "not UTF-16 throughout" in err and "--encoding" not in err
    assert path.read_bytes() == original and not (tmp_path / "odd.jsonl.bak").exists()
