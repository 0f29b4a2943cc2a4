"""Rules about the target model: shut down, unknown, or unable to train the method (FORMAT_RULES §9)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from .. import catalog, formats
from ..catalog import Model
from ..diagnostics import Severity
from ..reader import FileFacts
from .context import Context, FileSummary
from .registry import RULES, Finding, file_rule

E, W = Severity.ERROR, Severity.WARNING


def _shutdown_message(model: Model, prefix: str) -> str:
    base = f" (a fine-tune of {model.fine_tuned_from})" if model.fine_tuned_from else ""
    source = f" per {model.shutdown_source}" if model.shutdown_source else ""
    instead = f": use {model.replacement} instead" if model.replacement else ""
    return (f"{prefix}{model.name}{base} was shut down for fine-tuning on {model.shutdown}{source}; "
            f"new jobs on it fail{instead}")


@file_rule("M010", "model-shut-down", E, "the model given with --model is shut down for fine-tuning",
           source="§9")
def model_shut_down(summary: FileSummary, ctx: Context) -> Iterator[Finding]:
    """The catalog records when each model stops taking fine-tuning jobs (OpenAI deprecations
    page; some dates come from third-party summaries and say so). After that date a job on the
    model, or on a fine-tune built on it, fails. The message names the catalog's replacement.
    Prompt/completion files are L020's business."""
    if ctx.model_explicit and ctx.method != "completion" and ctx.model.is_shut_down(ctx.today):
        yield Finding(None, _shutdown_message(ctx.model, ""))


@file_rule("M011", "default-model-shut-down", W, "the default model for this method is shut down",
           source="§9")
def default_model_shut_down(summary: FileSummary, ctx: Context) -> Iterator[Finding]:
    """No `--model` was given, so the limits of the provider's default model for the method were
    used, and that model no longer takes fine-tuning jobs (e.g. o4-mini for RFT on OpenAI after
    2026-10-23). Pass the model you will train with `--model`."""
    if not ctx.model_explicit and ctx.method != "completion" and ctx.model.is_shut_down(ctx.today):
        yield Finding(None, _shutdown_message(ctx.model, "no --model given, and the default model ")
                      + "; pass the model you will train with --model")


@file_rule("M020", "method-not-supported-by-model", E, "the model cannot be trained with this method",
           source="§9")
def method_not_supported_by_model(summary: FileSummary, ctx: Context) -> Iterator[Finding]:
    """Each model takes only some methods: e.g. on OpenAI supervised fine-tuning on gpt-4o-mini
    and gpt-4.1*, DPO on gpt-4.1 and gpt-4o, RFT on o4-mini only (the catalog's `methods`).
    Pick a model that supports the method, or another method. Prompt/completion files are
    L020's business."""
    if ctx.method == "completion" or ctx.method in ctx.model.methods:
        return
    able = [m.name for m in catalog.models(ctx.provider.name) if ctx.method in m.methods]
    fix = f"models that can: {', '.join(able)}" if able else f"no {ctx.provider.title} model in the catalog can"
    yield Finding(None, f"{ctx.model.name} cannot be trained with the {ctx.method} method on {ctx.provider.title}; "
                  f"{fix}")


@file_rule("M030", "unknown-model", W, "the model is not in Tunesmith's catalog", source="§9")
def unknown_model(summary: FileSummary, ctx: Context) -> Iterator[Finding]:
    """The model name (or the base of a fine-tuned model id) is not in the catalog, so Tunesmith
    checks the file with the limits of the provider's default model (context length, images,
    methods). Check the spelling (snapshots look like `gpt-4.1-mini-2025-04-14`; Azure writes
    `gpt-35-turbo`), or update Tunesmith if the model is new. Not reported for a provider that trains
    any model (`local`: any Hugging Face chat model)."""
    if ctx.model.known or ctx.provider.open_models:
        return
    default = ctx.provider.models.get(ctx.provider.default_model)
    limits = f" ({default.context:,}-token context)" if default else ""
    yield Finding(None, f"{ctx.model.name} is not in Tunesmith's {ctx.provider.title} catalog; the limits of "
                  f"{ctx.provider.default_model}{limits} are used: check the name (known models: "
                  f"{', '.join(ctx.provider.models)})")


MODEL_RULES = ("M010", "M011", "M020", "M030")  # the rules about the target alone, whatever the file holds


def about_model(provider: str, model: str | None, file_format: str, *,
                today: dt.date | None = None) -> list[tuple[str, Severity, str]]:
    """What lint's model rules say about training ``model`` (None: the provider's default for the method) on a
    ``file_format`` file: (code, severity, message) each, in lint's words (`tunesmith stats` reports them too)."""
    method = formats.FORMAT_METHOD[file_format]
    ctx = Context(provider=catalog.provider(provider), model=catalog.for_method(provider, model, method),
                  method=method, file_format=file_format, model_explicit=bool(model), today=today or dt.date.today())
    summary = FileSummary(path="", role="train", format=file_format, facts=FileFacts())
    out = []
    for code in MODEL_RULES:
        rule = RULES[code]
        if rule.applies_to(ctx.provider):
            out += [(code, rule.severity, f.message or rule.message) for f in rule.checker(summary, ctx)]
    return out
