"""Safe repairs inside one record, each named by the rule it fixes. Content text is never changed.

A repair looks at a parsed record and returns :class:`Change` objects; nothing is modified
until a change is applied, so the same function both finds and fixes:

>>> for change in find(value, "chat", rules={"C030"}):
...     change.apply()
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from . import formats, pointers, records, splice
from .errors import InputError

# Role names other tools use, and what OpenAI calls them (C030). Only these exact names and
# case variants of valid roles are renamed; anything else is left for the user to decide.
ROLE_ALIASES = {"human": "user", "gpt": "assistant", "bot": "assistant", "model": "assistant", "agent": "assistant",
                "ai": "assistant", "chatbot": "assistant"}
TOOL_PARTS_SEPARATOR = "\n"
_CONTROL = re.compile(r"[\x00-\x1f]")  # raw in a string of a lenient record; escaped when copied


@dataclass
class Change:
    """One planned repair: which rule it fixes, what it does, and how to do it."""

    rule: str
    description: str
    apply: Callable[[], None]


def find(value: Any, file_format: str, *, rules: set[str] | None = None, text: str | None = None) -> list[Change]:
    """Every repair the record needs (only those of ``rules`` when given).

    ``text`` is the record's JSON text (``value`` as written): a repair that writes part of the record as a JSON
    string (C140) takes its literals from it, so ``1.10`` or ``1e400`` stay as written. Without it such a repair
    is offered only when serialising the parsed value cannot change what was written.
    """
    if not isinstance(value, dict):
        return []
    out: list[Change] = []
    for code, repair in REPAIRS.items():
        if rules is None or code in rules:
            out.extend(repair(value, file_format, text))
    return out


def _messages(value: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for at, msgs in records.message_arrays(value, old_names=True):
        for i, m in enumerate(msgs):
            if isinstance(m, dict):
                yield f"{at}/{i}", m


def _setter(container: dict[str, Any], key: str, new: Any) -> Callable[[], None]:
    def do() -> None:
        container[key] = new
    return do


def role_target(role: str, file_format: str) -> str | None:
    """The role ``role`` stands for when C030 renames it (``human`` -> ``user``, ``User`` -> ``user``), else None."""
    valid = formats.roles(file_format)
    low = role.lower()
    if low in valid and role != low:
        return low
    return ROLE_ALIASES.get(low) if role not in valid else None


def role_aliases(value: dict[str, Any], file_format: str, text: str | None) -> Iterator[Change]:
    """C030: ``human``/``gpt``/``bot``/... and case variants (``User``) become OpenAI's role names."""
    for at, m in _messages(value):
        role = m.get("role")
        if isinstance(role, str):
            target = role_target(role, file_format)
            if target:
                yield Change("C030", f'{at}: rename role "{role}" to "{target}"', _setter(m, "role", target))


def system_to_developer(value: dict[str, Any], file_format: str, text: str | None) -> Iterator[Change]:
    """R020: in a reinforcement (RFT) file, ``system`` messages become ``developer`` messages."""
    if file_format != formats.REINFORCEMENT or not isinstance(value.get("messages"), list):
        return
    for i, m in enumerate(value["messages"]):
        if isinstance(m, dict) and m.get("role") == "system":
            yield Change("R020", f'/messages/{i}: rename role "system" to "developer"', _setter(m, "role", "developer"))


def arguments_as_strings(value: dict[str, Any], file_format: str, text: str | None) -> Iterator[Change]:
    """C140: tool-call (and legacy function-call) ``arguments`` given as an object become its JSON text.

    The string holds the object as the user wrote it (``text``, the record's JSON text): its numbers keep their
    literals (``1.10``, ``1e400``, which parsing would make ``1.1`` and ``Infinity``), its strings their
    escapes. Without ``text``, or when the object's text cannot be found, it is offered only for an object without
    floats (``json.dumps`` writes those exactly as they read).
    """
    for at, m in _messages(value):
        calls = m.get("tool_calls")
        for j, call in enumerate(calls if isinstance(calls, list) else ()):
            fn = call.get("function") if isinstance(call, dict) else None
            if isinstance(fn, dict) and isinstance(fn.get("arguments"), dict):
                where = f"{at}/tool_calls/{j}/function/arguments"
                written = as_written(fn["arguments"], where, text)
                if written is not None:
                    yield Change("C140", f"{where}: write the object as a JSON string", _setter(fn, "arguments", written))
        fc = m.get("function_call")
        if isinstance(fc, dict) and isinstance(fc.get("arguments"), dict):
            where = f"{at}/function_call/arguments"
            written = as_written(fc["arguments"], where, text)
            if written is not None:
                yield Change("C140", f"{where}: write the object as a JSON string", _setter(fc, "arguments", written))


