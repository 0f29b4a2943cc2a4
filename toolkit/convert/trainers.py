"""The chat formats of other trainers, read into and written from OpenAI chat / DPO records.

- ShareGPT (FastChat, LLaMA-Factory): ``{"conversations": [{"from": "human"|"gpt"|"system", "value": ...}],
  "system": ...}``; LLaMA-Factory's ``messages``/``role``/``content`` variant is read too, and so are its
  tool turns (``function_call`` / ``observation`` with a ``tools`` JSON string, becoming assistant
  ``tool_calls`` and ``tool`` messages) and its preference items (``chosen`` / ``rejected`` turns, becoming
  DPO records).
- Alpaca: ``{"instruction", "input", "output", "system"?, "history"?: [[user, assistant], ...]}``, and
  LLaMA-Factory's preference variant (``chosen`` / ``rejected`` instead of ``output``).
- ms-swift (pre-3.0): ``{"query", "response", "history"?: [[query, response], ...], "system"?}``.
- TRL conversational: ``{"messages": [{"role", "content"}]}`` or ``{"prompt": [...], "completion": [...]}``.
- TRL preference: ``{"prompt", "chosen", "rejected"}``, each text or messages (the prompt may be
  implicit: the messages ``chosen`` and ``rejected`` start with).

Readers return None and report a problem (naming the turn) for what they cannot convert;
nothing is guessed. Writers refuse what the target cannot hold (tool calls in Alpaca,
``weight: 0`` anywhere, images) rather than drop it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..records import is_trained, type_name
from ..repairs import as_written

Report = Callable[[str], None]
SHAREGPT_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant",
                  "chatgpt": "assistant", "bot": "assistant", "model": "assistant", "system": "system"}
TO_SHAREGPT = {"user": "human", "assistant": "gpt"}
TRL_ROLES = ("system", "user", "assistant", "tool")
MESSAGE_KEYS = ("name", "tool_calls", "tool_call_id")  # what a TRL message keeps besides its role and content
TOOL_KEYS = ("tools", "parallel_tool_calls")  # kept as they are between OpenAI records and TRL items
PART_TEXT = ("text", "value")  # what a text part's text is called (OpenAI/TRL: text, LLaMA-Factory: value)


def _system_first(system: str | None, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if system and not any(m.get("role") == "system" for m in messages):
        return [{"role": "system", "content": system}, *messages]
    return messages


def _texts(item: dict[str, Any], keys: tuple[str, ...], report: Report) -> bool:
    """Whether each of ``keys`` the item has is text (or null); else the first that is not is reported: a reader
    takes them as text and would leave anything else out of the record without a word."""
    for key in keys:
        value = item.get(key)
        if value is not None and not isinstance(value, str):
            report(f'"{key}" is {type_name(value)}, not text; write it as a string')
            return False
    return True


def _content(content: Any, where: str, report: Report) -> str | list[dict[str, Any]] | None:
    """Text, or parts (text and OpenAI image parts), from a message's content (TRL / LLaMA-Factory parts too)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts: list[dict[str, Any]] = []
        for j, part in enumerate(content, 1):
            if _openai_image(part):
                parts.append(part)
                continue
            is_text = isinstance(part, dict) and part.get("type", "text") == "text"
            text = next((part[k] for k in PART_TEXT if is_text and isinstance(part.get(k), str)), None)
            if text is None:
                kind = part.get("type") if isinstance(part, dict) else type(part).__name__
                report(f"{where} part {j} is {kind!r} without an https or data: URL; Tunesmith converts text "
                       'and OpenAI image parts ({"type": "image_url", "image_url": {"url": "https://..."}}) only')
                return None
            parts.append({"type": "text", "text": text})
        if len(parts) == 1 and parts[0]["type"] == "text":
            return str(parts[0]["text"])
        return parts
    report(f"{where} has no text content")
    return None


