"""Result files: both providers' CSV headers, empty cells, base64 content, sparklines and the PNG chart."""

from __future__ import annotations

import base64
import struct
import zlib
from pathlib import Path

import pytest

from toolkit.errors import InputError
from toolkit.training.metrics import parse_results, render, sparkline
from toolkit.training.plot import panels, write_png

# the header sets of FORMAT_RULES J-13: OpenAI's docs and Azure's
OPENAI_CSV = ("step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy\n"
              "1,1.5,0.5,,\n2,1.2,0.6,1.3,0.55\n3,0.9,0.7,,\n")
AZURE_CSV = ("step,train_loss,train_mean_token_accuracy,valid_loss,validation_mean_token_accuracy,full_valid_loss,"
             "full_valid_mean_token_accuracy\n1,1.5,0.5,1.6,0.4,,\n2,1.1,0.65,1.2,0.6,1.25,0.58\n")


def test_openai_headers_and_empty_cells() -> None:
    m = parse_results(OPENAI_CSV)
    assert m.steps == (1, 2, 3)
    assert m.names() == ["train_loss", "train_accuracy", "valid_loss", "valid_accuracy"]
    assert m.series("valid_loss") == [(2, 1.3)]
    assert m.columns["valid_accuracy"] == (None, 0.55, None)
    assert m.last("train_accuracy") == 0.7


def test_azure_headers_map_to_the_same_names() -> None:
    m = parse_results(AZURE_CSV.encode())
    assert m.names() == ["train_loss", "train_accuracy", "valid_loss", "valid_accuracy", "full_valid_loss",
                         "full_valid_accuracy"]
    assert m.series("valid_accuracy") == [(1, 0.4), (2, 0.6)]
    assert m.series("full_valid_accuracy") == [(2, 0.58)]


def test_base64_encoded_content_is_decoded() -> None:
    encoded = base64.encodebytes(OPENAI_CSV.encode())  # with line breaks, as some servers send it
    assert parse_results(encoded).series("train_loss") == parse_results(OPENAI_CSV).series("train_loss")


def test_bom_crlf_blank_lines_and_unknown_columns_are_kept() -> None:
    text = "\ufeffstep,train_loss,train_reward_mean\r\n1,2.0,0.1\r\n\r\n2,1.0,0.3\r\n"
    m = parse_results(text)
    assert m.steps == (1, 2) and m.series("train_reward_mean") == [(1, 0.1), (2, 0.3)]


@pytest.mark.parametrize(("text", "message"), [
    ("loss,acc\n1,2\n", "no 'step' column"),
    ("step,train_loss\n1,abc\n", r"result file:2: column 'train_loss' holds 'abc'"),
])
def test_not_a_result_file(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_results(text)


def test_sparkline_scales_and_resamples() -> None:
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7]) == "▁▂▃▄▅▆▇█"
    assert sparkline([5, 5, 5]) == "▁▁▁"
    assert len(sparkline([float(i) for i in range(1000)], width=30)) == 30
    assert sparkline([]) == ""


def test_render_lists_every_metric_with_first_last_min_max() -> None:
    out = render(parse_results(OPENAI_CSV), width=10)
    lines = out.splitlines()
    assert lines[0].split()[:5] == ["metric", "first", "last", "min", "max"]
    assert lines[1].split()[:5] == ["train_loss", "1.5000", "0.9000", "0.9000", "1.5000"]
    assert "valid_accuracy" in out and "steps 1..3" in lines[0]


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and zlib.crc32(data[12:16 + length]) == struct.unpack(">I", data[16 + length:20 + length])[0]
    return struct.unpack(">II", data[16:24])


def test_png_chart_has_one_panel_per_group(tmp_path: Path) -> None:
    m = parse_results(AZURE_CSV)
    assert [title for title, _ in panels(m)] == ["loss", "token accuracy"]
    out = write_png(m, tmp_path / "curves.png", title="ftjob-1 <gpt>")
    width, height = _png_size(out.read_bytes())
    assert (width, height) == (960, 2 * 320 + 30)
    assert [p.name for p in tmp_path.iterdir()] == ["curves.png"]  # no temp file left behind


def test_png_of_a_file_without_values_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no metric values"):
        write_png(parse_results("step,train_loss\n1,\n"), tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()
