"""The record rules' shared hints (toolkit.rules.hints) and the gated secret / phone hints: each says exactly
what the plain byte search of the raw line says, on lines made of the hints, their pieces and their gates."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit import sensitive
from toolkit.reader import Record
from toolkit.rules import hints

# the plain searches the rules made before the hints were shared (one pass over the line each)
PLAIN = {
    "tool": lambda raw: b'"tool"' in raw,
    "tool_calls": lambda raw: b'"tool_calls"' in raw,
    "tool_call_id": lambda raw: b'"tool_call_id"' in raw,
    "function": lambda raw: b'"function"' in raw,
    "function_call": lambda raw: b'"function_call"' in raw,
    "arguments": lambda raw: b'"arguments"' in raw,
    "image_url": lambda raw: b"image_url" in raw,
    "data_image": lambda raw: b"data:image/" in raw,
    "null_or_title": lambda raw: b"null" in raw or b'"title"' in raw,
    "special_token": lambda raw: b"<|" in raw or b"u003c|" in raw or b"u003C|" in raw,
}
SECRET_HINTS = (b"sk-", b"xox", b"eyJ", b"earer", b"PRIVATE KEY", b"ghp_", b"gho_", b"ghu_", b"ghs_", b"ghr_",
                b"github_pat_", b"k_live_", b"AKIA", b"ASIA", b"AIza")
PHONE_HINTS = (b"+0", b"000-0000", b"000.0000")


def plain_sensitive(raw: bytes, kind: str) -> bool:
    if kind == sensitive.SECRET:
        return any(hint in raw for hint in SECRET_HINTS)
    if kind == sensitive.EMAIL:
        return b"@" in raw and sensitive._EMAIL_HINT.search(raw) is not None
    folded = raw.translate(bytes.maketrans(b"123456789", b"000000000"))
    return any(hint in folded for hint in PHONE_HINTS)


# every hint, pieces of them (a prefix without its end, a gate byte alone) and bytes around them
PIECES = [*(h for hint in SECRET_HINTS for h in (hint, hint[:-1], hint[1:])),
          b'"tool"', b'"tool_calls"', b'"tool_call_id"', b'"tool', b'"tool_call', b'tool_calls"', b'"function"',
          b'"function_call"', b'"function', b'function"', b'"arguments"', b"image_url", b"image", b"url",
          b"data:image/", b"data:image", b"null", b"nul", b'"title"', b'"title', b"<|", b"u003c|", b"u003C|", b"<",
          b"|", b"u003c", b"@", b"a@b", b"+", b"+1", b"+9", b"415-555", b"2671", b"555.2671", b"12", b"7", b"0",
          b"-", b".", b"_", b"A", b"V", b"J", b"x", b"r", b"/", b'"', b" ", b"\\", b"\xc3\xa9", b"e", b"s", b"k"]
LINES = st.lists(st.one_of(st.sampled_from(PIECES), st.binary(max_size=4)), max_size=12).map(b"".join)


@settings(deadline=None)
@given(LINES)
def test_each_hint_is_the_plain_search(raw: bytes) -> None:
    found = hints.Hints(raw)
    for name, plain in PLAIN.items():
        assert getattr(found, name) == plain(raw), name
    for kind in (sensitive.SECRET, sensitive.EMAIL, sensitive.PHONE):
        assert found.sensitive(kind) == plain_sensitive(raw, kind) == sensitive.might_hold(raw, kind), kind


def test_every_secret_hint_and_phone_layout_is_found() -> None:
    for hint in SECRET_HINTS:
        assert sensitive.might_hold(b"a " + hint + b" b", sensitive.SECRET), hint
    for text in (b"call +44 20", b"(415) 555-2671", b"415.555.2671"):
        assert sensitive.might_hold(text, sensitive.PHONE), text
    assert not sensitive.might_hold(b"no secret, no phone: 12-34 +x", sensitive.SECRET)
    assert not sensitive.might_hold(b"no secret, no phone: 12-34 +x", sensitive.PHONE)


def test_the_hints_of_a_record_are_found_once_and_shared() -> None:
    raw = b'{"messages": [{"role": "tool", "tool_call_id": "c1", "content": "<|im_end|>"}]}'
    rec = Record(1, {}, raw)
    first = hints.of(rec)
    assert hints.of(rec) is first  # every rule of this record reads the same hints
    assert first.tool and first.tool_call_id and first.special_token and not first.tool_calls
    other = hints.of(Record(2, {}, b'{"messages": []}'))
    assert other is not first and not other.tool
