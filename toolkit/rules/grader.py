"""Rules about the RFT grader config (``--grader``): its shape, and the row keys its templates read (R-05, R-08).

The config is the grader object itself (``{"type": "string_check", ...}``), or the reinforcement
method settings that hold it (``{"grader": {...}, "response_format": {...}}``, optionally inside
``{"type": "reinforcement", "reinforcement": {...}}``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .. import catalog, pointers
from ..diagnostics import Severity
from ..reader import Record, walk
from ..records import type_name
from .context import Context, FileSummary
from .registry import Finding, file_rule, record_rule

E, W = Severity.ERROR, Severity.WARNING
REQUIRED = {
    "string_check": ("name", "input", "reference", "operation"),
    "text_similarity": ("name", "input", "reference", "evaluation_metric"),
    "python": ("name", "source"),
    "score_model": ("name", "input", "model"),
    "multi": ("name", "graders", "calculate_output"),
    "label_model": ("name", "input", "model", "labels", "passing_labels"),  # only inside multi
}
OPERATIONS = ("eq", "ne", "like", "ilike")
METRICS = ("fuzzy_match", "bleu", "gleu", "meteor", "rouge_1", "rouge_2", "rouge_3", "rouge_4", "rouge_5", "rouge_l")
SAMPLE_FIELDS = ("output_text", "output_json", "output_tools", "choices", "output_audio")
FORMULA_FUNCTIONS = frozenset({"min", "max", "abs", "floor", "ceil", "exp", "sqrt", "log"})
PYTHON_SOURCE_MAX = 256 * 1024
_TEMPLATE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_DEF_GRADE = re.compile(r"^\s*def\s+grade\s*\(", re.MULTILINE)
_REASONING = re.compile(r"^o\d")


@dataclass
class _RefsCache:
    """The last config's item references: the config is the same for every row."""

    config: Any = None
    refs: tuple[tuple[str, ...], ...] = ()


_cache = _RefsCache()


def grader_parts(config: Any) -> tuple[Any, Any]:
    """(grader, response_format) from a grader object or the reinforcement settings holding one."""
    if isinstance(config, dict) and isinstance(config.get("reinforcement"), dict):
        config = config["reinforcement"]
    if isinstance(config, dict) and "grader" in config and "type" not in config:
        return config["grader"], config.get("response_format")
    return config, None


def templates(grader: Any) -> Iterator[str]:
    """Every ``{{ ... }}`` expression in the grader's strings (Python sources are code, not templates)."""
    for pointer, value in walk(grader):
        if isinstance(value, str) and "{{" in value and not pointer.endswith("/source"):
            yield from _TEMPLATE.findall(value)


def graded(ctx: Context) -> bool:
    """Whether the grader config (``--grader``) applies: one is given and the job is reinforcement fine-tuning
    (the method said, or the RFT file's). Any other file trains without a grader: the grader rules stay quiet and
    ``tunesmith lint`` says the grader was not checked."""
    return ctx.grader is not None and ctx.method == "reinforcement"


def item_refs(config: Any) -> tuple[tuple[str, ...], ...]:
    """The row paths the grader reads: ``{{ item.a.b }}`` gives ``("a", "b")``."""
    if _cache.config is not config:
        grader, _ = grader_parts(config)
        refs = {tuple(t[len("item."):].split(".")) for t in templates(grader) if t.startswith("item.")}
        _cache.config, _cache.refs = config, tuple(sorted(r for r in refs if all(r)))
    return _cache.refs


@record_rule("R050", "unresolved-grader-reference", W, "the grader reads a key this row does not have",
             formats=("reinforcement",), source="R-05")
def unresolved_grader_reference(rec: Record, ctx: Context) -> Iterator[Finding]:
    """Graders read the row through templates: `{{ item.answer }}` is the row's `answer` key,
    `{{ item.a.b }}` a nested one. When a row lacks the key, grading that sample fails and
    training logs `invalid_variable_error_mean` (RFT guide, "Training errors"). Checked only when a
    grader config is given (`--grader FILE`). Add the key to every row, or fix the template."""
    if not graded(ctx):
        return
    for path in item_refs(ctx.grader):
        value: Any = rec.value
        for depth, key in enumerate(path):
            if isinstance(value, dict) and key in value:
                value = value[key]
            elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
                value = value[int(key)]
            else:
                parent = "".join("/" + pointers.escape(k) for k in path[:depth]) or None
                where = f'no "{key}" key' if depth == 0 else f'no "{key}" inside "{".".join(path[:depth])}"'
                yield Finding(parent, f"the grader reads {{{{ item.{'.'.join(path)} }}}} but this row has {where}; "
                              "grading fails on it (invalid_variable_error): add it or fix the template")
                break


