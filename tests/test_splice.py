"""toolkit.splice: a changed value is written into the original text; everything else keeps its bytes."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from toolkit.records import same_json
from toolkit.splice import one_line, rewrite

COMPACT = (",", ":")
SPACED = (", ", ": ")


def spliced(text: str, value: Any, separators: tuple[str, str] = COMPACT) -> str | None:
    return rewrite(text, value, dumps=lambda v: json.dumps(v, ensure_ascii=False, separators=separators),
                   separators=separators)


# -- the property: a random object in random styles and number spellings, one leaf changed -------------------------

SCALARS = (st.none() | st.booleans() | st.integers(-10**30, 10**30)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8))
VALUES = st.recursive(SCALARS, lambda kids: st.lists(kids, max_size=4)
                      | st.dictionaries(st.text(max_size=4), kids, max_size=4), max_leaves=12)
SPACES = ["", " ", "\t", "  "]


def spellings(value: int | float) -> list[str]:
    """Ways to write a number that read back as the same number (and the same type)."""
    if isinstance(value, int):
        return [str(value), "-0"] if value == 0 else [str(value)]
    out = [repr(value), f"{value:.17e}", f"{value:.17E}"]
    if "e" not in repr(value):
        out += [repr(value) + "0", repr(value) + "00"]  # 1.5 -> 1.50
    if value.is_integer() and abs(value) < 1e15:
        out.append(f"{int(value)}e0")  # 100.0 -> 100e0
    return [s for s in out if repr(float(s)) == repr(value)]


@st.composite
def written(draw: st.DrawFn, value: Any, path: tuple[Any, ...], spans: dict[tuple[Any, ...], tuple[int, int]],
            at: int) -> str:
    """``value`` as JSON text in a style drawn per container and per literal; ``spans`` gets each scalar's place."""
    if isinstance(value, dict | list):
        item = draw(st.sampled_from(SPACES)) + "," + draw(st.sampled_from([*SPACES, "\n  "]))
        colon = draw(st.sampled_from(SPACES)) + ":" + draw(st.sampled_from(SPACES))
        inner = draw(st.sampled_from(SPACES))
        out = ("{" if isinstance(value, dict) else "[") + inner
        pairs = value.items() if isinstance(value, dict) else enumerate(value)
        for n, (key, v) in enumerate(pairs):
            if n:
                out += item
            if isinstance(value, dict):
                out += json.dumps(key, ensure_ascii=draw(st.booleans())) + colon
            out += draw(written(v, (*path, key), spans, at + len(out)))
        return out + inner + ("}" if isinstance(value, dict) else "]")
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=draw(st.booleans()))
    elif isinstance(value, bool) or value is None:
        text = json.dumps(value)
    else:
        text = draw(st.sampled_from(spellings(value)))
    spans[path] = (at, at + len(text))
    return text


def set_at(value: Any, path: tuple[Any, ...], new: Any) -> None:
    for key in path[:-1]:
        value = value[key]
    value[path[-1]] = new


@settings(deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data(), st.dictionaries(st.text(max_size=4), VALUES, min_size=1, max_size=5))
def test_changing_one_leaf_keeps_every_other_byte(data: st.DataObject, record: dict[str, Any]) -> None:
    spans: dict[tuple[Any, ...], tuple[int, int]] = {}
    text = data.draw(written(record, (), spans, 0))
    assume(spans)
    assert same_json(json.loads(text), record)
    path = data.draw(st.sampled_from(sorted(spans, key=repr)))
    new = data.draw(SCALARS)
    old = copy.deepcopy(record)
    set_at(record, path, new)
    assume(not same_json(old, record))
    start, end = spans[path]
    out = spliced(text, record)
    assert out == text[:start] + json.dumps(new, ensure_ascii=False, separators=COMPACT) + text[end:]
    assert same_json(json.loads(out), record)


@settings(deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data(), VALUES)
def test_one_line_reads_as_the_same_value_and_keeps_each_literal(data: st.DataObject, value: Any) -> None:
    spans: dict[tuple[Any, ...], tuple[int, int]] = {}
    text = data.draw(written(value, (), spans, 0))
    out = one_line(text, SPACED)
    assert out is not None and "\n" not in out and same_json(json.loads(out), value)
    literals = [text[a:b] for a, b in spans.values()]
    assert all(lit in out for lit in literals)


# -- the cases of issue 8 ---------------------------------------------------------------------------------------------

