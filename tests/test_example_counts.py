"""lint and stats count the same examples: one definition (toolkit.reader.example_of), the same number under the
same word in both outputs; lint's other records (pretty-printed, not UTF-8) are labelled as such."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from toolkit import stats
from toolkit.cli.main import main
from toolkit.config import Settings
from toolkit.engine import Linter
from toolkit.reader import JsonlReader, Record, example_of

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
RECORDS = [{"messages": [{"role": "user", "content": f"Qu\u00e9 tal {i}?"}, {"role": "assistant", "content": "Tr\u00e8s bien"}]}
           for i in range(12)]
LINES = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in RECORDS)
LONG = json.dumps({"messages": [{"role": "user", "content": "x" * 3000}, {"role": "assistant", "content": "ok"}]})
# (file bytes, max-line-mb, examples, records lint checks)
CASES = {
    "elle_broken": ((SAMPLES / "elle_broken.jsonl").read_bytes(), None, 41, 43),
    "pretty-printed": ("".join(json.dumps(r, indent=2) + "\n" for r in RECORDS).encode(), None, 0, 12),
    "cp1252": (LINES.encode("cp1252"), None, 0, 12),
    "cp1252 and utf-8": (LINES.encode("cp1252") + LINES.encode(), None, 12, 24),
    "utf-16": (LINES.encode("utf-16"), None, 0, 0),
    "utf-32": (LINES.encode("utf-32"), None, 0, 0),
    "over max-line-mb": ((LINES + LONG + "\n").encode(), 0.002, 12, 12),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_lint_and_stats_count_the_same_examples(tmp_path: Path, case: str) -> None:
    data, max_mb, examples, records = CASES[case]
    path = tmp_path / "data.jsonl"
    path.write_bytes(data)
    max_line = int(max_mb * 2**20) if max_mb else Settings().max_line_bytes
    linted = Linter(Settings(max_line_bytes=max_line)).lint(path).files[0]
    assert (linted.example_count, linted.records) == (examples, records)
    if examples:
        assert stats.compute(path, max_line_bytes=max_line, workers=1).examples == examples
    else:  # stats refuses a file without examples, as lint's F060 does
        with pytest.raises(stats.NoExamples):
            stats.compute(path, max_line_bytes=max_line, workers=1)


def test_both_outputs_say_the_same_number_of_examples(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "data.jsonl"
    path.write_bytes(CASES["elle_broken"][0])
    (tmp_path / "pyproject.toml").write_text("[tool.tunesmith]\n")
    main(["lint", str(path)])
    lint_out = capsys.readouterr().out
    main(["stats", str(path)])
    stats_out = capsys.readouterr().out
    assert "(41 examples, and 2 records to repair first; " in lint_out
    assert "the training file has 41 examples (and 2 records to repair first" in lint_out  # F070
    assert stats_out.startswith("data.jsonl: 41 examples (") and "21 lines are not examples" in stats_out
    main(["lint", str(path), "--format", "json"])
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert (summary["examples"], summary["records"]) == (41, 43)


def test_stats_honours_max_line_mb_as_lint_does(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.tunesmith]\nmax-line-mb = 0.002\n")
    path = tmp_path / "data.jsonl"
    path.write_bytes(CASES["over max-line-mb"][0])
    main(["stats", str(path)])
    out = capsys.readouterr().out
    assert out.startswith("data.jsonl: 12 examples") and "1 line is not an example" in out and "(line 13)" in out
    main(["lint", str(path)])
    assert "(12 examples; " in capsys.readouterr().out


def test_one_example_is_written_in_the_singular(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "one.jsonl"
    path.write_text(LINES.splitlines()[0] + "\n", "utf-8")
    main(["stats", str(path)])
    assert capsys.readouterr().out.startswith("one.jsonl: 1 example (1 chat)")
    main(["lint", str(path)])
    out = capsys.readouterr().out
    assert "(1 example; " in out and "the training file has 1 example," in out


@pytest.mark.parametrize("name", ["elle_broken.jsonl", "elle_tools.jsonl", "elle_dpo.jsonl"])
def test_the_reader_marks_as_examples_exactly_the_lines_example_of_accepts(name: str) -> None:
    data = (SAMPLES / name).read_bytes()
    extra = [LINES.encode("cp1252"), LINES.encode("utf-16"), b'{"a": NaN}\n{"a": 1, "a": 2}\n["x"]\n{"a": "\\ud800"}\n']
    for blob in [data, *extra]:
        lines = blob.removeprefix(b"\xef\xbb\xbf").split(b"\n")
        accepted = {n for n, raw in enumerate(lines, 1) if raw.strip() and example_of(raw) is not None}
        marked = {i.line for i in JsonlReader(io.BytesIO(blob)) if isinstance(i, Record) and i.example}
        assert marked == accepted, name
