"""Fine-tuning jobs: the checks at creation, then a lifecycle driven by the clock.

A job moves ``validating_files`` → ``queued`` → ``running`` → ``succeeded`` (or
``failed`` when a file does not pass ``validate.check_file``, or ``cancelled``).
Each request first catches the job up with the time that passed (``speed``
sandbox seconds per real second; paused jobs stand still), emitting the events,
checkpoints and result file on the way. Only the file checks run in the
background, outside the store's lock, so a big file holds up no other request.
"""

from __future__ import annotations

import math
import random
import secrets
import string
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

from .. import catalog
from . import options
from .options import Plan
from .state import ApiError, Store, StoredFile, int_param, new_id, page
from .validate import Dataset, FileProblem, check_file

VALIDATE_SECONDS = 1.0
QUEUE_SECONDS = 1.0
STEP_SECONDS = 0.1
KEPT_CHECKPOINTS = 3
PENDING_SECONDS = 0.5  # Azure mode: "pending" before "validating_files"
ACTIVE = ("pending", "validating_files", "queued", "running")
# Azure mode: trainingType values, and the classic api-versions before pause/resume (an assumption: the
# sandbox answers pause/resume with 404 on api-versions dated before this one)
TRAINING_TYPES = ("standard", "globalstandard", "developer")
AZURE_PAUSE_SINCE = "2024-12-01"
AZURE_NO_TRAINING_TYPE = "The specified base model does not support fine-tuning."
TERMINAL = ("succeeded", "failed", "cancelled")
NOT_AVAILABLE_MARK = "training-not-available"
WIND_DOWN = ("OpenAI is winding down the fine-tuning platform and your organization is no longer able to "
             "create new fine-tuning training jobs.")
CSV_HEADER = "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy"


