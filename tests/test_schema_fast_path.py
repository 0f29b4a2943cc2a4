"""The plain-chat fast path of ``schemas.is_valid`` never calls valid what the schema rejects."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit import schemas

# values near the plain shape: right and wrong types, roles, keys and weights
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2, 3), st.sampled_from([0.0, 1.0, 0.5]),
                     st.text(max_size=5))
_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                         st.dictionaries(st.text(max_size=4), inner, max_size=2)),
                       max_leaves=4)
_ROLES = st.one_of(st.sampled_from(["system", "user", "assistant", "tool", "function", "developer", "Assistant"]),
                   _SCALARS)
_KEYS = st.sampled_from(["content", "name", "weight", "tool_calls", "refusal", "function_call", "extra"])


@st.composite
def messages(draw: st.DrawFn) -> Any:
    """Mostly plain messages, each changed now and then (another role, a key of another type or shape)."""
    role = draw(st.sampled_from(["system", "user", "assistant", "assistant"]))
    message: dict[str, Any] = {"role": role, "content": draw(st.text(max_size=8))}
    if draw(st.booleans()):
        message["name"] = draw(st.text(max_size=4))
    if role == "assistant" and draw(st.booleans()):
        message["weight"] = draw(st.sampled_from([0, 1]))
    for _ in range(draw(st.integers(0, 2)) if not draw(st.integers(0, 2)) else 0):
        key = draw(st.one_of(st.just("role"), _KEYS))
        if draw(st.booleans()):
            message.pop(key, None)
        else:
            message[key] = draw(_ROLES if key == "role" else _VALUES)
    return message if draw(st.integers(0, 29)) else draw(_VALUES)


@st.composite
def records(draw: st.DrawFn) -> Any:
    """Mostly ``{"messages": [...]}``, sometimes with another key or another value."""
    if not draw(st.integers(0, 29)):
        return draw(_VALUES)
    record: dict[str, Any] = {"messages": draw(st.lists(messages(), max_size=5))}
    if not draw(st.integers(0, 9)):
        record["messages"] = draw(_VALUES)
    if not draw(st.integers(0, 9)):
        record[draw(st.sampled_from(["tools", "weight", "functions", "x"]))] = draw(_VALUES)
    return record


@settings(deadline=None)  # examples: the profile (tests/conftest.py)
@given(records())
def test_plain_chat_fast_path_agrees_with_the_schema(record: Any) -> None:
    full = schemas.validator("chat").is_valid(record)
    if schemas._plain_chat(record):
        assert full
    assert schemas.is_valid("chat", record) == full


def test_plain_chat_fast_path_takes_the_common_records() -> None:
    record = {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi", "name": "a"},
                           {"role": "assistant", "content": "Hello.", "weight": 0},
                           {"role": "assistant", "content": "Hi.", "weight": 1}]}
    assert schemas._plain_chat(record)
    assert not schemas._plain_chat({"messages": [{"role": "user", "content": "Hi"}]})  # no assistant
    assert not schemas._plain_chat({"messages": [{"role": "assistant", "content": "x", "weight": True}]})
