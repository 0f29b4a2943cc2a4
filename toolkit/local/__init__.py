"""Local training: fine-tune a Hugging Face model on this machine (TRL, PEFT, transformers, PyTorch).

The backend speaks the same shape as the ``openai`` SDK's fine-tuning, files and chat resources
(:class:`~toolkit.local.client.LocalClient`), so ``tunesmith train/jobs/chat/compare`` and the
Train and Playground pages use it through the provider seam (``--provider local``) with no special cases.
Needs the ``local`` extra (``pip install "tunesmith[local]"``); nothing here imports torch at import time.
"""

from importlib.util import find_spec

from ..errors import UsageError

NEEDS = ("torch", "transformers", "trl", "peft", "accelerate", "datasets")


def require() -> None:
    """Raise a clear :class:`UsageError` when the ``local`` extra is not installed (nothing is imported)."""
    missing = [name for name in NEEDS if find_spec(name) is None]
    if missing:
        raise UsageError(f"local training needs {', '.join(missing)}: pip install \"tunesmith[local]\" "
                         "(install torch first for a CPU-only or a specific CUDA build, see the README)")
