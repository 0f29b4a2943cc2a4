"""Where local training keeps its things, under the user data folder (next to the registry).

``local/files/<id>.jsonl``: datasets, content-addressed (the "upload" of a local job);
``local/jobs/<job id>/``: ``job.json`` (settings and status), ``events.jsonl``, ``results.csv``,
``checkpoints/``, ``worker.log``; ``local/models/<model id>/``: the trained adapter (or full
model), its tokenizer, ``tunesmith.json`` (base model, job) and, on request, ``merged/``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..atomic import write_atomic
from ..errors import InputError

ACTIVE = ("validating_files", "queued", "running")
_SLUG = re.compile(r"[^A-Za-z0-9_.-]+")


def root() -> Path:
    """``<user data folder>/local`` (``$TUNESMITH_HOME/local`` when set)."""
    from ..training.local_registry import default_path

    return default_path().parent / "local"


def new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(6)}"


def slug(text: str) -> str:
    """A model name fit for a folder: ``Qwen/Qwen2.5-0.5B`` -> ``Qwen2.5-0.5B``."""
    name = Path(text.rstrip("/\\")).name or "model"
    return _SLUG.sub("-", name).strip("-.") or "model"


def read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a JSON object")
    return data


def write_json(path: Path, data: dict[str, Any]) -> None:
    write_atomic(path, json.dumps(data, indent=2, sort_keys=True).encode("utf-8"))


@dataclass(frozen=True)
class JobDir:
    """The folder of one local job and the files in it."""

    path: Path

    @classmethod
    def of(cls, job_id: str, base: Path | None = None) -> JobDir:
        if not re.fullmatch(r"ftjob-local-[0-9a-f]+", job_id):
            raise InputError(f"{job_id!r} is not a local job id (ftjob-local-...)")
        return cls((base or root()) / "jobs" / job_id)

    @property
    def job_file(self) -> Path:
        return self.path / "job.json"

    @property
    def events_file(self) -> Path:
        return self.path / "events.jsonl"

    @property
    def results_file(self) -> Path:
        return self.path / "results.csv"

    @property
    def checkpoints(self) -> Path:
        return self.path / "checkpoints"

    @property
    def stop_file(self) -> Path:
        return self.path / "stop"

    @property
    def log_file(self) -> Path:
        return self.path / "worker.log"

    def exists(self) -> bool:
        return self.job_file.is_file()

    def read(self) -> dict[str, Any]:
        return read_json(self.job_file)

    def update(self, **changes: Any) -> dict[str, Any]:
        data = self.read() | changes
        write_json(self.job_file, data)
        return data

    def event(self, message: str, *, level: str = "info", kind: str = "message",
              data: dict[str, Any] | None = None) -> None:
        """Append one event (ids count up across resumes)."""
        number = sum(1 for _ in self.events_file.open("rb")) if self.events_file.exists() else 0
        event = {"id": f"ftevent-{self.path.name.rsplit('-', 1)[-1]}-{number + 1:06d}", "object": "fine_tuning.job.event",
                 "created_at": int(time.time()), "level": level, "message": message, "type": kind, "data": data or {}}
        with self.events_file.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(event) + "\n")

    def events(self) -> list[dict[str, Any]]:
        if not self.events_file.exists():
            return []
        out = []
        for line in self.events_file.read_text("utf-8").splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue  # a line being written right now
        return out

    def last_checkpoint(self) -> Path | None:
        found = [(int(p.name.rsplit("-", 1)[1]), p) for p in self.checkpoints.glob("checkpoint-*")
                 if p.name.rsplit("-", 1)[1].isdigit() and (p / "trainer_state.json").exists()]
        return max(found)[1] if found else None


def models_dir() -> Path:
    return root() / "models"


def model_dir(model_id: str) -> Path | None:
    """The folder of a model this machine trained, by its id (None when it is not one)."""
    if not re.fullmatch(r"ft-local-[A-Za-z0-9_.-]+", model_id):
        return None
    path = models_dir() / model_id
    return path if (path / "tunesmith.json").is_file() else None


def pid_alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (our own child that exited) is not alive
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().split(") ", 1)[1][:1] != "Z"
    except (OSError, IndexError):
        return True
