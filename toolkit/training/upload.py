"""Upload a dataset once per account: Files API up to the provider's limit, else the Uploads API in parts.

An identical file (same sha256) already on the account is reused: first through the
local registry (checked with ``files.retrieve``), then by listing the account's files
for the name this module gives every upload (``<stem>-<sha256[:12]>.jsonl``).

What is recorded is the hash of the bytes actually sent: a file edited during its upload is
an error (the remote copy is deleted), never a file recorded under someone else's hash.
A multipart upload whose parts keep failing is kept (the API keeps parts for an hour) and
the registry remembers its parts: the next run sends only the missing ones.
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
from ..plural import plural
from .errors import ApiError, rule_hint, server_message
from .local_registry import Registry
from .provenance import Provenance, provenance, sha256_file
from .providers import Connection

FILES_API_LIMIT = 512 * 1024**2  # the default; each provider's profile has its own (files_api_max_mb)
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
    resumed_parts: int = 0  # parts an earlier run had sent already

    @property
    def via(self) -> str:
        """Which API carried the bytes: ``Files API`` or ``Uploads API`` (or ``reused``)."""
        return "reused" if self.reused else "Uploads API" if self.parts else "Files API"


def remote_name(path: str | os.PathLike[str], sha256: str) -> str:
    """The file name used on the server: the local stem plus a content hash, so uploads can be recognised."""
    p = Path(path)
    return f"{p.stem}-{sha256[:12]}{p.suffix or '.jsonl'}"


def upload_dataset(client: Any, path: str | os.PathLike[str], conn: Connection, registry: Registry, *,
                   on_progress: OnProgress | None = None, files_api_limit: int | None = None,
                   part_size: int = PART_SIZE, notice: Callable[[str], object] | None = None,
                   expect_sha256: str | None = None) -> Uploaded:
    """Make ``path`` available on the account of ``conn`` and record it in ``registry``.

    ``files_api_limit`` defaults to the provider profile's; larger files go through the Uploads API.
    ``expect_sha256``: the hash of the content that was checked (linted); other content is refused.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such file")
    source = provenance(p)
    if expect_sha256 is not None and source.sha256 != expect_sha256:
        raise InputError(f"{p} changed after it was linted (sha256 {expect_sha256[:12]} then, {source.sha256[:12]} "
                         "now); nothing was uploaded. Run the command again once the file no longer changes.")
    if source.bytes > UPLOADS_API_LIMIT:
        raise InputError(f"{p}: {source.bytes} bytes is over the 8 GB limit of the Uploads API; split the dataset")
    if files_api_limit is None:
        from .. import catalog

        files_api_limit = catalog.provider(conn.provider).files_api_max_bytes
    name = remote_name(p, source.sha256)
    found = _reusable(client, conn, registry, source, name)
    if found is not None:
        registry.record_upload(account=conn.account, provider=conn.provider, host=conn.host, file_id=found,
                               filename=name, source=source)
        return Uploaded(found, name, source, reused=True)
    parts = resumed = 0
    sent = [False]  # the upload has begun (bytes read for sending, or the Upload exists): a lost connection is
    # then lost mid-upload

    def progress(done: int, total: int) -> None:
        sent[0] = True
        if on_progress:
            on_progress(done, total)

    with _lost_connection(conn, p, sent):
        if source.bytes <= files_api_limit:
            file_id, sent_sha = _files_api(client, p, name, progress)
        else:
            file_id, sent_sha, parts, resumed = _uploads_api(client, conn, registry, p, name, source, part_size,
                                                             progress, notice or (lambda message: None))
    if sent_sha != source.sha256:
        _delete_quietly(client, file_id)
        raise InputError(f"{p} changed while it was being uploaded (sha256 {source.sha256[:12]} before, "
                         f"{sent_sha[:12]} sent); the upload was deleted and nothing was recorded. Run the "
                         "command again once the file no longer changes (it is linted again then).")
    registry.record_upload(account=conn.account, provider=conn.provider, host=conn.host, file_id=file_id,
                           filename=name, source=source)
    return Uploaded(file_id, name, source, reused=False, parts=parts, resumed_parts=resumed)


