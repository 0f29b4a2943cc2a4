"""Fine-tuning job requests: validate the options (FORMAT_RULES J-03..J-07), build the body, create."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import catalog
from ..errors import UsageError
from ..formats import METHODS

TERMINAL = ("succeeded", "failed", "cancelled")
STATUSES = ("validating_files", "queued", "running", "paused", *TERMINAL)  # a job's status (the API's enum, and paused)
SEED_MAX = 2_147_483_647
REASONING_EFFORTS = ("default", "low", "medium", "high")
RFT_ONLY = ("reasoning_effort", "compute_multiplier", "eval_interval", "eval_samples")
METADATA_MAX = 15  # the API takes 16 pairs; one carries the request id that makes creation safe to retry
_SUFFIX = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class Hyperparameters:
    """Training knobs; ``None`` leaves the choice to the provider (``auto``)."""

    n_epochs: int | None = None
    batch_size: int | None = None
    learning_rate_multiplier: float | None = None
    beta: float | None = None
    # reinforcement only
    reasoning_effort: str | None = None
    compute_multiplier: float | None = None
    eval_interval: int | None = None
    eval_samples: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """Only the values that were set."""
        return {k: v for k, v in vars(self).items() if v is not None}


@dataclass(frozen=True)
class JobSpec:
    """Everything a job needs besides the uploaded file ids."""

    model: str
    method: str = "supervised"
    hyperparameters: Hyperparameters = field(default_factory=Hyperparameters)
    grader: Mapping[str, Any] | None = None  # the grader, or {"grader": ..., "response_format": ...}
    suffix: str | None = None
    seed: int | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    training_type: str | None = None  # one of the provider's training_types (catalog), e.g. Azure's tiers
    wandb_project: str | None = None  # the ``integrations`` entry for Weights & Biases
    wandb_entity: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)  # provider-specific (local: full, merge), as extra_body


def parse_metadata(pairs: Iterable[str]) -> dict[str, str]:
    """``["team=nlp", "run=7"]`` -> ``{"team": "nlp", "run": "7"}``."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--metadata {pair!r}: expected KEY=VALUE")
        out[key.strip()] = value
    return out


def validate(spec: JobSpec, *, provider: str = catalog.DEFAULT_PROVIDER, has_validation: bool = False) -> None:
    """Raise :class:`UsageError` for the first option the API would reject."""
    if not spec.model.strip():
        raise UsageError("--model must name a model or a fine-tuned model id")
    if spec.method not in METHODS:
        raise UsageError(f"--method must be one of {', '.join(METHODS)}, not {spec.method!r}")
    _hyperparameters(spec)
    if spec.method == "reinforcement":
        if spec.grader is None:
            raise UsageError("reinforcement fine-tuning needs --grader FILE (a JSON grader config)")
        if not has_validation:
            raise UsageError("reinforcement fine-tuning needs --validation FILE: RFT jobs require a validation file")
    elif spec.grader is not None:
        raise UsageError("--grader only applies to --method reinforcement")
    _suffix(spec.suffix, catalog.provider(provider).suffix_max, provider)
    _training_type(spec.training_type, provider)
    if spec.wandb_entity and not spec.wandb_project:
        raise UsageError("--wandb-entity needs --wandb-project")
    if spec.seed is not None and not 0 <= spec.seed <= SEED_MAX:
        raise UsageError(f"--seed must be between 0 and {SEED_MAX}, not {spec.seed}")
    _metadata(spec.metadata)


def _hyperparameters(spec: JobSpec) -> None:
    hp = spec.hyperparameters
    if hp.n_epochs is not None and not 1 <= hp.n_epochs <= 50:
        raise UsageError(f"--epochs must be between 1 and 50, not {hp.n_epochs}")
    if hp.batch_size is not None and not 1 <= hp.batch_size <= 256:
        raise UsageError(f"--batch-size must be between 1 and 256, not {hp.batch_size}")
    if hp.learning_rate_multiplier is not None and not hp.learning_rate_multiplier > 0:
        raise UsageError(f"--lr-multiplier must be greater than 0, not {hp.learning_rate_multiplier}")
    set_rft = [f"--{name.replace('_', '-')}" for name in RFT_ONLY if getattr(hp, name) is not None]
    if set_rft and spec.method != "reinforcement":
        raise UsageError(f"{', '.join(set_rft)} only apply to --method reinforcement")
    if hp.reasoning_effort is not None and hp.reasoning_effort not in REASONING_EFFORTS:
        raise UsageError(f"--reasoning-effort must be one of {', '.join(REASONING_EFFORTS)}")
    if hp.compute_multiplier is not None and not 0.00001 < hp.compute_multiplier <= 10:
        raise UsageError(f"--compute-multiplier must be greater than 0.00001 and at most 10, not "
                         f"{hp.compute_multiplier}")
    for name in ("eval_interval", "eval_samples"):
        value = getattr(hp, name)
        if value is not None and value < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be at least 1, not {value}")
    if hp.beta is not None:
        if spec.method != "dpo":
            raise UsageError("--beta only applies to --method dpo")
        if not 0 < hp.beta <= 2:
            raise UsageError(f"--beta must be greater than 0 and at most 2, not {hp.beta}")