LINE = ('{"n":1e2,"p":1.50,"big":12345678901234567890123,"f":0.1000000000000000055511151231257827,"z":-0,'
        '"e":"caf\\u00e9","messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Yo"}]}')


@pytest.mark.parametrize("literal", ["1e2", "1.50", "12345678901234567890123", "0.1000000000000000055511151231257827",
                                     "-0", "-0.0", "1E+2", '"caf\\u00e9"', '"a\\/b"'])
def test_a_literal_beside_the_edit_keeps_its_spelling(literal: str) -> None:
    text = '{"keep": ' + literal + ', "edit": "old"}'
    value = json.loads(text)
    value["edit"] = "new"
    assert spliced(text, value, SPACED) == '{"keep": ' + literal + ', "edit": "new"}'


def test_a_weight_added_keeps_the_record_s_spacing_and_the_other_values() -> None:
    value = json.loads(LINE)
    value["messages"][1]["weight"] = 0
    assert spliced(LINE, value) == LINE.replace('"Yo"}', '"Yo","weight":0}')
    spaced = '{"x": 1e2, "messages": [{"role": "user"}]}'
    value = json.loads(spaced)
    value["messages"][0]["weight"] = 1
    assert spliced(spaced, value, SPACED) == '{"x": 1e2, "messages": [{"role": "user", "weight": 1}]}'


def test_members_and_elements_removed_or_added_leave_the_rest_as_written() -> None:
    value = json.loads(LINE)
    del value["p"]
    del value["messages"][0]
    value["messages"].append({"role": "user", "content": "é"})
    out = spliced(LINE, value)
    assert out == LINE.replace('"p":1.50,', "").replace('{"role":"user","content":"Hi"},', "").replace(
        '"Yo"}]', '"Yo"},{"role":"user","content":"é"}]')
    value = json.loads(LINE)
    del value["n"]  # the first member: the separator after it goes with it
    assert spliced(LINE, value) == LINE.replace('"n":1e2,', "")
    value = json.loads('{"a": []}')
    value["a"].append(1.5)
    assert spliced('{"a": []}', value) == '{"a": [1.5]}'


def test_a_type_change_and_a_sign_change_are_changes() -> None:
    assert spliced('{"w":1.0,"k":1e2}', {"w": 1, "k": 100.0}) == '{"w":1,"k":1e2}'
    assert spliced('{"z":0.0,"k":1e2}', {"z": -0.0, "k": 100.0}) == '{"z":-0.0,"k":1e2}'


def test_keys_in_a_new_order_write_that_object_anew() -> None:
    assert spliced('{"o":{"a":1e2,"b":2},"k":1.50}', {"o": {"b": 2, "a": 100.0}, "k": 1.5}) == \
        '{"o":{"b":2,"a":100.0},"k":1.50}'


def test_a_key_renamed_in_place_keeps_its_place_and_the_values() -> None:
    text = '{"input": {"n": 1e2}, "preferred_completion": [1.50], "k": -0}'
    value = json.loads(text)
    value = {("preferred_output" if k == "preferred_completion" else k): v for k, v in value.items()}
    assert spliced(text, value, SPACED) == text.replace("preferred_completion", "preferred_output")


def test_a_repeated_key_keeps_its_earlier_copy_and_the_last_one_changes() -> None:
    text = '{"a":1,"b":1e2,"a":2}'
    assert spliced(text, {"a": 3, "b": 100.0}) == '{"a":1,"b":1e2,"a":3}'


def test_a_pretty_printed_record_keeps_its_lines() -> None:
    text = '{\n  "a": 1e2,\n  "m": [\n    1.50,\n    "x"\n  ]\n}'
    value = json.loads(text)
    value["m"][1] = "y"
    assert spliced(text, value, SPACED) == text.replace('"x"', '"y"')


def test_text_that_is_not_json_gives_none() -> None:
    assert spliced('{"a": 1', {"a": 2}) is None
    assert one_line('{"a": ', SPACED) is None


def test_one_line_keeps_every_literal_and_escapes_line_breaks_in_strings() -> None:
    text = '{\n  "a": 1e2,\n  "b": [\n    1.50,\n    "x\ny",\n    -0\n  ],\n  "c": {}\n}'
    assert one_line(text, SPACED) == '{"a": 1e2, "b": [1.50, "x\\ny", -0], "c": {}}'
    assert one_line(text, COMPACT) == '{"a":1e2,"b":[1.50,"x\\ny",-0],"c":{}}'
