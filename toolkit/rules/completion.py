"""Rules for legacy prompt/completion files (babbage-002, davinci-002): shape, retirement, old conventions (L-01..L-03)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .. import catalog, formats
from ..diagnostics import Severity
from ..reader import Record
from ..records import type_name
from .context import Context, FileSummary
from .registry import Finding, collector, file_rule, record_rule

E, I = Severity.ERROR, Severity.INFO
COMPLETION = ("completion",)
STYLE = "completion-style"


@record_rule("L010", "invalid-completion-record", E, "prompt or completion is missing or not a string",
             formats=COMPLETION, structural=True, source="L-01")
def invalid_completion_record(rec: Record, ctx: Context) -> Iterator[Finding]:
    """A legacy record is `{"prompt": "<string>", "completion": "<string>"}`: both keys present,
    both strings (SPEC-2507 `FineTuneCompletionRequestInput`). Numbers, lists and null are
    rejected; write a class label `4` as `" 4"`."""
    value = rec.value
    if not isinstance(value, dict):
        return
    for key in ("prompt", "completion"):
        if key not in value:
            yield Finding(None, f'record has no "{key}"; a prompt/completion record needs both as strings')
        elif not isinstance(value[key], str):
            yield Finding(f"/{key}", f'"{key}" is {type_name(value[key])}; it must be a string')


@file_rule("L020", "completion-format-retired", E, "prompt/completion files can no longer be trained",
           formats=COMPLETION, source="L-02")
def completion_format_retired(summary: FileSummary, ctx: Context) -> Iterator[Finding]:
    """Only the legacy base models babbage-002 and davinci-002 trained on prompt/completion
    files, and "new fine-tuning training runs on these models will no longer be supported starting
    October 28, 2024" (deprecations page); the base models shut down on 2026-09-28. No current
    model takes this format on OpenAI or Azure OpenAI, so convert the pairs to chat messages (the
    prompt becomes the user message, the completion the assistant reply; `tunesmith convert` does
    not read this format).
    Reported once per file; the provider's models come from the catalog."""
    if ctx.file_format != "completion" or not summary.records:
        return
    legacy = [m for m in catalog.models(ctx.provider.name) if "completion" in m.methods]
    if any(not m.is_shut_down(ctx.today) for m in legacy):
        return
    if legacy:
        ended = sorted({m.shutdown.isoformat() for m in legacy if m.shutdown})
        what = (f"training on {' and '.join(m.name for m in legacy)} ended on {', '.join(ended)}")
    else:
        what = f"no {ctx.provider.title} model trains on them"
    yield Finding(None, f"prompt/completion files can no longer be trained on {ctx.provider.title} ({what}): "
                  f"{formats.COMPLETION_TO_CHAT}")


@dataclass
class CompletionStyle:
    """The legacy prompt/completion conventions of a file (FORMAT_RULES L-03), gathered for L030 (a collector)."""

    records: int = 0
    prompt_suffix: str | None = None  # the longest ending (up to 32 characters) every prompt shares
    completion_suffix: str | None = None
    no_leading_space: int = 0  # completions that do not start with whitespace
    first_no_leading_space: int | None = None

    def add(self, rec: Record) -> None:
        """Take one prompt/completion record into account (others, and non-string values, are skipped)."""
        value, line = rec.value, rec.line
        if not isinstance(value, dict):
            return
        prompt, completion = value.get("prompt"), value.get("completion")
        if not isinstance(prompt, str) or not isinstance(completion, str):
            return
        if formats.detect(value) != formats.COMPLETION:
            return
        self.records += 1
        self.prompt_suffix = _shared_suffix(self.prompt_suffix, prompt)
        self.completion_suffix = _shared_suffix(self.completion_suffix, completion)
        if not completion[:1].isspace():
            self.no_leading_space += 1
            self.first_no_leading_space = self.first_no_leading_space or line

    def merge(self, later: CompletionStyle, copies: set[int]) -> None:
        """Add the conventions of the file's next part (the suffixes every prompt shares: those both parts share)."""
        self.records += later.records
        for side in ("prompt_suffix", "completion_suffix"):
            if getattr(later, side) is not None:
                setattr(self, side, _shared_suffix(getattr(self, side), getattr(later, side)))
        self.no_leading_space += later.no_leading_space
        self.first_no_leading_space = self.first_no_leading_space or later.first_no_leading_space


def _shared_suffix(suffix: str | None, text: str) -> str:
    if suffix is None:
        return text[-32:]
    while suffix and not text.endswith(suffix):
        suffix = suffix[1:]
    return suffix


collector(STYLE, rules=("L030",))(CompletionStyle)


@file_rule("L030", "legacy-completion-style", I, "prompt/completion records miss the legacy conventions",
           formats=COMPLETION, source="L-03")
def legacy_completion_style(summary: FileSummary, ctx: Context) -> Iterator[Finding]:
    """The legacy guide (and `openai tools fine_tunes.prepare_data`) recommended: end every
    prompt with the same separator that appears nowhere else (e.g. `\\n\\n###\\n\\n` or ` ->`),
    start every completion with a space, and end every completion with the same stop sequence
    (e.g. `\\n` or `###`). Summarised once per file. It only matters for the retired base models:
    after converting to chat (L020) none of it is needed."""
    style = summary.collected.get(STYLE)
    if ctx.file_format != "completion" or not isinstance(style, CompletionStyle) or not style.records:
        return
    notes = []
    if not style.prompt_suffix:
        notes.append('prompts share no fixed ending separator (e.g. "\\n\\n###\\n\\n")')
    if style.no_leading_space:
        notes.append(f"{style.no_leading_space} of {style.records} completions do not start with a space "
                     f"(first at line {style.first_no_leading_space})")
    if not style.completion_suffix:
        notes.append('completions share no fixed stop sequence at the end (e.g. "\\n" or "###")')
    if notes:
        yield Finding(None, f"legacy prompt/completion conventions: {'; '.join(notes)}. These matter only for "
                      "the retired base models; chat examples need none of them")
