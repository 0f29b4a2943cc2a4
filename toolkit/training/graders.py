"""Load an RFT grader config (JSON) for ``--grader`` and refuse one the API would reject.

The shape checks are the linter's own (rule R080, :mod:`toolkit.rules.grader`), so ``tunesmith
lint --grader`` and ``tunesmith train --grader`` agree. The file holds the grader object, or the
reinforcement settings around it (``{"grader": {...}, "response_format": {...}}``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .. import catalog
from ..errors import InputError


def load_grader(path: str | os.PathLike[str], *, provider: str = catalog.DEFAULT_PROVIDER) -> dict[str, Any]:
    """Read and check a grader config; raise :class:`InputError` listing every problem."""
    from ..rules.grader import grader_parts, grader_problems

    p = Path(path)
    try:
        config = json.loads(p.read_text("utf-8-sig"))
    except FileNotFoundError:
        raise InputError(f"{p}: grader file not found") from None
    except UnicodeDecodeError:
        raise InputError(f"{p}: grader file is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{p}:{exc.lineno}:{exc.colno}: grader config is not valid JSON: {exc.msg}") from None
    if not isinstance(config, dict):
        raise InputError(f"{p}: a grader config must be a JSON object")
    grader, _ = grader_parts(config)
    problems = list(grader_problems(grader, catalog.provider(provider).grader_models))
    if problems:
        raise InputError(f"{p}: the grader config is not one the API accepts:\n  " + "\n  ".join(problems))
    return config


def reinforcement_settings(config: dict[str, Any]) -> dict[str, Any]:
    """The ``method.reinforcement`` members a grader config supplies: ``grader`` and maybe ``response_format``."""
    from ..rules.grader import grader_parts

    grader, response_format = grader_parts(config)
    return {"grader": grader, **({"response_format": response_format} if response_format else {})}
