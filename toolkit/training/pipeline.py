"""From local files to a created job: upload (or reuse) the data, create the job, record it."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .. import catalog
from ..errors import InputError
from .job_request import JobSpec, create_job, validate
from .local_registry import JobRow, Registry
from .providers import Connection
from .upload import OnProgress, Uploaded, upload_dataset, wait_until_processed


@dataclass(frozen=True)
class Started:
    """A created job and the uploads it uses."""

    job: Any
    training: Uploaded
    validation: Uploaded | None
    record: JobRow
    request_id: str = ""
    recovered: bool = False  # the answer to the create request was lost; the job was found by its request id
    others: tuple[Any, ...] = ()  # further jobs the same request created (not asked for, but running)


def start_job(client: Any, conn: Connection, registry: Registry, spec: JobSpec,
              training: str | os.PathLike[str], validation: str | os.PathLike[str] | None = None, *,
              on_progress: OnProgress | None = None, on_upload: Any = None,
              notice: Callable[[str], object] | None = None, linted: Mapping[str, str] | None = None) -> Started:
    """Validate ``spec``, upload both files, create the job and record everything in ``registry``.

    ``on_progress(sent, total)`` follows each upload; ``on_upload(Uploaded)`` is called after each file;
    ``notice(message)`` hears about retries (uploads resumed, creation retried or recovered);
    ``linted`` maps a path (as given) to the sha256 of the content that was linted: other content is refused.
    """
    validate(spec, provider=conn.provider, has_validation=validation is not None)

    def send(path: str | os.PathLike[str]) -> Uploaded:
        done = upload_dataset(client, path, conn, registry, on_progress=on_progress, notice=notice,
                              expect_sha256=(linted or {}).get(os.fspath(path)))
        if on_upload:
            on_upload(done)
        return done

    train_up = send(training)
    val_up = send(validation) if validation is not None else None
    if catalog.provider(conn.provider).api.wait_for_files:  # e.g. Azure rejects jobs on files still importing
        for up in (train_up, val_up):
            if up is not None:
                wait_until_processed(client, up.file_id)
    submitted = create_job(client, spec, train_up.file_id, val_up.file_id if val_up else None, notice=notice)
    job = submitted.job
    rows = [_row(conn, spec, j, train_up, val_up) for j in (*submitted.others, job)]
    try:  # the others too, so that `jobs list --local` shows everything billed
        for row in rows:
            registry.record_job(row)
    except InputError as exc:  # the job exists: losing its id now would be worse than an unrecorded job
        (notice or (lambda message: None))(f"job {job.id} was created but not recorded locally: {exc}")
    row = rows[-1]
    return Started(job, train_up, val_up, row, submitted.request_id, submitted.recovered, tuple(submitted.others))


def _row(conn: Connection, spec: JobSpec, job: Any, train_up: Uploaded, val_up: Uploaded | None) -> JobRow:
    return JobRow(
        account=conn.account, provider=conn.provider, host=conn.host, job_id=str(job.id),
        model=str(getattr(job, "model", None) or spec.model),
        method=spec.method, hyperparameters=spec.hyperparameters.as_dict(), suffix=spec.suffix, seed=spec.seed,
        metadata=dict(getattr(job, "metadata", None) or spec.metadata), training_file=train_up.file_id,
        training_path=train_up.source.path,
        training_sha256=train_up.source.sha256, validation_file=val_up.file_id if val_up else None,
        validation_path=val_up.source.path if val_up else None,
        validation_sha256=val_up.source.sha256 if val_up else None, git_commit=train_up.source.git_commit,
        git_dirty=train_up.source.git_dirty, status=getattr(job, "status", None),
        fine_tuned_model=getattr(job, "fine_tuned_model", None))
