"""The checks a training (or validation) file goes through while a job is ``validating_files``.

Messages follow the real service's wording where it is known
(shared/reference/real_error_messages.md: E-02, E-03, E-04, E-06, E-07, E-10).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .. import formats
from .text import content_text, words

MIN_EXAMPLES = 10
ROLES = tuple(sorted(formats.ALL_ROLES))  # as the server lists them
FORMAT_NAMES = {"chat": "fine-tune-chat", "preference": "fine-tune-preference",
                "completion": "fine-tune-completion"}
FORMAT_METHOD = {"chat": "supervised", "preference": "dpo", "completion": "supervised"}
REQUIRED_KEYS = {"chat": ("messages",), "preference": ("input", "preferred_output", "non_preferred_output"),
                 "completion": ("prompt", "completion")}


@dataclass(frozen=True)
class FileProblem:
    """Why a file fails validation: the job's ``error`` object."""

    code: str
    message: str
    param: str

    def to_api(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "param": self.param}


@dataclass
class Dataset:
    """What a valid file holds: its example count and question/answer pairs (and, for a training file, the
    tokens billed per epoch, which the job counts with :func:`toolkit.stats.compute`)."""

    examples: int = 0
    billed_tokens: int = 0
    pairs: list[tuple[frozenset[str], str]] = field(default_factory=list)


def check_file(data: bytes, *, file_id: str, param: str, method: str, expected: str) -> Dataset | FileProblem:
    """Check a file for a job of ``method`` on a model that trains on ``expected`` format rows."""
    kind = "training" if param == "training_file" else "validation"

    def problem(detail: str) -> FileProblem:
        return FileProblem("invalid_file_format", f"The job failed due to a file format error in the {kind} "
                           f"file. Invalid file format. {detail}", param)

    dataset = Dataset()
    for number, raw in enumerate(data.removeprefix(b"\xef\xbb\xbf").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            return problem(f"Example {number} cannot be parsed. Error: line is not valid UTF-8 ({exc.reason} "
                           f"at byte {exc.start + 1}) (line {number})")
        except (ValueError, RecursionError) as exc:  # bad JSON, an integer of over 4,300 digits, too deep
            reason = "it is nested too deeply" if isinstance(exc, RecursionError) else \
                "a number has too many digits" if "integer string conversion" in str(exc) else str(exc)
            return problem(f"Example {number} cannot be parsed. Error: line contains invalid json: {reason} "
                           f"(line {number})")
        if not isinstance(value, dict):
            return problem(f"Example {number} is not a JSON dictionary.")
        if dataset.examples == 0:
            found = _format_of(value)
            if found is not None and found != expected and FORMAT_METHOD[found] != method:
                return problem(f"Input file {file_id} is in the {FORMAT_NAMES[found]} format, but the specified "
                               f"fine-tuning job is not using '{FORMAT_METHOD[found]}' as the training method "
                               f"(provided method={method}). ")
        detail = _example_problem(value, expected, number)
        if detail:
            return problem(detail)
        dataset.examples += 1
        _add_example(dataset, value, expected)
    if param == "training_file" and dataset.examples < MIN_EXAMPLES:
        return FileProblem("invalid_n_examples", f"Training file has {dataset.examples} example(s), but must have "
                           f"at least {MIN_EXAMPLES} examples", param)
    return dataset


def _format_of(value: dict[str, Any]) -> str | None:
    if "messages" in value:
        return "chat"
    if "input" in value and ("preferred_output" in value or "non_preferred_output" in value):
        return "preference"
    if "prompt" in value and "completion" in value:
        return "completion"
    return None


def _example_problem(value: dict[str, Any], expected: str, number: int) -> str | None:
    for key in REQUIRED_KEYS[expected]:
        if key not in value:
            return f"Example {number} is missing key '{key}'."
    if expected == "completion":
        return None
    if expected == "preference":
        for key in ("preferred_output", "non_preferred_output"):
            output = value[key]
            if not isinstance(output, list) or not output or not all(isinstance(m, dict) for m in output):
                return f"Example {number}, key '{key}': Input should be a list of assistant messages."
    holder = value if expected == "chat" else value["input"]
    messages = holder.get("messages") if isinstance(holder, dict) else None
    if not isinstance(messages, list) or not messages:
        return f"Example {number}, key 'messages': Input should be a non-empty list."
    for index, message in enumerate(messages, start=1):
        role = message.get("role") if isinstance(message, dict) else None
        if role is None:
            return f"Example {number}, message {index} Discriminator 'role' is missing in value"
        if role not in ROLES:
            allowed = ", ".join(f"'{r}'" for r in ROLES)
            return (f"Example {number}, message {index}: No match for discriminator 'role' and value "
                    f"{role!r} (allowed values: {allowed})")
    return None


def _add_example(dataset: Dataset, value: dict[str, Any], expected: str) -> None:
    if expected == "completion":
        question, answer = str(value["prompt"]), str(value["completion"])
    else:
        messages = value["messages"] if expected == "chat" else value["input"]["messages"]
        question, answer = _chat_pair(messages, value, expected)
    if answer:
        dataset.pairs.append((words(question), answer))


def _chat_pair(messages: list[dict[str, Any]], value: dict[str, Any], expected: str) -> tuple[str, str]:
    """The last user message before the answer, and the answer (the last assistant or preferred reply)."""
    if expected == "preference":
        preferred = value["preferred_output"]
        answer = content_text(preferred[0].get("content")) if preferred and isinstance(preferred[0], dict) else ""
        end = len(messages)
    else:
        end = max((i for i, m in enumerate(messages) if m.get("role") == "assistant"), default=-1)
        answer = content_text(messages[end].get("content")) if end >= 0 else ""
    users = [content_text(m.get("content")) for m in messages[:end] if m.get("role") == "user"]
    return (users[-1] if users else ""), answer
