"""Tool and function definitions of an example, and the legacy function-calling keys (FORMAT_RULES C-16..C-18)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .. import pointers
from ..diagnostics import Severity
from ..reader import Record
from ..records import type_name
from . import hints
from .context import Context
from .messages import function_of, has_call, iter_messages, label, role_of, tool_calls_of
from .registry import Finding, record_rule

E, W = Severity.ERROR, Severity.WARNING
CHAT = ("chat",)
MESSAGES = ("chat", "reinforcement")
MAX_FUNCTIONS = 128
_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_TOOL_FUNCTION_KEYS = ("name", "description", "parameters", "strict")
_LEGACY_FUNCTION_KEYS = ("name", "description", "parameters")
# strict is "boolean | null" in the spec (FunctionObject.strict)
_DEFINITION_TYPES: dict[str, tuple[str, Any]] = {"description": ("a string", str),
                                                 "parameters": ("a JSON Schema object", dict),
                                                 "strict": ("true, false or null", (bool, type(None)))}
# Keywords whose values are subschemas: maps of them, lists of them, or one ("items" can be either).
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"})
_SCHEMA_LISTS = frozenset({"anyOf", "oneOf", "allOf", "prefixItems", "items"})
_CHILD_KEYWORDS = _SCHEMA_MAPS | _SCHEMA_LISTS | {"items", "additionalProperties", "not", "if", "then", "else",
                                                  "contains", "propertyNames", "unevaluatedProperties",
                                                  "unevaluatedItems", "additionalItems"}
_EXTRA_KEYWORDS = frozenset({"title", "default", "anyOf", "oneOf"})


def definitions(value: Any, chat: bool) -> list[tuple[str, int, dict[str, Any]]]:
    """(array, index, function object) of every ``tools`` definition, then (chat only) every ``functions`` entry."""
    if not isinstance(value, dict):
        return []
    tools = value.get("tools")
    found = [("tools", k, t["function"]) for k, t in enumerate(tools)
             if isinstance(t, dict) and isinstance(t.get("function"), dict)] if isinstance(tools, list) else []
    functions = value.get("functions")
    if chat and isinstance(functions, list):
        found += [("functions", k, fn) for k, fn in enumerate(functions) if isinstance(fn, dict)]
    return found


def definition_pointer(array: str, index: int) -> str:
    """Pointer of a function object listed by :func:`definitions`."""
    return f"/tools/{index}/function" if array == "tools" else f"/functions/{index}"


@record_rule("C160", "invalid-tool-definition", E, "tool or function definition has the wrong shape",
             formats=MESSAGES, structural=True, source="C-16")
def invalid_tool_definition(rec: Record, ctx: Context) -> Iterator[Finding]:
    """`tools` is an array of `{"type": "function", "function": {"name": str, "description"?: str,
    "parameters"?: JSON Schema object, "strict"?: bool}}`; the legacy `functions` array holds up to
    128 `{"name", "description"?, "parameters"?}` objects. Any other shape fails the schema. (An empty
    `tools` or `functions` array is only a warning, C165.) A `strict` given as the string `"true"`
    or `"false"` is fixable (`tunesmith fix --write` writes the boolean).
    Evidence: documented (the fine-tuning chat input schema, SPEC-2507 `FineTuneChatRequestInput`)."""
    value = rec.value
    if not isinstance(value, dict):
        return
    if "tools" in value:
        tools = value["tools"]
        if not isinstance(tools, list):
            yield Finding("/tools", f'"tools" is {type_name(tools)}; it must be an array of '
                          '{"type": "function", "function": {...}} objects')
        else:
            for k, tool in enumerate(tools):
                found = _tool_problem(tool, f"/tools/{k}", f"tool {k + 1}")
                if found:
                    yield found
    if "functions" in value and ctx.file_format == "chat":
        yield from _functions_problems(value["functions"])


def _tool_problem(tool: Any, at: str, who: str) -> Finding | None:
    if not isinstance(tool, dict):
        return Finding(at, f'{who} is {type_name(tool)}; it must be {{"type": "function", "function": {{...}}}}')
    if tool.get("type") != "function":
        return Finding(at + "/type" if "type" in tool else at, f'{who} needs "type": "function" '
                       "(the only tool type fine-tuning supports)")
    if not isinstance(tool.get("function"), dict):
        return Finding(at + "/function" if "function" in tool else at,
                       f'{who} needs a "function" object {{"name": ..., "parameters": {{...}}}}')
    extra = next((k for k in tool if k not in ("type", "function")), None)
    if extra is not None:
        return Finding(f"{at}/{pointers.escape(extra)}", f'{who} has unknown key "{extra}"; a tool has only type and '
                       "function: remove it")
    return _definition_problem(tool["function"], at + "/function", who, _TOOL_FUNCTION_KEYS)


def _functions_problems(functions: Any) -> Iterator[Finding]:
    if not isinstance(functions, list) or len(functions) > MAX_FUNCTIONS:  # an empty array is C165's
        what = type_name(functions) if not isinstance(functions, list) else f"{len(functions)} items long"
        yield Finding("/functions", f'"functions" is {what}; it must be an array of up to {MAX_FUNCTIONS} '
                      "function definitions (better: move them to tools)")
        return
    for k, fn in enumerate(functions):
        if not isinstance(fn, dict):
            yield Finding(f"/functions/{k}", f"function {k + 1} is {type_name(fn)}; it must be an object "
                          '{"name": ..., "parameters": {...}}')
        else:
            found = _definition_problem(fn, f"/functions/{k}", f"function {k + 1}", _LEGACY_FUNCTION_KEYS)
            if found:
                yield found


def _definition_problem(fn: dict[str, Any], at: str, who: str, allowed: tuple[str, ...]) -> Finding | None:
    if not isinstance(fn.get("name"), str):
        return Finding(at + "/name" if "name" in fn else at, f'{who} needs a string "name"')
    who = f'{who} ("{fn["name"][:64]}")'
    for key in fn:
        if key not in allowed:
            return Finding(f"{at}/{pointers.escape(key)}", f'{who} has unknown key "{key}"; a function definition '
                           f"has only {', '.join(allowed)}: remove it")
        kinds, ok = _DEFINITION_TYPES.get(key, ("", object))
        if not isinstance(fn[key], ok):
            return Finding(f"{at}/{key}", f"{who} {key} is {type_name(fn[key])}; it must be {kinds}")
    return None


@record_rule("C165", "empty-tool-list", W, 'an empty "tools" or "functions" array', formats=MESSAGES,
             source="C-16", evidence="inferred")
def empty_tool_list(rec: Record, ctx: Context) -> Iterator[Finding]:
    """`"tools": []` or `"functions": []` declares no function at all: it trains nothing and costs
    nothing, but usually means the definitions were lost on the way (or the key was written by a
    template). The spec gives `functions` `minItems: 1`, yet Azure's own function-calling example
    sends `"functions": []`, and no rejection of either is known, so both are only a warning.
    Remove the key, or add the definitions the example's calls use.
    Evidence: inferred (the spec's minItems; Azure's documented example uses an empty array)."""
    value = rec.value
    if not isinstance(value, dict):
        return
    for key in ("tools", "functions"):
        if value.get(key) == [] and (key == "tools" or ctx.file_format == "chat"):
            yield Finding(f"/{key}", f'"{key}" is an empty array, which declares no function; remove it, or add '
                          "the definitions the example's calls use")


@record_rule("C161", "invalid-function-name", E, "function name breaks ^[a-zA-Z0-9_-]{1,64}$",
             formats=MESSAGES, structural=True, source="C-09")
def invalid_function_name(rec: Record, ctx: Context) -> Iterator[Finding]:
    """Function names in `tools` (and `functions`) may only use the letters a-z and A-Z, digits,
    `_` and `-`, at most 64 characters (`^[a-zA-Z0-9_-]{1,64}$`, spec `FunctionObject.name`).
    Spaces, dots and punctuation are rejected. Rename the function, and its calls with it."""
    for array, k, fn in definitions(rec.value, ctx.file_format == "chat"):
        name = fn.get("name")
        if isinstance(name, str) and not _NAME.fullmatch(name):
            yield Finding(f"{definition_pointer(array, k)}/name",
                          f'function name "{name[:80]}" may only use a-z, A-Z, 0-9, _ and - '
                          "(at most 64 characters); rename it and the calls that use it")


@record_rule("C162", "tool-parameters-not-object", W, "function parameters are not an object schema",
             formats=MESSAGES, source="C-16")
def tool_parameters_not_object(rec: Record, ctx: Context) -> Iterator[Finding]:
    """A function's `parameters` is a JSON Schema whose top level is `{"type": "object",
    "properties": {...}}`: calls pass their arguments as one JSON object. Another top-level type
    (or none) describes arguments no call can send. Omit `parameters` for a function without
    arguments."""
    for array, k, fn in definitions(rec.value, ctx.file_format == "chat"):
        params = fn.get("parameters")
        if isinstance(params, dict) and params and params.get("type") != "object":
            kind = params.get("type")
            has = f'has "type": {_show(kind)}' if "type" in params else 'has no "type"'
            yield Finding(f"{definition_pointer(array, k)}/parameters",
                          f'the parameters schema of function "{fn.get("name")}" {has}; use a JSON Schema '
                          'object: {"type": "object", "properties": {...}}')


def _show(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else type_name(value)


@record_rule("C163", "undeclared-tool-called", W, "call to a function the example does not declare",
             formats=MESSAGES, source="C-16")
def undeclared_tool_called(rec: Record, ctx: Context) -> Iterator[Finding]:
    """When an example declares tools (or functions), every function its assistant calls should be
    among them; otherwise the model learns to call a function it was never shown, often a typo
    or a renamed function. The docs allow trimming definitions to save tokens, so this is only a
    warning. Examples without any definitions are not checked."""
    found = hints.of(rec)
    if not (found.tool_calls or found.function_call):
        return
    declared: set[str] | None = None
    for i, m in iter_messages(rec.value):
        if role_of(m) != "assistant" or not has_call(m):
            continue
        if declared is None:  # built on the first call only
            declared = {fn["name"] for _, _, fn in definitions(rec.value, ctx.file_format == "chat")
                        if isinstance(fn.get("name"), str)}
        if not declared:
            return
        calls = [(f"/messages/{i}/tool_calls/{j}/function/name", function_of(c).get("name"))
                 for j, c in tool_calls_of(m)]
        if isinstance(m.get("function_call"), dict):
            calls.append((f"/messages/{i}/function_call/name", m["function_call"].get("name")))
        for at, name in calls:
            if isinstance(name, str) and name not in declared:
                yield Finding(at, f'{label(i, m)} calls "{name}", which this example does not declare (declared: '
                              f"{', '.join(sorted(declared))}); fix the name or add its definition")


@record_rule("C164", "azure-unsupported-tool-schema", W, "tool schema features Azure's validator rejected",
             formats=MESSAGES, providers=("azure",), source="C-16", evidence="observed",
             links=("https://github.com/microsoft-foundry/fine-tuning/issues/23",))
def azure_unsupported_tool_schema(rec: Record, ctx: Context) -> Iterator[Finding]:
    """Azure's tool-calling validator is stricter than OpenAI's. Tool parameter schemas with
    `title`, `default: null` or a nullable `anyOf` (`[{...}, {"type": "null"}]`, as pydantic
    writes `Optional[...]`) made every line fail with "contains invalid schema"; so did
    `"content": null` on assistant tool-call messages. Remove those keywords (make the field
    optional by leaving it out of `required`) and drop the null content."""
    if not hints.of(rec).null_or_title:  # cheap exit: nothing to find (keys are rarely escaped)
        return
    for array, k, fn in definitions(rec.value, ctx.file_format == "chat"):
        params = fn.get("parameters")
        if isinstance(params, dict):
            found = _schema_extras(params)
            if found:
                first, kinds = found
                yield Finding(f"{definition_pointer(array, k)}/parameters{first}",
                              f'parameters of function "{fn.get("name")}" use {kinds}; '
                              'Azure rejected files with these ("contains invalid schema"): remove them')
    for i, m in iter_messages(rec.value):
        if role_of(m) == "assistant" and "content" in m and m["content"] is None and has_call(m):
            yield Finding(f"/messages/{i}/content", f'{label(i, m)} has "content": null next to its call; Azure '
                          'rejected such messages ("contains invalid schema"): remove the content key')


def _schema_extras(schema: dict[str, Any]) -> tuple[str, str] | None:
    """(pointer below the schema of the first offending keyword, summary) for title / default null / nullable anyOf.

    Walks only schema keywords (not property names), depth first in document order; each visited
    node remembers its parent and pointer tokens, so a pointer is built only for the first hit.
    """
    counts = dict.fromkeys(("title", "default: null", "nullable anyOf"), 0)
    first: tuple[int, str] | None = None
    nodes: list[tuple[int, str, Any]] = [(-1, "", None)]  # (parent index, keyword, name/index or None)
    stack: list[tuple[dict[str, Any], int]] = [(schema, 0)]
    while stack:
        node, index = stack.pop()
        children: list[tuple[dict[str, Any], int]] = []
        for key, sub in node.items():
            if key in _EXTRA_KEYWORDS:
                kind = _extra(key, sub)
                if kind:
                    counts[kind] += 1
                    first = first or (index, key)
            if key not in _CHILD_KEYWORDS:
                continue
            if isinstance(sub, dict):
                pairs: Any = sub.items() if key in _SCHEMA_MAPS else ((None, sub),)
            elif isinstance(sub, list) and key in _SCHEMA_LISTS:
                pairs = enumerate(sub)
            else:
                continue
            for token, child in pairs:
                if isinstance(child, dict):
                    nodes.append((index, key, token))
                    children.append((child, len(nodes) - 1))
        stack.extend(reversed(children))
    if first is None:
        return None
    index, key = first
    tokens = [key]
    while index > 0:
        index, keyword, token = nodes[index]
        tokens.append(keyword if token is None else f"{keyword}/{pointers.escape(str(token))}")
    return "/" + "/".join(reversed(tokens)), ", ".join(f"{k} ({n}x)" for k, n in counts.items() if n)


def _extra(key: str, value: Any) -> str | None:
    """Which Azure-rejected feature the keyword ``key`` with ``value`` is, if any."""
    if key == "title":
        return "title" if isinstance(value, str) else None
    if key == "default":
        return "default: null" if value is None else None
    if isinstance(value, list):
        for option in value:
            if isinstance(option, dict) and option.get("type") == "null":
                return "nullable anyOf"
    return None


@record_rule("C170", "invalid-parallel-tool-calls", E, "parallel_tool_calls is not a boolean",
             formats=CHAT, structural=True, source="C-17")
def invalid_parallel_tool_calls(rec: Record, ctx: Context) -> Iterator[Finding]:
    """`parallel_tool_calls` is `true` (the default) or `false`. Strings such as `"no"`, numbers
    and null fail the schema. The strings `"true"` and `"false"` are fixable (`tunesmith fix --write`
    writes the booleans)."""
    value = rec.value
    if not isinstance(value, dict) or "parallel_tool_calls" not in value:
        return
    flag = value["parallel_tool_calls"]
    if not isinstance(flag, bool):
        yield Finding("/parallel_tool_calls", f"parallel_tool_calls is {type_name(flag)}; it must be true or false")


@record_rule("C171", "parallel-calls-disabled", W, "several tool calls in one message with parallel_tool_calls false",
             formats=CHAT, source="C-17")
def parallel_calls_disabled(rec: Record, ctx: Context) -> Iterator[Finding]:
    """With `"parallel_tool_calls": false` the example says the model calls one tool at a time, so
    an assistant message with several tool calls contradicts it. Split the calls over several
    assistant turns (each followed by its tool result), or drop `parallel_tool_calls: false`.
    Unconfirmed by a server message."""
    value = rec.value
    if not isinstance(value, dict) or value.get("parallel_tool_calls") is not False:
        return
    for i, m in iter_messages(value):
        calls = m.get("tool_calls")
        if role_of(m) == "assistant" and isinstance(calls, list) and len(calls) > 1:
            yield Finding(f"/messages/{i}/tool_calls", f"{label(i, m)} makes {len(calls)} tool calls, but the example "
                          "sets parallel_tool_calls to false; split them over several turns or drop that setting")


@record_rule("C180", "deprecated-functions", W, "example uses the deprecated functions / function_call",
             formats=CHAT, source="C-18")
def deprecated_functions(rec: Record, ctx: Context) -> Iterator[Finding]:
    """`functions`, the assistant `function_call` and the `function` role are deprecated "in favor
    of tools": use `tools`, assistant `tool_calls` and `tool` messages with `tool_call_id`. They
    still train today, but new models and tooling expect tools. Reported once per example."""
    value = rec.value
    if isinstance(value, dict) and "functions" in value:
        yield Finding("/functions", _DEPRECATED)
        return
    for i, m in iter_messages(value):
        if m.get("function_call") is not None or m.get("role") == "function":
            yield Finding(f"/messages/{i}", _DEPRECATED)
            return


@record_rule("C182", "azure-function-role", W, "function role message in a file for Azure",
             formats=CHAT, providers=("azure",), source="C-18", evidence="observed",
             links=("https://github.com/MicrosoftDocs/azure-docs/issues/120001",))
def azure_function_role(rec: Record, ctx: Context) -> Iterator[Finding]:
    """Azure OpenAI refused a training file with a `function` role message, Azure's own documented
    function-calling example, at import: "Validation of jsonl file failed: Role must be either
    'user', 'assistant', or 'system'. Unexpected value encountered on line 0"
    (https://github.com/MicrosoftDocs/azure-docs/issues/120001, 2024-02). It may have been fixed
    since, so this is a warning. Use tools instead: an assistant `tool_calls` entry answered by a
    `tool` message with its `tool_call_id`. Reported once per example.
    Evidence: observed (one public report, 2024)."""
    if not hints.of(rec).function:
        return
    for i, m in iter_messages(rec.value):
        if m.get("role") == "function":
            yield Finding(f"/messages/{i}/role", f'{label(i, m)} has role "function", which Azure OpenAI refused '
                          "(\"Role must be either 'user', 'assistant', or 'system'\", MicrosoftDocs/azure-docs#120001, "
                          "2024): use tool_calls and tool messages instead")
            return


_DEPRECATED = ("functions, function_call and the function role are deprecated in favour of tools: use tools, "
               "assistant tool_calls and tool messages with tool_call_id")


@record_rule("C181", "functions-and-tools-mixed", W, "example has both functions and tools",
             formats=CHAT, source="C-18")
def functions_and_tools_mixed(rec: Record, ctx: Context) -> Iterator[Finding]:
    """An example with both the legacy `functions` and `tools` describes the same thing twice,
    in two generations of the API; which one the trainer uses is unconfirmed. Keep `tools` and
    remove `functions` (and turn `function_call` into `tool_calls`)."""
    value = rec.value
    if isinstance(value, dict) and "functions" in value and "tools" in value:
        yield Finding("/functions", 'the example has both "functions" and "tools"; keep tools and remove functions')
