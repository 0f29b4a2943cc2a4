"""Upload a dataset once per account: Files API up to 512 MB, Uploads API in 64 MB parts up to 8 GB.

An identical file (same sha256) already on the account is reused: first through the
local registry (checked with ``files.retrieve``), then by listing the account's files
for the name this module gives every upload (``<stem>-<sha256[:12]>.jsonl``).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from .errors import ApiError, rule_hint
from .provenance import Provenance, provenance
from .providers import Connection
from .registry import Registry

FILES_API_LIMIT = 512 * 1024**2
UPLOADS_API_LIMIT = 8 * 1024**3
PART_SIZE = 64 * 1024**2
_LIST_PAGES = 20  # files scanned for a reusable upload: 20 pages of 100
_PENDING = ("uploaded", "pending", "running")

OnProgress = Callable[[int, int], None]  # (bytes sent, total bytes)


@dataclass(frozen=True)
class Uploaded:
    """A dataset that is on the account as ``file_id``; ``reused`` when no byte was sent."""

    file_id: str
    filename: str
    source: Provenance
    reused: bool
    parts: int = 0


def remote_name(path: str | os.PathLike[str], sha256: str) -> str:
    """The file name used on the server: the local stem plus a content hash, so uploads can be recognised."""
    p = Path(path)
    return f"{p.stem}-{sha256[:12]}{p.suffix or '.jsonl'}"


def upload_dataset(client: Any, path: str | os.PathLike[str], conn: Connection, registry: Registry, *,
                   on_progress: OnProgress | None = None, files_api_limit: int = FILES_API_LIMIT,
                   part_size: int = PART_SIZE) -> Uploaded:
    """Make ``path`` available on the account of ``conn`` and record it in ``registry``."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such file")
    source = provenance(p)
    if source.bytes > UPLOADS_API_LIMIT:
        raise InputError(f"{p}: {source.bytes} bytes is over the 8 GB limit of the Uploads API; split the dataset")
    name = remote_name(p, source.sha256)
    found = _reusable(client, conn, registry, source, name)
    parts = 0
    if found is None:
        if source.bytes <= files_api_limit:
            file_id = _files_api(client, p, name, on_progress)
        else:
            file_id, parts = _uploads_api(client, p, name, source.bytes, part_size, on_progress)
    else:
        file_id = found
    registry.record_upload(account=conn.account, provider=conn.provider, host=conn.host, file_id=file_id,
                           filename=name, source=source)
    return Uploaded(file_id, name, source, reused=found is not None, parts=parts)


def _reusable(client: Any, conn: Connection, registry: Registry, source: Provenance, name: str) -> str | None:
    import openai

    known = registry.find_upload(conn.account, source.sha256)
    if known is not None:
        try:
            remote = client.files.retrieve(known.file_id)
        except openai.NotFoundError:
            registry.forget_upload(conn.account, known.file_id)
        else:
            if _usable(remote, source.bytes):
                return str(remote.id)
    return _listed(client, name, source.bytes)


def _usable(remote: Any, size: int) -> bool:
    return getattr(remote, "status", None) not in ("error", "deleted") and getattr(remote, "bytes", None) == size


def _listed(client: Any, name: str, size: int) -> str | None:
    """Find an earlier upload by its hash-bearing name; best effort (an endpoint may not list files)."""
    import openai

    try:
        return _scan(client, name, size)
    except (openai.APIStatusError, openai.APIConnectionError):
        return None  # uploading again is always correct; a real problem shows at the upload itself


def _scan(client: Any, name: str, size: int) -> str | None:
    page = client.files.list(purpose="fine-tune", limit=100)
    seen: set[str] = set()
    for _ in range(_LIST_PAGES):
        ids = [str(f.id) for f in page.data]
        for f in page.data:
            if getattr(f, "filename", None) == name and _usable(f, size):
                return str(f.id)
        if not ids or seen.issuperset(ids) or not page.has_next_page():
            return None
        seen.update(ids)
        page = page.get_next_page()
    return None


class _ProgressReader(io.RawIOBase):
    """A read-only file that reports how far it has been read (httpx streams multipart bodies)."""

    def __init__(self, fh: io.BufferedReader, total: int, on_progress: OnProgress) -> None:
        self._fh, self._total, self._on_progress = fh, total, on_progress

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._fh.seek(offset, whence)

    def tell(self) -> int:
        return self._fh.tell()

    def fileno(self) -> int:
        return self._fh.fileno()

    def read(self, size: int = -1) -> bytes:
        data = self._fh.read(size)
        self._on_progress(self._fh.tell(), self._total)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _files_api(client: Any, path: Path, name: str, on_progress: OnProgress | None) -> str:
    size = path.stat().st_size
    with open(path, "rb") as fh:
        body: Any = _ProgressReader(fh, size, on_progress) if on_progress else fh
        created = client.files.create(file=(name, body, "application/jsonl"), purpose="fine-tune")
    if on_progress:
        on_progress(size, size)
    return str(created.id)


def _uploads_api(client: Any, path: Path, name: str, size: int, part_size: int,
                 on_progress: OnProgress | None) -> tuple[str, int]:
    upload = client.uploads.create(bytes=size, filename=name, mime_type="text/jsonl", purpose="fine-tune")
    md5 = hashlib.md5(usedforsecurity=False)
    part_ids: list[str] = []
    sent = 0
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(part_size):
                md5.update(chunk)
                part_ids.append(str(client.uploads.parts.create(upload.id, data=chunk).id))
                sent += len(chunk)
                if on_progress:
                    on_progress(sent, size)
        done = client.uploads.complete(upload.id, part_ids=part_ids, md5=md5.hexdigest())
    except BaseException:
        _cancel_quietly(client, upload.id)
        raise
    file = getattr(done, "file", None)
    if file is None or not getattr(file, "id", None):
        raise ApiError(f"upload {upload.id} completed with status {getattr(done, 'status', '?')!r} but no file")
    return str(file.id), len(part_ids)


def _cancel_quietly(client: Any, upload_id: str) -> None:
    import openai

    with contextlib.suppress(openai.OpenAIError):  # if not, the upload expires on its own after an hour
        client.uploads.cancel(upload_id)


def wait_until_processed(client: Any, file_id: str, *, timeout: float = 600.0, poll: float = 2.0,
                         sleep: Callable[[float], None] = time.sleep) -> None:
    """Wait while the server still processes ``file_id`` (Azure needs this before a job can use it)."""
    deadline = time.monotonic() + timeout
    while True:
        remote = client.files.retrieve(file_id)
        status = getattr(remote, "status", None)
        if status == "error":
            details = getattr(remote, "status_details", None) or "no details"
            hint = rule_hint(str(details))
            raise ApiError(f"the server rejected file {file_id}: {details}" + (f"\n  hint: {hint}" if hint else ""))
        if status not in _PENDING:
            return
        if time.monotonic() >= deadline:
            raise ApiError(f"file {file_id} is still {status!r} after {timeout:.0f} s; "
                           f"try again later with the same command (the upload is reused)")
        sleep(poll)