@file_rule("R051", "output-json-without-response-format", W,
           "the grader reads sample.output_json but no json_schema response_format is set",
           formats=("reinforcement",), source="R-05")
def output_json_without_response_format(summary: FileSummary, ctx: Context) -> Iterator[Finding]:
    """`{{ sample.output_json }}` is filled only when the job sets a `response_format` of type
    `json_schema` (graders guide); otherwise the grader sees nothing. Put the response format next
    to the grader in the config: `{"grader": {...}, "response_format": {"type": "json_schema",
    ...}}`, or grade `{{ sample.output_text }}`."""
    if not graded(ctx):
        return
    grader, response_format = grader_parts(ctx.grader)
    if not any(t.startswith("sample.output_json") for t in templates(grader)):
        return
    if not (isinstance(response_format, dict) and response_format.get("type") == "json_schema"):
        yield Finding(None, "the grader reads {{ sample.output_json }}, which is empty unless the job sets a "
                      'response_format of type "json_schema": add one next to the grader, or grade '
                      "{{ sample.output_text }}")


@file_rule("R080", "invalid-grader", E, "the grader config is not a valid RFT grader", formats=("reinforcement",),
           source="R-08")
def invalid_grader(summary: FileSummary, ctx: Context) -> Iterator[Finding]:
    """An RFT job takes exactly one grader: `string_check` (type, name, input, reference,
    operation eq/ne/like/ilike), `text_similarity` (evaluation_metric fuzzy_match, bleu, gleu,
    meteor, rouge_1..5, rouge_l; `cosine` is for evals only), `python` (a `source` under 256 kB
    defining `grade(sample, item)`), `score_model` (input messages and a grader model the provider
    allows; no temperature for reasoning models, no reasoning_effort for others) or `multi`
    (`graders` combined by a `calculate_output` formula; `label_model` only in here). Templates
    use the `item.*` and `sample.*` namespaces. Checked when `--grader FILE` is given; validate
    the final config with the API's `/fine_tuning/alpha/graders/validate` too. Which model a
    model grader uses is R081's (a warning).
    Evidence: documented (https://platform.openai.com/docs/guides/graders, the OpenAPI grader schemas
    in https://github.com/openai/openai-openapi)."""
    if not graded(ctx):
        return
    grader, _ = grader_parts(ctx.grader)
    for problem in grader_problems(grader, ctx.provider.grader_models):
        yield Finding(None, f"grader config: {problem}")


@file_rule("R081", "unknown-grader-model", W, "a model grader uses a model the provider does not list for graders",
           formats=("reinforcement",), source="R-08",
           links=("https://github.com/microsoft-foundry/fine-tuning/tree/main/Demos/RFT_Countdown",))
def unknown_grader_model(summary: FileSummary, ctx: Context) -> Iterator[Finding]:
    """`score_model` and `label_model` graders name the model that grades. The provider documents
    which models may grade (OpenAI's graders guide: gpt-4o, gpt-4o-mini, gpt-4.1 family, o1,
    o3-mini, o3, o4-mini; Azure's RFT page: gpt-4o-2024-08-06 and o3-mini-2025-01-31), by snapshot.
    A short name (`"o3-mini"`) is resolved through the catalog's aliases: Microsoft's own RFT
    Countdown demo trained with `"model": "o3-mini"` on Azure. A model outside the list is only a
    warning: the lists lag behind the services. Check the name, or validate the grader with the
    API's `/fine_tuning/alpha/graders/validate`.
    Evidence: documented (the lists), observed (the Azure demo's alias worked)."""
    if not graded(ctx) or not ctx.provider.grader_models:
        return
    grader, _ = grader_parts(ctx.grader)
    allowed = ctx.provider.grader_models
    for where, model in model_graders(grader):
        if catalog.grader_model(ctx.provider, model) is None:
            yield Finding(None, f"grader config: {where}.model {model!r} is not among the grader models "
                          f"{ctx.provider.title} documents ({', '.join(allowed)}); check the name, or validate "
                          "the grader with the API")


