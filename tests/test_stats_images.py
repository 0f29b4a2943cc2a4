"""stats: image tokens by the vision guide's formula, and both answers of a DPO pair billed (issue 10)."""

from __future__ import annotations

import base64
import io
import json
import struct
import zlib

import pytest

from toolkit import imagedata, stats, tokenizer
from toolkit.cli.stats_cmd import write_text


def png(width: int, height: int) -> str:
    """A whole, tiny-on-disk PNG data URL of the given size (one grey row repeated)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = zlib.compress((b"\x00" + b"\x80\x80\x80" * width) * height)
    data = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(data).decode()


@pytest.mark.parametrize(("size", "detail", "expected"), [
    ((1024, 1024), "high", 765),  # the guide's worked example: 768x768, 4 tiles
    ((2048, 4096), "high", 1105),  # 1024x2048, then 768x1536: 6 tiles
    ((4096, 8192), "low", 85),
    ((512, 512), "auto", 255),  # small images are not scaled up
    ((100, 3000), None, 85 + 170 * 4),  # 68x2048 fits; the short side is under 768
])
def test_image_tokens_follow_the_documented_formula(size, detail, expected):
    assert imagedata.tokens(detail, size) == expected


def test_sizes_are_read_from_png_jpeg_and_webp_headers():
    assert imagedata.head_of(base64.b64decode(png(640, 480).split(",")[1])).width == 640
    jpeg = b"\xff\xd8\xff\xe0\x00\x04ab\xff\xc0\x00\x11\x08" + struct.pack(">HH", 300, 500) + b"\x03" + b"\x00" * 9
    assert (imagedata.head_of(jpeg).width, imagedata.head_of(jpeg).height) == (500, 300)
    vp8x = b"RIFF\x00\x00\x00\x00WEBPVP8X" + b"\x00" * 8 + (799).to_bytes(3, "little") + (599).to_bytes(3, "little")
    assert (imagedata.head_of(vp8x).width, imagedata.head_of(vp8x).height) == (800, 600)


def _image_example(url: str, detail: str) -> dict:
    return {"messages": [{"role": "user", "content": [{"type": "text", "text": "What is this?"},
                                                      {"type": "image_url", "image_url": {"url": url, "detail": detail}}]},
                         {"role": "assistant", "content": "A chart."}]}


def test_100_image_examples_count_their_image_tokens(tmp_path):
    path = tmp_path / "vision.jsonl"
    rows = [_image_example(png(1024, 1024), "high")] * 50 + [_image_example(png(1024, 1024), "low")] * 50
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    enc = tokenizer.encoding("o200k_base")
    text = sum(len(enc.encode(t)) for t in ("user", "What is this?", "assistant", "A chart.")) + 3 * 2 + 3
    s = stats.compute(path, model="gpt-4o-2024-08-06", workers=1)
    assert s.total_tokens == 100 * text + 50 * 765 + 50 * 85
    assert s.images_assumed == 0


def test_images_behind_urls_are_counted_at_an_assumed_size_and_the_report_says_so(tmp_path):
    path = tmp_path / "urls.jsonl"
    rows = [_image_example("https://example.com/chart.png", "auto")] * 10
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    s = stats.compute(path, model="gpt-4o-2024-08-06", workers=1)
    assert s.images_assumed == 10 and s.total_tokens > 10 * 765
    out = io.StringIO()
    write_text(s, out)
    assert "10 images behind URLs have an unknown size; each was counted as 1024x1024 (765 tokens" in out.getvalue()


def test_the_rejected_answer_of_a_dpo_pair_is_billed_but_not_trained(tmp_path):
    path = tmp_path / "dpo.jsonl"
    row = {"input": {"messages": [{"role": "user", "content": "Q"}]},
           "preferred_output": [{"role": "assistant", "content": "good answer"}],
           "non_preferred_output": [{"role": "assistant", "content": "a much longer and worse rejected answer"}]}
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    enc = tokenizer.encoding("o200k_base")
    s = stats.compute(path, workers=1)
    strings = ("user", "Q", "assistant", "good answer", "assistant", "a much longer and worse rejected answer")
    assert s.total_tokens == sum(len(enc.encode(t)) for t in strings) + 3 * 3 + 3
    assert s.trained_tokens == len(enc.encode("good answer"))
    out = io.StringIO()
    write_text(s, out)
    assert "both answers are counted" in out.getvalue()


def test_stats_refuses_another_trainers_format_with_the_convert_command(tmp_path):
    from toolkit.errors import InputError

    path = tmp_path / "sg.jsonl"
    path.write_text(json.dumps({"conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}]})
                    + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"ShareGPT format.*tunesmith convert --from sharegpt"):
        stats.compute(path, workers=1)
