"""Which encoding a text file (a CSV from Excel, an upload) was saved in, and its text; never a silent guess.

>>> decode_text(b"caf\\xc3\\xa9", "a.csv").text
'café'

UTF-8 (with or without its byte-order mark) and UTF-16 with a byte-order mark are read as they are
(``Decoded.encoding`` says which, so the caller can tell the user). Any other bytes stop with
:class:`NotUtf8`, which names the file, the line and the column of the first byte that is not
UTF-8, and the encoding the bytes most likely are (Windows-1252, Excel's default, when they
read as it; UTF-16 without its byte-order mark when every other byte is NUL, even if those bytes are valid
UTF-8); the caller then asks for the encoding (``--encoding cp1252``, the editor's choice)
and calls again with it. The CLI's ``convert`` and the editor's Import both read tables here.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from .errors import InputError, UsageError

LABELS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16",
          "utf-16-le": "UTF-16 little-endian (no byte-order mark)", "utf-16-be": "UTF-16 big-endian (no byte-order mark)",
          "cp1252": "Windows-1252 (cp1252)", "iso8859-1": "Latin-1 (ISO-8859-1)", "mac-roman": "Mac Roman"}
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True)
class Decoded:
    """The file's text and the encoding it was read with (a Python codec name)."""

    text: str
    encoding: str

    @property
    def label(self) -> str:
        """The encoding as a person reads it ("Windows-1252 (cp1252)")."""
        return label(self.encoding)


def label(encoding: str) -> str:
    return LABELS.get(encoding, encoding)


class UnreadableText(InputError):
    """Bytes that the encoding tried cannot read; ``summary`` names the file, line, column and byte.

    The message adds what to do on the command line (``--encoding``); the editor adds its own advice.
    """

    def __init__(self, summary: str, hint: str) -> None:
        self.summary = summary
        super().__init__(f"{summary}\n{hint}")


class NotUtf8(UnreadableText):
    """The bytes are not UTF-8 and carry no UTF-16 byte-order mark: the user must name the encoding."""

    def __init__(self, name: str, line: int, column: int, byte: int, likely: str | None) -> None:
        self.name, self.line, self.column, self.byte, self.likely = name, line, column, byte, likely
        guess = (f"it is probably {label(likely)}" if likely
                 else "its encoding is not Windows-1252 either; name the one it was saved in")
        hint = (f"read it with --encoding {likely} and check the result" if likely
                else "e.g. --encoding latin-1 (it reads every byte; check the result) or --encoding mac_roman")
        super().__init__(f"{name}: line {line}, column {column}: byte 0x{byte:02x} is not UTF-8, so the file is "
                         f"not UTF-8 text; {guess}", f"{hint}, or save the file as UTF-8")


class Utf16WithoutBom(NotUtf8):
    """UTF-16 text without its byte-order mark whose characters are all ASCII: every byte is valid UTF-8, but every
    other one is NUL, so read as UTF-8 it would be garbage (a NUL beside each character)."""

    def __init__(self, name: str, likely: str) -> None:
        self.name, self.line, self.column, self.byte, self.likely = name, 1, 1, 0, likely
        UnreadableText.__init__(self, f"{name}: every other byte is NUL (0x00), so the file is not UTF-8 text: it "
                                f"is probably {label(likely)}",
                                f"read it with --encoding {likely} and check the result, or save the file as UTF-8")


def _wide(data: bytes) -> bool:
    """Whether NUL bytes make up a third of ``data`` or more: UTF-16 (or UTF-32) text, never a UTF-8 file."""
    return data.count(b"\x00") * 3 >= len(data) > 0


def likely_encoding(data: bytes) -> str | None:
    """The encoding bytes that are not UTF-8 most likely are: cp1252 (Excel's default) when they read as it.

    Bytes 0x80-0x9F are the telling ones: curly quotes, the euro sign and dashes in cp1252, unused
    control codes in Latin-1. Where cp1252 has no character for one (0x81, 0x8D, 0x8F, 0x90, 0x9D),
    there is no likely encoding to name. A NUL in every other byte is UTF-16 without its byte-order
    mark (the NULs' side tells the byte order).
    """
    if _wide(data):
        return "utf-16-le" if data[1::2].count(b"\x00") >= data[0::2].count(b"\x00") else "utf-16-be"
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    return "cp1252"


def _position(data: bytes, start: int, encoding: str) -> tuple[int, int]:
    """Line and column (1-based, in characters) of byte ``start``, the bytes before it read as ``encoding``."""
    try:
        before = data[:start].decode(encoding, "replace")
    except UnicodeError:  # a codec without the "replace" handler (idna): count as UTF-8 would
        before = data[:start].decode("utf-8", "replace")
    line_start = before.rfind("\n") + 1
    return before.count("\n") + 1, len(before) - line_start + 1


def checked_encoding(encoding: str) -> str:
    """``encoding``'s Python codec name, or a :class:`UsageError` when Python has no text codec of that name."""
    try:
        info = codecs.lookup(encoding)
        b"\x00".decode(info.name, "ignore")  # a codec of bytes to bytes (base64, zlib...) is not a text encoding
    except UnicodeError:  # a text codec that takes no error handler (idna)
        pass
    except LookupError:
        raise UsageError(f"--encoding {encoding!r}: not a text encoding Python knows; e.g. cp1252 (Windows, "
                         "Excel's default), latin-1, utf-16, mac_roman") from None
    # Explicit UTF-8 still drops a byte-order mark (else it would start the first column's name)
    return "utf-8-sig" if info.name == "utf-8" else info.name


def decode_text(data: bytes, name: str, encoding: str | None = None) -> Decoded:
    """``data`` (the bytes of the file called ``name``) as text.

    Without ``encoding``: UTF-8 (a byte-order mark is dropped), UTF-16 when it starts with its
    byte-order mark, else :class:`NotUtf8`. With ``encoding`` (any Python codec name; a bad name
    is a :class:`UsageError`): read as that, or an :class:`InputError` naming the line and column
    of the first byte it has no character for.
    """
    if encoding is None:
        if data.startswith(_UTF16_BOMS):
            return decode_text(data, name, "utf-16")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line, column = _position(data, exc.start, "utf-8")
            raise NotUtf8(name, line, column, data[exc.start], likely_encoding(data)) from None
        if _wide(data):  # ASCII text in UTF-16 without its byte-order mark is valid UTF-8, with a NUL in every char
            raise Utf16WithoutBom(name, likely_encoding(data) or "utf-16-le")
        return Decoded(text, "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8")
    codec = checked_encoding(encoding)
    try:
        return Decoded(data.decode(codec), codec)
    except UnicodeDecodeError as exc:
        line, column = _position(data, exc.start, codec)
        raise UnreadableText(f"{name}: line {line}, column {column}: byte 0x{data[exc.start]:02x} cannot be read as "
                             f"{label(codec)} ({exc.reason}); the file was saved in another encoding",
                             "name it with --encoding (latin-1 reads every byte; check the result)") from None
    except UnicodeError as exc:  # a codec's own complaint without a position (idna, punycode...)
        raise UnreadableText(f"{name}: cannot be read as {label(codec)} ({exc})",
                             "name another encoding with --encoding") from None
