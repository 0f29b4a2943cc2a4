"""Rules about the training file and its validation file together (FORMAT_RULES F-11)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from .. import formats
from ..diagnostics import Severity
from .context import Context, FileSummary
from .file_rules import FORMAT_NAMES
from .registry import Finding, cross_rule

E, W = Severity.ERROR, Severity.WARNING


@cross_rule("F110", "validation-format-mismatch", E, "validation file is in another format than the training file",
            source="F-11")
def validation_format_mismatch(train: FileSummary, validation: FileSummary | None, ctx: Context) -> Iterator[Finding]:
    """The validation file must have the same format as the training file (chat with chat,
    preference with preference...); the job uses one method for both. Convert the validation
    file, or pass the one that belongs to this training file."""
    if validation is None or not train.records or not validation.records:
        return
    if not formats.same_family(validation.format, train.format):
        yield Finding(None, f"the validation file {Path(validation.path).name} is in the "
                      f"{FORMAT_NAMES.get(validation.format, validation.format)} format but the training file is "
                      f"{FORMAT_NAMES.get(train.format, train.format)}: both must have the same format")


@cross_rule("F111", "missing-validation-file", E, "reinforcement fine-tuning needs a validation file",
            formats=("reinforcement",), source="F-11")
def missing_validation_file(train: FileSummary, validation: FileSummary | None, ctx: Context) -> Iterator[Finding]:
    """Reinforcement fine-tuning requires a validation (test) file next to the training file
    (OpenAI: "You need file IDs for both your test and training data files"; Azure: "Both a
    training and a validation dataset must be provided"). Pass it with `--validation FILE`; it
    holds at most 1,000 examples on OpenAI. Checked when you say you are preparing an RFT job
    (`--method reinforcement`), so a training file linted on its own (pre-commit) is not
    flagged."""
    if validation is None and train.role == "train" and ctx.method == "reinforcement" and ctx.method_explicit:
        yield Finding(None, "reinforcement fine-tuning needs a validation file as well as the training file: "
                      "pass it with --validation FILE (a few hundred held-out examples)")


@cross_rule("F112", "train-validation-overlap", W, "the same example is in the training and the validation file",
            source="F-11")
def train_validation_overlap(train: FileSummary, validation: FileSummary | None, ctx: Context) -> Iterator[Finding]:
    """"The same data should not be present in both train and validation files" (API reference):
    validation loss on examples the model trained on says nothing about new inputs. Remove the
    copies from one of the files. Only byte-identical lines are found."""
    if validation is None:
        return
    name = Path(validation.path).name
    for digest, line in train.digests.items():
        other = validation.digests.get(digest)
        if other is not None:
            yield Finding(None, f"line {line} is also line {other} of the validation file {name}; "
                          "keep each example in one file only", line=line)