def _openai_image(part: Any) -> bool:
    url = part.get("image_url", {}).get("url") if isinstance(part, dict) and part.get("type") == "image_url" \
        and isinstance(part.get("image_url"), dict) else None
    return isinstance(url, str) and url.startswith(("https://", "http://", "data:image/"))


def _messages(raw: Any, where: str, report: Report) -> list[dict[str, Any]] | None:
    """TRL-style messages (role/content, plus tool_calls/tool_call_id/name) as OpenAI messages."""
    if not isinstance(raw, list) or not raw:
        report(f"{where}: expected a non-empty list of messages")
        return None
    out = []
    for i, m in enumerate(raw, 1):
        at = f"{where}, message {i}"
        if not isinstance(m, dict) or m.get("role") not in TRL_ROLES:
            role = m.get("role") if isinstance(m, dict) else None
            report(f"{at} has role {role!r}; expected one of {', '.join(TRL_ROLES)}")
            return None
        msg: dict[str, Any] = {"role": m["role"]}
        if m.get("content") is not None or not m.get("tool_calls"):
            content = _content(m.get("content"), at, report)
            if content is None:
                return None
            msg["content"] = content
        msg.update({k: m[k] for k in MESSAGE_KEYS if k in m})
        out.append(msg)
    return out


# -- readers -------------------------------------------------------------------------------


def read_sharegpt(item: Any, system: str | None, report: Report) -> dict[str, Any] | None:
    if not isinstance(item, dict):
        report("not a JSON object")
        return None
    if "conversations" in item and "messages" in item:
        report('has both "conversations" and "messages"; keep the one that holds the conversation')
        return None
    if not _texts(item, ("system",), report):
        return None
    turns = item.get("conversations", item.get("messages"))
    if not isinstance(turns, list) or not turns:
        report('no "conversations" list')
        return None
    if item.get("images") or item.get("videos") or item.get("audios"):
        report("has images, videos or audios, which are not converted (OpenAI needs image_url parts with an "
               "https or data: URL)")
        return None
    messages = _sharegpt_turns(turns, "turn", report)
    if messages is None:
        return None
    sys_text = item.get("system") if isinstance(item.get("system"), str) and item["system"] else system
    if item.get("system"):  # (a turn becomes one message) a system turn besides would leave the field out
        turn = next((i for i, m in enumerate(messages, 1) if m["role"] == "system" and m["content"] != sys_text), 0)
        if turn:
            report(f'the "system" field and turn {turn} are two different system prompts; keep one of them')
            return None
    tools = _sharegpt_tools(item.get("tools"), report)
    if tools is False:
        return None
    if "chosen" in item or "rejected" in item:
        return _sharegpt_preference(item, _system_first(sys_text, messages), report)
    record: dict[str, Any] = {"messages": _system_first(sys_text, messages)}
    if tools:
        record["tools"] = tools
    return record


def _sharegpt_turns(turns: list[Any], what: str, report: Report, *, calls: int = 0) -> list[dict[str, Any]] | None:
    """OpenAI messages from ShareGPT turns; ``function_call`` turns become tool calls, ``observation`` tool results."""
    messages: list[dict[str, Any]] = []
    pending: list[str] = []  # ids of tool calls still waiting for their observation
    for i, turn in enumerate(turns, 1):
        if not isinstance(turn, dict):
            report(f"{what} {i} is not an object")
            return None
        speaker = turn.get("from", turn.get("role"))
        value = turn.get("value", turn.get("content"))
        if speaker in ("function_call", "observation", "tool") and not isinstance(value, str):
            report(f"{what} {i} ({speaker}) has no text value")
            return None
        if speaker == "function_call" and isinstance(value, str):
            made = _tool_calls(value, f"{what} {i}", report, first=calls + 1)
            if made is None:
                return None
            calls += len(made)
            pending = [c["id"] for c in made]
            messages.append({"role": "assistant", "tool_calls": made})
            continue
        if speaker in ("observation", "tool") and isinstance(value, str):
            if not pending:
                report(f"{what} {i} is an observation (a tool result) that follows no function_call turn")
                return None
            messages.append({"role": "tool", "tool_call_id": pending.pop(0), "content": value})
            continue
        role = SHAREGPT_ROLES.get(speaker) if isinstance(speaker, str) else None
        if role is None:
            report(f"{what} {i} is from {_shown(speaker)}, which has no OpenAI role; known: "
                   f"{', '.join([*SHAREGPT_ROLES, 'function_call', 'observation'])}")
            return None
        if not isinstance(value, str):
            report(f"{what} {i} has no text value")
            return None
        messages.append({"role": role, "content": value})
    return messages


