"""The lint gate before an upload: the same check for the CLI and the editor."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..diagnostics import Diagnostic, Severity
from .providers import OPENAI_URL, Connection

if TYPE_CHECKING:
    from ..lint import LintResult
    from .job_request import JobSpec


def lint_for_job(training: str | os.PathLike[str], validation: str | os.PathLike[str] | None,
                 conn: Connection, spec: JobSpec) -> LintResult:
    """Lint the job's files for its provider, model, method and grader."""
    import toolkit

    return toolkit.lint(training, validation=validation, provider=conn.provider, model=spec.model,
                        method=spec.method, grader=dict(spec.grader) if spec.grader else None)


def blocking_errors(result: LintResult, conn: Connection | Any) -> list[Diagnostic]:
    """The lint errors that stop an upload.

    Model rules (M...) describe OpenAI's own service (shut-down dates, supported methods); another
    endpoint speaking the same API (``--base-url``) decides for itself which models it trains.
    """
    compatible = conn.provider == "openai" and conn.base_url.rstrip("/") != OPENAI_URL
    return [d for d in result.diagnostics
            if d.severity is Severity.ERROR and not (compatible and d.rule.startswith("M"))]
