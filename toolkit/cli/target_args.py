"""``--provider``, ``--model``, ``--method`` and ``--config`` of the dataset commands, and the one
:class:`~toolkit.config.Target` they resolve to with ``[tool.tunesmith]``."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .. import catalog
from ..formats import METHODS

if TYPE_CHECKING:
    from ..config import Settings, Target

CONFIG_HELP = "read [tool.tunesmith] from this file (default: the nearest pyproject.toml with one)"


def providers_where(test: Callable[[catalog.Provider], bool]) -> str:
    """The catalog's providers that pass ``test``, for help texts and messages (``azure``; ``none``)."""
    return ", ".join(n for n in catalog.PROVIDERS if test(catalog.provider(n))) or "none"


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
    base = load_settings(Path(config) if config else None, start=folder_of(start))
    return base.merged(provider=getattr(args, "provider", None), model=getattr(args, "model", None),
                       method=getattr(args, "method", None))


def folder_of(start: str | os.PathLike[str] | None) -> Path | None:
    """The folder whose configuration applies to ``start`` (a file: its folder; None: the current one)."""
    if start is None or os.fspath(start) == "-":
        return None
    folder = Path(os.path.abspath(start))
    return folder if folder.is_dir() else folder.parent


def config_of(args: argparse.Namespace, path: str | os.PathLike[str]) -> Path | None:
    """The pyproject.toml whose ``[tool.tunesmith]`` applies to ``path``: ``--config``, else the nearest one above
    it (each file of a run its own, as ruff does), else None."""
    from ..config import find_pyproject

    config = getattr(args, "config", None)
    return Path(config) if config else find_pyproject(folder_of(path) or Path.cwd())


def resolve(args: argparse.Namespace, start: str | os.PathLike[str] | None = None) -> Target:
    """The command's one target: its flags, else ``[tool.tunesmith]``, else the defaults."""
    return settings(args, start).target
