"""The sandbox's HTTP server: a local, OpenAI-compatible fine-tuning API for tests and try-outs."""

from __future__ import annotations

import re
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .api import Api, Request, Response
from .faults import Fault, Faults, error_for
from .job_lifecycle import Trainer
from .multipart import BodyError, content_length, read_chunked, read_exactly
from .state import ApiError, Store

_WRITTEN_OUT = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))}  # control characters, as text


class Sandbox:
    """A fine-tuning API on ``host:port`` (port 0: any free port), served from a background thread.

    ``speed`` scales the job clock: at 1 a small job takes about 12 s, at 20 well under a second.
    ``azure`` plays Azure OpenAI / Foundry: jobs start ``pending``, need ``trainingType``, make
    ``BASE.ft-<hex>`` models and have null ``result_files`` until they succeed; files answer 201 and
    stay ``pending`` for a moment; classic api-versions before 2024-12-01 have no pause/resume (404).
    Use it as a context manager, or call ``start()`` / ``stop()``; point the SDK at ``base_url``.
    A connection that sends nothing for ``idle_timeout`` seconds is closed (set it before ``start()``).
    """

    idle_timeout: float = 60.0

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, speed: float = 1.0,
                 training_available: bool = True, organization: str = "sandbox",
                 log: Callable[[str], None] | None = None, azure: bool = False) -> None:
        self.host, self.port, self.log = host, port, log
        self.store = Store()
        self.trainer = Trainer(self.store, speed=speed, organization=organization, azure=azure)
        self.trainer.training_available = training_available
        self.api = Api(self.store, self.trainer)
        self.faults = Faults()
        self.requests: list[tuple[str, str, int]] = []  # (method, path, status); 0 dropped, -status lost
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://host:port``: the root, where Prism-style clients (no ``/v1``) point."""
        if self._server is None:
            raise RuntimeError("the sandbox is not started")
        host, port = str(self._server.server_address[0]), self._server.server_address[1]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        """``http://host:port/v1``: what ``OPENAI_BASE_URL`` / ``OpenAI(base_url=...)`` takes."""
        return self.url + "/v1"

    @property
    def training_available(self) -> bool:
        return self.trainer.training_available

    @training_available.setter
    def training_available(self, value: bool) -> None:
        """False: job creation answers 403 ``training_not_available``, as after the wind-down."""
        self.trainer.training_available = value

    def inject(self, path_regex: str, *, status: int | None = None, times: int | None = 1, delay: float = 0.0,
               drop: bool = False, method: str | None = None, retry_after: float | None = None,
               lose: bool = False, code: str | None = None) -> Fault:
        """Make the next ``times`` requests whose path (without /v1) matches ``path_regex`` misbehave.

        ``delay`` seconds pass first; then ``drop`` closes the connection without an answer,
        or ``status`` (e.g. 429 or 500) answers with OpenAI's error body (``retry_after``
        seconds as ``retry-after``/``retry-after-ms`` headers); with neither, the request
        is only slow. ``lose`` handles the request and then drops the connection (the answer is
        lost: a created job exists, the client never hears of it). ``code`` overrides the error
        code (``insufficient_quota``). ``times=None`` keeps the fault armed until ``clear_faults()``.
        """
        if status is None and not drop and not lose and delay <= 0:
            raise ValueError("inject needs a status, drop=True, lose=True or a delay")
        return self.faults.add(Fault(re.compile(path_regex), method and method.upper(), status, times, delay, drop,
                                     retry_after, lose, code))

    def clear_faults(self) -> None:
        self.faults.clear()

    def start(self) -> Sandbox:
        """Bind the port and serve in a background thread."""
        self._bind()
        assert self._server is not None
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="tunesmith-sandbox", daemon=True)
        self._thread.start()
        return self

    def wait(self) -> None:
        """Block until the server thread ends (``stop()`` from another thread, or Ctrl-C here)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(0.5)

    def stop(self) -> None:
        if self._server is None:
            return
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()
        self._server, self._thread = None, None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def _bind(self) -> None:
        if self._server is not None:
            raise RuntimeError("the sandbox is already running")
        self._server = _Server((self.host, self.port), _Handler, self)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # keep-alive connections of clients must not hold up stop()
    request_queue_size = 128  # listen backlog: a burst of 100 clients connects without a reset

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up or stalls is no error of the sandbox's; anything else is, and is shown."""
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_DELETE = do_PUT = do_PATCH = do_GET

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.sandbox.idle_timeout)  # a stalled client frees its thread

    def log_message(self, format: str, *args: object) -> None:
        if self.server.sandbox.log is not None:
            message = (format % args).translate(_WRITTEN_OUT)  # a client's bytes, not the terminal's commands
            self.server.sandbox.log(f"{self.address_string()} {message}")

    def _serve(self) -> None:
        sandbox = self.server.sandbox
        split = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            body = self._body()
        except BodyError as exc:  # the rest of the body cannot be found: answer, then close the connection
            self.close_connection = True
            sandbox.requests.append((self.command, split.path, exc.status))
            self._send(Response.error(ApiError(exc.status, f"Invalid request body: {exc}.")))
            return
        except (ConnectionError, TimeoutError):  # the client stalled or hung up mid-body
            self.close_connection = True
            return
        request = Request.build(self.command, split.path, dict(parse_qsl(split.query, keep_blank_values=True)),
                                headers, body)
        fault = sandbox.faults.take(request.method, request.path)
        if fault is not None and fault.delay > 0:
            time.sleep(fault.delay)
        if fault is not None and fault.drop:
            sandbox.requests.append((request.method, request.path, 0))
            self.log_message('"%s" dropped (injected)', self.requestline)
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault is not None and fault.status is not None:
            response = Response.error(error_for(fault.status, fault.retry_after, fault.code))
        else:
            response = self._answer(request)
        if fault is not None and fault.lose:
            sandbox.requests.append((request.method, request.path, -response.status))
            self.log_message('"%s" %s, answer lost (injected)', self.requestline, str(response.status))
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        sandbox.requests.append((request.method, request.path, response.status))
        self._send(response)

    def _body(self) -> bytes:
        limit = self.server.sandbox.store.max_request_bytes
        coding = [c.strip().lower() for c in ",".join(self.headers.get_all("transfer-encoding") or []).split(",")
                  if c.strip()]
        if coding == ["chunked"]:
            return read_chunked(self.rfile, limit)
        if coding:
            raise BodyError(f"unsupported Transfer-Encoding {', '.join(coding)!r} (the sandbox reads chunked)", 501)
        return read_exactly(self.rfile, content_length(self.headers.get_all("content-length") or [], limit))

    def _answer(self, request: Request) -> Response:
        try:
            return self.server.sandbox.api.handle(request)
        except Exception as exc:  # a bug in the sandbox: answer like the API would, keep the trace visible
            traceback.print_exc(file=sys.stderr)
            return Response.error(ApiError(500, f"The sandbox failed to handle {request.method} {request.path}: "
                                           f"{type(exc).__name__}: {exc}", type="server_error"))

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)
