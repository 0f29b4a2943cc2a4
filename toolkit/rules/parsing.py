"""Rules checked while reading bytes and lines (their checks live in :mod:`toolkit.reader`)."""

from __future__ import annotations

from ..diagnostics import Severity
from .registry import reader_rule

E, W = Severity.ERROR, Severity.WARNING

reader_rule("F010", "invalid-json", E, "line is not valid JSON", """
    Every line of a JSONL file must be one complete JSON value. The server rejects the whole file
    ("Example N cannot be parsed"). Usual causes: an unescaped quote or newline inside a string, a
    missing comma, a truncated line.
    """, source="F-01")
reader_rule("F011", "top-level-array", E, "line is a JSON array, not one record", """
    JSONL holds one JSON object per line. A file written as one JSON array `[{...}, {...}]` (on one
    line or pretty-printed) is rejected: "Expected file to have JSONL format, where every line is a
    JSON dictionary". Write each element on its own line; `tunesmith fix --write` does it.
    """, source="F-01")
reader_rule("F012", "multi-line-record", E, "one JSON record is spread over several lines", """
    A pretty-printed record (`json.dump(..., indent=2)`) spans many lines; each of them fails to
    parse on its own, so the server rejects the file. Tunesmith reports the span once and checks the
    joined record. `tunesmith fix --write` joins it into one line.
    """, source="F-01")
reader_rule("F013", "record-not-object", E, "line is JSON but not an object", """
    Each line must be a JSON object (`{...}`); a string, number, `null` or `true` is rejected with
    "Line N is not a dictionary".
    """, source="F-01")
reader_rule("F014", "non-finite-number", E, "NaN or Infinity is not valid JSON", """
    Python's `json.dumps` writes `NaN`, `Infinity` and `-Infinity` for float values that JSON cannot
    hold. Strict JSON parsers reject them. Replace them with a number, a string or null.
    """, source="RFC 8259")
reader_rule("F015", "lone-surrogate", E, "string holds a lone UTF-16 surrogate", """
    An escape such as `\\ud83d` without its pair does not encode a Unicode character; the file is not
    valid UTF-8 once decoded, and tokenizers and servers reject or mangle it. Usually text was cut in
    the middle of an emoji. Write the full pair (`\\ud83d\\ude00`) or the character itself.
    """, source="RFC 8259")
reader_rule("F016", "duplicate-key", W, "the same key appears twice in one object", """
    JSON parsers keep only the last value of a repeated key, silently dropping the other. What the
    model trains on may not be what you wrote. Remove one of them.
    """, source="RFC 8259")
reader_rule("F017", "nesting-too-deep", E, "JSON nested too deeply to parse", """
    The line nests arrays or objects hundreds of levels deep; parsers give up (Python's stops near
    1,000). No fine-tuning record needs this; the line is probably corrupt.
    """, source="F-01")
reader_rule("F018", "line-too-long", E, "line is longer than any record a provider accepts", """
    A line over the reader's limit (256 MB by default, `max-line-mb` in `[tool.tunesmith]`; OpenAI takes
    at most 10 images of 10 MB per example) is no fine-tuning record: usually a file that is not JSONL
    at all, or records written without line breaks. It is read past in bounded memory and reported once.
    """, source="F-05")
reader_rule("F020", "blank-line", W, "blank line", """
    Blank or whitespace-only lines are not records. Whether the server skips them is unconfirmed;
    the Cookbook's loader crashes on them. Remove them; `tunesmith fix --write` does it.
    """, source="F-02")
reader_rule("F030", "invalid-utf8", E, "line is not valid UTF-8", """
    Fine-tuning files must be UTF-8. A byte that is not valid UTF-8 (often Latin-1 or Windows-1252
    text such as `0xE9` for "é") makes the file unreadable to the server. Only the line with the
    bad byte is reported; the rest of the file is still checked. Re-save the file as UTF-8
    (`tunesmith fix --redecode cp1252 --diff` shows such lines re-read as Windows-1252, an unsafe fix:
    check it before `--write`).
    A file in UTF-16 or UTF-32 (Notepad's "Unicode", what Windows PowerShell 5 writes with `>`) or
    compressed is reported once, at line 1, and read no further; `tunesmith fix --write` saves a
    UTF-16 or UTF-32 file that starts with its byte-order mark as UTF-8.
    """, source="F-03")
reader_rule("F090", "mixed-formats", E, "records of different formats in one file", """
    The server detects one format per file (chat, preference/DPO, reinforcement or prompt/completion)
    and rejects files that mix them ("Unexpected file format, expected either prompt/completion pairs
    or chat messages"). Keep one format per file.
    """, source="F-09")
reader_rule("S001", "schema-violation", E, "record does not match the format's JSON Schema", """
    The record breaks the JSON Schema of its format (schemas/*.schema.json) in a way no more
    specific rule describes. The message quotes the schema's complaint and the pointer names the
    value. The schemas are the single source of truth for the shape of each example format.
    """, source="schemas/")
