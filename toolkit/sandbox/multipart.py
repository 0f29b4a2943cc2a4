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


def read_chunked(stream: io.BufferedIOBase) -> bytes:
    """Read a ``Transfer-Encoding: chunked`` body from ``stream``."""
    out = bytearray()
    while True:
        size_line = stream.readline()
        size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            while stream.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return bytes(out)
        out += stream.read(size)
        stream.readline()  # the CRLF after each chunk


def parse_form(body: bytes, content_type: str) -> dict[str, Field]:
    """Split a multipart/form-data ``body`` into its named fields (bytes kept exactly)."""
    header = BytesHeaderParser(policy=policy.HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode())
    boundary = header.get_param("boundary")
    if header.get_content_type() != "multipart/form-data" or not isinstance(boundary, str):
        raise MultipartError(f"expected multipart/form-data with a boundary, got {content_type!r}")
    delimiter = b"--" + boundary.encode("latin-1")
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
