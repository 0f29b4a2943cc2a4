"""What a job request asks for (method, hyperparameters, suffix, seed, metadata), checked against the
API's limits, and the ``Plan`` its ``auto`` hyperparameters resolve to once the file is validated."""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from typing import Any

from ..cost import auto_epochs
from .state import ApiError
from .validate import Dataset


@dataclass(frozen=True)
class Plan:
    """The hyperparameters a job trains with, resolved once its training file is validated."""

    examples: int
    billed_tokens: int  # per epoch: every token of every example up to the model's context (toolkit.stats)
    n_epochs: int
    batch_size: int
    learning_rate_multiplier: float
    beta: float | None

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(self.examples / self.batch_size)

    @property
    def steps(self) -> int:
        return self.steps_per_epoch * self.n_epochs


def method_type(body: dict[str, Any]) -> str:
    """``method.type`` (default ``supervised``); the sandbox trains ``supervised`` and ``dpo``."""
    method = body.get("method")
    if method is None:
        return "supervised"
    kind = method.get("type") if isinstance(method, dict) else None
    if kind == "reinforcement":
        raise ApiError(400, "The sandbox does not simulate reinforcement fine-tuning; use method 'supervised' "
                       "or 'dpo'.", param="method")
    if kind not in ("supervised", "dpo"):
        raise ApiError(400, f"Invalid 'method.type': {kind!r} (expected 'supervised', 'dpo' or "
                       "'reinforcement').", param="method")
    return str(kind)


def hyperparameters(body: dict[str, Any], method: str) -> dict[str, Any]:
    """The requested hyperparameters (``auto`` where not given), checked against the API's limits."""
    section = (body.get("method") or {}).get(method)
    given = (section.get("hyperparameters") if isinstance(section, dict) else None) or body.get("hyperparameters") or {}
    if not isinstance(given, dict):
        raise ApiError(400, "Invalid 'hyperparameters': expected an object.", param="hyperparameters")
    limits = {"n_epochs": (1, 50), "batch_size": (1, 256), "learning_rate_multiplier": (0, None)}
    if method == "dpo":
        limits["beta"] = (0, 2)
    out: dict[str, Any] = {}
    for name, (low, high) in limits.items():
        value = given.get(name, "auto")
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        integral = name in ("n_epochs", "batch_size")
        ok = value == "auto" or (number and (isinstance(value, int) or not integral) and
                                 (value >= low if integral else value > low) and (high is None or value <= high))
        if not ok:
            raise ApiError(400, f"Invalid hyperparameter '{name}': {value!r}.", param=f"hyperparameters.{name}")
        out[name] = value
    return out


def metadata(body: dict[str, Any]) -> dict[str, str] | None:
    """The job's ``metadata``: at most 16 short string pairs."""
    value = body.get("metadata")
    if value is None:
        return None
    if not isinstance(value, dict) or len(value) > 16 or not all(
            isinstance(k, str) and isinstance(v, str) and len(k) <= 64 and len(v) <= 512 for k, v in value.items()):
        raise ApiError(400, "Invalid 'metadata': at most 16 string keys (64 chars) with string values "
                       "(512 chars).", param="metadata")
    return dict(value)


def plan(dataset: Dataset, requested: dict[str, Any], method: str) -> Plan:
    """Resolve ``auto`` hyperparameters the way the service describes its defaults."""
    n = dataset.examples
    epochs = requested["n_epochs"]
    if epochs == "auto":
        epochs = auto_epochs(n)
    batch = requested["batch_size"]
    if batch == "auto":
        batch = max(1, min(256, round(n * 0.002)))
    rate = requested["learning_rate_multiplier"]
    beta = None
    if method == "dpo":
        beta = 0.1 if requested["beta"] == "auto" else float(requested["beta"])
    return Plan(examples=n, billed_tokens=dataset.billed_tokens, n_epochs=epochs, batch_size=batch,
                learning_rate_multiplier=2.0 if rate == "auto" else float(rate), beta=beta)


def suffix(body: dict[str, Any]) -> str | None:
    """The model-name ``suffix``: 1 to 64 characters, or none."""
    value = body.get("suffix")
    if value is not None and (not isinstance(value, str) or not 1 <= len(value) <= 64):
        raise ApiError(400, "Invalid 'suffix': expected a string of 1 to 64 characters.", param="suffix")
    return value


def seed(body: dict[str, Any]) -> int:
    """The ``seed`` asked for, or a random one (it drives the simulated metrics)."""
    value = body.get("seed")
    if value is None:
        return secrets.randbelow(2**31)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 2_147_483_647:
        raise ApiError(400, "Invalid 'seed': expected an integer from 0 to 2147483647.", param="seed")
    return value