@contextlib.contextmanager
def _lost_connection(conn: Connection, path: Path, sent: list[bool]) -> Any:
    """A connection lost mid-upload is named as such (not as a wrong base URL, as when nothing went out)."""
    import openai

    try:
        yield
    except openai.APIConnectionError as exc:
        if not sent[0]:
            raise
        what = "timed out" if isinstance(exc, openai.APITimeoutError) else "was lost"
        raise ApiError(f"the connection to {conn.host} {what} during the upload of {path.name} (after retrying); "
                       "check the network and run the same command again: parts already sent are reused "
                       "for an hour") from None


def _delete_quietly(client: Any, file_id: str) -> None:
    import openai

    with contextlib.suppress(openai.OpenAIError):
        client.files.delete(file_id)


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


class _HashingReader(io.RawIOBase):
    """A read-only file that hashes what is read from it in order and reports progress.

    httpx streams multipart bodies from it (and may rewind to send again): a rewind to 0 starts the
    hash over, so :attr:`sha256` is the hash of the bytes of the last complete pass.
    """

    def __init__(self, fh: io.BufferedReader, total: int, on_progress: OnProgress | None) -> None:
        self._fh, self._total, self._on_progress = fh, total, on_progress
        self._digest, self._hashed = hashlib.sha256(), 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        where = self._fh.seek(offset, whence)
        if where == 0:
            self._digest, self._hashed = hashlib.sha256(), 0
        return where

    def tell(self) -> int:
        return self._fh.tell()

    def fileno(self) -> int:
        return self._fh.fileno()

    def read(self, size: int = -1) -> bytes:
        start = self._fh.tell()
        data = self._fh.read(size)
        if start == self._hashed:
            self._digest.update(data)
            self._hashed += len(data)
        if self._on_progress:
            self._on_progress(self._fh.tell(), self._total)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    @property
    def sha256(self) -> str | None:
        """The hash of everything sent, or None when it was not read in one pass to the end."""
        return self._digest.hexdigest() if self._hashed == self._total else None


def _files_api(client: Any, path: Path, name: str, on_progress: OnProgress | None) -> tuple[str, str]:
    size = path.stat().st_size
    with open(path, "rb") as fh:
        body = _HashingReader(fh, size, on_progress)
        created = client.files.create(file=(name, body, "application/jsonl"), purpose="fine-tune")
        sent = body.sha256
    if on_progress:
        on_progress(size, size)
    # not read in one pass (a client that seeks around): the file's hash now is the best evidence left
    return str(created.id), sent or sha256_file(path)