def _shown(value: Any) -> str:
    return repr(value) if isinstance(value, (str, type(None))) else type_name(value)


def _tool_calls(value: str, where: str, report: Report, *, first: int) -> list[dict[str, Any]] | None:
    """The tool calls of a ShareGPT function_call turn: ``{"name", "arguments"}`` as JSON (or a list of them)."""
    try:
        parsed = json.loads(value)
    except (ValueError, RecursionError):
        report(f'{where} (function_call) is not JSON like {{"name": "...", "arguments": {{...}}}}')
        return None
    calls = parsed if isinstance(parsed, list) else [parsed]
    out = []
    for k, call in enumerate(calls):
        if not (isinstance(call, dict) and isinstance(call.get("name"), str) and call["name"]):
            report(f'{where} (function_call) needs {{"name": "...", "arguments": {{...}}}}')
            return None
        args = call.get("arguments", {})
        if not isinstance(args, str):  # its text as written in the turn: 1.10 stays 1.10, 1e400 stays 1e400
            args = as_written(args, f"/{k}/arguments" if isinstance(parsed, list) else "/arguments", value)
            if args is None:
                report(f"{where} (function_call): its arguments cannot be copied as written")
                return None
        out.append({"id": f"call_{first + k}", "type": "function",
                    "function": {"name": call["name"], "arguments": args}})
    return out


def _sharegpt_tools(raw: Any, report: Report) -> list[dict[str, Any]] | bool | None:
    """OpenAI tool definitions from ShareGPT's ``tools`` (a JSON string or a list); False after a problem."""
    if raw is None or raw == "" or raw == []:
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except (ValueError, RecursionError):
            report('"tools" is not a JSON list of function definitions')
            return False
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        report('"tools" must be a list of function definitions ({"name", "description", "parameters"})')
        return False
    out = []
    for t in raw:
        fn = t.get("function") if t.get("type") == "function" else t
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            report('a tool in "tools" has no "name"')
            return False
        out.append({"type": "function", "function": fn})
    return out


def _sharegpt_preference(item: dict[str, Any], prompt: list[dict[str, Any]],
                         report: Report) -> dict[str, Any] | None:
    """A DPO record from a LLaMA-Factory preference item: the conversation, then a chosen and a rejected turn."""
    sides = []
    for key in ("chosen", "rejected"):
        turn = item.get(key)
        turns: list[Any] = turn if isinstance(turn, list) else [turn]
        side = _sharegpt_turns(turns, f'"{key}" turn', report)
        if side is None:
            return None
        if not any(m["role"] == "assistant" for m in side):
            report(f'"{key}" has no gpt (assistant) turn')
            return None
        sides.append(side)
    return {"input": {"messages": prompt}, "preferred_output": sides[0], "non_preferred_output": sides[1]}