def as_written(obj: Any, pointer: str, text: str | None) -> str | None:
    """The JSON text of ``obj`` (at ``pointer`` in the record ``text``) as written, on one line; None when it cannot
    be had without changing a value."""
    found = None if text is None else splice.text_at(text, pointers.split(pointer))
    if found is not None:
        return splice.one_line(found, (", ", ": ")) if _CONTROL.search(found) else found
    if _has_float(obj):
        return None  # a float's literal (1.10, 1e400) is known only from the text
    return json.dumps(obj, ensure_ascii=False)


def _has_float(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_float(v) for v in value)
    return isinstance(value, float)


def tool_text_parts(value: dict[str, Any], file_format: str, text: str | None) -> Iterator[Change]:
    """C080: a tool message whose content is an array of text parts gets one string (parts joined by a newline)."""
    for at, m in _messages(value):
        content = m.get("content")
        if m.get("role") != "tool" or not isinstance(content, list) or not content:
            continue
        if all(isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str) for p in content):
            text = TOOL_PARTS_SEPARATOR.join(p["text"] for p in content)
            how = "one string" if len(content) == 1 else f"one string (the {len(content)} parts joined by a newline)"
            yield Change("C080", f"{at}/content: write the tool result as {how}", _setter(m, "content", text))


def weights_as_integers(value: dict[str, Any], file_format: str, text: str | None) -> Iterator[Change]:
    """C101: an assistant weight written ``false``/``true`` or ``0.0``/``1.0`` becomes the integer it means.

    Only weights that mean 0 or 1 (:func:`toolkit.records.weight_value`) are rewritten, so what
    trains stays the same; ``0.5`` or ``"1"`` are left for the user to decide.
    """
    if file_format not in (formats.CHAT, formats.REINFORCEMENT) or not isinstance(value.get("messages"), list):
        return
    for i, m in enumerate(value["messages"]):
        if not isinstance(m, dict) or m.get("role") != "assistant" or "weight" not in m:
            continue
        w = m["weight"]
        n = records.weight_value(w)
        if n is not None and type(w) is not int:
            shown = json.dumps(w)
            yield Change("C101", f"/messages/{i}/weight: write the weight {shown} as {n}", _setter(m, "weight", n))


def _renamer(record: dict[str, Any], old: str, new: str) -> Callable[[], None]:
    def do() -> None:
        items = list(record.items())
        record.clear()
        record.update((new if k == old else k, v) for k, v in items)
    return do


def preference_key_names(value: dict[str, Any], file_format: str, text: str | None) -> Iterator[Change]:
    """P010: ``preferred_completion``/``non_preferred_completion`` become ``*_output`` (key order kept)."""
    for old, new in formats.OLD_PREFERENCE_OUTPUTS.items():
        if old in value and new not in value:
            yield Change("P010", f'rename "{old}" to "{new}"', _renamer(value, old, new))


def developer_to_system(value: dict[str, Any], file_format: str, text: str | None) -> Iterator[Change]:
    """C031: in a supervised chat file, ``developer`` messages become ``system`` messages.

    Only there: the supervised chat schema has no ``developer`` role, while reinforcement (RFT)
    files need it (R020 goes the other way), so the file's format decides.
    """
    if file_format != formats.CHAT or not isinstance(value.get("messages"), list):
        return
    for i, m in enumerate(value["messages"]):
        if isinstance(m, dict) and m.get("role") == "developer":
            yield Change("C031", f'/messages/{i}/role: rename role "developer" to "system"', _setter(m, "role", "system"))


def _boolean(flag: Any) -> bool | None:
    """True/False for the strings ``"true"``/``"false"`` (any case, outer spaces ignored); None otherwise."""
    if isinstance(flag, str) and flag.strip().lower() in ("true", "false"):
        return flag.strip().lower() == "true"
    return None


def parallel_calls_boolean(value: dict[str, Any], file_format: str, text: str | None) -> Iterator[Change]:
    """C170: ``"parallel_tool_calls": "false"`` (a string) becomes the boolean ``false``."""
    target = _boolean(value.get("parallel_tool_calls"))
    if file_format == formats.CHAT and target is not None:
        yield Change("C170", f'/parallel_tool_calls: write "{value["parallel_tool_calls"]}" as {json.dumps(target)}',
                     _setter(value, "parallel_tool_calls", target))


def strict_boolean(value: dict[str, Any], file_format: str, text: str | None) -> Iterator[Change]:
    """C160: a tool definition's ``"strict": "true"`` (a string) becomes the boolean, when that is what C160 reports."""
    from .rules.tool_definitions import _tool_problem  # the rule's own check: fix only what it reports

    tools = value.get("tools")
    if file_format not in (formats.CHAT, formats.REINFORCEMENT) or not isinstance(tools, list):
        return
    for k, tool in enumerate(tools):
        at = f"/tools/{k}/function/strict"
        found = _tool_problem(tool, f"/tools/{k}", f"tool {k + 1}")
        if found is None or found.pointer != at:
            continue
        fn = tool["function"]
        target = _boolean(fn["strict"])
        if target is not None:
            yield Change("C160", f'{at}: write "{fn["strict"]}" as {json.dumps(target)}', _setter(fn, "strict", target))


