"""A fault-injecting HTTP proxy: put it in front of any OpenAI-compatible endpoint (the sandbox, Prism).

It forwards each request to ``upstream`` unchanged, unless an armed :class:`~.faults.Fault`
matches: then it answers an error status itself (never forwarding), drops the connection before
forwarding (``drop``), forwards and then drops the connection so the answer is lost (``lose``),
or waits first (``delay``). Tests put it between the SDK and Prism, so that every request is
checked against OpenAI's spec while answers go missing::

    with FaultProxy(prism_url) as proxy:
        proxy.faults.add(parse("path=^/v1/fine_tuning/jobs$,method=POST,lose"))
        client = OpenAI(base_url=proxy.url + "/v1", api_key="...")

Paths are matched as the client sent them (with any ``/v1`` prefix).
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

from .faults import Faults, error_for

_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "host",
        "content-length"}


class FaultProxy:
    """Forward to ``upstream`` (``http://host:port``) from ``127.0.0.1:port`` (0: any free port)."""

    def __init__(self, upstream: str, *, host: str = "127.0.0.1", port: int = 0, timeout: float = 60.0) -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"upstream {upstream!r}: expected http://host:port")
        self.upstream = (parts.hostname, parts.port or 80)
        self.faults = Faults()
        self.timeout = timeout
        self.requests: list[tuple[str, str, int]] = []  # (method, path, status); 0 dropped, -status lost
        self._server = _Server((host, port), _Handler, self)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FaultProxy:
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="tunesmith-fault-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], proxy: FaultProxy) -> None:
        self.proxy = proxy
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        self._relay()

    do_POST = do_DELETE = do_PUT = do_PATCH = do_GET

    def log_message(self, format: str, *args: object) -> None:
        return

    def _relay(self) -> None:
        proxy = self.server.proxy
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = urlsplit(self.path).path
        fault = proxy.faults.take(self.command, path)
        if fault is not None and fault.delay > 0:
            time.sleep(fault.delay)
        if fault is not None and fault.drop:
            proxy.requests.append((self.command, path, 0))
            self._hang_up()
            return
        if fault is not None and fault.status is not None:
            error = error_for(fault.status, fault.retry_after, fault.code)
            payload = json.dumps(error.body()).encode()
            proxy.requests.append((self.command, path, error.status))
            self._answer(error.status, [("Content-Type", "application/json"), *error.headers.items()], payload)
            return
        status, headers, payload = self._forward(body)
        if fault is not None and fault.lose:
            proxy.requests.append((self.command, path, -status))
            self._hang_up()
            return
        proxy.requests.append((self.command, path, status))
        self._answer(status, headers, payload)

    def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        proxy = self.server.proxy
        conn = http.client.HTTPConnection(*proxy.upstream, timeout=proxy.timeout)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
            headers["Content-Length"] = str(len(body))
            conn.request(self.command, self.path, body=body, headers=headers)
            answer = conn.getresponse()
            payload = answer.read()
            kept = [(k, v) for k, v in answer.getheaders() if k.lower() not in _HOP]
            return answer.status, kept, payload
        except OSError as exc:
            error = {"error": {"message": f"fault proxy: upstream unreachable: {exc}", "type": "server_error",
                               "param": None, "code": None}}
            return 502, [("Content-Type", "application/json")], json.dumps(error).encode()
        finally:
            conn.close()

    def _answer(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _hang_up(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