def read_alpaca(item: Any, system: str | None, report: Report, *, names: tuple[str, str] = ("instruction", "output"),
               ) -> dict[str, Any] | None:
    if not isinstance(item, dict):
        report("not a JSON object")
        return None
    if not _texts(item, ("input", "system"), report):
        return None
    ask, answer = names
    preference = answer == "output" and "output" not in item and "chosen" in item and "rejected" in item
    for key in (ask,) + (("chosen", "rejected") if preference else (answer,)):
        if not isinstance(item.get(key), str) or not item[key].strip():
            report(f'"{key}" is missing or empty')
            return None
    messages: list[dict[str, Any]] = []
    history = item.get("history") or []
    if not isinstance(history, list) or not all(
            isinstance(h, list) and len(h) == 2 and all(isinstance(t, str) for t in h) for h in history):
        report('"history" must be a list of [user, assistant] text pairs')
        return None
    for user, assistant in history:
        messages += [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    extra = item.get("input")
    prompt = item[ask] + (f"\n\n{extra}" if isinstance(extra, str) and extra.strip() else "")
    messages.append({"role": "user", "content": prompt})
    sys_text = item.get("system") if isinstance(item.get("system"), str) and item["system"] else system
    if preference:
        return {"input": {"messages": _system_first(sys_text, messages)},
                "preferred_output": [{"role": "assistant", "content": item["chosen"]}],
                "non_preferred_output": [{"role": "assistant", "content": item["rejected"]}]}
    messages.append({"role": "assistant", "content": item[answer]})
    return {"messages": _system_first(sys_text, messages)}


def read_ms_swift(item: Any, system: str | None, report: Report) -> dict[str, Any] | None:
    """ms-swift's ``query`` / ``response`` / ``history`` / ``system`` items (its pre-3.0 format)."""
    return read_alpaca(item, system, report, names=("query", "response"))


def read_trl_messages(item: Any, system: str | None, report: Report) -> dict[str, Any] | None:
    if not isinstance(item, dict):
        report("not a JSON object")
        return None
    if "messages" in item and (also := [k for k in ("prompt", "completion") if k in item]):
        report(f'has both "messages" and "{also[0]}"; keep the one that holds the conversation')
        return None
    if "messages" in item:
        messages = _messages(item["messages"], '"messages"', report)
    elif isinstance(item.get("prompt"), list) and isinstance(item.get("completion"), list):
        messages = _messages(item["prompt"] + item["completion"], '"prompt" + "completion"', report)
    else:
        report('expected "messages", or "prompt" and "completion" lists of messages')
        return None
    if messages is None:
        return None
    record: dict[str, Any] = {"messages": _system_first(system, messages)}
    record.update({k: item[k] for k in TOOL_KEYS if item.get(k) is not None})
    return record


def _side(value: Any, where: str, report: Report) -> list[dict[str, Any]] | None:
    if isinstance(value, str):
        return [{"role": "assistant", "content": value}]
    return _messages(value, where, report)


def read_trl_preference(item: Any, system: str | None, report: Report) -> dict[str, Any] | None:
    if not isinstance(item, dict) or "chosen" not in item or "rejected" not in item:
        report('expected "chosen" and "rejected" (and usually "prompt")')
        return None
    chosen, rejected = item["chosen"], item["rejected"]
    prompt = item.get("prompt")
    if prompt is None:  # implicit prompt: the messages both sides start with
        if not isinstance(chosen, list) or not isinstance(rejected, list):
            report('no "prompt", and "chosen"/"rejected" are not message lists to find it in')
            return None
        n = 0
        while n < min(len(chosen), len(rejected)) - 1 and chosen[n] == rejected[n]:
            n += 1
        prompt, chosen, rejected = chosen[:n], chosen[n:], rejected[n:]
    inp = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else _messages(prompt, '"prompt"', report)
    good = _side(chosen, '"chosen"', report)
    bad = _side(rejected, '"rejected"', report)
    if inp is None or good is None or bad is None:
        return None
    return {"input": {"messages": _system_first(system, inp)}, "preferred_output": good,
            "non_preferred_output": bad}


READERS: dict[str, Callable[[Any, str | None, Report], dict[str, Any] | None]] = {
    "sharegpt": read_sharegpt, "alpaca": read_alpaca, "ms-swift": read_ms_swift, "trl-messages": read_trl_messages,
    "trl-preference": read_trl_preference,
}
# the keys of an item each reader converts (or refuses with an error); any other key is not in the records, and
# convert says which (ConvertResult.dropped)
READ_KEYS: dict[str, frozenset[str]] = {
    "sharegpt": frozenset({"conversations", "messages", "system", "tools", "chosen", "rejected", "images", "videos",
                           "audios"}),
    "alpaca": frozenset({"instruction", "input", "output", "system", "history", "chosen", "rejected"}),
    "ms-swift": frozenset({"query", "input", "response", "system", "history"}),
    "trl-messages": frozenset({"messages", "prompt", "completion", *TOOL_KEYS}),
    "trl-preference": frozenset({"prompt", "chosen", "rejected"}),
}
# the keys of an item that hold turns (a list of them, or one), and the keys of a turn each reader converts
_TRL_TURN_KEYS = frozenset({"role", "content", *MESSAGE_KEYS})
READ_TURN_KEYS: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {
    "sharegpt": (("conversations", "messages", "chosen", "rejected"), frozenset({"from", "role", "value", "content"})),
    "trl-messages": (("messages", "prompt", "completion"), _TRL_TURN_KEYS),
    "trl-preference": (("prompt", "chosen", "rejected"), _TRL_TURN_KEYS),
}


def unread_keys(from_format: str, item: dict[str, Any]) -> Iterator[str]:
    """The keys of ``item`` that ``from_format``'s reader puts in no record: its own (``id``) and its turns'
    (``conversations[].weight``), each once."""
    yield from (k for k in item if k not in READ_KEYS[from_format])
    holders, read = READ_TURN_KEYS.get(from_format, ((), frozenset()))
    for holder in holders:
        turns = item.get(holder)
        turns = turns if isinstance(turns, list) else [turns]
        yield from dict.fromkeys(f"{holder}[].{k}" for t in turns if isinstance(t, dict) for k in t if k not in read)


# -- writers -------------------------------------------------------------------------------


def _holds(value: dict[str, Any], keys: Iterable[str], what: str, report: Report, *, tools_to: bool = False) -> bool:
    """Whether the target holds every key of ``value`` (``keys``); else the others are reported, not dropped.
    ``tools_to``: tool keys alone are held by --to trl-messages, and the report says so."""
    other = [k for k in value if k not in keys]
    if other:
        hint = "use --to trl-messages, which keeps tools, or remove" if (
            tools_to and set(other) <= set(TOOL_KEYS)) else "remove"
        report(f"{what} has {', '.join(json.dumps(k, ensure_ascii=False) for k in other)}, which this format "
               f"cannot hold; {hint} {'it' if len(other) == 1 else 'them'} first")
    return not other


def _plain(messages: Any, report: Report, *, tools_ok: bool) -> list[dict[str, Any]] | None:
    """Messages the target can hold: text content, no weight 0 (and no tool calls unless ``tools_ok``)."""
    if not isinstance(messages, list) or not messages:
        report('no "messages" list; convert chat records (or DPO records with --to trl-preference)')
        return None
    out = []
    for i, m in enumerate(messages, 1):
        if not isinstance(m, dict):
            report(f"message {i} is not an object")
            return None
        if not isinstance(m.get("role"), str):
            report(f"message {i} has no role" if "role" not in m else
                   f"message {i} has a role that is not a string ({_shown(m['role'])})")
            return None
        if not is_trained(m):
            report(f"message {i} has weight {json.dumps(m['weight'])} (not trained), which the target format "
                   "cannot express; remove the turn or the weight first")
            return None
        if not tools_ok and (m.get("tool_calls") or m.get("function_call") or m.get("role") in ("tool", "function")):
            report(f"message {i} is a tool call or result, which this format cannot hold; use --to trl-messages")
            return None
        if not tools_ok and not _holds(m, ("role", "content", "weight"), f"message {i}", report):
            return None
        msg = {k: v for k, v in m.items() if k != "weight"}  # weight 1 is the default
        content = m.get("content")
        if isinstance(content, list):
            texts = [t for p in content if isinstance(p, dict) and isinstance(t := p.get("text"), str)]
            if len(texts) != len(content):
                report(f"message {i} has non-text parts (images?), which are not converted")
                return None
            msg["content"] = "\n".join(texts)
        elif not isinstance(content, str) and not tools_ok:
            report(f"message {i} has no text content")
            return None
        out.append(msg)
    return out


def write_sharegpt(value: Any, report: Report) -> dict[str, Any] | None:
    msgs = _plain(value.get("messages") if isinstance(value, dict) else None, report, tools_ok=False)
    if msgs is None or not _holds(value, ("messages",), "the record", report, tools_to=True):
        return None
    item: dict[str, Any] = {}
    turns: list[dict[str, Any]] = []
    for i, m in enumerate(msgs, 1):
        if m["role"] == "system" and not turns and "system" not in item:
            item["system"] = m["content"]
        elif m["role"] in TO_SHAREGPT:
            turns.append({"from": TO_SHAREGPT[m["role"]], "value": m["content"]})
        else:
            report(f"message {i} has role {m['role']!r}, which ShareGPT has no name for")
            return None
    return {"conversations": turns, **item}


def write_alpaca(value: Any, report: Report) -> dict[str, Any] | None:
    msgs = _plain(value.get("messages") if isinstance(value, dict) else None, report, tools_ok=False)
    if msgs is None or not _holds(value, ("messages",), "the record", report, tools_to=True):
        return None
    system = msgs[0]["content"] if msgs[0]["role"] == "system" else None
    turns = msgs[1:] if system is not None else msgs
    roles = [m["role"] for m in turns]
    if len(turns) < 2 or len(turns) % 2 or roles != ["user", "assistant"] * (len(turns) // 2):
        report("Alpaca holds user/assistant pairs (after an optional system message), ending with the assistant")
        return None
    pairs = [[turns[k]["content"], turns[k + 1]["content"]] for k in range(0, len(turns), 2)]
    item: dict[str, Any] = {"instruction": pairs[-1][0], "input": "", "output": pairs[-1][1]}
    if system is not None:
        item["system"] = system
    if len(pairs) > 1:
        item["history"] = pairs[:-1]
    return item


def write_trl_messages(value: Any, report: Report) -> dict[str, Any] | None:
    msgs = _plain(value.get("messages") if isinstance(value, dict) else None, report, tools_ok=True)
    if msgs is None or not _holds(value, ("messages", *TOOL_KEYS), "the record", report):
        return None
    item: dict[str, Any] = {"messages": msgs}
    item.update({k: value[k] for k in TOOL_KEYS if value.get(k) is not None})
    return item


def write_trl_preference(value: Any, report: Report) -> dict[str, Any] | None:
    if not isinstance(value, dict) or not isinstance(value.get("input"), dict):
        report("not a preference (DPO) record with input, preferred_output and non_preferred_output")
        return None
    prompt = _plain(value["input"].get("messages"), report, tools_ok=True)
    chosen = _plain(value.get("preferred_output"), report, tools_ok=True)
    rejected = _plain(value.get("non_preferred_output"), report, tools_ok=True)
    if prompt is None or chosen is None or rejected is None:
        return None
    if not (_holds(value, ("input", "preferred_output", "non_preferred_output"), "the record", report)
            and _holds(value["input"], ("messages",), '"input"', report)):
        return None
    return {"prompt": prompt, "chosen": chosen, "rejected": rejected}


WRITERS: dict[str, Callable[[Any, Report], dict[str, Any] | None]] = {
    "sharegpt": write_sharegpt, "alpaca": write_alpaca, "trl-messages": write_trl_messages,
    "trl-preference": write_trl_preference,
}
