"""Training epochs and cost: the provider's ``auto`` epochs heuristic and the catalog's price.

The heuristic is the Cookbook's (FORMAT_RULES §6), which matches what ``n_epochs: "auto"``
resolved to on real jobs: 3 epochs, more for small files (so that about 100 examples are
seen), fewer for big ones (about 25,000 examples seen), between 1 and 25.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .catalog import Model, provider
from .plural import plural

TARGET_EPOCHS = 3
MIN_TARGET_EXAMPLES = 100
MAX_TARGET_EXAMPLES = 25_000
MIN_DEFAULT_EPOCHS = 1
MAX_DEFAULT_EPOCHS = 25


def auto_epochs(examples: int) -> int:
    """The number of epochs ``n_epochs: "auto"`` chooses for a training file of ``examples`` examples."""
    if examples <= 0:
        return TARGET_EPOCHS
    if examples * TARGET_EPOCHS < MIN_TARGET_EXAMPLES:
        return min(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // examples)
    if examples * TARGET_EPOCHS > MAX_TARGET_EXAMPLES:
        return max(MIN_DEFAULT_EPOCHS, MAX_TARGET_EXAMPLES // examples)
    return TARGET_EPOCHS


@dataclass(frozen=True)
class Estimate:
    """What a training run costs: ``charged_tokens`` = billed tokens per epoch x epochs (the job's
    ``trained_tokens``; the key keeps its name in ``tunesmith stats --format json``).

    ``usd`` is None when the catalog has no per-token price; ``note`` then says why.
    """

    model: str
    tokens_per_epoch: int
    epochs: int
    charged_tokens: int
    usd: float | None
    price: float | None
    price_unit: str | None
    price_date: str | None
    price_source: str | None
    note: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def billed(self, auto: bool) -> str:
        """The tokens the job is billed for, in the words `stats`, `train` and the editor all use (``auto``: the
        epochs are what ``n_epochs: "auto"`` chooses)."""
        return (f"{plural(self.tokens_per_epoch, 'billed token')} x {plural(self.epochs, 'epoch')}"
                f"{' (auto)' if auto else ''} = {plural(self.charged_tokens, 'billed token')} (the job's trained_tokens)")


def estimate(model: Model, tokens_per_epoch: int, epochs: int) -> Estimate:
    """The training cost of ``epochs`` passes over ``tokens_per_epoch`` billed tokens on ``model``."""
    charged = tokens_per_epoch * epochs
    usd: float | None = None
    if model.price is None:  # the provider's word on why, else the plain fact
        note = provider(model.provider).price_note or f"no price in the catalog for {model.name}"
    elif model.price_unit == "hour":
        note = (f"{model.name} is billed per training hour (${model.price:,.2f}/hour), "
                "which cannot be estimated from tokens")
    elif model.price_unit == "1M tokens":
        usd = charged * model.price / 1_000_000
        note = f"${model.price:,.2f} per 1M training tokens"
    else:
        note = f"the catalog prices {model.name} per {model.price_unit!r}, which Tunesmith cannot convert"
    return Estimate(model=model.name, tokens_per_epoch=tokens_per_epoch, epochs=epochs, charged_tokens=charged,
                    usd=usd, price=model.price, price_unit=model.price_unit, price_date=model.price_date,
                    price_source=model.price_source, note=note)
