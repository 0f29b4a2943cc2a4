"""Embedded images (``data:image/...;base64,`` URLs): what they hold, whether they are whole, and their tokens.

Only the standard library: image headers are read by hand (PNG IHDR, JPEG SOF, WEBP VP8/VP8L/VP8X).

Image tokens follow the vision guide's formula for the models that fine-tune on images
(gpt-4o, gpt-4.1): ``detail: "low"`` costs 85 tokens; ``"high"`` (and ``"auto"``, counted
as high) scales the image to fit in 2048x2048, then its shortest side down to 768 px, and
costs 85 + 170 per 512 px tile (https://platform.openai.com/docs/guides/images-vision,
"Calculating costs"; the vision fine-tuning guide bills images the same way).
"""

from __future__ import annotations

import base64
import binascii
import math
import struct
from dataclasses import dataclass

BASE_TOKENS = 85
TILE_TOKENS = 170
LOW_DETAIL_TOKENS = 85
TILE = 512
FIT = 2048
SHORT_SIDE = 768
ASSUMED_SIZE = (1024, 1024)  # an image behind a URL, whose size is unknown offline: 765 tokens at high detail
HEAD_CHARS = 1 << 16  # base64 characters decoded to find an image's size (JPEG headers can be long)
_MAGIC = ((b"\xff\xd8\xff", "JPEG"), (b"\x89PNG\r\n\x1a\n", "PNG"), (b"GIF8", "GIF"), (b"BM", "BMP"),
          (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"), (b"\x00\x00\x01\x00", "ICO"))
_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})


@dataclass(frozen=True)
class ImageHead:
    """What the first bytes of an image say: its kind (``PNG``, ``JPEG``...; None if unknown) and size."""

    kind: str | None
    width: int | None = None
    height: int | None = None
    png_color_type: int | None = None


def payload_of(url: str) -> str | None:
    """The base64 text of a ``data:...;base64,`` URL (None for any other URL)."""
    header, comma, payload = url.partition(",")
    if not comma or not header.startswith("data:") or "base64" not in (p.strip().lower() for p in header.split(";")):
        return None
    return payload


def kind_of(head: bytes) -> str | None:
    """The image format its first bytes announce."""
    found = next((name for magic, name in _MAGIC if head.startswith(magic)), None)
    if found is None and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        found = "WEBP"
    return found


def head_of(data: bytes) -> ImageHead:
    """Kind and size of an image from its first bytes (size None when the header is not in ``data``)."""
    kind = kind_of(data)
    try:
        if kind == "PNG" and data[12:16] == b"IHDR" and len(data) >= 26:
            w, h = struct.unpack(">II", data[16:24])
            return ImageHead(kind, w, h, data[25])
        if kind == "JPEG":
            return ImageHead(kind, *_jpeg_size(data))
        if kind == "WEBP":
            return ImageHead(kind, *_webp_size(data))
        if kind == "GIF" and len(data) >= 10:
            w, h = struct.unpack("<HH", data[6:10])
            return ImageHead(kind, w, h)
    except struct.error:
        pass
    return ImageHead(kind)


def _jpeg_size(data: bytes) -> tuple[int | None, int | None]:
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None, None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2:i + 4])
        if marker in _SOF and i + 9 <= len(data):
            h, w = struct.unpack(">HH", data[i + 5:i + 9])
            return w, h
        i += 2 + length
    return None, None


def _webp_size(data: bytes) -> tuple[int | None, int | None]:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30:
        w, h = struct.unpack("<HH", data[26:30])
        return w & 0x3FFF, h & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        b = data[21:25]
        w = 1 + (((b[1] & 0x3F) << 8) | b[0])
        h = 1 + (((b[3] & 0xF) << 10) | (b[2] << 2) | ((b[1] & 0xC0) >> 6))
        return w, h
    if chunk == b"VP8X" and len(data) >= 30:
        return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
    return None, None


def decode_head(payload: str) -> bytes | None:
    """The first bytes of the image a base64 payload holds (None when those are not valid base64)."""
    cut = payload[:HEAD_CHARS]
    cut = cut[:len(cut) - len(cut) % 4]
    try:
        return base64.b64decode(cut, validate=True)
    except (binascii.Error, ValueError):
        return None


def damage(payload: str) -> str | None:
    """Why a base64 image payload is corrupt or cut short, or None when it decodes to a whole image."""
    if not payload:
        return "the data URL holds no data"
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        bad = next((c for c in payload if not (c.isalnum() and c.isascii()) and c not in "+/="), None)
        if bad is not None:
            return f"the base64 data holds the character {bad!r}, which base64 does not use"
        return f"the base64 data is cut short or badly padded ({len(payload):,} characters, not a multiple of 4)"
    kind = kind_of(data)
    if kind == "PNG" and not data.rstrip(b"\x00").endswith(b"IEND\xaeB`\x82"):
        return f"the PNG data is cut short ({len(data):,} bytes, without the closing IEND chunk)"
    if kind == "JPEG" and b"\xff\xd9" not in data[-64:]:
        return f"the JPEG data is cut short ({len(data):,} bytes, without the end-of-image marker)"
    if kind == "WEBP" and len(data) >= 8 and int.from_bytes(data[4:8], "little") + 8 > len(data):
        return f"the WEBP data is cut short ({len(data):,} of {int.from_bytes(data[4:8], 'little') + 8:,} bytes)"
    return None


def tokens(detail: str | None, size: tuple[int, int] | None) -> int:
    """Tokens of one image: 85 at low detail; at high or auto, 85 + 170 per tile of the scaled image."""
    if detail == "low":
        return LOW_DETAIL_TOKENS
    width, height = size or ASSUMED_SIZE
    if width <= 0 or height <= 0:
        return BASE_TOKENS
    scale = min(1.0, FIT / max(width, height))
    w, h = width * scale, height * scale
    scale = min(1.0, SHORT_SIDE / min(w, h))
    w, h = w * scale, h * scale
    return BASE_TOKENS + TILE_TOKENS * math.ceil(w / TILE) * math.ceil(h / TILE)


def url_tokens(url: str, detail: str | None) -> tuple[int, bool]:
    """(tokens, whether the size was assumed) of an image part's URL and detail."""
    if detail == "low":
        return LOW_DETAIL_TOKENS, False
    payload = payload_of(url)
    head = decode_head(payload) if payload is not None else None
    found = head_of(head) if head is not None else None
    if found is not None and found.width and found.height:
        return tokens(detail, (found.width, found.height)), False
    return tokens(detail, None), True
