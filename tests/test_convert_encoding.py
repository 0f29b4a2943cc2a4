"""`tunesmith convert --from csv` on tables that are not UTF-8 (Excel's Windows-1252, UTF-16): never a silent guess.

The editor's Import reads uploads with the same function (toolkit.text_encoding.decode_text); its
browser test is tests/test_browser.py::test_import_a_windows_1252_csv.
"""

from __future__ import annotations

import json
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit.cli.main import main
from toolkit.convert import convert
from toolkit.errors import ToolkitError, UsageError
from toolkit.text_encoding import NotUtf8, UnreadableText, decode_text

# What Excel writes for "CSV (Comma delimited)" on Windows: cp1252, CRLF. Line 3 holds the curly quotes (0x93/0x94)
ROWS = [("question", "answer"), ("Café au lait?", "Naïve but fine."), ("“Quoted”, he said?", "It costs €5 \u2013 cheap.")]
INTENDED = [{"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]} for q, a in ROWS[1:]]


def excel_csv(path: Path, encoding: str = "cp1252") -> Path:
    path.write_bytes("".join(f'"{q}","{a}"\r\n' for q, a in ROWS).encode(encoding))
    return path


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_a_cp1252_csv_converts_with_its_encoding_to_the_intended_text(tmp_path, capsys):
    src, out = excel_csv(tmp_path / "excel export.csv"), tmp_path / "out.jsonl"
    assert main(["convert", str(src), str(out), "--from", "csv", "--encoding", "cp1252"]) == 1  # F060: < 10 examples
    assert jsonl(out) == INTENDED
    assert f"read {src} as Windows-1252 (cp1252)" in capsys.readouterr().err  # said, not silently chosen


def test_without_an_encoding_the_error_names_the_file_line_column_and_the_likely_encoding(tmp_path, capsys):
    src, out = tmp_path / "excel export.csv", tmp_path / "out.jsonl"
    src.write_bytes('question,answer\r\nok?,fine\r\n"Quote: \x93hi\x94",yes\r\n'.encode("latin-1"))
    assert main(["convert", str(src), str(out), "--from", "csv"]) == 2
    err = capsys.readouterr().err
    assert f"{src}: line 3, column 9: byte 0x93 is not UTF-8" in err
    assert "probably Windows-1252 (cp1252)" in err and "--encoding cp1252" in err
    assert "offset" not in err and "position" not in err and "Traceback" not in err
    assert not out.exists()
    with pytest.raises(NotUtf8) as caught:
        decode_text(src.read_bytes(), "upload.csv")
    assert (caught.value.line, caught.value.column, caught.value.byte, caught.value.likely) == (3, 9, 0x93, "cp1252")


def test_the_column_counts_characters_not_bytes(tmp_path):
    with pytest.raises(NotUtf8, match=r"t\.csv: line 2, column 3: byte 0xe9"):
        decode_text("a,b\n€é".encode() + b"\xe9\n", "t.csv")  # two characters (5 bytes) before the bad byte


def test_bytes_that_cp1252_cannot_read_name_no_likely_encoding(tmp_path):
    data = b"question,answer\nq\x81,a\n"  # 0x81 has no character in cp1252
    with pytest.raises(NotUtf8) as caught:
        decode_text(data, "odd.csv")
    assert caught.value.likely is None and "--encoding latin-1" in str(caught.value)
    with pytest.raises(UnreadableText, match=r"odd\.csv: line 2, column 2: byte 0x81 cannot be read as Windows-1252"):
        decode_text(data, "odd.csv", "cp1252")
    assert decode_text(data, "odd.csv", "latin-1").text == "question,answer\nq\x81,a\n"


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_its_bom_is_named_not_read_as_cp1252(tmp_path, encoding):
    data = "".join(f'"{q}","{a}"\r\n' for q, a in ROWS).encode(encoding)
    with pytest.raises(NotUtf8) as caught:
        decode_text(data, "t.csv")
    assert caught.value.likely == encoding and f"--encoding {encoding}" in str(caught.value)
    assert [r for r in decode_text(data, "t.csv", encoding).text.splitlines() if r][1] == '"Café au lait?","Naïve but fine."'


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_ascii_utf16_without_its_bom_is_named_not_read_as_utf8(tmp_path, capsys, encoding):
    # every byte of ASCII text in UTF-16 is valid UTF-8: read as UTF-8, the columns would be "q\x00u\x00e..."
    src, out = tmp_path / "t.csv", tmp_path / "out.jsonl"
    src.write_bytes("question,answer\r\nWhat is H?,Hydrogen\r\n".encode(encoding))
    with pytest.raises(NotUtf8) as caught:
        decode_text(src.read_bytes(), "t.csv")
    assert caught.value.likely == encoding
    assert main(["convert", str(src), str(out), "--from", "csv"]) == 2 and not out.exists()
    err = capsys.readouterr().err
    assert f"{src}: every other byte is NUL (0x00), so the file is not UTF-8 text" in err
    assert f"read it with --encoding {encoding}" in err
    assert main(["convert", str(src), str(out), "--from", "csv", "--encoding", encoding]) == 1  # F060: 1 example
    assert jsonl(out) == [{"messages": [{"role": "user", "content": "What is H?"},
                                        {"role": "assistant", "content": "Hydrogen"}]}]


@pytest.mark.parametrize(("encoding", "said"), [("utf-8-sig", None), ("utf-16", "UTF-16"), ("utf-16-be", "UTF-16")])
def test_utf8_with_a_bom_and_utf16_with_a_bom_need_no_encoding(tmp_path, capsys, encoding, said):
    src, out = tmp_path / "t.csv", tmp_path / "out.jsonl"
    data = "".join(f'"{q}","{a}"\r\n' for q, a in ROWS).encode(encoding)
    src.write_bytes(b"\xfe\xff" + data if encoding == "utf-16-be" else data)
    result = convert(src, out, from_format="csv")
    assert jsonl(out) == INTENDED  # the byte-order mark is not part of the first column's name
    assert result.encoding == ("utf-16" if said else "utf-8-sig")
    out.unlink()
    main(["convert", str(src), str(out), "--from", "csv"])
    assert (f"read {src} as" in capsys.readouterr().err) == bool(said)


def test_explicit_utf8_still_drops_the_bom(tmp_path):
    src = tmp_path / "t.csv"
    src.write_bytes(b"\xef\xbb\xbfquestion,answer\nq,a\n")
    convert(src, tmp_path / "o.jsonl", from_format="csv", encoding="UTF8")
    assert jsonl(tmp_path / "o.jsonl") == [{"messages": [{"role": "user", "content": "q"},
                                                         {"role": "assistant", "content": "a"}]}]


@pytest.mark.parametrize("name", ["no-such-codec", "base64", "rot13", "zlib"])
def test_a_bad_encoding_name_is_a_clear_error(tmp_path, capsys, name):
    src = excel_csv(tmp_path / "t.csv")
    assert main(["convert", str(src), str(tmp_path / "o.jsonl"), "--from", "csv", "--encoding", name]) == 2
    assert f"--encoding {name!r}: not a text encoding Python knows; e.g. cp1252" in capsys.readouterr().err
    assert not (tmp_path / "o.jsonl").exists()


def test_encoding_goes_with_csv_and_tsv_only(tmp_path):
    src = tmp_path / "s.json"
    src.write_text("[]", encoding="utf-8")
    with pytest.raises(UsageError, match="--encoding goes with --from csv or tsv; sharegpt is JSON"):
        convert(src, tmp_path / "o.jsonl", from_format="sharegpt", encoding="cp1252")
    with pytest.raises(UsageError, match="--encoding go with --from"):
        convert(src, tmp_path / "o.json", to_format="sharegpt", encoding="cp1252")


@settings(deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.one_of(st.binary(max_size=200),
                      st.lists(st.sampled_from([b"question,answer", b"\r\n", b"\n", b",", b'"', b"\x93", b"\xe9",
                                                b"\xff\xfe", b"\xef\xbb\xbf", b"\x00", b"caf\xc3\xa9", b"q", b"\x81"]),
                               max_size=30).map(b"".join)),
       encoding=st.sampled_from([None, "cp1252", "latin-1", "utf-16", "utf-8"]), fmt=st.sampled_from(["csv", "tsv"]))
def test_random_bytes_never_crash_convert(data: bytes, encoding: str | None, fmt: str) -> None:
    with TemporaryDirectory() as tmp:
        src, out = Path(tmp) / f"in.{fmt}", Path(tmp) / "out.jsonl"
        src.write_bytes(data)
        try:
            result = convert(src, out, from_format=fmt, encoding=encoding)
        except ToolkitError as exc:
            assert str(exc).strip() and not out.exists()  # a clear error, and nothing written
        else:
            assert len(jsonl(out)) == result.records
