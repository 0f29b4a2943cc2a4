"""Request bodies the sandbox reads: chunked transfer encoding and multipart/form-data."""

from __future__ import annotations

import io
from dataclasses import dataclass
from email import policy
from email.parser import BytesHeaderParser


@dataclass(frozen=True)
class Field:
    """One multipart field: its value bytes and, for a file, its file name."""

    data: bytes
    filename: str | None = None


class MultipartError(ValueError):
    """The body is not the multipart/form-data its Content-Type says."""


class BodyError(ValueError):
    """A request body the server cannot read: a bad length or chunk size (400), or too big (413)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


_PIECE = 1 << 20  # bodies are read in pieces: memory follows what the client sent, not what it claimed


def read_exactly(stream: io.BufferedIOBase, size: int) -> bytes:
    """``size`` bytes from ``stream``; :class:`BodyError` when the client stops sending before the end."""
    out = bytearray()
    while len(out) < size:
        piece = stream.read(min(_PIECE, size - len(out)))
        if not piece:
            raise BodyError(f"the body ended after {len(out)} of the {size} bytes its length announced")
        out += piece
    return bytes(out)


def content_length(values: list[str], limit: int) -> int:
    """The one ``Content-Length`` of a request (0 without one), at most ``limit``."""
    if len(set(v.strip() for v in values)) > 1:
        raise BodyError("conflicting Content-Length headers")
    raw = values[0].strip() if values else "0"
    if not (raw.isascii() and raw.isdigit()):
        raise BodyError(f"invalid Content-Length {raw[:40]!r}: expected a number of bytes")
    if len(raw) > 15 or int(raw) > limit:
        raise BodyError(f"the body is too large: the sandbox accepts at most {limit} bytes per request", 413)
    return int(raw)


def read_chunked(stream: io.BufferedIOBase, limit: int) -> bytes:
    """Read a ``Transfer-Encoding: chunked`` body of at most ``limit`` bytes from ``stream``."""
    out = bytearray()
    while True:
        size_line = stream.readline(1024)
        text = size_line.split(b";", 1)[0].strip()
        if not size_line.endswith(b"\n") or not text or len(text) > 15 or \
                text.strip(b"0123456789abcdefABCDEF"):
            raise BodyError(f"invalid chunk size line {size_line[:40]!r}")
        size = int(text, 16)
        if size == 0:
            for _ in range(100):  # trailers, up to the blank line
                if stream.readline(8192) in (b"\r\n", b"\n", b""):
                    return bytes(out)
            raise BodyError("too many trailer lines after the last chunk")
        if len(out) + size > limit:
            raise BodyError(f"the body is too large: the sandbox accepts at most {limit} bytes per request", 413)
        out += read_exactly(stream, size)
        if stream.readline(3) not in (b"\r\n", b"\n"):
            raise BodyError("a chunk is longer than its size line says")


def parse_form(body: bytes, content_type: str) -> dict[str, Field]:
    """Split a multipart/form-data ``body`` into its named fields (bytes kept exactly)."""
    header = BytesHeaderParser(policy=policy.HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode())
    boundary = header.get_param("boundary")
    if header.get_content_type() != "multipart/form-data" or not isinstance(boundary, str):
        raise MultipartError(f"expected multipart/form-data with a boundary, got {content_type!r}")
    if not 1 <= len(boundary) <= 70 or not boundary.isascii():
        raise MultipartError(f"invalid multipart boundary {boundary[:80]!r}: 1 to 70 ASCII characters")
    delimiter = b"--" + boundary.encode("ascii")
    sections = body.split(delimiter)
    if len(sections) < 3 or not sections[-1].startswith(b"--"):
        raise MultipartError("the multipart body is cut short (no closing boundary)")
    fields: dict[str, Field] = {}
    for section in sections[1:-1]:
        head, sep, data = section.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not sep:
            raise MultipartError("a multipart section has no header/body separator")
        part = BytesHeaderParser(policy=policy.HTTP).parsebytes(head + b"\r\n\r\n")
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise MultipartError("a multipart section has no name in its Content-Disposition")
        fields[name] = Field(data.removesuffix(b"\r\n"), part.get_filename())
    return fields
