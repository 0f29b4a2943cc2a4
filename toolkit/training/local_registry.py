"""The local registry: every upload and job this machine made, in SQLite, readable offline.

It lives in ``platformdirs.user_data_dir("tunesmith")`` (or ``$TUNESMITH_HOME``) and
stores no credential: an account is ``provider|host|organization|project``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from ..errors import InputError
from .provenance import Provenance

_SCHEMA = """
CREATE TABLE IF NOT EXISTS uploads (
    account TEXT NOT NULL, provider TEXT NOT NULL, host TEXT NOT NULL, file_id TEXT NOT NULL,
    filename TEXT NOT NULL, path TEXT NOT NULL, bytes INTEGER NOT NULL, sha256 TEXT NOT NULL,
    git_commit TEXT, git_dirty INTEGER, created_at REAL NOT NULL,
    PRIMARY KEY (account, file_id));
CREATE INDEX IF NOT EXISTS uploads_by_hash ON uploads (account, sha256);
CREATE TABLE IF NOT EXISTS jobs (
    account TEXT NOT NULL, provider TEXT NOT NULL, host TEXT NOT NULL, job_id TEXT NOT NULL,
    model TEXT NOT NULL, method TEXT NOT NULL, hyperparameters TEXT NOT NULL, suffix TEXT, seed INTEGER,
    metadata TEXT NOT NULL, training_file TEXT NOT NULL, training_path TEXT, training_sha256 TEXT,
    validation_file TEXT, validation_path TEXT, validation_sha256 TEXT, git_commit TEXT, git_dirty INTEGER,
    status TEXT, fine_tuned_model TEXT, error TEXT, created_at REAL NOT NULL, updated_at REAL NOT NULL,
    PRIMARY KEY (account, job_id));
CREATE TABLE IF NOT EXISTS pending_uploads (
    account TEXT NOT NULL, upload_id TEXT NOT NULL, filename TEXT NOT NULL, bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL, part_size INTEGER NOT NULL, expires_at REAL NOT NULL,
    PRIMARY KEY (account, upload_id));
CREATE TABLE IF NOT EXISTS pending_parts (
    account TEXT NOT NULL, upload_id TEXT NOT NULL, part INTEGER NOT NULL, part_id TEXT NOT NULL,
    sha256 TEXT NOT NULL, PRIMARY KEY (account, upload_id, part));
"""


@dataclass(frozen=True)
class UploadRow:
    """A file this machine uploaded (or found already uploaded) to one account."""

    account: str
    provider: str
    host: str
    file_id: str
    filename: str
    path: str
    bytes: int
    sha256: str
    git_commit: str | None
    git_dirty: bool | None
    created_at: float


@dataclass(frozen=True)
class JobRow:
    """A job this machine created, with everything needed to trace its model back to the data."""

    account: str
    provider: str
    host: str
    job_id: str
    model: str
    method: str
    hyperparameters: dict[str, Any]
    suffix: str | None
    seed: int | None
    metadata: dict[str, str]
    training_file: str
    training_path: str | None
    training_sha256: str | None
    validation_file: str | None = None
    validation_path: str | None = None
    validation_sha256: str | None = None
    git_commit: str | None = None
    git_dirty: bool | None = None
    status: str | None = None
    fine_tuned_model: str | None = None
    error: str | None = None
    created_at: float = 0.0
    updated_at: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The row as plain JSON values (``tunesmith jobs list --local --format json``)."""
        return asdict(self)


def default_path() -> Path:
    """``$TUNESMITH_HOME/registry.sqlite3``, else the platform's user data directory."""
    home = os.environ.get("TUNESMITH_HOME")
    if home:
        return Path(home) / "registry.sqlite3"
    import platformdirs

    return Path(platformdirs.user_data_dir("tunesmith", appauthor=False)) / "registry.sqlite3"