def _suffix(suffix: str | None, limit: int, provider: str) -> None:
    if suffix is None:
        return
    if not 1 <= len(suffix) <= limit:
        raise UsageError(f"--suffix must be 1 to {limit} characters on {provider} (got {len(suffix)})")
    if not _SUFFIX.match(suffix):
        raise UsageError(f"--suffix {suffix!r}: use only letters, digits, '-' and '_'")


def _training_type(training_type: str | None, provider: str) -> None:
    if training_type is None:
        return
    allowed = catalog.provider(provider).training_types
    if not allowed:
        raise UsageError(f"--training-type is for providers that offer several training tiers (Azure / Foundry); "
                         f"{provider} has none")
    if training_type not in allowed:
        raise UsageError(f"--training-type must be one of {', '.join(allowed)}, not {training_type!r}")


def _metadata(metadata: Mapping[str, str]) -> None:
    if len(metadata) > METADATA_MAX:
        raise UsageError(f"--metadata: at most {METADATA_MAX} pairs, not {len(metadata)} (the API takes 16; "
                         f"tunesmith uses one to make job creation safe to retry)")
    from .submit import REQUEST_KEY

    if REQUEST_KEY in metadata:
        raise UsageError(f"--metadata {REQUEST_KEY}: this key is tunesmith's own (it makes creation safe to retry)")
    for key, value in metadata.items():
        if len(key) > 64:
            raise UsageError(f"--metadata key {key[:20]!r}...: keys are at most 64 characters")
        if len(value) > 512:
            raise UsageError(f"--metadata {key}: values are at most 512 characters (got {len(value)})")


def method_body(spec: JobSpec) -> dict[str, Any]:
    """The ``method`` object of the create request (hyperparameters under it, not the deprecated top level)."""
    inner: dict[str, Any] = {}
    if spec.hyperparameters.as_dict():
        inner["hyperparameters"] = spec.hyperparameters.as_dict()
    if spec.method == "reinforcement":
        from .graders import reinforcement_settings

        inner.update(reinforcement_settings(dict(spec.grader or {})))
    return {"type": spec.method, spec.method: inner}


def request_body(spec: JobSpec, training_file: str, validation_file: str | None = None) -> dict[str, Any]:
    """The create request's fields, as ``client.fine_tuning.jobs.create`` takes them.

    Provider-only fields (Azure's ``trainingType``) go under ``extra_body``.
    """
    body: dict[str, Any] = {"model": spec.model, "training_file": training_file, "method": method_body(spec)}
    if validation_file:
        body["validation_file"] = validation_file
    if spec.suffix is not None:
        body["suffix"] = spec.suffix
    if spec.seed is not None:
        body["seed"] = spec.seed
    if spec.metadata:
        body["metadata"] = dict(spec.metadata)
    if spec.wandb_project:
        wandb = {"project": spec.wandb_project} | ({"entity": spec.wandb_entity} if spec.wandb_entity else {})
        body["integrations"] = [{"type": "wandb", "wandb": wandb}]
    extra = dict(spec.options) | ({"trainingType": spec.training_type} if spec.training_type else {})
    if extra:
        body["extra_body"] = extra
    return body


def create_job(client: Any, spec: JobSpec, training_file: str, validation_file: str | None = None, *,
               notice: Any = None) -> Any:
    """Create the job (safely retried, see :mod:`.submit`) and return the :class:`~.submit.Submitted` result."""
    from .submit import submit

    body = request_body(spec, training_file, validation_file)
    return submit(client, body, notice=notice or (lambda message: None))