@dataclass
class Job:
    """One fine-tuning job and everything it has produced so far."""

    id: str
    model: str
    training_file: str
    validation_file: str | None
    suffix: str | None
    seed: int
    method: str
    expected_format: str
    requested: dict[str, Any]
    metadata: dict[str, str] | None
    integrations: list[Any]
    created_at: int
    last_tick: float
    status: str = "validating_files"
    progress: float = 0.0
    error: dict[str, str] | None = None
    plan: Plan | None = None
    pairs: list[tuple[frozenset[str], str]] = field(default_factory=list)
    steps_done: int = 0
    rows: list[dict[str, float]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    checkpoints: list[dict[str, Any]] = field(default_factory=list)
    fine_tuned_model: str | None = None
    finished_at: int | None = None
    trained_tokens: int | None = None
    result_files: list[str] = field(default_factory=list)
    checked: list[Dataset | FileProblem] | None = None  # the file checks' results, once they are done
    checked_at: float = 0.0  # when they were done (monotonic)


class Trainer:
    """Creates jobs and answers every question about them (thread-safe through ``store.lock``)."""

    def __init__(self, store: Store, *, speed: float = 1.0, organization: str = "sandbox",
                 azure: bool = False) -> None:
        if not 0 < speed < math.inf:  # nan or inf would stop the clock or overflow it
            raise ValueError("speed must be a positive, finite number")
        self.store, self.speed, self.organization, self.azure = store, speed, organization, azure
        self.plays = "azure" if azure else "openai"  # the catalog provider whose API the sandbox plays
        self.training_available = True
        self.jobs: dict[str, Job] = {}
        self.models: dict[str, list[tuple[frozenset[str], str]]] = {}
        self._checking = threading.BoundedSemaphore(2)  # file checks at a time: big files must not starve the CPU

    # requests
    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        model = body.get("model")
        if not self.training_available or (isinstance(model, str) and NOT_AVAILABLE_MARK in model):
            raise ApiError(403, WIND_DOWN, code="training_not_available")
        for name in ("model", "training_file"):
            if not isinstance(body.get(name), str) or not body[name]:
                raise ApiError(400, f"Missing required parameter: '{name}'.", param=name)
        method = options.method_type(body)
        if self.azure:
            self._training_type(body)
        snapshot, expected = self._trainable(body["model"], method)
        files = [(name, body[name], self._fine_tune_file(body[name], name).data)
                 for name in ("training_file", "validation_file") if body.get(name) is not None]
        integrations = body.get("integrations") or []
        if not isinstance(integrations, list):
            raise ApiError(400, "Invalid 'integrations': expected an array.", param="integrations")
        requested = options.hyperparameters(body, method)
        with self.store.lock:
            job = Job(id=new_id("ftjob-"), model=snapshot, training_file=body["training_file"],
                      validation_file=body.get("validation_file"), suffix=options.suffix(body),
                      seed=options.seed(body), method=method, expected_format=expected, requested=requested,
                      metadata=options.metadata(body), integrations=list(integrations),
                      created_at=int(time.time()), last_tick=time.monotonic(),
                      status="pending" if self.azure else "validating_files")
            self.jobs[job.id] = job
            self._emit(job, 0.0, f"Created fine-tuning job: {job.id}")
            self._emit(job, 0.0, f"Validating training file: {job.training_file}"
                       + (f" and validation file: {job.validation_file}" if job.validation_file else ""))
        threading.Thread(target=self._check_files, args=(job, files), name=f"sandbox-check-{job.id}",
                         daemon=True).start()
        with self.store.lock:
            return self._to_api(job)

    def retrieve(self, job_id: str) -> dict[str, Any]:
        with self.store.lock:
            return self._to_api(self._job(job_id))

    def list_jobs(self, query: dict[str, str]) -> dict[str, Any]:
        wanted = {k[len("metadata["):-1]: v for k, v in query.items() if k.startswith("metadata[") and k.endswith("]")}
        with self.store.lock:
            jobs = [self._tick(j) for j in reversed(self.jobs.values())]
            if query.get("metadata") == "null":
                jobs = [j for j in jobs if not j.metadata]
            jobs = [j for j in jobs if all((j.metadata or {}).get(k) == v for k, v in wanted.items())]
            chosen, more = page(jobs, limit=int_param(query, "limit", 20), after=query.get("after"),
                                key=lambda j: j.id)
            return {"object": "list", "data": [self._to_api(j) for j in chosen], "has_more": more}

    def cancel(self, job_id: str) -> dict[str, Any]:
        with self.store.lock:
            job = self._job(job_id)
            if job.status in TERMINAL:
                raise ApiError(400, f"Job {job_id} is already {job.status}; only an unfinished job can be "
                               "cancelled.", param="fine_tuning_job_id")
            job.status, job.finished_at = "cancelled", int(time.time())
            self._emit(job, job.progress, "Fine-tuning job cancelled")
            return self._to_api(job)

    def pause(self, job_id: str, api_version: str | None = None) -> dict[str, Any]:
        self._has_pause(api_version)
        return self._switch(job_id, "running", "paused", "Fine-tuning job paused")

    def resume(self, job_id: str, api_version: str | None = None) -> dict[str, Any]:
        self._has_pause(api_version)
        return self._switch(job_id, "paused", "running", "Fine-tuning job resumed")

    def _has_pause(self, api_version: str | None) -> None:
        if self.azure and api_version is not None and api_version[:10] < AZURE_PAUSE_SINCE:
            raise ApiError(404, "Resource not found", code="404")

    def _training_type(self, body: dict[str, Any]) -> None:
        """Azure / Foundry: a job without ``trainingType`` fails with a misleading model message."""
        kind = body.get("trainingType")
        if kind is None:
            raise ApiError(400, AZURE_NO_TRAINING_TYPE, param="model", code="invalidPayload")
        if kind not in TRAINING_TYPES:
            raise ApiError(400, f"Invalid trainingType {kind!r}: expected one of {', '.join(TRAINING_TYPES)}.",
                           param="trainingType", code="invalidPayload")

    def events(self, job_id: str, query: dict[str, str]) -> dict[str, Any]:
        with self.store.lock:
            events = list(reversed(self._job(job_id).events))
        chosen, more = page(events, limit=int_param(query, "limit", 20), after=query.get("after"),
                            key=lambda e: e["id"])
        return {"object": "list", "data": chosen, "has_more": more}

    def checkpoints(self, job_id: str, query: dict[str, str]) -> dict[str, Any]:
        with self.store.lock:
            checkpoints = list(reversed(self._job(job_id).checkpoints))
        chosen, more = page(checkpoints, limit=int_param(query, "limit", 10), after=query.get("after"),
                            key=lambda c: c["id"])
        return {"object": "list", "data": chosen, "has_more": more,
                "first_id": chosen[0]["id"] if chosen else None, "last_id": chosen[-1]["id"] if chosen else None}

    def delete_model(self, model: str) -> dict[str, Any]:
        """Delete a fine-tuned model (and its checkpoints) made here; 404 for any other model."""
        with self.store.lock:
            if model not in self.models:
                raise ApiError(404, f"The model '{model}' does not exist", param="model", code="model_not_found")
            for name in [m for m in self.models if m == model or m.startswith(model + ":ckpt-")]:
                del self.models[name]
        return {"id": model, "object": "model", "deleted": True}

    def model_pairs(self, model: str) -> list[tuple[frozenset[str], str]] | None:
        """The question/answer pairs a model made here was trained on, or None for other models."""
        with self.store.lock:
            return self.models.get(model)

    # checks at creation
    def _trainable(self, model: str, method: str) -> tuple[str, str]:
        """The snapshot to train and the row format it trains on; 400 ``model_not_available`` otherwise."""
        provider = self.plays
        base: str | None = model
        if catalog.base_of(provider, model) is not None:
            with self.store.lock:
                base = catalog.base_of(provider, model) if model in self.models else None
        found = catalog.resolve(provider, base) if base else None
        methods = set(found.methods) if found is not None and found.known else set()
        legacy = "completion" in methods
        if legacy:
            methods.add("supervised")
        if method not in methods:
            raise ApiError(400, f"Model {model} is not available for fine-tuning or does not exist"
                           + (f" (method {method!r} is not supported for it)." if methods else "."),
                           param="model", code="model_not_available")
        fine_tuned = catalog.base_of(provider, model) is not None
        snapshot = model if fine_tuned else catalog.provider(provider).aliases.get(model, model)
        return snapshot, ("completion" if legacy else "preference" if method == "dpo" else "chat")

    def _fine_tune_file(self, file_id: Any, param: str) -> StoredFile:
        if not isinstance(file_id, str):
            raise ApiError(400, f"Invalid '{param}': expected a file id.", param=param)
        stored = self.store.file(file_id, param=param)
        if stored.purpose != "fine-tune":
            raise ApiError(400, f"File {file_id} has purpose {stored.purpose!r}; fine-tuning needs a file "
                           "uploaded with purpose 'fine-tune'.", param=param)
        return stored

    def _check_files(self, job: Job, files: list[tuple[str, str, bytes]]) -> None:
        """Check a job's files (in a thread of its own, outside the lock) and leave the results on the job."""
        results: list[Dataset | FileProblem] = []
        with self._checking:
            for param, file_id, data in files:
                try:
                    result = check_file(data, file_id=file_id, param=param, method=job.method,
                                        expected=job.expected_format)
                    if param == "training_file" and isinstance(result, Dataset):
                        result.billed_tokens = self._billed_tokens(job, file_id, data)
                except Exception as exc:  # a bug in the checks fails this job, never the sandbox's job list
                    traceback.print_exc(file=sys.stderr)
                    result = FileProblem("invalid_file", f"The sandbox could not check the "
                                         f"{param.replace('_', ' ')} {file_id}: {type(exc).__name__}.", param)
                results.append(result)
                if isinstance(result, FileProblem):
                    break
        with self.store.lock:
            job.checked, job.checked_at = results, time.monotonic()

    def _billed_tokens(self, job: Job, file_id: str, data: bytes) -> int:
        """Tokens billed per epoch for the training file: the count ``tunesmith train`` estimates with.

        The API reports them times the epochs as the job's ``trained_tokens`` ("the total number of
        billable tokens processed by this fine-tuning job"): every token of every example (system
        and user turns, assistant turns with weight 0, a preference pair's rejected answer), each
        example up to the model's context. In this thread: the server's other requests go on.
        """
        from .. import stats

        return stats.compute(data, provider=self.plays, model=job.model, workers=1, name=file_id).billed_tokens

    # lifecycle
    def _job(self, job_id: str) -> Job:
        job = self.jobs.get(job_id)
        if job is None:
            raise ApiError(404, f"Fine-tuning job {job_id} not found.", param="fine_tuning_job_id")
        return self._tick(job)

    def _switch(self, job_id: str, before: str, after: str, message: str) -> dict[str, Any]:
        with self.store.lock:
            job = self._job(job_id)
            if job.status != before:
                raise ApiError(400, f"Job {job_id} is {job.status}; only a {before} job can be "
                               f"{'paused' if after == 'paused' else 'resumed'}.", param="fine_tuning_job_id")
            job.status = after
            self._emit(job, job.progress, message)
            return self._to_api(job)

    def _tick(self, job: Job) -> Job:
        """Catch ``job`` up with the clock."""
        now = time.monotonic()
        if job.status in ACTIVE:
            job.progress += (now - job.last_tick) * self.speed
        job.last_tick = now
        if job.status == "pending" and job.progress >= PENDING_SECONDS:
            job.status = "validating_files"
        if job.status == "validating_files" and job.progress >= VALIDATE_SECONDS:
            self._validate(job)
        if job.status == "queued" and job.progress >= VALIDATE_SECONDS + QUEUE_SECONDS:
            job.status = "running"
            self._emit(job, VALIDATE_SECONDS + QUEUE_SECONDS, "Fine-tuning job started")
        plan = job.plan
        if job.status == "running" and plan is not None:
            start = VALIDATE_SECONDS + QUEUE_SECONDS
            reached = min(plan.steps, int((job.progress - start) / STEP_SECONDS + 1e-9))
            for step in range(job.steps_done + 1, reached + 1):
                self._step(job, plan, step, start + step * STEP_SECONDS)
            if job.steps_done == plan.steps:
                self._succeed(job, plan, start + plan.steps * STEP_SECONDS)
        return job

    def _validate(self, job: Job) -> None:
        if job.checked is None:  # the checks of a big file are still running: the job keeps validating
            return
        late = job.progress - (time.monotonic() - job.checked_at) * self.speed - VALIDATE_SECONDS
        if late > 0:  # the checks took longer than the clock allows: the rest of the job starts from their end
            job.progress -= late
        for param, file_id in (("training_file", job.training_file), ("validation_file", job.validation_file)):
            if file_id is not None and file_id not in self.store.files:
                job.checked = [FileProblem("invalid_file", f"The {param.replace('_', ' ')} {file_id} was deleted "
                                           "before it was validated.", param)]
                break
        checked: list[Dataset] = []
        for result in job.checked:
            if isinstance(result, FileProblem):
                job.status, job.error, job.finished_at = "failed", result.to_api(), int(time.time())
                self._emit(job, VALIDATE_SECONDS, result.message, level="error")
                return
            checked.append(result)
        job.plan = options.plan(checked[0], job.requested, job.method)
        job.pairs = checked[0].pairs
        job.status = "queued"
        self._emit(job, VALIDATE_SECONDS, "Files validated, moving job to queued state")

    def _step(self, job: Job, plan: Plan, step: int, at: float) -> None:
        total = plan.steps
        rng = random.Random(job.seed * 100_003 + step)
        loss = max(0.01, 0.15 + 2.0 * math.exp(-4.0 * step / total) + rng.uniform(-0.08, 0.08))
        accuracy = min(0.99, max(0.01, 1.0 - loss / 2.6 + rng.uniform(-0.03, 0.03)))
        data: dict[str, float] = {"step": step, "train_loss": round(loss, 5),
                                  "train_mean_token_accuracy": round(accuracy, 5)}
        text = f"Step {step}/{total}: training loss={loss:.2f}"
        if job.validation_file:
            data["valid_loss"] = round(loss + 0.1 + rng.uniform(0.0, 0.1), 5)
            data["valid_mean_token_accuracy"] = round(max(0.01, accuracy - 0.05), 5)
            text += f", validation loss={data['valid_loss']:.2f}"
        job.rows.append(data)
        job.steps_done = step
        self._emit(job, at, text, type="metrics", data={**data, "total_steps": total})
        epoch, rest = divmod(step, plan.steps_per_epoch)
        if rest == 0 and epoch > plan.n_epochs - KEPT_CHECKPOINTS:
            self._checkpoint(job, step, data, at)

    def _checkpoint(self, job: Job, step: int, metrics: dict[str, float], at: float) -> None:
        job.fine_tuned_model = job.fine_tuned_model or _model_name(job, self.organization, self.plays)
        name = f"{job.fine_tuned_model}:ckpt-step-{step}"
        job.checkpoints.append({"object": "fine_tuning.job.checkpoint", "id": new_id("ftckpt_"),
                                "created_at": self._wall(job, at), "fine_tuned_model_checkpoint": name,
                                "fine_tuning_job_id": job.id, "metrics": dict(metrics), "step_number": step})
        self.models[name] = job.pairs
        self._emit(job, at, f"Checkpoint created at step {step} with Snapshot ID: {name}")

    def _succeed(self, job: Job, plan: Plan, at: float) -> None:
        job.fine_tuned_model = job.fine_tuned_model or _model_name(job, self.organization, self.plays)
        lines = [CSV_HEADER] + [",".join(_cell(r.get(k)) for k in ("step", "train_loss", "train_mean_token_accuracy",
                                                                     "valid_loss", "valid_mean_token_accuracy"))
                                for r in job.rows]
        result = self.store.add_file("step_metrics.csv", "fine-tune-results", ("\n".join(lines) + "\n").encode())
        job.result_files = [result.id]
        job.trained_tokens = plan.billed_tokens * plan.n_epochs  # the API's name for the billed tokens
        job.status, job.finished_at = "succeeded", self._wall(job, at)
        self.models[job.fine_tuned_model] = job.pairs
        self._emit(job, at, f"New fine-tuned model created: {job.fine_tuned_model}")
        self._emit(job, at, "Evaluating model against our usage policies")
        self._emit(job, at, "Usage policy evaluations completed, model is now enabled for sampling")
        self._emit(job, at, "The job has successfully completed")

    # output
    def _wall(self, job: Job, at: float) -> int:
        """The wall-clock second at which ``job`` reached progress ``at``."""
        return int(time.time() - max(0.0, job.progress - at) / self.speed)

    def _emit(self, job: Job, at: float, message: str, *, level: str = "info", type: str = "message",
              data: dict[str, Any] | None = None) -> None:
        job.events.append({"object": "fine_tuning.job.event", "id": new_id("ftevent-"),
                           "created_at": self._wall(job, at), "level": level, "message": message,
                           "type": type, "data": data or {}})

    def _to_api(self, job: Job) -> dict[str, Any]:
        hyper: dict[str, Any] = dict(job.requested)
        if job.plan is not None:
            hyper.update(n_epochs=job.plan.n_epochs, batch_size=job.plan.batch_size,
                         learning_rate_multiplier=job.plan.learning_rate_multiplier)
            if job.plan.beta is not None:
                hyper["beta"] = job.plan.beta
        finish = None
        if job.status in ACTIVE and job.plan is not None:
            remaining = VALIDATE_SECONDS + QUEUE_SECONDS + job.plan.steps * STEP_SECONDS - job.progress
            finish = int(time.time() + max(0.0, remaining) / self.speed)
        return {
            "object": "fine_tuning.job", "id": job.id, "model": job.model, "created_at": job.created_at,
            "finished_at": job.finished_at, "fine_tuned_model": job.fine_tuned_model if job.status == "succeeded"
            else None, "organization_id": f"org-{self.organization}",
            "result_files": job.result_files if job.result_files or not self.azure else None,
            "status": job.status, "validation_file": job.validation_file, "training_file": job.training_file,
            "hyperparameters": {k: v for k, v in hyper.items() if k != "beta"},
            "trained_tokens": job.trained_tokens, "error": job.error, "user_provided_suffix": job.suffix,
            "seed": job.seed, "estimated_finish": finish, "integrations": job.integrations,
            "metadata": job.metadata, "method": {"type": job.method, job.method: {"hyperparameters": hyper}},
        }


def _model_name(job: Job, organization: str, plays: str) -> str:
    base = catalog.base_of(plays, job.model) or job.model
    if plays == "azure":  # BASE.ft-<32 hex>[-suffix]
        return f"{base}.ft-{secrets.token_hex(16)}" + (f"-{job.suffix}" if job.suffix else "")
    tail = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(8))
    return f"ft:{base}:{organization}:{job.suffix or ''}:{tail}"


def _cell(value: float | None) -> str:
    return "" if value is None else str(value)