def model_graders(grader: Any, where: str = "grader") -> Iterator[tuple[str, str]]:
    """(place, model) of every score_model / label_model grader, inside multi graders too."""
    if not isinstance(grader, dict):
        return
    if grader.get("type") in ("score_model", "label_model") and isinstance(grader.get("model"), str):
        yield where, grader["model"]
    graders = grader.get("graders") if grader.get("type") == "multi" else None
    if isinstance(graders, dict) and "type" not in graders:
        for key, sub in graders.items():
            yield from model_graders(sub, f"{where}.graders.{key}")
    elif isinstance(graders, list):
        for i, sub in enumerate(graders):
            yield from model_graders(sub, f"{where}.graders[{i}]")
    elif isinstance(graders, dict):
        yield from model_graders(graders, f"{where}.graders")


def grader_problems(grader: Any, models: tuple[str, ...] = (), *, where: str = "grader",
                    in_multi: bool = False) -> Iterator[str]:
    """Everything wrong with one grader object, as messages naming the place (``grader.operation``)."""
    if not isinstance(grader, dict):
        yield f"{where} is {type_name(grader)}; it must be an object with a \"type\""
        return
    kind = grader.get("type")
    kinds = [k for k in REQUIRED if k != "label_model" or in_multi]
    if not isinstance(kind, str) or kind not in kinds:  # (kind may be any JSON value)
        shown = f'"{kind}"' if isinstance(kind, str) else ("missing" if "type" not in grader else type_name(kind))
        extra = " (label_model is allowed only inside a multi grader)" if kind == "label_model" else ""
        yield f"{where}.type is {shown}; use one of: {', '.join(kinds)}{extra}"
        return
    missing = [k for k in REQUIRED[kind] if k not in grader]
    if missing:
        yield f"{where} ({kind}) lacks {', '.join(missing)}"
    if "name" in grader and not isinstance(grader["name"], str):
        yield f"{where}.name must be a string"
    yield from _CHECKS[kind](grader, models, where)
    if in_multi:
        return  # the templates of the graders inside a multi are checked once, from the top
    for expr in templates(grader):
        namespace, _, field = expr.partition(".")
        if namespace not in ("item", "sample"):
            yield f"{where}: template {{{{ {_short(expr)} }}}} uses an unknown namespace; use item.* (the row) " \
                  "or sample.* (the model's answer)"
        elif namespace == "sample" and field.split(".")[0] not in SAMPLE_FIELDS:
            yield f"{where}: template {{{{ {_short(expr)} }}}} reads an unknown sample field; use one of: " + \
                  ", ".join(f"sample.{f}" for f in SAMPLE_FIELDS)


def _string_check(g: dict[str, Any], models: tuple[str, ...], where: str) -> Iterator[str]:
    yield from _strings(g, where, ("input", "reference"))
    op = g.get("operation")
    if "operation" in g and op not in OPERATIONS:
        hint = ' ("neq" in the guide\'s prose is "ne" in the API)' if op == "neq" else ""
        yield f"{where}.operation is {_show(op)}; use one of: {', '.join(OPERATIONS)}{hint}"


def _text_similarity(g: dict[str, Any], models: tuple[str, ...], where: str) -> Iterator[str]:
    yield from _strings(g, where, ("input", "reference"))
    metric = g.get("evaluation_metric")
    if metric == "cosine":
        yield f'{where}.evaluation_metric "cosine" is available for evals only, not for fine-tuning; use ' \
              "fuzzy_match, bleu, gleu, meteor or a rouge metric"
    elif "evaluation_metric" in g and metric not in METRICS:
        yield f"{where}.evaluation_metric is {_show(metric)}; use one of: {', '.join(METRICS)}"


def _python(g: dict[str, Any], models: tuple[str, ...], where: str) -> Iterator[str]:
    source = g.get("source")
    if "source" not in g:
        return
    if not isinstance(source, str):
        yield f"{where}.source must be a string of Python code"
        return
    size = len(source.encode("utf-8", "replace"))
    if size >= PYTHON_SOURCE_MAX:
        yield f"{where}.source is {size / 1024:.0f} kB; a Python grader must be under 256 kB"
    try:
        compile(source, "<grader>", "exec")
    except SyntaxError as exc:
        yield f"{where}.source does not compile: {exc.msg} (line {exc.lineno})"
    except ValueError as exc:
        yield f"{where}.source does not compile: {exc}"
    if not _DEF_GRADE.search(source):
        yield f"{where}.source defines no grade(sample, item) function; the grader calls it and expects a float"
    if "image_tag" in g and not isinstance(g["image_tag"], str):
        yield f"{where}.image_tag must be a string such as \"2025-05-08\""


