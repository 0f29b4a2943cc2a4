"""How the hosted providers' hyperparameters map onto a local run (one fact, one place).

* ``--epochs N``: ``num_train_epochs`` (default 3).
* ``--batch-size N``: the global batch: ``per_device_train_batch_size = N // processes`` (at least 1)
  on each of the ``accelerate launch`` processes (default: ``min(8, examples)``).
* ``--lr-multiplier X``: ``learning_rate = X * 2e-4`` with LoRA, ``X * 2e-5`` with ``--full``
  (the usual starting points of each; default X = 1).
* ``--seed N``: ``seed`` and ``data_seed`` of the run (default 42): same data, seed and machine, same model.
* ``--beta X`` (DPO): ``DPOConfig.beta`` (default 0.1).
* ``--suffix S``: part of the model id, ``ft-local-<base>-<S>-<hex>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

BASE_LR = {"lora": 2e-4, "full": 2e-5}
DEFAULT_EPOCHS = 3
DEFAULT_BATCH = 8
DEFAULT_SEED = 42
DEFAULT_BETA = 0.1
LORA_R = 16


@dataclass(frozen=True)
class Settings:
    epochs: int
    batch_size: int
    per_device_batch: int
    accumulation: int
    learning_rate: float
    seed: int
    beta: float
    logging_steps: int
    eval_steps: int
    use_cpu: bool
    lora_r: int
    max_length: int | None


def settings(spec: dict[str, Any], *, examples: int, processes: int | None = None, cuda: bool | None = None) -> Settings:
    """The run's settings from the job's hyperparameters (``None`` = the defaults above)."""
    hp = spec.get("hyperparameters") or {}
    if processes is None:
        from accelerate import PartialState

        processes = PartialState().num_processes
    if cuda is None:
        import torch

        cuda = torch.cuda.is_available()
    epochs = int(hp.get("n_epochs") or DEFAULT_EPOCHS)
    batch = int(hp.get("batch_size") or max(1, min(DEFAULT_BATCH, examples)))
    per_device = max(1, batch // max(1, processes))
    lr = BASE_LR["full" if spec.get("full") else "lora"] * float(hp.get("learning_rate_multiplier") or 1.0)
    steps = max(1, -(-examples // (per_device * max(1, processes)))) * epochs
    logging = 1 if steps <= 200 else steps // 200
    return Settings(epochs=epochs, batch_size=batch, per_device_batch=per_device, accumulation=1, learning_rate=lr,
                    seed=int(spec["seed"]) if spec.get("seed") is not None else DEFAULT_SEED,
                    beta=float(hp.get("beta") or DEFAULT_BETA), logging_steps=logging,
                    eval_steps=max(1, steps // 10), use_cpu=not cuda, lora_r=LORA_R,
                    max_length=spec.get("max_length"))
