"""Fixtures for tests that talk to an OpenAI-compatible API over real HTTP on 127.0.0.1.

- ``sandbox``: a started ``toolkit.sandbox.Sandbox``, fresh for each test, with a fast job clock;
  point the SDK at ``sandbox.base_url``.
- ``prism_proxy``: Prism (``prism proxy --errors``) in front of a sandbox, checking every request
  and response against OpenAI's published spec. Yields a ``PrismProxy``: ``.base_url`` for the
  SDK, ``.sandbox`` behind it (inject faults there) and ``.client(**kw)``, an SDK client whose
  responses are checked; any spec problem fails the test at teardown (a test that provokes one on
  purpose asserts on ``.problems`` and clears it).
- ``prism_mock``: the base URL of ``prism mock`` serving the spec: a request that does not match
  OpenAI's spec gets HTTP 422.

Prism comes from ``scripts/install-prism`` (``.tools/prism``); the spec from
``../shared/openai-openapi``. When either is missing these tests fail in CI and are skipped elsewhere.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from toolkit.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]
PRISM = ROOT / ".tools" / "prism" / "node_modules" / ".bin" / "prism"
SPEC = ROOT.parent / "shared" / "openai-openapi" / "openapi.trimmed.json"
SANDBOX_SPEED = 25.0  # a 12-example job takes ~0.5 s
PRISM_START_TIMEOUT = 90.0
# The spec declares only the 200 answer of most operations, so Prism warns about every error status;
# error bodies are checked against the spec's ErrorResponse schema instead.
UNDECLARED_STATUS = "Unable to match the returned status code"


def need(path: Path, what: str, how: str) -> None:
    """Skip (fail in CI) when ``path`` is missing."""
    if path.exists():
        return
    message = f"{what} not found at {path}: {how}"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def wait_for_job(client: Any, job_id: str, *, timeout: float = 30.0) -> tuple[Any, list[str]]:
    """Poll a fine-tuning job until it finishes; return it and the statuses seen on the way."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        job = client.fine_tuning.jobs.retrieve(job_id)
        if not seen or seen[-1] != job.status:
            seen.append(job.status)
        if job.status in ("succeeded", "failed", "cancelled"):
            return job, seen
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} still {job.status} after {timeout} s (seen: {seen})")
        time.sleep(0.05)


class SandboxClock:
    """Stands in for the ``time`` module of the sandbox's jobs: tests stop and move the clock by hand
    instead of sleeping and hoping the machine was quick enough."""

    def __init__(self) -> None:
        self.ahead = 0.0
        self.stopped_at: float | None = None
        self.stopped_wall = 0.0

    def monotonic(self) -> float:
        return (time.monotonic() if self.stopped_at is None else self.stopped_at) + self.ahead

    def time(self) -> float:
        return (time.time() if self.stopped_at is None else self.stopped_wall) + self.ahead

    def stop(self) -> None:
        """Jobs stand still (and the wall clock with them) until ``advance`` or ``start``."""
        self.stopped_at, self.stopped_wall = time.monotonic(), time.time()

    def start(self) -> None:
        if self.stopped_at is not None:
            self.ahead -= time.monotonic() - self.stopped_at  # no jump: go on from where it stood
            self.stopped_at = None

    def advance(self, seconds: float) -> None:
        self.ahead += seconds


@pytest.fixture
def sandbox_clock(monkeypatch: pytest.MonkeyPatch) -> SandboxClock:
    """The clock of every sandbox job in this test (in-process sandboxes only)."""
    from toolkit.sandbox import job_lifecycle

    clock = SandboxClock()
    monkeypatch.setattr(job_lifecycle, "time", clock)
    return clock


def wait_for_status(client: Any, job_id: str, status: str, *, timeout: float = 30.0) -> Any:
    """Poll a fine-tuning job until it reaches ``status``; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        job = client.fine_tuning.jobs.retrieve(job_id)
        if job.status == status:
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} still {job.status} after {timeout} s, waiting for {status}")
        time.sleep(0.02)


@lru_cache(maxsize=1)
def _error_validator() -> Any:
    import jsonschema

    spec = json.loads(SPEC.read_text("utf-8"))
    return jsonschema.Draft202012Validator({"$ref": "#/components/schemas/ErrorResponse",
                                            "components": spec["components"]})


@dataclass
class PrismProxy:
    """Prism in front of a sandbox: the SDK talks to ``base_url``; faults go to ``sandbox``."""

    base_url: str
    sandbox: Sandbox
    problems: list[str] = field(default_factory=list)

    def client(self, **kwargs: Any) -> Any:
        """An ``openai.OpenAI`` client for ``base_url`` that records every spec problem it meets."""
        import openai

        kwargs.setdefault("max_retries", 0)
        http = openai.DefaultHttpxClient(event_hooks={"response": [self._check]})
        return openai.OpenAI(base_url=self.base_url, api_key="test", http_client=http, **kwargs)

    def _check(self, response: Any) -> None:
        response.read()
        where = f"{response.request.method} {response.request.url.path} -> {response.status_code}"
        kind = response.headers.get("content-type", "")
        if kind.startswith("application/problem+json"):
            self.problems.append(f"{where}: Prism: {response.text}")
            return
        for violation in json.loads(response.headers.get("sl-violations", "[]")):
            if UNDECLARED_STATUS not in violation.get("message", ""):
                self.problems.append(f"{where}: spec violation: {violation}")
        if response.status_code >= 400 and kind.startswith("application/json"):
            for error in _error_validator().iter_errors(response.json()):
                self.problems.append(f"{where}: error body does not match ErrorResponse: {error.message}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_prism(args: list[str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    need(PRISM, "Prism", "run scripts/install-prism (scripts/test does)")
    need(SPEC, "The OpenAI spec", "the shared/ reference folder must sit beside the repository")
    port = _free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen([str(PRISM), *args, "-h", "127.0.0.1", "-p", str(port)], stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + PRISM_START_TIMEOUT
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            _stop(proc)
            pytest.fail(f"Prism {' '.join(args[:1])} did not start (exit {proc.returncode}):\n"
                        + log.read_text("utf-8", "replace")[-3000:])
        time.sleep(0.1)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(speed=SANDBOX_SPEED) as running:
        yield running


@pytest.fixture(scope="session")
def _proxied_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Sandbox]]:
    with Sandbox(speed=SANDBOX_SPEED) as upstream:
        # the spec's paths have no /v1 and Prism forwards them as they are: the sandbox serves both
        proc, url = _start_prism(["proxy", "--errors", str(SPEC), upstream.url],
                                 tmp_path_factory.mktemp("prism") / "proxy.log")
        try:
            yield url, upstream
        finally:
            _stop(proc)


@pytest.fixture
def prism_proxy(_proxied_sandbox: tuple[str, Sandbox]) -> Iterator[PrismProxy]:
    url, upstream = _proxied_sandbox
    proxy = PrismProxy(url, upstream)
    yield proxy
    upstream.clear_faults()
    upstream.training_available = True
    upstream.trainer.speed = SANDBOX_SPEED  # a test may slow the shared sandbox down
    if proxy.problems:
        pytest.fail("responses that do not match OpenAI's spec:\n" + "\n".join(proxy.problems))


@pytest.fixture(scope="session")
def prism_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    proc, url = _start_prism(["mock", str(SPEC)], tmp_path_factory.mktemp("prism") / "mock.log")
    try:
        yield url
    finally:
        _stop(proc)