# a record with these parse problems cannot be written again without loss (a duplicate key's other value, invalid
# UTF-8, NaN, a lone surrogate): no repair is offered for it, by lint ("[*]") or by fix
UNREWRITABLE = frozenset({"F014", "F015", "F016", "F030"})

REPAIRS: dict[str, Callable[[dict[str, Any], str, str | None], Iterator[Change]]] = {
    "P010": preference_key_names,
    "C030": role_aliases,
    "C031": developer_to_system,
    "R020": system_to_developer,
    "C140": arguments_as_strings,
    "C080": tool_text_parts,
    "C160": strict_boolean,
    "C170": parallel_calls_boolean,
    "C101": weights_as_integers,
}

# Repaired on the file's lines and bytes by toolkit.fix (an array, a pretty-printed record, blank lines, the BOM,
# CRLF), before the record repairs above.
LINE_REPAIRS = ("F011", "F012", "F020", "F031", "F032", "F033")
# Every rule `tunesmith fix` repairs: the one list behind the registry's ``fixable``, fix's --select and messages,
# and the README (a test keeps its prose in step).
FIXABLE = (*LINE_REPAIRS, *REPAIRS)
# The fixable rules some findings of which no repair covers (lint marks only the repaired ones [*]): C030 an unknown
# role (not an alias), C160/C170 a value other than the strings "true"/"false", C101 a weight like 0.5, C140 a call
# of another wrong shape than object arguments, C080 tool content with other parts than text, P010 a missing key.
PARTLY_FIXABLE = frozenset({"C030", "C160", "C170", "C101", "C140", "C080", "P010"})


# -- safe: a UTF-16 or UTF-32 file with its byte-order mark, as UTF-8 (F030) ----------------------------------------


def as_utf8(data: bytes, name: str) -> bytes:
    """A file (called ``name``) that starts with a UTF-16 or UTF-32 byte-order mark, as UTF-8 without the mark: the
    mark names the encoding, so nothing is guessed and no character changes.

    Raises :class:`InputError` naming the line and column when the bytes are not that encoding throughout (converting
    them would be a guess), or when there is no such mark.
    """
    from .reader import declared_wide
    from .text_encoding import UnreadableText, decode_text

    wide = declared_wide(data)
    if wide is None:
        raise InputError(f"{name}: starts with no UTF-16 or UTF-32 byte-order mark")
    try:
        return decode_text(data, name, wide.lower()).text.encode("utf-8")
    except UnreadableText as exc:  # its advice is convert's (--encoding): say what to do here
        raise InputError(f"{exc.summary}: it starts with a {wide} byte-order mark but is not {wide} throughout, so it "
                         "is not converted (that would be a guess); open it in an editor and save it as UTF-8") from None


# -- unsafe: re-reading bytes that are not UTF-8 (F030) ---------------------------------------------------------

REDECODE_ENCODINGS = {"cp1252": "Windows-1252 (cp1252)", "latin-1": "Latin-1 (ISO-8859-1)"}


def redecode(raw: bytes, encoding: str) -> bytes:
    """``raw`` as UTF-8, with every byte sequence that is not UTF-8 read as ``encoding`` (valid UTF-8 is kept).

    Unsafe (the text changes, and the guess may be wrong), so it is only applied when asked for.
    Raises :class:`ValueError` naming the byte when ``encoding`` has no character for it (cp1252: 0x81...).
    """
    out: list[str] = []
    pos = 0
    while True:
        try:
            out.append(raw[pos:].decode("utf-8"))
            return "".join(out).encode("utf-8")
        except UnicodeDecodeError as exc:
            out.append(raw[pos:pos + exc.start].decode("utf-8"))
            bad = raw[pos + exc.start:pos + exc.end]
            try:
                out.append(bad.decode(encoding))
            except UnicodeDecodeError:
                raise ValueError(f"byte 0x{bad[:1].hex()} is not a character in {encoding}; "
                                 "try latin-1") from None
            pos += exc.end


def redecode_lines(data: bytes, encoding: str) -> tuple[bytes, list[int]]:
    """``data`` with each line that is not valid UTF-8 re-read as ``encoding``; and those lines' numbers (1-based).

    Raises :class:`ValueError` naming the line when a byte has no character in ``encoding``.
    """
    out: list[bytes] = []
    changed: list[int] = []
    for n, line in enumerate(data.split(b"\n"), 1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            try:
                line = redecode(line, encoding)
            except ValueError as exc:
                raise ValueError(f"line {n}: {exc}") from None
            changed.append(n)
        out.append(line)
    return b"\n".join(out), changed