class Registry:
    """Read and write the registry at ``path`` (default: :func:`default_path`)."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(sqlite3.connect(self.path, timeout=10)) as conn:
                conn.row_factory = sqlite3.Row
                with conn:
                    conn.executescript(_SCHEMA)
                    yield conn
        except sqlite3.DatabaseError as exc:
            raise InputError(f"{self.path}: cannot use the local registry ({exc}); "
                             "move the file away to start a new one") from None
        except OSError as exc:
            blocking = next((p for p in self.path.parents if p.exists()), None)
            if blocking is not None and not blocking.is_dir():  # TUNESMITH_HOME names a file: "File exists" said nothing
                raise InputError(f"{blocking}: is a file, so the local registry cannot go in it ({self.path}): set "
                                 "TUNESMITH_HOME to a folder, or move the file away") from None
            raise InputError(f"{self.path}: cannot create the local registry ({exc.strerror})") from None

    # -- uploads -----------------------------------------------------------------------------

    def record_upload(self, *, account: str, provider: str, host: str, file_id: str, filename: str,
                      source: Provenance) -> None:
        """Remember that ``source`` is on ``account`` as ``file_id``."""
        row = UploadRow(account, provider, host, file_id, filename, source.path, source.bytes, source.sha256,
                        source.git_commit, source.git_dirty, time.time())
        self._upsert("uploads", asdict(row))

    def find_upload(self, account: str, sha256: str) -> UploadRow | None:
        """The newest upload of content ``sha256`` to ``account``."""
        with self._db() as db:
            row = db.execute("SELECT * FROM uploads WHERE account = ? AND sha256 = ? ORDER BY created_at DESC",
                             (account, sha256)).fetchone()
        return None if row is None else _upload(row)

    def uploads_by_id(self, account: str) -> dict[str, UploadRow]:
        """Every upload to ``account``, by file id."""
        with self._db() as db:
            rows = db.execute("SELECT * FROM uploads WHERE account = ?", (account,)).fetchall()
        return {r["file_id"]: _upload(r) for r in rows}

    def forget_upload(self, account: str, file_id: str) -> None:
        """Drop an upload whose remote file is gone."""
        with self._db() as db:
            db.execute("DELETE FROM uploads WHERE account = ? AND file_id = ?", (account, file_id))

    # -- multipart uploads in progress (the Uploads API keeps parts for an hour) --------------

    def start_pending_upload(self, *, account: str, upload_id: str, filename: str, size: int, sha256: str,
                             part_size: int, expires_at: float) -> None:
        """Remember an Upload whose parts are being sent, so that another run can resume it."""
        self._upsert("pending_uploads", {"account": account, "upload_id": upload_id, "filename": filename,
                                         "bytes": size, "sha256": sha256, "part_size": part_size,
                                         "expires_at": expires_at})

    def record_part(self, account: str, upload_id: str, part: int, part_id: str, sha256: str) -> None:
        """Part number ``part`` (from 0) of the Upload is on the server as ``part_id``."""
        self._upsert("pending_parts", {"account": account, "upload_id": upload_id, "part": part,
                                       "part_id": part_id, "sha256": sha256})

    def pending_upload(self, account: str, sha256: str, size: int, part_size: int, *,
                       margin: float = 120.0) -> tuple[str, str, dict[int, tuple[str, str]]] | None:
        """``(upload_id, filename, {part: (part_id, sha256)})`` of an unexpired Upload of this content."""
        with self._db() as db:
            gone = db.execute("SELECT account, upload_id FROM pending_uploads WHERE expires_at <= ?",
                              (time.time(),)).fetchall()
            for old in gone:  # the API has dropped their parts by now
                db.execute("DELETE FROM pending_parts WHERE account = ? AND upload_id = ?", tuple(old))
                db.execute("DELETE FROM pending_uploads WHERE account = ? AND upload_id = ?", tuple(old))
            row = db.execute("SELECT upload_id, filename FROM pending_uploads WHERE account = ? AND sha256 = ? "
                             "AND bytes = ? AND part_size = ? AND expires_at > ? ORDER BY expires_at DESC",
                             (account, sha256, size, part_size, time.time() + margin)).fetchone()
            if row is None:
                return None
            parts = db.execute("SELECT part, part_id, sha256 FROM pending_parts WHERE account = ? AND upload_id = ?",
                               (account, row["upload_id"])).fetchall()
        return row["upload_id"], row["filename"], {r["part"]: (r["part_id"], r["sha256"]) for r in parts}

    def forget_pending_upload(self, account: str, upload_id: str) -> None:
        """Drop an Upload that completed, was cancelled or expired."""
        with self._db() as db:
            db.execute("DELETE FROM pending_parts WHERE account = ? AND upload_id = ?", (account, upload_id))
            db.execute("DELETE FROM pending_uploads WHERE account = ? AND upload_id = ?", (account, upload_id))

    # -- jobs --------------------------------------------------------------------------------

    def record_job(self, job: JobRow) -> None:
        """Insert (or replace) a job row."""
        now = time.time()
        data = asdict(job) | {"created_at": job.created_at or now, "updated_at": now}
        data["hyperparameters"] = json.dumps(job.hyperparameters, sort_keys=True)
        data["metadata"] = json.dumps(job.metadata, sort_keys=True)
        self._upsert("jobs", data)

    def update_job(self, job_id: str, *, status: str | None, fine_tuned_model: str | None = None,
                   error: str | None = None, account: str | None = None) -> bool:
        """Record a job's latest status (and model or error); False when the job is not in the registry."""
        sql = ("UPDATE jobs SET status = ?, fine_tuned_model = COALESCE(?, fine_tuned_model), "
               "error = COALESCE(?, error), updated_at = ? WHERE job_id = ?")
        params: list[Any] = [status, fine_tuned_model, error, time.time(), job_id]
        if account is not None:
            sql += " AND account = ?"
            params.append(account)
        with self._db() as db:
            return db.execute(sql, params).rowcount > 0

    def jobs(self, *, limit: int = 50) -> list[JobRow]:
        """The newest ``limit`` jobs, newest first."""
        with self._db() as db:
            rows = db.execute("SELECT * FROM jobs ORDER BY created_at DESC, rowid DESC LIMIT ?", (limit,))
            return [_job(r) for r in rows.fetchall()]

    def find_job(self, job_id: str, account: str | None = None) -> JobRow | None:
        """One job by id (on ``account`` when given), the newest if several accounts share the id."""
        sql, params = "SELECT * FROM jobs WHERE job_id = ?", [job_id]
        if account is not None:
            sql, params = sql + " AND account = ?", params + [account]
        with self._db() as db:
            row = db.execute(sql + " ORDER BY updated_at DESC", params).fetchone()
        return None if row is None else _job(row)

    def _upsert(self, table: str, data: dict[str, Any]) -> None:
        cols = ", ".join(data)
        marks = ", ".join("?" for _ in data)
        with self._db() as db:
            db.execute(f"INSERT OR REPLACE INTO {table} ({cols}) VALUES ({marks})", list(data.values()))


def _bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _upload(row: sqlite3.Row) -> UploadRow:
    data = dict(row)
    return UploadRow(**(data | {"git_dirty": _bool(data["git_dirty"])}))


def _job(row: sqlite3.Row) -> JobRow:
    data = {f.name: row[f.name] for f in fields(JobRow)}
    data["hyperparameters"] = json.loads(data["hyperparameters"])
    data["metadata"] = json.loads(data["metadata"])
    data["git_dirty"] = _bool(data["git_dirty"])
    return JobRow(**data)
