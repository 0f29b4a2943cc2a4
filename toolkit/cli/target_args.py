"""``--provider``, ``--model``, ``--method`` and ``--config`` of the dataset commands, and the one
:class:`~toolkit.config.Target` they resolve to with ``[tool.tunesmith]``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from .. import catalog
from ..formats import METHODS

if TYPE_CHECKING:
    from ..config import Settings, Target

CONFIG_HELP = "read [tool.tunesmith] from this file (default: the nearest pyproject.toml with one)"


def add_target_args(p: argparse.ArgumentParser, *, model: bool = True, method: bool = True,
                    config: bool = True, what: str = "whose limits apply") -> None:
    """The target flags; each one left out takes its value from ``[tool.tunesmith]``, else the default."""
    p.add_argument("--provider", choices=catalog.PROVIDERS,
                   help=f"provider {what} (default: [tool.tunesmith] provider, else {catalog.DEFAULT_PROVIDER})")
    if model:
        p.add_argument("--model", help="model to train (default: [tool.tunesmith] model, else the provider's "
                                       "default in the catalog)")
    if method:
        p.add_argument("--method", choices=METHODS,
                       help="training method (default: [tool.tunesmith] method, else detected from the file)")
    if config:
        p.add_argument("--config", metavar="PYPROJECT", help=CONFIG_HELP)


def settings(args: argparse.Namespace, start: str | os.PathLike[str] | None = None) -> Settings:
    """``[tool.tunesmith]`` (from ``--config``, else the nearest pyproject.toml above ``start``) with the flags on top.

    ``start`` is a file or folder of the project (default: the current folder).
    """
    from ..config import load_settings
    from ..rules import load_all

    load_all()  # the config's rule selectors are checked against the rules
    config = getattr(args, "config", None)
    folder = None
    if start is not None:
        folder = Path(os.path.abspath(start))
        folder = folder if folder.is_dir() else folder.parent
    base = load_settings(Path(config) if config else None, start=folder)
    return base.merged(provider=getattr(args, "provider", None), model=getattr(args, "model", None),
                       method=getattr(args, "method", None))


def resolve(args: argparse.Namespace, start: str | os.PathLike[str] | None = None) -> Target:
    """The command's one target: its flags, else ``[tool.tunesmith]``, else the defaults."""
    return settings(args, start).target