def _score_model(g: dict[str, Any], models: tuple[str, ...], where: str) -> Iterator[str]:
    yield from _model_grader(g, models, where)
    model = g.get("model")
    rng = g.get("range")
    if "range" in g and not (isinstance(rng, list) and len(rng) == 2 and all(_number(x) for x in rng)
                             and rng[0] < rng[1]):
        yield f"{where}.range must be two numbers [min, max] with min < max (default [0, 1])"
    if "pass_threshold" in g and not _number(g["pass_threshold"]):
        yield f"{where}.pass_threshold must be a number"
    params = g.get("sampling_params")
    if "sampling_params" in g and not isinstance(params, dict):
        yield f"{where}.sampling_params must be an object"
    elif isinstance(params, dict) and isinstance(model, str):
        reasoning = bool(_REASONING.match(model))
        if reasoning and params.get("temperature") is not None:
            yield f"{where}.sampling_params.temperature: temperature changes are not supported for reasoning " \
                  f"models ({model}); remove it"
        if not reasoning and params.get("reasoning_effort") is not None:
            yield f"{where}.sampling_params.reasoning_effort is not supported for non-reasoning models " \
                  f"({model}); remove it"


def _label_model(g: dict[str, Any], models: tuple[str, ...], where: str) -> Iterator[str]:
    yield from _model_grader(g, models, where)
    labels, passing = g.get("labels"), g.get("passing_labels")
    for key, value in (("labels", labels), ("passing_labels", passing)):
        if key in g and not (isinstance(value, list) and value and all(isinstance(v, str) for v in value)):
            yield f"{where}.{key} must be a non-empty array of strings"
    if isinstance(labels, list) and isinstance(passing, list):
        extra = [p for p in passing if isinstance(p, str) and p not in labels]
        if extra:
            yield f"{where}.passing_labels {', '.join(map(repr, extra))} are not in labels"


def _model_grader(g: dict[str, Any], models: tuple[str, ...], where: str) -> Iterator[str]:
    model = g.get("model")
    if "model" in g and not isinstance(model, str):
        yield f"{where}.model must be a string"
    inp = g.get("input")
    if "input" in g and not (isinstance(inp, list) and inp and all(isinstance(m, dict) and "role" in m
                                                                   for m in inp)):
        yield f"{where}.input must be a non-empty array of messages with a role and content"


def _multi(g: dict[str, Any], models: tuple[str, ...], where: str) -> Iterator[str]:
    graders = g.get("graders")
    if isinstance(graders, dict) and "type" not in graders:
        if not graders:
            yield f"{where}.graders is empty"
        for key, sub in graders.items():
            yield from grader_problems(sub, models, where=f"{where}.graders.{key}", in_multi=True)
    elif isinstance(graders, list):
        for i, sub in enumerate(graders):
            yield from grader_problems(sub, models, where=f"{where}.graders[{i}]", in_multi=True)
    elif isinstance(graders, dict):
        yield from grader_problems(graders, models, where=f"{where}.graders", in_multi=True)
    elif "graders" in g:
        yield f"{where}.graders must be an object of named graders, e.g. {{\"accuracy\": {{...}}}}"
    formula = g.get("calculate_output")
    if "calculate_output" in g and not isinstance(formula, str):
        yield f"{where}.calculate_output must be a formula string such as \"0.7 * accuracy + 0.3 * style\""
    elif isinstance(formula, str) and isinstance(graders, dict) and "type" not in graders:
        unknown = sorted({n for n in re.findall(r"[A-Za-z_]\w*", formula)
                          if n not in FORMULA_FUNCTIONS and n not in graders})
        if unknown:
            yield f"{where}.calculate_output uses {', '.join(unknown)}, which name no grader; grader keys: " \
                  f"{', '.join(map(str, graders)) or 'none'} (functions: {', '.join(sorted(FORMULA_FUNCTIONS))})"


_CHECKS = {"string_check": _string_check, "text_similarity": _text_similarity, "python": _python,
           "score_model": _score_model, "label_model": _label_model, "multi": _multi}


def _strings(g: dict[str, Any], where: str, keys: tuple[str, ...]) -> Iterator[str]:
    for key in keys:
        if key in g and not isinstance(g[key], str):
            yield f"{where}.{key} must be a string (templates like {{{{ item.answer }}}} go inside it)"


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _show(value: Any) -> str:
    return json.dumps(value) if isinstance(value, str) else type_name(value)


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."
