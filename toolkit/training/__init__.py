"""Training with the ``openai`` SDK: providers, uploads, jobs, following, metrics, comparisons.

>>> from toolkit.training import connection, make_client, Registry, JobSpec, start_job, watch
>>> conn = connection("openai")
>>> client = make_client(conn)
>>> started = start_job(client, conn, Registry(), JobSpec(model="gpt-4.1-mini-2025-04-14"), "train.jsonl")
>>> for update in watch(client, started.job.id): ...

No module here imports ``openai`` at import time, so ``import toolkit.training`` stays cheap.
"""

from __future__ import annotations

from .chat import Reply, ask, conversation
from .compare import Prompt, Row, compare, load_prompts
from .errors import ApiError, JobFailed, api_errors, explain, job_failure
from .follow import StepMetrics, Update, step_metrics, watch
from .graders import load_grader
from .job_request import Hyperparameters, JobSpec, create_job, parse_metadata, validate
from .local_registry import JobRow, Registry, UploadRow
from .metrics import Metrics, download_results, parse_results
from .pipeline import Started, start_job
from .providers import Connection, connection, make_client
from .upload import Uploaded, upload_dataset

__all__ = [
    "ApiError", "Connection", "Hyperparameters", "JobFailed", "JobRow", "JobSpec", "Metrics", "Prompt",
    "Registry", "Reply", "Row", "Started", "StepMetrics", "Update", "UploadRow", "Uploaded", "api_errors", "ask",
    "compare", "connection", "conversation", "create_job", "download_results", "explain", "job_failure",
    "load_grader", "load_prompts", "make_client", "parse_metadata", "parse_results", "start_job", "step_metrics",
    "upload_dataset", "validate", "watch",
]
