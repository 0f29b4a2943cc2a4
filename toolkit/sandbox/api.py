"""The sandbox's endpoints: route a request to the store, the trainer or the chat model."""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import chat
from .job_lifecycle import Trainer
from .multipart import Field, MultipartError, parse_form
from .state import FILE_PURPOSES, ApiError, Store

NO_KEY = ("You didn't provide an API key. You need to provide your API key in an Authorization header using "
          "Bearer auth (i.e. Authorization: Bearer YOUR_KEY). The sandbox accepts any key, for example "
          "OPENAI_API_KEY=sandbox.")
AZURE_NO_KEY = ("Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid "
                "key for an active subscription and use a correct regional API endpoint for your resource.")
AZURE_IMPORT_SECONDS = 1.0  # Azure mode: a new file is "pending" this long (sandbox seconds)
# /v1 (OpenAI), /openai and /openai/v1 (Azure OpenAI), or none (Prism mounts the spec at /)
_PREFIX = re.compile(r"^/(?:openai/deployments/(?P<deployment>[^/]+)(?=/chat/completions$)|openai/v1|openai|v1)(?=/)")


@dataclass
class Request:
    """An HTTP request as the endpoints see it (path without its /v1 or /openai prefix)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""
    deployment: str | None = None
    params: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Request:
        match = _PREFIX.match(path)
        deployment = match.group("deployment") if match else None
        return cls(method, path[match.end():] if match else path, query, headers, body, deployment)

    def json(self) -> dict[str, Any]:
        if not self.body.strip():
            return {}
        try:
            value = json.loads(self.body, parse_constant=_no_constant, parse_float=_finite)
        except (ValueError, RecursionError):  # not JSON, not UTF-8, NaN, an over-long integer, too deep
            raise ApiError(400, "We could not parse the JSON body of your request. The OpenAI API expects a JSON "
                           "payload, but what was sent was not valid JSON.") from None
        if not isinstance(value, dict):
            raise ApiError(400, "The JSON body of your request must be an object.")
        return value

    def form(self, *required: str) -> dict[str, Field]:
        try:
            fields = parse_form(self.body, self.headers.get("content-type", ""))
        except MultipartError as exc:
            raise ApiError(400, f"Invalid multipart/form-data body: {exc}.") from None
        for name in required:
            if name not in fields:
                raise ApiError(400, f"Missing required parameter: '{name}'.", param=name)
        return fields


@dataclass
class Response:
    """What the server sends back."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return cls(status, json.dumps(value).encode(), "application/json", headers or {})

    @classmethod
    def error(cls, error: ApiError) -> Response:
        return cls.json(error.body(), error.status, error.headers)


