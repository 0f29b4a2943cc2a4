"""The sandbox's stored objects (files and uploads), its errors, ids and list pages."""

from __future__ import annotations

import hashlib
import secrets
import string
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")
_ALPHABET = string.ascii_letters + string.digits
FILE_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
UPLOAD_PURPOSES = ("assistants", "batch", "fine-tune", "vision")
UPLOAD_TTL = 3600
MiB = 1 << 20


class ApiError(Exception):
    """An error the API answers with: HTTP ``status`` and the OpenAI ``{"error": {...}}`` body."""

    def __init__(self, status: int, message: str, *, type: str = "invalid_request_error",
                 param: str | None = None, code: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.param, self.code = status, message, type, param, code
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


def new_id(prefix: str, length: int = 24) -> str:
    """A random id such as ``file-…`` or ``ftjob-…``."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def page(items: Sequence[T], *, limit: int, after: str | None, key: Callable[[T], str]) -> tuple[list[T], bool]:
    """The ``limit`` items after the one whose id is ``after``, and whether more follow."""
    start = 0
    if after:
        ids = [key(item) for item in items]
        if after not in ids:
            raise ApiError(400, f"Invalid 'after': no object with id {after!r} in this list.", param="after")
        start = ids.index(after) + 1
    chosen = list(items[start:start + limit])
    return chosen, start + limit < len(items)


def int_param(query: dict[str, str], name: str, default: int, *, low: int = 1, high: int = 10_000) -> int:
    """An integer query parameter within ``low..high`` (400 otherwise)."""
    raw = query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"Invalid '{name}': expected an integer, got {raw!r}.", param=name) from None
    if not low <= value <= high:
        raise ApiError(400, f"Invalid '{name}': {value} is not between {low} and {high}.", param=name)
    return value


@dataclass
class StoredFile:
    """A file with its bytes."""

    id: str
    filename: str
    purpose: str
    data: bytes
    created_at: int
    ready_at: float = 0.0  # time.monotonic() from which the file is "processed" (Azure mode: "pending" before)

    def to_api(self) -> dict[str, Any]:
        status = "processed" if time.monotonic() >= self.ready_at else "pending"
        return {"id": self.id, "object": "file", "bytes": len(self.data), "created_at": self.created_at,
                "filename": self.filename, "purpose": self.purpose, "status": status}


@dataclass
class Upload:
    """A multipart upload: declared size, parts received so far and, once complete, its file."""

    id: str
    filename: str
    purpose: str
    size: int
    mime_type: str
    created_at: int
    status: str = "pending"
    parts: dict[str, bytes] = field(default_factory=dict)
    file: StoredFile | None = None

    def to_api(self) -> dict[str, Any]:
        out = {"id": self.id, "object": "upload", "bytes": self.size, "created_at": self.created_at,
               "filename": self.filename, "purpose": self.purpose, "status": self.status,
               "expires_at": self.created_at + UPLOAD_TTL}
        if self.file is not None:
            out["file"] = self.file.to_api()
        return out


class Store:
    """Files and uploads, kept in memory; ``lock`` guards every change (jobs share it).

    The size limits are the API's (a file 512 MB, an upload 8 GB in parts of 64 MB); set
    smaller ones on an instance to keep a sandbox's memory in check.
    """

    max_file_bytes = 512 * MiB
    max_part_bytes = 64 * MiB
    max_upload_bytes = 8 * 1024 * MiB

    @property
    def max_request_bytes(self) -> int:
        """The largest request body the server reads: a file or a part and its multipart framing."""
        return max(self.max_file_bytes, self.max_part_bytes) + MiB

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.files: dict[str, StoredFile] = {}
        self.uploads: dict[str, Upload] = {}

    # files
    def add_file(self, filename: str, purpose: str, data: bytes) -> StoredFile:
        """Store a file; ``purpose`` is the caller's to check (the API's own files are ``fine-tune-results``)."""
        if not data:
            raise ApiError(400, f"The file {filename!r} is empty.", param="file")
        with self.lock:
            stored = StoredFile(new_id("file-", 22), filename, purpose, data, int(time.time()))
            self.files[stored.id] = stored
            return stored

    def file(self, file_id: str, *, param: str = "file_id") -> StoredFile:
        with self.lock:
            found = self.files.get(file_id)
        if found is None:
            raise ApiError(404, f"No such File object: {file_id}", param=param)
        return found

    def delete_file(self, file_id: str) -> dict[str, Any]:
        with self.lock:
            self.file(file_id)
            del self.files[file_id]
        return {"id": file_id, "object": "file", "deleted": True}

    def list_files(self, query: dict[str, str]) -> dict[str, Any]:
        order = query.get("order", "desc")
        if order not in ("asc", "desc"):
            raise ApiError(400, f"Invalid 'order': {order!r} (expected 'asc' or 'desc').", param="order")
        with self.lock:
            files = [f for f in self.files.values() if query.get("purpose") in (None, f.purpose)]
        if order == "desc":
            files.reverse()
        chosen, more = page(files, limit=int_param(query, "limit", 10_000), after=query.get("after"),
                            key=lambda f: f.id)
        # the spec's ListFilesResponse requires string ids even for an empty page (no null, unlike checkpoints)
        return {"object": "list", "data": [f.to_api() for f in chosen], "has_more": more,
                "first_id": chosen[0].id if chosen else "", "last_id": chosen[-1].id if chosen else ""}

    # uploads
    def create_upload(self, body: dict[str, Any]) -> Upload:
        for name, kind in (("filename", str), ("purpose", str), ("bytes", int), ("mime_type", str)):
            if not isinstance(body.get(name), kind) or isinstance(body.get(name), bool):
                raise ApiError(400, f"Missing or invalid required parameter: '{name}'.", param=name)
        if body["purpose"] not in UPLOAD_PURPOSES:
            raise ApiError(400, f"Invalid purpose {body['purpose']!r}: expected one of "
                           f"{', '.join(UPLOAD_PURPOSES)}.", param="purpose")
        if body["bytes"] <= 0:
            raise ApiError(400, "Invalid 'bytes': an upload must declare a positive size.", param="bytes")
        if body["bytes"] > self.max_upload_bytes:
            raise ApiError(400, f"Invalid 'bytes': an upload can have at most {self.max_upload_bytes} bytes.",
                           param="bytes")
        with self.lock:
            upload = Upload(new_id("upload_"), body["filename"], body["purpose"], body["bytes"],
                            body["mime_type"], int(time.time()))
            self.uploads[upload.id] = upload
            return upload

    def upload(self, upload_id: str, *, pending: bool = False) -> Upload:
        with self.lock:
            found = self.uploads.get(upload_id)
        if found is None:
            raise ApiError(404, f"No such Upload object: {upload_id}", param="upload_id")
        if pending and found.status != "pending":
            raise ApiError(400, f"Upload {upload_id} is already {found.status}.", param="upload_id")
        return found

    def add_part(self, upload_id: str, data: bytes) -> dict[str, Any]:
        if len(data) > self.max_part_bytes:
            raise ApiError(400, f"A part can have at most {self.max_part_bytes} bytes; this one has {len(data)}.",
                           param="data")
        with self.lock:
            upload = self.upload(upload_id, pending=True)
            received = sum(len(p) for p in upload.parts.values()) + len(data)
            if received > upload.size:
                raise ApiError(400, f"The parts add up to {received} bytes, more than the bytes={upload.size} "
                               "the upload was created with.", param="data")
            part_id = new_id("part_")
            upload.parts[part_id] = data
        return {"id": part_id, "object": "upload.part", "created_at": int(time.time()), "upload_id": upload_id}

    def complete_upload(self, upload_id: str, body: dict[str, Any]) -> Upload:
        part_ids = body.get("part_ids")
        if not isinstance(part_ids, list) or not all(isinstance(p, str) for p in part_ids):
            raise ApiError(400, "Missing or invalid required parameter: 'part_ids'.", param="part_ids")
        md5 = body.get("md5")
        if md5 is not None and not isinstance(md5, str):
            raise ApiError(400, "Invalid 'md5': expected a hex digest.", param="md5")
        with self.lock:
            upload = self.upload(upload_id, pending=True)
            unknown = [p for p in part_ids if p not in upload.parts]
            if unknown:
                raise ApiError(400, f"Part {unknown[0]} does not belong to upload {upload_id}.", param="part_ids")
            parts = [upload.parts[p] for p in part_ids]
        data = b"".join(parts)  # joining and hashing a big upload must not hold up other requests
        if len(data) != upload.size:
            raise ApiError(400, f"The parts add up to {len(data)} bytes, but the upload was created "
                           f"with bytes={upload.size}.", param="part_ids")
        if md5 and hashlib.md5(data).hexdigest() != md5:
            raise ApiError(400, "The md5 checksum does not match the uploaded bytes.", param="md5")
        with self.lock:
            upload = self.upload(upload_id, pending=True)  # still pending: not cancelled or completed meanwhile
            upload.file = self.add_file(upload.filename, upload.purpose, data)
            upload.status = "completed"
            upload.parts.clear()
            return upload

    def cancel_upload(self, upload_id: str) -> Upload:
        with self.lock:
            upload = self.upload(upload_id, pending=True)
            upload.status = "cancelled"
            upload.parts.clear()
            return upload
