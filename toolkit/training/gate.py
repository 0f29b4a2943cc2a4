"""The lint gate before an upload: the same check for the CLI and the editor."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from .. import catalog
from ..diagnostics import Diagnostic, Severity
from .providers import Connection

if TYPE_CHECKING:
    from ..config import Settings
    from ..results import LintResult
    from .job_request import JobSpec


def lint_for_job(training: str | os.PathLike[str], validation: str | os.PathLike[str] | None,
                 conn: Connection, spec: JobSpec, settings: Settings | None = None) -> LintResult:
    """Lint the job's files for its provider, model, method and grader (``settings``: the project's rule
    selection, else the ``[tool.tunesmith]`` found from the training file). The training file is linted as one
    whatever its name: a job trained on ``holdout.jsonl`` needs a training file's minimum of examples."""
    import toolkit

    return toolkit.lint(training, validation=validation, settings=settings, provider=conn.provider, model=spec.model,
                        method=spec.method, grader=dict(spec.grader) if spec.grader else None, training=True)


def blocking_errors(result: LintResult, conn: Connection | Any) -> list[Diagnostic]:
    """The lint errors that stop an upload.

    Model rules (M...) describe the provider's own service (shut-down dates, supported methods); a
    compatible endpoint (another server speaking its API, ``--base-url``; the profile says whether the
    provider has them) decides for itself which models it trains.
    """
    compatible = catalog.provider(conn.provider).api.is_compatible(conn.base_url)
    return [d for d in result.diagnostics
            if d.severity is Severity.ERROR and not (compatible and d.rule.startswith("M"))]
