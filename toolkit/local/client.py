""":class:`LocalClient`: the ``openai`` SDK's files, fine-tuning and chat resources, backed by this machine.

``make_client(connection("local"))`` returns one, so every command and page that drives a hosted
job (upload with reuse, create, follow, events, checkpoints, metrics, pause/resume/cancel, chat,
compare) drives a local one the same way. Files are copied into the user data folder by content;
a job is a worker process (:mod:`toolkit.local.worker`) that survives the command that started it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from ..errors import InputError, UsageError
from . import store
from .launch import check_config, worker_command

_STOP_WAIT = 120.0  # seconds to wait for a worker to save its checkpoint after a stop request


class Page:
    """A list page in the SDK's shape (everything fits on one page)."""

    def __init__(self, data: Sequence[Any]) -> None:
        self.data = list(data)

    def has_next_page(self) -> bool:
        return False

    def get_next_page(self) -> Page:
        return Page([])

    def __iter__(self) -> Any:
        return iter(self.data)


def _ns(value: Any) -> Any:
    """Dicts as attribute objects, recursively (the SDK's models read like this)."""
    if isinstance(value, dict):
        return SimpleNamespace(**{k: _ns(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_ns(v) for v in value]
    return value


class Files:
    """``client.files``: datasets are copied into ``local/files`` under an id made of their sha256."""

    def __init__(self, base: Path) -> None:
        self.folder = base / "files"

    def _path(self, file_id: str) -> Path:
        if not file_id.startswith("file-local-") or "/" in file_id or "\\" in file_id:
            raise InputError(f"{file_id!r} is not a local file id (file-local-...)")
        return self.folder / f"{file_id}.jsonl"

    def create(self, *, file: Any, purpose: str = "fine-tune", **_: Any) -> Any:
        name, body = (file[0], file[1]) if isinstance(file, tuple) else (getattr(file, "name", "data.jsonl"), file)
        data = body.read() if hasattr(body, "read") else bytes(body)
        file_id = f"file-local-{hashlib.sha256(data).hexdigest()[:24]}"
        self.folder.mkdir(parents=True, exist_ok=True)
        from ..atomic import write_atomic

        write_atomic(self._path(file_id), data)
        (self.folder / f"{file_id}.name").write_text(Path(str(name)).name, "utf-8")
        return self.retrieve(file_id)

    def retrieve(self, file_id: str, **_: Any) -> Any:
        path = self._path(file_id)
        if not path.is_file():
            return SimpleNamespace(id=file_id, object="file", status="deleted", bytes=None, filename=None)
        name = path.with_suffix(".name")
        return SimpleNamespace(id=file_id, object="file", status="processed", bytes=path.stat().st_size,
                               filename=name.read_text("utf-8") if name.exists() else path.name, purpose="fine-tune",
                               created_at=int(path.stat().st_mtime))

    def list(self, **_: Any) -> Page:
        if not self.folder.is_dir():
            return Page([])
        return Page([self.retrieve(p.stem) for p in sorted(self.folder.glob("file-local-*.jsonl"))])

    def content(self, file_id: str, **_: Any) -> Any:
        if file_id.startswith("file-local-results-"):
            path = store.JobDir.of(file_id.removeprefix("file-local-results-")).results_file
        else:
            path = self._path(file_id)
        try:
            return SimpleNamespace(content=path.read_bytes())
        except OSError:
            raise InputError(f"file {file_id} is not on this machine") from None

    def path(self, file_id: str) -> Path:
        return self._path(file_id)


class Checkpoints:
    def __init__(self, jobs: Jobs) -> None:
        self.jobs = jobs

    def list(self, job_id: str, **_: Any) -> Page:
        job = self.jobs.dir(job_id)
        data = job.read()
        losses: dict[Any, dict[str, Any]] = {}
        for event in job.events():
            d = event.get("data") or {}
            if isinstance(d.get("step"), int):
                losses.setdefault(d["step"], {}).update({k: v for k, v in d.items() if k != "step"})
        out = []
        for path in sorted(job.checkpoints.glob("checkpoint-*"), key=lambda p: int(p.name.rsplit("-", 1)[1])
                           if p.name.rsplit("-", 1)[1].isdigit() else -1):
            step = path.name.rsplit("-", 1)[1]
            if not step.isdigit():
                continue
            n = int(step)
            metrics = {k: losses.get(n, {}).get(k) for k in ("train_loss", "train_mean_token_accuracy", "valid_loss",
                                                           "valid_mean_token_accuracy")}
            out.append(SimpleNamespace(id=f"ftckpt-{job_id}-{n}", step_number=n, fine_tuned_model_checkpoint=str(path),
                                       metrics=SimpleNamespace(**metrics), created_at=int(path.stat().st_mtime),
                                       fine_tuning_job_id=data["id"]))
        return Page(out)


class Jobs:
    """``client.fine_tuning.jobs``: each job is a folder and a worker process."""

    def __init__(self, base: Path, files: Files) -> None:
        self.base, self.files = base, files
        self.checkpoints = Checkpoints(self)

    def dir(self, job_id: str) -> store.JobDir:
        job = store.JobDir.of(job_id, self.base)
        if not job.exists():
            raise InputError(f"no local job {job_id} on this machine ({job.path})")
        return job

    def create(self, *, model: str, training_file: str, method: dict[str, Any] | None = None,
               validation_file: str | None = None, suffix: str | None = None, seed: int | None = None,
               metadata: dict[str, str] | None = None, extra_body: dict[str, Any] | None = None, **_: Any) -> Any:
        method = method or {"type": "supervised"}
        kind = method.get("type", "supervised")
        if kind not in ("supervised", "dpo"):
            raise UsageError(f"local training does {', '.join(('supervised', 'dpo'))}, not {kind}")
        extra = dict(extra_body or {})
        from .loading import check

        check(model)
        if Path(model).is_dir():  # a folder: recorded absolute, so the job and its model work from anywhere
            model = str(Path(model).resolve())
        job_id = store.new_id("ftjob-local")
        job = store.JobDir.of(job_id, self.base)
        job.path.mkdir(parents=True)
        spec = {
            "id": job_id, "object": "fine_tuning.job", "model": model, "method": {"type": kind},
            "hyperparameters": dict((method.get(kind) or {}).get("hyperparameters") or {}),
            "training_file": training_file, "training_path": str(self.files.path(training_file)),
            "training_name": self.files.retrieve(training_file).filename,
            "validation_file": validation_file,
            "validation_path": str(self.files.path(validation_file)) if validation_file else None,
            "validation_name": self.files.retrieve(validation_file).filename if validation_file else None,
            "suffix": suffix, "seed": seed, "metadata": metadata or {}, "created_at": int(time.time()),
            "status": "queued", "fine_tuned_model": None, "finished_at": None, "trained_tokens": None,
            "error": None, "full": bool(extra.get("full")), "merge": bool(extra.get("merge")),
            "max_length": extra.get("max_length"),
            "accelerate_config": str(check_config(extra["accelerate_config"])) if extra.get("accelerate_config") else None,
        }
        spec["method_name"] = kind
        store.write_json(job.job_file, spec)
        job.event(f"Created fine-tuning job: {job_id}")
        self._spawn(job, resume=False)
        return self.retrieve(job_id)

    def _spawn(self, job: store.JobDir, *, resume: bool) -> None:
        env = dict(os.environ)
        env.setdefault("TOKENIZERS_PARALLELISM", "false")
        env["TUNESMITH_HOME"] = str(self.base.parent)
        command = worker_command(job.path, resume=resume, accelerate_config=job.read().get("accelerate_config"))
        with job.log_file.open("ab") as log:
            proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
                                    start_new_session=True, cwd=str(job.path))
        job.update(pid=proc.pid, status="queued" if not resume else "running")

    def retrieve(self, job_id: str, **_: Any) -> Any:
        job = self.dir(job_id)
        data = job.read()
        if data.get("status") in store.ACTIVE and not store.pid_alive(data.get("pid")):
            time.sleep(0.2)  # it may have written its last status just now
            data = job.read()
            if data.get("status") in store.ACTIVE:
                message = f"the training process ended unexpectedly; see {job.log_file}" + _tail(job.log_file)
                job.event(message, level="error")
                data = job.update(status="failed", error={"code": "worker_died", "message": message})
        return _job_object(data, job)

    def list(self, *, limit: int = 20, **_: Any) -> Page:
        folder = self.base / "jobs"
        found = sorted(folder.glob("ftjob-local-*/job.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        return Page([self.retrieve(p.parent.name) for p in found[:limit]])

    def list_events(self, job_id: str, *, limit: int = 20, after: str | None = None, **_: Any) -> Page:
        events = self.dir(job_id).events()[::-1]  # newest first, as the API
        if after is not None:
            ids = [e["id"] for e in events]
            events = events[ids.index(after) + 1:] if after in ids else []
        return Page([_ns(e) for e in events[:limit]])

    def _stop(self, job_id: str, reason: str, *, wait: bool) -> Any:
        job = self.dir(job_id)
        data = job.read()
        if data.get("status") not in store.ACTIVE:
            if reason == "cancel" and data.get("status") == "paused":
                job.update(status="cancelled")
                job.event("Job cancelled")
            return self.retrieve(job_id)
        job.stop_file.write_text(reason, "utf-8")
        deadline = time.monotonic() + (_STOP_WAIT if wait else 0)
        while store.pid_alive(job.read().get("pid")) and time.monotonic() < deadline:
            time.sleep(0.2)
        return self.retrieve(job_id)

    def pause(self, job_id: str, **_: Any) -> Any:
        """Stop at the next step with a checkpoint; ``resume`` continues from it."""
        return self._stop(job_id, "pause", wait=True)

    def cancel(self, job_id: str, **_: Any) -> Any:
        return self._stop(job_id, "cancel", wait=True)

    def resume(self, job_id: str, **_: Any) -> Any:
        job = self.dir(job_id)
        data = job.read()
        if data.get("status") not in ("paused", "failed"):
            raise UsageError(f"job {job_id} is {data.get('status')}: only a paused (or failed) job can be resumed")
        job.stop_file.unlink(missing_ok=True)
        job.event("Job resumed")
        self._spawn(job, resume=True)
        return self.retrieve(job_id)

    def interrupted(self, job_id: str) -> str:
        """What Ctrl-C while following means here: stop cleanly with a checkpoint (the job can resume)."""
        job = self.pause(job_id)
        if job.status == "paused":
            return (f"stopped: job {job_id} saved a checkpoint at step {job.trained_steps}.\n"
                    f"resume with: tunesmith jobs resume {job_id} --provider local")
        return f"job {job_id} is {job.status}"


def _tail(path: Path, lines: int = 5) -> str:
    try:
        text = path.read_text("utf-8", errors="replace").strip().splitlines()[-lines:]
    except OSError:
        return ""
    return ("\n" + "\n".join(text)) if text else ""


def _job_object(data: dict[str, Any], job: store.JobDir) -> Any:
    obj = dict(data)
    obj["method"] = {"type": data.get("method", {}).get("type", "supervised")}
    obj["result_files"] = [f"file-local-results-{data['id']}"] if job.results_file.exists() else []
    obj.setdefault("trained_steps", None)
    obj["organization_id"] = "local"
    obj["estimated_finish"] = None
    error = data.get("error")
    obj["error"] = _ns(error) if isinstance(error, dict) else None
    out = _ns({k: v for k, v in obj.items() if k not in ("error", "method", "hyperparameters", "metadata")})
    out.error, out.method = obj["error"], _ns(obj["method"])
    out.hyperparameters = _ns(data.get("hyperparameters") or {})
    out.metadata = data.get("metadata") or {}
    return out


class Completions:
    """``client.chat.completions.create``: generate with the model (base or fine-tuned) on this machine."""

    def create(self, *, model: str, messages: Sequence[dict[str, Any]], max_completion_tokens: int | None = None,
               max_tokens: int | None = None, temperature: float | None = None, tools: list[Any] | None = None,
               **_: Any) -> Any:
        from .generate import answer
        from .loading import check

        check(model)  # from this machine only, as training: a model not here is said at once, never downloaded
        got = answer(model, messages, max_tokens=max_completion_tokens or max_tokens, temperature=temperature,
                     tools=tools)
        message = SimpleNamespace(role="assistant", content=got.text, refusal=None, tool_calls=None)
        return SimpleNamespace(id="chatcmpl-local", model=model, object="chat.completion",
                               choices=[SimpleNamespace(index=0, message=message, finish_reason=got.finish_reason)],
                               usage=SimpleNamespace(prompt_tokens=got.prompt_tokens,
                                                     completion_tokens=got.completion_tokens,
                                                     total_tokens=got.prompt_tokens + got.completion_tokens))


@dataclass(frozen=True)
class FineTuning:
    """``client.fine_tuning``: its ``jobs``."""

    jobs: Jobs


class LocalClient:
    """The SDK surface Tunesmith uses, on this machine (``base``: the ``local`` folder of the user data)."""

    def __init__(self, base: str | os.PathLike[str] | None = None) -> None:
        from . import require

        require()
        self.base = Path(base) if base is not None else store.root()
        self.files = Files(self.base)
        self.fine_tuning = FineTuning(Jobs(self.base, self.files))
        self.chat = SimpleNamespace(completions=Completions())

    def with_options(self, **_: Any) -> LocalClient:
        return self

    def interrupted(self, job_id: str) -> str:
        """Ctrl-C while following (``follow_job``): a job here stops with a checkpoint rather than run unwatched."""
        return self.fine_tuning.jobs.interrupted(job_id)

    def delete_job(self, job_id: str) -> None:
        """Remove a finished job's folder (its model, if any, stays)."""
        job = self.fine_tuning.jobs.dir(job_id)
        if job.read().get("status") in store.ACTIVE:
            raise UsageError(f"job {job_id} is still running; cancel it first")
        shutil.rmtree(job.path)