def _uploads_api(client: Any, conn: Connection, registry: Registry, path: Path, name: str, source: Provenance,
                 part_size: int, on_progress: OnProgress | None,
                 notice: Callable[[str], object]) -> tuple[str, str, int, int]:
    """Send ``path`` in parts, resuming an Upload an earlier run left; return (file id, sha256 sent, parts, reused)."""
    size = source.bytes
    count = max(1, -(-size // part_size))
    pending = registry.pending_upload(conn.account, source.sha256, size, part_size)
    if pending is not None:
        upload_id, known = pending[0], pending[2]
        notice(f"resuming upload {upload_id} of {path.name}: {len(known)} of {count} parts were sent by an "
               "earlier run")
    else:
        upload_id, known = _new_upload(client, conn, registry, name, source, part_size), {}
    if on_progress:
        on_progress(0, size)  # begun: the Upload exists
    try:
        return _send_parts(client, conn, registry, path, name, upload_id, known, size, part_size, count, on_progress)
    except _StaleUpload as stale:
        registry.forget_pending_upload(conn.account, upload_id)
        if stale.cancel:
            _cancel_quietly(client, upload_id)
        if not known:
            raise ApiError(f"upload {upload_id} was refused by the server: {stale}") from None
        notice(f"the earlier upload {upload_id} cannot be resumed ({stale}); starting again from part 1")
        upload_id = _new_upload(client, conn, registry, name, source, part_size)
        try:
            return _send_parts(client, conn, registry, path, name, upload_id, {}, size, part_size, count,
                               on_progress)
        except _StaleUpload as again:
            registry.forget_pending_upload(conn.account, upload_id)
            raise ApiError(f"upload {upload_id} was refused by the server: {again}") from None


class _StaleUpload(Exception):
    """The Upload cannot be continued (expired, cancelled, unknown, or the file's parts changed)."""

    def __init__(self, message: str, *, cancel: bool = False) -> None:
        super().__init__(message)
        self.cancel = cancel


def _new_upload(client: Any, conn: Connection, registry: Registry, name: str, source: Provenance,
                part_size: int) -> str:
    upload = client.uploads.create(bytes=source.bytes, filename=name, mime_type="text/jsonl", purpose="fine-tune")
    expires = getattr(upload, "expires_at", None) or time.time() + 3600
    registry.start_pending_upload(account=conn.account, upload_id=str(upload.id), filename=name, size=source.bytes,
                                  sha256=source.sha256, part_size=part_size, expires_at=float(expires))
    return str(upload.id)


def _send_parts(client: Any, conn: Connection, registry: Registry, path: Path, name: str, upload_id: str,
                known: dict[int, tuple[str, str]], size: int, part_size: int, count: int,
                on_progress: OnProgress | None) -> tuple[str, str, int, int]:
    import openai

    md5 = hashlib.md5(usedforsecurity=False)
    whole = hashlib.sha256()
    part_ids: list[str] = []
    reused = sent = 0
    with open(path, "rb") as fh:
        for index in range(count):
            chunk = fh.read(part_size)
            md5.update(chunk)
            whole.update(chunk)
            digest = hashlib.sha256(chunk).hexdigest()
            if index in known:
                if known[index][1] != digest:
                    raise _StaleUpload(f"part {index + 1} of {path.name} changed since it was sent", cancel=True)
                part_ids.append(known[index][0])
                reused += 1
            else:
                try:
                    part = client.uploads.parts.create(upload_id, data=chunk)
                except openai.NotFoundError:
                    raise _StaleUpload("the server no longer knows it (expired?)") from None
                except openai.BadRequestError as exc:
                    raise _StaleUpload(server_message(exc)) from None
                except openai.APIStatusError as exc:
                    raise ApiError(f"part {index + 1} of {count} of {path.name} kept failing "
                                   f"({exc.status_code}, after retrying): {server_message(exc)}. The "
                                   f"{plural(len(part_ids), 'part')} sent so far "
                                   f"{'is' if len(part_ids) == 1 else 'are'} kept for an hour: run the same "
                                   "command again to send only the rest.") from None
                registry.record_part(conn.account, upload_id, index, str(part.id), digest)
                part_ids.append(str(part.id))
            sent += len(chunk)
            if on_progress:
                on_progress(sent, size)
        if fh.read(1):
            raise _StaleUpload(f"{path.name} grew while it was being uploaded", cancel=True)
    try:
        done = client.uploads.complete(upload_id, part_ids=part_ids, md5=md5.hexdigest())
    except openai.APIStatusError as exc:
        if exc.status_code == 400 and sent != size:
            raise _StaleUpload(server_message(exc), cancel=True) from None
        # the answer to a completion that worked may be lost and the retry refused: look for the file
        found = _listed(client, name, size)
        if found is None:
            raise
        registry.forget_pending_upload(conn.account, upload_id)
        return found, whole.hexdigest(), len(part_ids), reused
    registry.forget_pending_upload(conn.account, upload_id)
    file = getattr(done, "file", None)
    if file is None or not getattr(file, "id", None):
        raise ApiError(f"upload {upload_id} completed with status {getattr(done, 'status', '?')!r} but no file")
    return str(file.id), whole.hexdigest(), len(part_ids), reused


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