class Api:
    """Every endpoint the sandbox serves, over one ``Store`` and one ``Trainer``."""

    def __init__(self, store: Store, trainer: Trainer) -> None:
        self.store, self.trainer = store, trainer
        self.routes: list[tuple[str, re.Pattern[str], Callable[[Request], Response]]] = [
            (m, re.compile(f"^{p}$"), f) for m, p, f in [
                ("GET", "/files", self.list_files),
                ("POST", "/files", self.create_file),
                ("GET", "/files/(?P<id>[^/]+)", self.get_file),
                ("DELETE", "/files/(?P<id>[^/]+)", self.delete_file),
                ("GET", "/files/(?P<id>[^/]+)/content", self.file_content),
                ("POST", "/uploads", self.create_upload),
                ("POST", "/uploads/(?P<id>[^/]+)/parts", self.add_part),
                ("POST", "/uploads/(?P<id>[^/]+)/complete", self.complete_upload),
                ("POST", "/uploads/(?P<id>[^/]+)/cancel", self.cancel_upload),
                ("POST", "/fine_tuning/jobs", self.create_job),
                ("GET", "/fine_tuning/jobs", self.list_jobs),
                ("GET", "/fine_tuning/jobs/(?P<id>[^/]+)", self.get_job),
                ("POST", "/fine_tuning/jobs/(?P<id>[^/]+)/cancel", self.cancel_job),
                ("POST", "/fine_tuning/jobs/(?P<id>[^/]+)/pause", self.pause_job),
                ("POST", "/fine_tuning/jobs/(?P<id>[^/]+)/resume", self.resume_job),
                ("GET", "/fine_tuning/jobs/(?P<id>[^/]+)/events", self.job_events),
                ("GET", "/fine_tuning/jobs/(?P<id>[^/]+)/checkpoints", self.job_checkpoints),
                ("POST", "/chat/completions", self.chat_completion),
                ("DELETE", "/models/(?P<id>.+)", self.delete_model),
            ]]

    def handle(self, request: Request) -> Response:
        """Authenticate, route and answer; API errors become OpenAI error bodies."""
        try:
            if not _has_key(request.headers):
                raise ApiError(401, AZURE_NO_KEY if self.trainer.azure else NO_KEY)
            for method, pattern, endpoint in self.routes:
                match = pattern.match(request.path)
                if match and method == request.method:
                    request.params = match.groupdict()
                    return endpoint(request)
            raise ApiError(404, f"Invalid URL ({request.method} {request.path})")
        except ApiError as exc:
            return Response.error(exc)

    # files
    def list_files(self, r: Request) -> Response:
        return Response.json(self.store.list_files(r.query))

    def create_file(self, r: Request) -> Response:
        form = r.form("file", "purpose")
        upload, purpose = form["file"], form["purpose"].data.decode("utf-8", "replace")
        if purpose not in FILE_PURPOSES:
            raise ApiError(400, f"Invalid purpose {purpose!r}: expected one of {', '.join(FILE_PURPOSES)}.",
                           param="purpose")
        if len(upload.data) > self.store.max_file_bytes:
            raise ApiError(400, f"The file has {len(upload.data)} bytes; a file can have at most "
                           f"{self.store.max_file_bytes} bytes (the Uploads API takes up to "
                           f"{self.store.max_upload_bytes}).", param="file")
        stored = self.store.add_file(upload.filename or "upload", purpose, upload.data)
        if self.trainer.azure:  # Azure imports a file before jobs may use it, and answers 201 Created
            stored.ready_at = time.monotonic() + AZURE_IMPORT_SECONDS / self.trainer.speed
            return Response.json(stored.to_api(), status=201)
        return Response.json(stored.to_api())

    def get_file(self, r: Request) -> Response:
        return Response.json(self.store.file(r.params["id"]).to_api())

    def delete_file(self, r: Request) -> Response:
        return Response.json(self.store.delete_file(r.params["id"]))

    def file_content(self, r: Request) -> Response:
        return Response(200, self.store.file(r.params["id"]).data, "application/octet-stream")

    # uploads
    def create_upload(self, r: Request) -> Response:
        return Response.json(self.store.create_upload(r.json()).to_api())

    def add_part(self, r: Request) -> Response:
        return Response.json(self.store.add_part(r.params["id"], r.form("data")["data"].data))

    def complete_upload(self, r: Request) -> Response:
        return Response.json(self.store.complete_upload(r.params["id"], r.json()).to_api())

    def cancel_upload(self, r: Request) -> Response:
        return Response.json(self.store.cancel_upload(r.params["id"]).to_api())

    # fine-tuning jobs
    def create_job(self, r: Request) -> Response:
        return Response.json(self.trainer.create(r.json()))

    def list_jobs(self, r: Request) -> Response:
        return Response.json(self.trainer.list_jobs(r.query))

    def get_job(self, r: Request) -> Response:
        return Response.json(self.trainer.retrieve(r.params["id"]))

    def cancel_job(self, r: Request) -> Response:
        return Response.json(self.trainer.cancel(r.params["id"]))

    def pause_job(self, r: Request) -> Response:
        return Response.json(self.trainer.pause(r.params["id"], r.query.get("api-version")))

    def resume_job(self, r: Request) -> Response:
        return Response.json(self.trainer.resume(r.params["id"], r.query.get("api-version")))

    def job_events(self, r: Request) -> Response:
        return Response.json(self.trainer.events(r.params["id"], r.query))

    def job_checkpoints(self, r: Request) -> Response:
        return Response.json(self.trainer.checkpoints(r.params["id"], r.query))

    def delete_model(self, r: Request) -> Response:
        return Response.json(self.trainer.delete_model(r.params["id"]))

    # chat
    def chat_completion(self, r: Request) -> Response:
        body = r.json()
        if r.deployment and "model" not in body:
            body["model"] = r.deployment
        completion = chat.complete(body, self.trainer.model_pairs)
        if body.get("stream"):
            options = body.get("stream_options") or {}
            if not isinstance(options, dict):
                raise ApiError(400, "Invalid 'stream_options': expected an object.", param="stream_options")
            usage = bool(options.get("include_usage"))
            return Response(200, chat.stream_body(completion, include_usage=usage), "text/event-stream")
        return Response.json(completion)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999: JSON has no infinity, and the answer could not say it either
        raise ValueError(f"{text} is out of range")
    return value


def _has_key(headers: dict[str, str]) -> bool:
    scheme, _, key = headers.get("authorization", "").partition(" ")
    return (scheme.lower() == "bearer" and bool(key.strip())) or bool(headers.get("api-key", "").strip())
